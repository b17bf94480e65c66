/* minisign detached signatures: round trip, tampering of each signed part,
 * signatures made by minisign 0.11 (data/README), refusal of the legacy
 * form and of malformed files. */
#include <sodium.h>

#include "crypto_test.h"
#include "nip/crypto.h"
#include "nip/limits.h"

static const char msg[] = "the exact bytes of a manifest";

static void test_round_trip(void)
{
	struct nip_pubkey pub;
	struct nip_seckey sec;
	struct nip_sig sig, back;
	struct nip_error err;
	struct nip_buf b, b2;
	const char *uc = NULL;
	size_t uclen = 0;

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_sig_sign(&sec, msg, strlen(msg), "name:foo\tversion:1.0", &sig,
					   &err), 0);
	CU_ASSERT_EQUAL(memcmp(sig.keyid, pub.keyid, NIP_KEYID_LEN), 0);
	CU_ASSERT_STRING_EQUAL(sig.trusted_comment, "name:foo\tversion:1.0");
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &pub, msg, strlen(msg), &err), 0);

	nip_buf_init(&b, NIP_SIG_MAX, "signature");
	CU_ASSERT_EQUAL_FATAL(nip_sig_format(&sig, "nip package signature", &b, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_buf_cstr(&b, &err), 0);
	CU_ASSERT_EQUAL(strncmp((char *)b.data, "untrusted comment: nip package signature\nRU", 43),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "\ntrusted comment: name:foo\tversion:1.0\n"));
	CU_ASSERT_EQUAL(b.data[b.len - 1], '\n');
	CU_ASSERT_EQUAL_FATAL(nip_sig_parse((char *)b.data, b.len, &back, &uc, &uclen, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&sig, &back, sizeof sig), 0);
	CU_ASSERT_EQUAL(uclen, strlen("nip package signature"));
	CU_ASSERT_EQUAL(strncmp(uc, "nip package signature", uclen), 0);
	CU_ASSERT_EQUAL(nip_sig_verify(&back, &pub, msg, strlen(msg), &err), 0);
	/* Without the last newline, and without asking for the comment. */
	CU_ASSERT_EQUAL(nip_sig_parse((char *)b.data, b.len - 1, &back, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&sig, &back, sizeof sig), 0);

	/* Formatting is canonical: parse then format gives the same bytes. */
	nip_buf_init(&b2, NIP_SIG_MAX, "signature");
	CU_ASSERT_EQUAL(nip_sig_format(&back, "nip package signature", &b2, &err), 0);
	CU_ASSERT_EQUAL(b2.len, b.len);
	CU_ASSERT_EQUAL(memcmp(b.data, b2.data, b.len), 0);
	nip_buf_free(&b2);

	/* Defaults: no untrusted comment, empty trusted comment, empty message. */
	CU_ASSERT_EQUAL_FATAL(nip_sig_sign(&sec, NULL, 0, NULL, &sig, &err), 0);
	CU_ASSERT_STRING_EQUAL(sig.trusted_comment, "");
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &pub, "", 0, &err), 0);
	b.len = 0;
	CU_ASSERT_EQUAL_FATAL(nip_sig_format(&sig, NULL, &b, &err), 0);
	CU_ASSERT_EQUAL(strncmp((char *)b.data, "untrusted comment: signature from nip secret key\n",
				49), 0);
	CU_ASSERT_EQUAL(nip_sig_parse((char *)b.data, b.len, &back, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(nip_sig_verify(&back, &pub, "", 0, &err), 0);
	nip_buf_free(&b);
	nip_seckey_wipe(&sec);
}

static void test_tampered(void)
{
	struct nip_pubkey pub, other;
	struct nip_seckey sec, osec;
	struct nip_sig sig, bad;
	struct nip_error err;
	char id[NIP_KEYID_HEX], oid[NIP_KEYID_HEX], want[128];
	char altered[sizeof msg];

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&other, &osec, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_sig_sign(&sec, msg, strlen(msg), "tc", &sig, &err), 0);

	memcpy(altered, msg, sizeof msg);
	altered[0] ^= 1;
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &pub, altered, strlen(altered), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "does not match the signed data");
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &pub, msg, strlen(msg) - 1, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "does not match the signed data");

	bad = sig;
	memcpy(bad.trusted_comment, "tC", 3);
	CU_ASSERT_EQUAL(nip_sig_verify(&bad, &pub, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "the trusted comment is not the one signed");
	bad = sig;
	memcpy(bad.trusted_comment, "tc ", 4);
	CU_ASSERT_EQUAL(nip_sig_verify(&bad, &pub, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "the trusted comment is not the one signed");
	bad = sig;
	memset(bad.trusted_comment, 'x', sizeof bad.trusted_comment);
	CU_ASSERT_EQUAL(nip_sig_verify(&bad, &pub, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "malformed trusted comment");

	bad = sig;
	bad.sig[17] ^= 0x80;
	CU_ASSERT_EQUAL(nip_sig_verify(&bad, &pub, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "does not match the signed data");
	bad = sig;
	bad.global_sig[63] ^= 1;
	CU_ASSERT_EQUAL(nip_sig_verify(&bad, &pub, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "the trusted comment is not the one signed");

	/* Another key: named by both ids before any signature is checked. */
	nip_keyid_format(pub.keyid, id);
	nip_keyid_format(other.keyid, oid);
	snprintf(want, sizeof want, "signed by key %s, not by the trusted key %s", id, oid);
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &other, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, want);
	/* Another key posing under the right id: the signatures fail. */
	memcpy(other.keyid, pub.keyid, NIP_KEYID_LEN);
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &other, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "does not match the signed data");
	/* A signature lifted onto another key's id. */
	bad = sig;
	memcpy(bad.keyid, osec.keyid, NIP_KEYID_LEN);
	nip_seckey_public(&osec, &other);
	CU_ASSERT_EQUAL(nip_sig_verify(&bad, &other, msg, strlen(msg), &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "does not match the signed data");
	nip_seckey_wipe(&sec);
	nip_seckey_wipe(&osec);
}

/* Altering the trusted comment in the file: it still parses, and fails. */
static void test_tampered_file(void)
{
	struct nip_pubkey pub;
	struct nip_sig sig;
	struct nip_error err;
	char *text, *tc, *m;
	size_t len = 0, mlen = 0;

	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(AT_FDCWD, DATA "minisign-plain.pub", &pub, &err), 0);
	m = slurp(DATA "message.txt", &mlen);
	text = slurp(DATA "message.txt.minisig", &len);
	tc = strstr(text, "trusted comment text");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
	tc[0] = 'T';
	CU_ASSERT_EQUAL_FATAL(nip_sig_parse(text, len, &sig, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &pub, m, mlen, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "the trusted comment is not the one signed");
	free(text);
	free(m);
}

static void test_minisign_made(void)
{
	struct nip_pubkey pub, other;
	struct nip_sig sig;
	struct nip_error err;
	const char *uc;
	char *text, *m;
	size_t len = 0, mlen = 0, uclen = 0;

	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(AT_FDCWD, DATA "minisign-plain.pub", &pub, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(AT_FDCWD, DATA "minisign-enc.pub", &other, &err), 0);
	m = slurp(DATA "message.txt", &mlen);
	text = slurp(DATA "message.txt.minisig", &len);
	CU_ASSERT_EQUAL_FATAL(nip_sig_parse(text, len, &sig, &uc, &uclen, &err), 0);
	CU_ASSERT_EQUAL(uclen, strlen("signature from minisign secret key"));
	CU_ASSERT_EQUAL(strncmp(uc, "signature from minisign secret key", uclen), 0);
	CU_ASSERT_STRING_EQUAL(sig.trusted_comment, "trusted comment text");
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &pub, m, mlen, &err), 0);
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &other, m, mlen, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST,
		      "signed by key C34FCB7D80B07CFD, not by the trusted key 644ECE7A5B567293");
	free(text);

	/* minisign -l: the legacy unhashed form, refused whatever it signs. */
	text = slurp(DATA "message.txt.legacy.minisig", &len);
	CU_ASSERT_EQUAL(nip_sig_parse(text, len, &sig, NULL, NULL, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT,
		      "legacy unhashed minisign signature (Ed) is not accepted; re-sign with "
		      "minisign >= 0.8 or nip");
	free(text);
	free(m);
}

static void check_bad(const char *text, size_t len, int code, const char *what)
{
	struct nip_sig sig;
	struct nip_error err;

	memset(&err, 0, sizeof err);
	CU_ASSERT_EQUAL(nip_sig_parse(text, len, &sig, NULL, NULL, &err), -1);
	CU_ASSERT_ERR(err, code, what);
}

/* A valid file's four lines, to recombine. */
static char lines[4][200];

static void split_fixture(void)
{
	char *text, *p, *nl;
	size_t len = 0;

	text = slurp(DATA "message.txt.minisig", &len);
	p = text;
	for (int i = 0; i < 4; i++) {
		nl = strchr(p, '\n');
		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		snprintf(lines[i], sizeof lines[i], "%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
	free(text);
}

static void test_malformed(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char t[8192], b64[200], longc[NIP_COMMENT_MAX + 2];
	uint8_t blob[74];
	size_t got;

	split_fixture();
#define FILE4(a, b, c, d) snprintf(t, sizeof t, "%s\n%s\n%s\n%s\n", a, b, c, d)
	FILE4(lines[0], lines[1], lines[2], lines[3]);
	{
		struct nip_sig sig;
		struct nip_error err;
		CU_ASSERT_EQUAL_FATAL(nip_sig_parse(t, strlen(t), &sig, NULL, NULL, &err), 0);
	}
	check_bad("", 0, NIP_E_FORMAT, "signature: empty");
	snprintf(t, sizeof t, "%s\n%s\n%s\n", lines[0], lines[1], lines[2]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "signature: 3 lines, expected 4");
	snprintf(t, sizeof t, "%s\n%s\n%s\n%s\n\n", lines[0], lines[1], lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "more than 4 lines");
	snprintf(t, sizeof t, "%s\n%s\n%s\n%s\nextra", lines[0], lines[1], lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "more than 4 lines");
	snprintf(t, sizeof t, "%s\r\n%s\r\n%s\r\n%s\r\n", lines[0], lines[1], lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 1: control character 0x0d");
	FILE4("comment: x", lines[1], lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT,
		  "line 1: does not start with \"untrusted comment: \"");
	FILE4(lines[0], lines[1], "untrusted comment: trusted comment text", lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 3: does not start with \"trusted comment: \"");
	FILE4(lines[0], lines[1], "trusted comment: a\033]0;title\007", lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 3: control character 0x1b at offset 1");
	FILE4(lines[0], lines[1], "trusted comment: del\177", lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "control character 0x7f");
	memset(longc, 'c', NIP_COMMENT_MAX + 1);
	longc[NIP_COMMENT_MAX + 1] = '\0';
	snprintf(t, sizeof t, "%s\n%s\ntrusted comment: %s\n%s\n", lines[0], lines[1], longc,
		 lines[3]);
	check_bad(t, strlen(t), NIP_E_LIMIT, "line 3: 1025 bytes, more than the limit of 1024");
	snprintf(t, sizeof t, "untrusted comment: %s\n%s\n%s\n%s\n", longc, lines[1], lines[2],
		 lines[3]);
	check_bad(t, strlen(t), NIP_E_LIMIT, "line 1: 1025 bytes");
	memset(t, 'A', NIP_SIG_MAX + 1);
	check_bad(t, NIP_SIG_MAX + 1, NIP_E_LIMIT, "signature: 4097 bytes, more than the limit");

	/* The base64 lines. */
	FILE4(lines[0], "", lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 2: 0 base64 characters, expected 100");
	snprintf(b64, sizeof b64, "%s", lines[1]);
	b64[40] = '!';
	FILE4(lines[0], b64, lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 2: invalid base64 character 0x21 at offset 40");
	/* libsodium 1.0.18 alone would read any byte >= 0x80 as '/'. */
	b64[40] = (char)0xdf;
	FILE4(lines[0], b64, lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 2: invalid base64 character 0xdf at offset 40");
	FILE4(lines[0], lines[1], lines[2], lines[1]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 4: 100 base64 characters, expected 88");
	snprintf(b64, sizeof b64, "%s", lines[3]);
	b64[87] = 'A'; /* padding gone */
	FILE4(lines[0], lines[1], lines[2], b64);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 4: invalid base64");
	/* 86 characters carry 516 bits for 512: set one of the 4 spare
	 * bits and the same signature would have a second spelling. */
	snprintf(b64, sizeof b64, "%s", lines[3]);
	b64[85] = alphabet[(strchr(alphabet, b64[85]) - alphabet) ^ 1];
	FILE4(lines[0], lines[1], lines[2], b64);
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 4: invalid base64");
	FILE4(lines[0], lines[1], lines[2], lines[3]);
	t[strlen(t) - 1] = ' ';
	check_bad(t, strlen(t), NIP_E_FORMAT, "line 4: 89 base64 characters");

	/* Algorithms other than "ED". */
	CU_ASSERT_EQUAL_FATAL(sodium_base642bin(blob, sizeof blob, lines[1], strlen(lines[1]), NULL,
						&got, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	memcpy(blob, "ed", 2);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
	FILE4(lines[0], b64, lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "algorithm 0x6564 is not prehashed Ed25519 (\"ED\")");
	memcpy(blob, "Ed", 2);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
	FILE4(lines[0], b64, lines[2], lines[3]);
	check_bad(t, strlen(t), NIP_E_FORMAT, "legacy unhashed minisign signature (Ed)");
#undef FILE4
}

static void test_bad_arguments(void)
{
	struct nip_pubkey pub;
	struct nip_seckey sec;
	struct nip_sig sig;
	struct nip_error err;
	struct nip_buf b;
	char longc[NIP_COMMENT_MAX + 2];

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	CU_ASSERT_EQUAL(nip_sig_sign(&sec, msg, 1, "two\nlines", &sig, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "trusted comment: control character 0x0a at offset 3");
	memset(longc, 'c', sizeof longc - 1);
	longc[sizeof longc - 1] = '\0';
	CU_ASSERT_EQUAL(nip_sig_sign(&sec, msg, 1, longc, &sig, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_LIMIT, "trusted comment: 1025 bytes");
	longc[NIP_COMMENT_MAX] = '\0';
	CU_ASSERT_EQUAL_FATAL(nip_sig_sign(&sec, msg, 1, longc, &sig, &err), 0);
	CU_ASSERT_EQUAL(nip_sig_verify(&sig, &pub, msg, 1, &err), 0);

	nip_buf_init(&b, NIP_SIG_MAX, "signature");
	CU_ASSERT_EQUAL(nip_sig_format(&sig, "a\nb", &b, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "untrusted comment: control character 0x0a");
	CU_ASSERT_EQUAL(b.len, 0);
	sig.trusted_comment[5] = '\r';
	CU_ASSERT_EQUAL(nip_sig_format(&sig, NULL, &b, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "trusted comment: control character 0x0d at offset 5");
	memset(sig.trusted_comment, 'x', sizeof sig.trusted_comment);
	CU_ASSERT_EQUAL(nip_sig_format(&sig, NULL, &b, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_LIMIT, "trusted comment: longer than 1024 bytes");
	CU_ASSERT_EQUAL(b.len, 0);
	/* A buffer too small leaves nothing half-written. */
	nip_buf_free(&b);
	nip_buf_init(&b, 100, "small signature buffer");
	CU_ASSERT_EQUAL_FATAL(nip_sig_sign(&sec, msg, 1, "tc", &sig, &err), 0);
	CU_ASSERT_EQUAL(nip_sig_format(&sig, NULL, &b, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_LIMIT, "small signature buffer exceeds its limit");
	CU_ASSERT_EQUAL(b.len, 0);
	nip_buf_free(&b);
	nip_seckey_wipe(&sec);
}

NIP_UNIT_SUITE("crypto/sig", NIP_TEST(test_round_trip), NIP_TEST(test_tampered),
	       NIP_TEST(test_tampered_file), NIP_TEST(test_minisign_made), NIP_TEST(test_malformed),
	       NIP_TEST(test_bad_arguments))
