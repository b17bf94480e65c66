/* minisign keys in memory: round trips, keys made by minisign 0.11 itself
 * (see data/README), refusal of every malformed key text. */
#include <sodium.h>

#include "crypto_test.h"
#include "nip/crypto.h"
#include "nip/limits.h"

#define MINISIGN_PASS "nip-test-passphrase"
#define LOWCOST_PASS "lowcost"

static void test_keyid_format(void)
{
	const uint8_t id[NIP_KEYID_LEN] = {0xfd, 0x7c, 0xb0, 0x80, 0x7d, 0xcb, 0x4f, 0xc3};
	const uint8_t small[NIP_KEYID_LEN] = {0x01, 0x02, 0, 0, 0, 0, 0, 0};
	char out[NIP_KEYID_HEX];

	nip_keyid_format(id, out);
	CU_ASSERT_STRING_EQUAL(out, "C34FCB7D80B07CFD");
	nip_keyid_format(small, out);
	CU_ASSERT_STRING_EQUAL(out, "0000000000000201");
}

static void test_round_trip_text(void)
{
	struct nip_pubkey pub, pub2, derived;
	struct nip_seckey sec, sec2;
	struct nip_error err;
	struct nip_buf b;
	char id[NIP_KEYID_HEX], head[128];
	int enc = -1;

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	nip_seckey_public(&sec, &derived);
	CU_ASSERT_EQUAL(memcmp(&pub, &derived, sizeof pub), 0);

	nip_buf_init(&b, NIP_KEYFILE_MAX, "test");
	CU_ASSERT_EQUAL_FATAL(nip_pubkey_format(&pub, &b, &err), 0);
	nip_keyid_format(pub.keyid, id);
	snprintf(head, sizeof head, "untrusted comment: minisign public key %s\nRW", id);
	CU_ASSERT_EQUAL(memcmp(b.data, head, strlen(head)), 0);
	CU_ASSERT_EQUAL(b.len, strlen(head) - 2 + 57);
	CU_ASSERT_EQUAL_FATAL(nip_pubkey_parse((char *)b.data, b.len, &pub2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&pub, &pub2, sizeof pub), 0);
	/* The lone base64 line, with or without its newline (minisign -P). */
	CU_ASSERT_EQUAL(nip_pubkey_parse((char *)b.data + strlen(head) - 2, 57, &pub2, &err), 0);
	CU_ASSERT_EQUAL(nip_pubkey_parse((char *)b.data + strlen(head) - 2, 56, &pub2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&pub, &pub2, sizeof pub), 0);
	nip_buf_free(&b);

	nip_buf_init(&b, NIP_KEYFILE_MAX, "test");
	CU_ASSERT_EQUAL_FATAL(nip_seckey_format(&sec, NULL, &b, &err), 0);
	CU_ASSERT_EQUAL(memcmp(b.data, "untrusted comment: minisign encrypted secret key\nRWQAAEIy",
			       57), 0);
	CU_ASSERT_EQUAL(nip_seckey_encrypted((char *)b.data, b.len, &enc, &err), 0);
	CU_ASSERT_EQUAL(enc, 0);
	/* A passphrase given for an unencrypted key is not needed, not wrong. */
	CU_ASSERT_EQUAL_FATAL(nip_seckey_parse((char *)b.data, b.len, "unused", &sec2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&sec, &sec2, sizeof sec), 0);
	/* Without the final newline too. */
	CU_ASSERT_EQUAL(nip_seckey_parse((char *)b.data, b.len - 1, NULL, &sec2, &err), 0);
	/* An empty passphrase is refused rather than written. */
	CU_ASSERT_EQUAL(nip_seckey_format(&sec, "", &b, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "empty passphrase");
	nip_buf_free(&b);
	nip_seckey_wipe(&sec);
	nip_seckey_wipe(&sec2);
	CU_ASSERT(sodium_is_zero((unsigned char *)&sec, sizeof sec));
}

/* A key pair made by `minisign -G -W`: its checksum is left zero. */
static void test_minisign_plain(void)
{
	struct nip_pubkey pub, derived;
	struct nip_seckey sec, sec2;
	struct nip_error err;
	struct nip_buf b;
	char id[NIP_KEYID_HEX], *text;
	size_t len = 0;
	int enc = -1;

	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(AT_FDCWD, DATA "minisign-plain.pub", &pub, &err), 0);
	nip_keyid_format(pub.keyid, id);
	CU_ASSERT_STRING_EQUAL(id, "C34FCB7D80B07CFD"); /* as minisign's comment says */
	text = slurp(DATA "minisign-plain.key", &len);
	CU_ASSERT_EQUAL(nip_seckey_encrypted(text, len, &enc, &err), 0);
	CU_ASSERT_EQUAL(enc, 0);
	CU_ASSERT_EQUAL_FATAL(nip_seckey_parse(text, len, NULL, &sec, &err), 0);
	nip_seckey_public(&sec, &derived);
	CU_ASSERT_EQUAL(memcmp(&pub, &derived, sizeof pub), 0);
	/* Written back by nip (now with its checksum) and read again. */
	nip_buf_init(&b, NIP_KEYFILE_MAX, "test");
	CU_ASSERT_EQUAL_FATAL(nip_seckey_format(&sec, NULL, &b, &err), 0);
	CU_ASSERT_EQUAL(nip_seckey_parse((char *)b.data, b.len, NULL, &sec2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&sec, &sec2, sizeof sec), 0);
	sodium_memzero(b.data, b.len);
	nip_buf_free(&b);
	free(text);
}

/* minisign's format with the cheapest scrypt cost (see data/README):
 * encrypted-key paths without seconds of key derivation each. */
static void test_lowcost_encrypted(void)
{
	struct nip_pubkey pub, derived;
	struct nip_seckey sec;
	struct nip_error err;
	char *text;
	size_t len = 0;
	int enc = -1;

	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(AT_FDCWD, DATA "lowcost-enc.pub", &pub, &err), 0);
	text = slurp(DATA "lowcost-enc.key", &len);
	CU_ASSERT_EQUAL(nip_seckey_encrypted(text, len, &enc, &err), 0);
	CU_ASSERT_EQUAL(enc, 1);
	CU_ASSERT_EQUAL(nip_seckey_parse(text, len, NULL, &sec, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "a passphrase is needed");
	CU_ASSERT_EQUAL(nip_seckey_parse(text, len, "wrong", &sec, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "wrong passphrase or corrupted key");
	CU_ASSERT_EQUAL(nip_seckey_parse(text, len, "", &sec, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "wrong passphrase or corrupted key");
	CU_ASSERT_EQUAL_FATAL(nip_seckey_parse(text, len, LOWCOST_PASS, &sec, &err), 0);
	nip_seckey_public(&sec, &derived);
	CU_ASSERT_EQUAL(memcmp(&pub, &derived, sizeof pub), 0);
	nip_seckey_wipe(&sec);
	free(text);
}

/* One full-cost scrypt: a key encrypted by minisign itself. */
static void test_minisign_encrypted(void)
{
	struct nip_pubkey pub, derived;
	struct nip_seckey sec;
	struct nip_error err;
	char *text;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(AT_FDCWD, DATA "minisign-enc.pub", &pub, &err), 0);
	text = slurp(DATA "minisign-enc.key", &len);
	CU_ASSERT_EQUAL_FATAL(nip_seckey_parse(text, len, MINISIGN_PASS, &sec, &err), 0);
	nip_seckey_public(&sec, &derived);
	CU_ASSERT_EQUAL(memcmp(&pub, &derived, sizeof pub), 0);
	nip_seckey_wipe(&sec);
	free(text);
}

static void check_bad_pub(const char *text, size_t len, int code, const char *what)
{
	struct nip_pubkey pub;
	struct nip_error err;

	memset(&err, 0, sizeof err);
	CU_ASSERT_EQUAL(nip_pubkey_parse(text, len, &pub, &err), -1);
	CU_ASSERT_ERR(err, code, what);
}

/* base64 of "Ed" || keyid || pk with chosen bytes. */
static void pub_line(const char *alg, const uint8_t pk[32], char out[57])
{
	uint8_t blob[42] = {0};
	memcpy(blob, alg, 2);
	memcpy(blob + 10, pk, 32);
	sodium_bin2base64(out, 57, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
}

static void test_pubkey_malformed(void)
{
	struct nip_pubkey pub;
	struct nip_seckey sec;
	struct nip_error err;
	char good[57], line[57], text[256], big[NIP_KEYFILE_MAX + 2], longc[NIP_COMMENT_MAX + 1];
	const uint8_t identity[32] = {1};

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	nip_seckey_wipe(&sec);
	pub_line("Ed", pub.pk, good);
	snprintf(text, sizeof text, "untrusted comment: k\n%s\n", good);
	CU_ASSERT_EQUAL(nip_pubkey_parse(text, strlen(text), &pub, &err), 0);

	check_bad_pub("", 0, NIP_E_FORMAT, "public key: empty");
	snprintf(text, sizeof text, "comment: k\n%s\n", good);
	check_bad_pub(text, strlen(text), NIP_E_FORMAT,
		      "public key: line 1: does not start with \"untrusted comment: \"");
	snprintf(text, sizeof text, "untrusted comment: k\n%s\n\n", good);
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "more than 2 lines");
	snprintf(text, sizeof text, "untrusted comment: k\nuntrusted comment: k\n%s\n", good);
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "more than 2 lines");
	snprintf(text, sizeof text, "untrusted comment: k\r\n%s\r\n", good);
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "line 1: control character 0x0d");
	snprintf(text, sizeof text, "untrusted comment: \033[2J\n%s\n", good);
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "control character 0x1b");
	snprintf(text, sizeof text, "untrusted comment: k\n%s \n", good);
	check_bad_pub(text, strlen(text), NIP_E_FORMAT,
		      "line 2: 57 base64 characters, expected 56");
	snprintf(text, sizeof text, "untrusted comment: k\n%.55s\n", good);
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "55 base64 characters, expected 56");
	snprintf(text, sizeof text, "untrusted comment: k\n%s\n", good);
	text[21 + 10] = '*';
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "line 2: invalid base64 character 0x2a");
	text[21 + 10] = (char)0x80;
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "line 2: invalid base64 character 0x80");
	snprintf(text, sizeof text, "%s\n", good);
	text[10] = '\0';
	check_bad_pub(text, strlen(good) + 1, NIP_E_FORMAT, "invalid base64");

	pub_line("ED", pub.pk, line);
	check_bad_pub(line, strlen(line), NIP_E_FORMAT,
		      "public key: algorithm 0x4544 is not Ed25519");
	pub_line("Ed", identity, line);
	check_bad_pub(line, strlen(line), NIP_E_FORMAT, "not a valid Ed25519 public key");

	memset(big, 'A', sizeof big);
	check_bad_pub(big, sizeof big, NIP_E_LIMIT, "more than the limit of 4096");
	/* A comment of exactly NIP_COMMENT_MAX bytes is fine, one more is not. */
	memset(longc, 'c', NIP_COMMENT_MAX);
	longc[NIP_COMMENT_MAX] = '\0';
	snprintf(big, sizeof big, "untrusted comment: %s\n%s\n", longc, good);
	CU_ASSERT_EQUAL(nip_pubkey_parse(big, strlen(big), &pub, &err), 0);
	snprintf(big, sizeof big, "untrusted comment: %sc\n%s\n", longc, good);
	check_bad_pub(big, strlen(big), NIP_E_LIMIT, "line 1: 1025 bytes, more than the limit of 1024");
}

/* The blob of an unencrypted nip-made secret key, to patch. */
static void sk_blob(const struct nip_seckey *sec, unsigned char blob[SK_LEN])
{
	struct nip_error err;
	struct nip_buf b;
	size_t got;

	nip_buf_init(&b, NIP_KEYFILE_MAX, "test");
	CU_ASSERT_EQUAL_FATAL(nip_seckey_format(sec, NULL, &b, &err), 0);
	CU_ASSERT_EQUAL_FATAL(sodium_base642bin(blob, SK_LEN, strchr((char *)b.data, '\n') + 1,
						212, NULL, &got, NULL,
						sodium_base64_VARIANT_ORIGINAL), 0);
	nip_buf_free(&b);
}

static size_t sk_text(const unsigned char blob[SK_LEN], char *out, size_t outsz)
{
	char b64[sodium_base64_ENCODED_LEN(SK_LEN, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof b64, blob, SK_LEN, sodium_base64_VARIANT_ORIGINAL);
	return (size_t)snprintf(out, outsz, "untrusted comment: x\n%s\n", b64);
}

static size_t patched_sk(const struct nip_seckey *sec, size_t off, const void *bytes, size_t n,
			 char *out, size_t outsz)
{
	unsigned char blob[SK_LEN];

	sk_blob(sec, blob);
	memcpy(blob + off, bytes, n);
	return sk_text(blob, out, outsz);
}

static void check_bad_sec(const char *text, size_t len, const char *pass, int code,
			  const char *what)
{
	struct nip_seckey out;
	struct nip_error err;

	memset(&err, 0, sizeof err);
	CU_ASSERT_EQUAL(nip_seckey_parse(text, len, pass, &out, &err), -1);
	CU_ASSERT_ERR(err, code, what);
}

static void test_seckey_malformed(void)
{
	struct nip_pubkey pub;
	struct nip_seckey sec;
	struct nip_error err;
	char text[512];
	uint8_t zero[32] = {0}, flip;
	size_t len = 0;
	int enc;

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);

	len = patched_sk(&sec, SK_SIGALG, "ED", 2, text, sizeof text);
	check_bad_sec(text, len, NULL, NIP_E_FORMAT, "secret key: algorithm 0x4544 is not Ed25519");
	CU_ASSERT_EQUAL(nip_seckey_encrypted(text, len, &enc, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "is not Ed25519");
	len = patched_sk(&sec, SK_CHKALG, "B3", 2, text, sizeof text);
	check_bad_sec(text, len, NULL, NIP_E_FORMAT, "checksum algorithm 0x4233 is not BLAKE2b");
	len = patched_sk(&sec, SK_KDFALG, "Ar", 2, text, sizeof text);
	check_bad_sec(text, len, "x", NIP_E_FORMAT, "key derivation 0x4172 is neither scrypt");

	/* Unencrypted: a zero checksum (minisign -W) is accepted, a wrong
	 * one is not; a damaged key is caught by its public half. */
	len = patched_sk(&sec, SK_CHK, zero, 32, text, sizeof text);
	CU_ASSERT_EQUAL(nip_seckey_parse(text, len, NULL, &(struct nip_seckey){0}, &err), 0);
	{
		/* XOR, not a fixed byte: a fixed one matches the checksum of a
		 * random key once in 256 runs, and then nothing is damaged. */
		unsigned char blob[SK_LEN], bad;
		sk_blob(&sec, blob);
		bad = blob[SK_CHK + 7] ^ 1;
		len = patched_sk(&sec, SK_CHK + 7, &bad, 1, text, sizeof text);
	}
	check_bad_sec(text, len, NULL, NIP_E_FORMAT, "checksum mismatch: corrupted key");
	flip = sec.sk[3] ^ 0x40;
	len = patched_sk(&sec, SK_SK + 3, &flip, 1, text, sizeof text);
	check_bad_sec(text, len, NULL, NIP_E_FORMAT, "checksum mismatch");
	{
		/* Both the seed and a zero checksum: only the public half tells. */
		char tmp[512];
		struct nip_seckey bad = sec;
		bad.sk[3] ^= 0x40;
		len = patched_sk(&bad, SK_CHK, zero, 32, tmp, sizeof tmp);
		check_bad_sec(tmp, len, NULL, NIP_E_FORMAT,
			      "its public half does not match its seed");
		nip_seckey_wipe(&bad);
	}

	/* Encrypted with a planted cost: refused before any scrypt runs. */
	{
		unsigned char blob[SK_LEN];

		sk_blob(&sec, blob);
		memcpy(blob + SK_KDFALG, "Sc", 2);
		memcpy(blob + SK_MEM, "\0\0\0\0\1\0\0\0", 8);
		len = sk_text(blob, text, sizeof text);
		check_bad_sec(text, len, "x", NIP_E_LIMIT,
			      "scrypt cost (opslimit 0, memlimit 4294967296) is above");
		memset(blob + SK_MEM, 0, 8);
		memcpy(blob + SK_OPS, "\0\0\0\0\0\1\0\0", 8);
		len = sk_text(blob, text, sizeof text);
		check_bad_sec(text, len, "x", NIP_E_LIMIT, "opslimit 1099511627776");
		sodium_memzero(blob, sizeof blob);
	}

	/* Structure. */
	len = patched_sk(&sec, 0, "Ed", 2, text, sizeof text);
	check_bad_sec(strchr(text, '\n') + 1, strlen(strchr(text, '\n') + 1), NULL, NIP_E_FORMAT,
		      "secret key: 1 line, expected 2");
	text[len] = '\n';
	check_bad_sec(text, len + 1, NULL, NIP_E_FORMAT, "more than 2 lines");
	check_bad_sec(text + 1, len - 1, NULL, NIP_E_FORMAT, "line 1: does not start with");
	text[len - 2] = '\0';
	check_bad_sec(text, len - 2, NULL, NIP_E_FORMAT,
		      "line 2: 211 base64 characters, expected 212");
	check_bad_sec("", 0, NULL, NIP_E_FORMAT, "secret key: empty");
	nip_seckey_wipe(&sec);
}

NIP_UNIT_SUITE("crypto/key", NIP_TEST(test_keyid_format), NIP_TEST(test_round_trip_text),
	       NIP_TEST(test_minisign_plain), NIP_TEST(test_lowcost_encrypted),
	       NIP_TEST(test_minisign_encrypted), NIP_TEST(test_pubkey_malformed),
	       NIP_TEST(test_seckey_malformed))
