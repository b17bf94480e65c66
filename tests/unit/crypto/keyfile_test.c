/* Key files: save and load round trips, no overwriting, refusal of secret
 * keys others can reach, passphrase files. */
#include <sodium.h>
#include <sys/stat.h>

#include "crypto_test.h"
#include "nip/crypto.h"
#include "nip/limits.h"

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

NIP_UNIT_SUITE("crypto/keyfile", NIP_TEST(test_save_load_plain),
	       NIP_TEST(test_save_load_encrypted), NIP_TEST(test_save_no_overwrite),
	       NIP_TEST(test_seckey_load_refusals), NIP_TEST(test_passphrase_file))
