/* nip/lib/util: errors, bounded buffers, atomic writes, lazy loading. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nip/util.h"
#include "unit.h"

static void test_errors(void)
{
	struct nip_error err;
	CU_ASSERT_EQUAL(nip_err(&err, NIP_E_TRUST, "bad %s", "sig"), -1);
	CU_ASSERT_STRING_EQUAL(err.msg, "bad sig");
	CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);
	CU_ASSERT_STRING_EQUAL(nip_err_name(err.code), "trust");
	nip_err_prefix(&err, "reading %s: ", "x.nip");
	CU_ASSERT_STRING_EQUAL(err.msg, "reading x.nip: bad sig");
	nip_err_sys(&err, NIP_E_IO, ENOENT, "open %s", "f");
	CU_ASSERT_STRING_EQUAL(err.msg, "open f: No such file or directory");
	CU_ASSERT_EQUAL(nip_err_exit_status(NIP_E_USAGE), 2);
	CU_ASSERT_EQUAL(nip_err_exit_status(NIP_E_RESOLVE), 4);
	CU_ASSERT_EQUAL(nip_err_exit_status(NIP_E_NETWORK), 5);
	CU_ASSERT_EQUAL(nip_err_exit_status(NIP_E_BUSY), 6);
	CU_ASSERT_EQUAL(nip_err_exit_status(NIP_E_DENIED), 7);
	/* A NULL err is allowed everywhere. */
	CU_ASSERT_EQUAL(nip_err(NULL, NIP_E_IO, "x"), -1);
}

static void test_buf_cap(void)
{
	struct nip_buf b;
	struct nip_error err;
	nip_buf_init(&b, 8, "thing");
	CU_ASSERT_EQUAL(nip_buf_append(&b, "12345678", 8, &err), 0);
	CU_ASSERT_EQUAL(nip_buf_append(&b, "9", 1, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "thing exceeds its limit of 8 bytes"));
	CU_ASSERT_EQUAL(b.len, 8);
	CU_ASSERT_EQUAL(nip_buf_cstr(&b, &err), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "12345678");
	nip_buf_free(&b);
	nip_buf_free(&b); /* freeing twice is harmless */
}

static void test_write_atomic(void)
{
	const char *dir = nip_unit_tmpdir();
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	struct nip_error err;
	struct nip_buf b;
	struct stat st;

	CU_ASSERT_EQUAL(nip_write_atomic(d, "state", "one", 3, 0640, 0, &err), 0);
	CU_ASSERT_EQUAL(nip_write_atomic(d, "state", "two!", 4, 0640, 0, &err), 0);
	CU_ASSERT_EQUAL(nip_read_file(d, "state", 100, 1, &b, &err), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "two!");
	nip_buf_free(&b);
	CU_ASSERT_EQUAL(fstatat(d, "state", &st, 0), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	/* EXCL never replaces. */
	CU_ASSERT_EQUAL(nip_write_atomic(d, "state", "x", 1, 0600, NIP_WRITE_EXCL, &err), -1);
	CU_ASSERT_EQUAL(nip_read_file(d, "state", 100, 1, &b, &err), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "two!");
	nip_buf_free(&b);
	/* Caps hold on reading too. */
	CU_ASSERT_EQUAL(nip_read_file(d, "state", 3, 1, &b, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
	close(d);
}

static void test_open_beneath(void)
{
	const char *dir = nip_unit_tmpdir();
	int d = open(dir, O_RDONLY | O_DIRECTORY), fd;
	struct nip_error err;

	CU_ASSERT_EQUAL(mkdirat(d, "sub", 0755), 0);
	CU_ASSERT_EQUAL(symlinkat("/etc", d, "sub/out"), 0);
	CU_ASSERT_EQUAL(symlinkat("../..", d, "sub/up"), 0);
	fd = nip_open_beneath(d, "sub/out/passwd", O_RDONLY, 0, &err);
	CU_ASSERT_EQUAL(fd, -1);
	fd = nip_open_beneath(d, "sub/up/etc/passwd", O_RDONLY, 0, &err);
	CU_ASSERT_EQUAL(fd, -1);
	fd = nip_open_beneath(d, "../x", O_RDONLY, 0, &err);
	CU_ASSERT_EQUAL(fd, -1);
	fd = nip_open_beneath(d, "sub", O_RDONLY | O_DIRECTORY, 0, &err);
	CU_ASSERT(fd >= 0);
	close(fd);
	close(d);
}

static void test_dl_load(void)
{
	int (*version)(void) = NULL;
	void *missing = NULL;
	struct nip_error err;
	const struct nip_dl_sym ok[] = {{"archive_version_number", (void **)&version}};
	const struct nip_dl_sym bad[] = {{"archive_no_such_function", &missing}};

	CU_ASSERT_EQUAL_FATAL(nip_dl_load("libarchive.so.13", ok, 1, &err), 0);
	CU_ASSERT(version() >= 3000000);
	CU_ASSERT_EQUAL(nip_dl_load("libarchive.so.13", bad, 1, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "archive_no_such_function"));
	CU_ASSERT_EQUAL(nip_dl_load("libnip-no-such.so.1", ok, 1, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot load libnip-no-such.so.1"));
}

static void test_parse_i64(void)
{
	int64_t v;
	CU_ASSERT_EQUAL(nip_parse_i64("42", 0, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(nip_parse_i64("-1", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(nip_parse_i64("101", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(nip_parse_i64("4x", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(nip_parse_i64("", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(nip_parse_i64(" 4", 0, 100, &v), -1);
}

static void test_utf8_seq(void)
{
	static const struct {
		const char *s;
		int len;
		unsigned cp;
	} cases[] = {
		{"\xc3\xa9", 2, 0xe9},		 /* e acute */
		{"\xe2\x82\xac", 3, 0x20ac},	 /* euro */
		{"\xf0\x9f\x98\x80", 4, 0x1f600}, /* an emoji */
		{"\xc0\xaf", -1, 0},		 /* overlong '/' */
		{"\xe0\x80\xaf", -1, 0},		 /* overlong, three bytes */
		{"\xed\xa0\x80", -1, 0},		 /* a surrogate */
		{"\xf4\x90\x80\x80", -1, 0},	 /* past U+10FFFF */
		{"\xc3", -1, 0},			 /* cut short */
		{"\xc3\x41", -1, 0},		 /* not a continuation */
		{"\x80", -1, 0},			 /* a lone continuation */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const unsigned char *p = (const unsigned char *)cases[i].s;
		unsigned cp = 0;
		int n = nip_utf8_seq(p, p + strlen(cases[i].s), &cp);
		CU_ASSERT_EQUAL(n, cases[i].len);
		if (n > 0)
			CU_ASSERT_EQUAL(cp, cases[i].cp);
	}
}

/* Lower-case hex of exactly n bytes, and nothing else. */
static void test_unhex(void)
{
	uint8_t b[3];
	char hex[7];

	CU_ASSERT_EQUAL(nip_unhex("00a9ff", b, 3), 0);
	CU_ASSERT(b[0] == 0x00 && b[1] == 0xa9 && b[2] == 0xff);
	for (int i = 0; i < 256; i++) {
		uint8_t one;
		snprintf(hex, sizeof hex, "%02x", i);
		CU_ASSERT_EQUAL(nip_unhex(hex, &one, 1), 0);
		CU_ASSERT_EQUAL(one, i);
	}
	CU_ASSERT_EQUAL(nip_unhex("00A9ff", b, 3), -1); /* upper case */
	CU_ASSERT_EQUAL(nip_unhex("00a9f", b, 3), -1);  /* short: stops at the NUL */
	CU_ASSERT_EQUAL(nip_unhex("00a9ff0", b, 3), -1); /* long */
	CU_ASSERT_EQUAL(nip_unhex("0g", b, 1), -1);
	CU_ASSERT_EQUAL(nip_unhex("\xff" "0", b, 1), -1);
}

NIP_UNIT_SUITE("util", NIP_TEST(test_errors), NIP_TEST(test_unhex), NIP_TEST(test_buf_cap), NIP_TEST(test_write_atomic),
	       NIP_TEST(test_open_beneath), NIP_TEST(test_dl_load), NIP_TEST(test_parse_i64), NIP_TEST(test_utf8_seq))
