/* Tests nip/lib/package/version.c: validity and dpkg's ordering. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nip/limits.h"
#include "nip/package.h"
#include "../unit.h"

/* Every row was checked with `dpkg --compare-versions A lt|eq B` (dpkg
 * 1.21, Debian 12): the expected sign is dpkg's answer, not ours. A random
 * differential run of 15000 pairs against dpkg also agreed when written. */
static const struct {
	const char *a, *b;
	int want; /* sign of cmp(a, b) */
} order[] = {
	/* equal spellings: digit runs are numbers, no release is "0" */
	{"1.0", "1.0", 0},
	{"1.0", "1.00", 0},
	{"1.0", "1.0-0", 0},
	{"1.0-0", "1.0-00", 0},
	{"0:1.0", "1.0", 0},
	{"0:0", "0", 0},
	{"001", "1", 0},
	{"1.02", "1.2", 0},
	{"1.0.", "1.0.0", 0}, /* the empty digit run after '.' is a zero */
	{"00000000000000000000001", "1", 0},
	/* epochs */
	{"1:0.1", "2.0", 1},
	{"1:1.0", "2:0", -1},
	{"10:1", "9:1", 1},
	{"2147483647:1", "2147483646:9", 1},
	{"1:1.0-1", "1.0-99", 1},
	/* tildes sort before everything, even the end */
	{"1.0~rc1", "1.0", -1},
	{"1.0", "1.0+b1", -1},
	{"1.0~rc1", "1.0+b1", -1},
	{"1.0~~", "1.0~", -1},
	{"1.0~~a", "1.0~", -1},
	{"1.0~", "1.0", -1},
	{"1~~", "1~~a", -1},
	{"1~", "1~a", -1},
	{"1+", "1~", 1},
	{"1.0~rc1", "1.0~rc2", -1},
	{"1.0~beta", "1.0~rc", -1},
	{"1.0-0~", "1.0", -1},
	{"1.0-1~bpo1", "1.0-1", -1},
	{"1.0~dfsg-1", "1.0-1", -1},
	{"1.0+dfsg-1", "1.0-1", 1},
	/* letters before non-letters, the end before both */
	{"1.0a", "1.0", 1},
	{"1.0a", "1.0+", -1},
	{"1.0a", "1.0.", -1},
	{"1.0.1", "1.0a", 1},
	{"1.0+", "1.0.", -1},
	{"1.0", "1a", 1},
	{"1A", "1a", -1},
	{"1Z", "1a", -1},
	{"1a", "1b", -1},
	{"1", "1.0", -1},
	{"1", "1a", -1},
	{"1.0.0", "1.0", 1},
	{"1..0", "1.0", 1},
	/* digit runs numerically, of any length */
	{"7.6p2-4", "7.6-0", 1},
	{"1.2", "1.10", -1},
	{"2.0-1", "10.0-1", -1},
	{"12345678901234567890", "12345678901234567891", -1},
	{"99999999999999999999", "100000000000000000000", -1},
	{"1.99999999999999999999", "1.100000000000000000000", -1},
	{"123456789012345678901234567890", "123456789012345678901234567889", 1},
	/* releases (after the last '-') */
	{"1.0-1", "1.0-2", -1},
	{"1.0-1", "1.0-1.1", -1},
	{"1.0-10", "1.0-9", 1},
	{"1.0-a", "1.0-1", 1},
	{"1.0-1-1", "1.0-1", 1},
	{"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
	{"1.0-1", "1.0-1+b1", -1},
	{"1.0-1+b1", "1.0-1.1", -1},
};

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* A CUnit assertion whose failure names the row (CUnit copies the text). */
static void check_at(int ok, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check_at(int ok, unsigned line, const char *fmt, ...)
{
	char msg[256] = "";
	va_list ap;

	if (!ok) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	}
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}
#define CHECK(ok, ...) check_at((ok), __LINE__, __VA_ARGS__)

static void test_order_table(void)
{
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const char *a = order[i].a, *b = order[i].b;
		int want = order[i].want;

		CHECK(nip_version_valid(a, strlen(a)), "%s should be valid", a);
		CHECK(nip_version_valid(b, strlen(b)), "%s should be valid", b);
		CHECK(sign(nip_version_cmp(a, b)) == want, "cmp(%s, %s) should be %d", a, b, want);
		CHECK(sign(nip_version_cmp(b, a)) == -want, "cmp(%s, %s) should be %d", b, a,
		      -want);
		CHECK(nip_version_cmp(a, a) == 0, "cmp(%s, %s) should be 0", a, a);
	}
}

/* Strictly increasing; every pair i < j was checked with dpkg too. All
 * pairs, not just neighbours, so that an intransitive cmp shows. */
static const char *const chain[] = {
	"1.0~~", "1.0~~a", "1.0~", "1.0~beta", "1.0~rc1", "1.0~rc2", "1.0-0~", "1.0", "1.0-0.1",
	"1.0-1~bpo1", "1.0-1", "1.0-1+b1", "1.0-1.1", "1.0-2", "1.0-10", "1.0-a", "1.0a",
	"1.0+", "1.0+b1", "1.0.0.1", "1.0.1", "1.0.1a", "1.2", "1.10", "2.0", "10.0",
	"99999999999999999999", "100000000000000000000", "1:0", "1:1.0-1", "2:0",
	"2147483647:1",
};

static void test_order_chain(void)
{
	size_t n = sizeof chain / sizeof chain[0];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			CHECK(sign(nip_version_cmp(chain[i], chain[j])) == sign((int)i - (int)j),
			      "cmp(%s, %s) should be %d", chain[i], chain[j],
			      sign((int)i - (int)j));
}

static const char *const valid[] = {
	"0", "1", "1.0", "1:1.0", "0:1", "2147483647:1", "1.0-1",
	"1.0-1-2", /* upstream "1.0-1", release "2" */
	"1-2-3-4", "1.0~rc1", "1.0+dfsg~1-0ubuntu1", "1a", "1A", "9~", "1.0-a", "1.0-~",
	"7.6p2-4", "001", "1.0-0", "1.0-0.1", "2.36-9+deb12u4", "1:2.36-9+deb12u4",
};

static const char *const invalid[] = {
	"", "a1", "~1", ".1", "+1", "-1", "1.0-", "1:1.0-", ":1", "1:", "1:-1", "1:a",
	"01:1",		/* epochs are canonical */
	"00:1", "2147483648:1", /* past int32 */
	"99999999999:1", "a:1", "-1:1", "1:2:3", "1.0:1",
	"1:1.0:1",	/* ':' only separates the epoch */
	"1.0_1", "1.0-1_2", "1 0", "1.0 ", " 1.0", "1,0", "1.0\n", "1.0\t", "1.0\xc3\xa9",
	"1.0-1:2",
};

static void test_valid_table(void)
{
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
		CHECK(nip_version_valid(valid[i], strlen(valid[i])), "\"%s\" should be valid",
		      valid[i]);
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		CHECK(!nip_version_valid(invalid[i], strlen(invalid[i])),
		      "\"%s\" should be invalid", invalid[i]);
}

static void test_valid_length(void)
{
	char v[NIP_VERSION_MAX + 2];

	memset(v, '1', sizeof v);
	CU_ASSERT_TRUE(nip_version_valid(v, NIP_VERSION_MAX));
	CU_ASSERT_FALSE(nip_version_valid(v, NIP_VERSION_MAX + 1));
	/* len bounds the check: the bytes after it are not read */
	CU_ASSERT_TRUE(nip_version_valid("1.0-", 3));
	/* an embedded NUL is not a version byte */
	CU_ASSERT_FALSE(nip_version_valid("1\0" "0", 3));
	CU_ASSERT_FALSE(nip_version_valid(NULL, 0));
}

/* Invalid input still gets a total, crash-free order: callers may sort
 * whatever a broken track sends before they reject it. */
static void test_cmp_garbage(void)
{
	static const char *const junk[] = {"", ":", "-", "::", "a:b-c", "1:", ":1", "\xff",
					   "~~~", "1-", "-1", "99999999999999999999999:1"};
	size_t n = sizeof junk / sizeof junk[0];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			CU_ASSERT_EQUAL(sign(nip_version_cmp(junk[i], junk[j])),
					-sign(nip_version_cmp(junk[j], junk[i])));
	CU_ASSERT_TRUE(nip_version_cmp("\xff", "a") > 0);
	CU_ASSERT_TRUE(nip_version_cmp("99999999999999999999999:1", "1:1") > 0);
}

NIP_UNIT_SUITE("package/version", NIP_TEST(test_order_table), NIP_TEST(test_order_chain),
	       NIP_TEST(test_valid_table), NIP_TEST(test_valid_length),
	       NIP_TEST(test_cmp_garbage))
