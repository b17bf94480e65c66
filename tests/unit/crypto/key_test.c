/* minisign keys: round trips, keys made by minisign 0.11 itself (see
 * data/README), refusal of every malformed or unsafe key file. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit.h"
#include "nip/crypto.h"
#include "nip/limits.h"

#define DATA "tests/unit/crypto/data/"
#define MINISIGN_PASS "nip-test-passphrase"
#define LOWCOST_PASS "lowcost"

/* Offsets in minisign's 158-byte secret key blob. */
enum { SK_SIGALG = 0, SK_KDFALG = 2, SK_CHKALG = 4, SK_OPS = 38, SK_MEM = 46, SK_KEYID = 54,
       SK_SK = 62, SK_CHK = 126, SK_LEN = 158 };

static char *slurp(const char *path, size_t *len)
{
	struct nip_error err;
	struct nip_buf b;

	if (nip_read_file(AT_FDCWD, path, 1 << 20, 0, &b, &err) < 0) {
		CU_FAIL_FATAL(err.msg);
		return NULL;
	}
	*len = b.len;
	return (char *)b.data;
}

static void put(int dirfd, const char *name, const char *text, mode_t mode)
{
	struct nip_error err;
	unlinkat(dirfd, name, 0);
	CU_ASSERT_EQUAL_FATAL(nip_write_atomic(dirfd, name, text, strlen(text), mode, 0, &err), 0);
}

static int tmpdirfd(void)
{
	int fd = open(nip_unit_tmpdir(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	return fd;
}

/* err must be `code` and its message must contain `what`. */
#define CU_ASSERT_ERR(err, want_code, what)                             \
	do {                                                            \
		CU_ASSERT_EQUAL((err).code, want_code);                 \
		CU_ASSERT_PTR_NOT_NULL(strstr((err).msg, what));        \
		if (!strstr((err).msg, what))                           \
			fprintf(stderr, "\nmessage: %s\n", (err).msg);  \
	} while (0)

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
	size_t len;
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
	size_t len;
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
	size_t len;

	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(AT_FDCWD, DATA "minisign-enc.pub", &pub, &err), 0);
	text = slurp(DATA "minisign-enc.key", &len);
	CU_ASSERT_EQUAL_FATAL(nip_seckey_parse(text, len, MINISIGN_PASS, &sec, &err), 0);
	nip_seckey_public(&sec, &derived);
	CU_ASSERT_EQUAL(memcmp(&pub, &derived, sizeof pub), 0);
	nip_seckey_wipe(&sec);
	free(text);
}

static void check_mode(int dirfd, const char *name, mode_t want)
{
	struct stat st;
	CU_ASSERT_EQUAL_FATAL(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, want);
}

static void test_save_load_plain(void)
{
	struct nip_pubkey pub, pub2;
	struct nip_seckey sec, sec2;
	struct nip_error err;
	int dfd = tmpdirfd();

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_key_save(dfd, "k.key", &sec, NULL, &err), 0);
	check_mode(dfd, "k.key", 0600);
	check_mode(dfd, "k.key.pub", 0644);
	CU_ASSERT_EQUAL_FATAL(nip_seckey_load(dfd, "k.key", NULL, &sec2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&sec, &sec2, sizeof sec), 0);
	CU_ASSERT_EQUAL_FATAL(nip_pubkey_load(dfd, "k.key.pub", &pub2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&pub, &pub2, sizeof pub), 0);

	/* In a subdirectory: the pair lands beside each other there. */
	CU_ASSERT_EQUAL_FATAL(mkdirat(dfd, "sub", 0700), 0);
	CU_ASSERT_EQUAL_FATAL(nip_key_save(dfd, "sub/k.key", &sec, NULL, &err), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "sub/k.key", NULL, &sec2, &err), 0);
	CU_ASSERT_EQUAL(nip_pubkey_load(dfd, "sub/k.key.pub", &pub2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&pub, &pub2, sizeof pub), 0);
	nip_seckey_wipe(&sec);
	nip_seckey_wipe(&sec2);
	close(dfd);
}

/* The one nip-encrypted round trip: two full-cost scrypt runs. */
static void test_save_load_encrypted(void)
{
	struct nip_pubkey pub;
	struct nip_seckey sec, sec2;
	struct nip_error err;
	struct nip_buf text;
	int dfd = tmpdirfd(), enc = -1;

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_key_save(dfd, "e.key", &sec, "correct horse", &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_read_file(dfd, "e.key", NIP_KEYFILE_MAX, 1, &text, &err), 0);
	CU_ASSERT_EQUAL(nip_seckey_encrypted((char *)text.data, text.len, &enc, &err), 0);
	CU_ASSERT_EQUAL(enc, 1);
	/* minisign's own cost: opslimit 2^25, memlimit 2^30, little-endian. */
	{
		unsigned char blob[SK_LEN];
		size_t got;
		const char *line = strchr((char *)text.data, '\n') + 1;
		CU_ASSERT_EQUAL_FATAL(sodium_base642bin(blob, sizeof blob, line, 212, NULL, &got,
							NULL, sodium_base64_VARIANT_ORIGINAL), 0);
		CU_ASSERT_EQUAL(memcmp(blob + SK_KDFALG, "Sc", 2), 0);
		CU_ASSERT_EQUAL(memcmp(blob + SK_OPS, "\0\0\0\2\0\0\0\0", 8), 0);
		CU_ASSERT_EQUAL(memcmp(blob + SK_MEM, "\0\0\0\100\0\0\0\0", 8), 0);
		/* The key id is encrypted too. */
		CU_ASSERT_NOT_EQUAL(memcmp(blob + SK_KEYID, sec.keyid, NIP_KEYID_LEN), 0);
		sodium_memzero(blob, sizeof blob);
	}
	nip_buf_free(&text);
	CU_ASSERT_EQUAL_FATAL(nip_seckey_load(dfd, "e.key", "correct horse", &sec2, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&sec, &sec2, sizeof sec), 0);
	nip_seckey_wipe(&sec);
	nip_seckey_wipe(&sec2);
	close(dfd);
}

static void test_save_no_overwrite(void)
{
	struct nip_pubkey pub;
	struct nip_seckey sec;
	struct nip_error err;
	struct nip_buf b;
	struct stat st;
	int dfd = tmpdirfd();

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	put(dfd, "a.key", "precious\n", 0600);
	CU_ASSERT_EQUAL(nip_key_save(dfd, "a.key", &sec, NULL, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "a.key already exists");
	CU_ASSERT_EQUAL(fstatat(dfd, "a.key.pub", &st, 0), -1);
	CU_ASSERT_EQUAL_FATAL(nip_read_file(dfd, "a.key", 100, 1, &b, &err), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "precious\n");
	nip_buf_free(&b);

	put(dfd, "b.key.pub", "precious\n", 0644);
	CU_ASSERT_EQUAL(nip_key_save(dfd, "b.key", &sec, NULL, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "b.key.pub already exists");
	CU_ASSERT_EQUAL(fstatat(dfd, "b.key", &st, 0), -1);

	/* A dangling symbolic link counts as taken: writing through it
	 * would create a file elsewhere. */
	CU_ASSERT_EQUAL_FATAL(symlinkat("/nonexistent/x", dfd, "c.key"), 0);
	CU_ASSERT_EQUAL(nip_key_save(dfd, "c.key", &sec, NULL, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "c.key already exists");

	CU_ASSERT_EQUAL(nip_key_save(dfd, "nodir/d.key", &sec, NULL, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "nodir");
	CU_ASSERT_EQUAL(nip_key_save(dfd, "sub/", &sec, NULL, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "names a directory");
	nip_seckey_wipe(&sec);
	close(dfd);
}

static void test_seckey_load_refusals(void)
{
	struct nip_pubkey pub;
	struct nip_seckey sec, out;
	struct nip_error err;
	int dfd = tmpdirfd();

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_key_save(dfd, "k.key", &sec, NULL, &err), 0);

	CU_ASSERT_EQUAL_FATAL(fchmodat(dfd, "k.key", 0640, 0), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "k.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED,
		      "k.key: secret key is readable by others (mode 0640): chmod 600 k.key");
	CU_ASSERT_EQUAL_FATAL(fchmodat(dfd, "k.key", 0604, 0), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "k.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "(mode 0604)");
	CU_ASSERT_EQUAL_FATAL(fchmodat(dfd, "k.key", 0620, 0), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "k.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "writable by others (mode 0620)");
	CU_ASSERT_EQUAL_FATAL(fchmodat(dfd, "k.key", 0400, 0), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "k.key", NULL, &out, &err), 0);

	CU_ASSERT_EQUAL_FATAL(symlinkat("k.key", dfd, "link.key"), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "link.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "link.key: secret key is a symbolic link");

	CU_ASSERT_EQUAL_FATAL(mkfifoat(dfd, "fifo.key", 0600), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "fifo.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "fifo.key: secret key is not a regular file");
	CU_ASSERT_EQUAL_FATAL(mkdirat(dfd, "dir.key", 0700), 0);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "dir.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "not a regular file");

	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "missing.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "missing.key: No such file");

	{
		char big[NIP_KEYFILE_MAX + 2];
		memset(big, 'A', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		put(dfd, "big.key", big, 0600);
	}
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "big.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_LIMIT, "big.key: secret key is larger than 4096 bytes");

	put(dfd, "bad.key", "untrusted comment: x\nRWQ=\n", 0600);
	CU_ASSERT_EQUAL(nip_seckey_load(dfd, "bad.key", NULL, &out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "bad.key: secret key: line 2:");
	nip_seckey_wipe(&sec);
	close(dfd);
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
	check_bad_pub(text, strlen(text), NIP_E_FORMAT, "line 2: invalid base64");
	/* Non-zero bits after the last byte: a second spelling, refused. */
	snprintf(text, sizeof text, "%s", good);
	text[54] = text[54] == 'A' ? 'B' : 'A';
	if (text[55] == '=')
		check_bad_pub(text, 56, NIP_E_FORMAT, "invalid base64");
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
	size_t len;
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
	len = patched_sk(&sec, SK_CHK + 7, "\1", 1, text, sizeof text);
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

static void test_passphrase_file(void)
{
	struct nip_error err;
	char out[NIP_PASSPHRASE_MAX + 1], path[256], big[NIP_PASSPHRASE_MAX + 3];
	const char *dir = nip_unit_tmpdir();
	int dfd = open(dir, O_PATH | O_DIRECTORY);
	static const struct {
		const char *text, *want;
	} good[] = {
		{"secret\n", "secret"},
		{"secret", "secret"},
		{"first line\nsecond line\n", "first line"},
		{" spaces\tand tabs \n", " spaces\tand tabs "},
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		put(dfd, "p", good[i].text, 0600);
		snprintf(path, sizeof path, "%s/p", dir);
		CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, sizeof out, &err), 0);
		CU_ASSERT_STRING_EQUAL(out, good[i].want);
	}
	put(dfd, "p", "\nsecret\n", 0600);
	CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, sizeof out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "empty passphrase");
	put(dfd, "p", "", 0600);
	CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, sizeof out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "empty passphrase");

	memset(big, 'p', sizeof big);
	big[NIP_PASSPHRASE_MAX] = '\n';
	big[NIP_PASSPHRASE_MAX + 1] = '\0';
	put(dfd, "p", big, 0600);
	CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, sizeof out, &err), 0);
	CU_ASSERT_EQUAL(strlen(out), NIP_PASSPHRASE_MAX);
	CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, 100, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_LIMIT, "passphrase longer than 99 bytes");
	big[NIP_PASSPHRASE_MAX] = 'p';
	put(dfd, "p", big, 0600);
	CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, sizeof out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_LIMIT, "passphrase longer than 1024 bytes");

	CU_ASSERT_EQUAL(nip_write_atomic(dfd, "nul", "a\0b\n", 4, 0600, 0, &err), 0);
	snprintf(path, sizeof path, "%s/nul", dir);
	CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, sizeof out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "NUL byte");
	snprintf(path, sizeof path, "%s/missing", dir);
	CU_ASSERT_EQUAL(nip_passphrase_read_file(path, out, sizeof out, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "missing: No such file");
	close(dfd);
}

NIP_UNIT_SUITE("crypto/key", NIP_TEST(test_keyid_format), NIP_TEST(test_round_trip_text),
	       NIP_TEST(test_minisign_plain), NIP_TEST(test_lowcost_encrypted),
	       NIP_TEST(test_minisign_encrypted), NIP_TEST(test_save_load_plain),
	       NIP_TEST(test_save_load_encrypted), NIP_TEST(test_save_no_overwrite),
	       NIP_TEST(test_seckey_load_refusals), NIP_TEST(test_pubkey_malformed),
	       NIP_TEST(test_seckey_malformed), NIP_TEST(test_passphrase_file))
