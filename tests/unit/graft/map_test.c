/* Tests nip/lib/graft/map.c: foreign versions mapped into nip's grammar
 * keep their own ecosystem's order under nip's (dpkg's) comparison. */
#include <stdlib.h>
#include <string.h>

#include "nip/graft.h"
#include "../unit.h"

struct pair {
	const char *a, *b;
	int want; /* sign of the ecosystem's own comparison */
};

/* Each pacman row is pacman's `vercmp A B` (pacman 6.0.2, Debian 12). */
static const struct pair pacman[] = {
	{"1.0a", "1.0b", -1},	   {"1.0b", "1.0beta", -1}, {"1.0beta", "1.0p", -1},
	{"1.0p", "1.0pre", -1},	   {"1.0pre", "1.0rc", -1}, {"1.0rc", "1.0", -1},
	{"1.0", "1.0.a", -1},	   {"1.0.a", "1.0.1", -1},  {"1:0.1-1", "2.0-1", 1},
	{"1.0-1", "1.0-2", -1},	   {"1.0-2", "1.0.1-1", -1}, {"1.0-1", "1.0-1.1", -1},
	{"1.0_1", "1.0.1", 0},	   {"1.0rc1", "1.0rc2", -1}, {"r100", "r99", 1},
	{"1.0+2", "1.0.2", 0},	   {"2.0a1", "2.0a", 1},    {"1.0", "1.0.0", -1},
};

/* apk-tools' documented order: _alpha < _beta < _pre < _rc < none < _p;
 * a letter after the number is newer; -rN is the release. */
static const struct pair apk[] = {
	{"1.0_alpha1", "1.0_beta1", -1}, {"1.0_beta2", "1.0_pre1", -1}, {"1.0_pre1", "1.0_rc1", -1},
	{"1.0_rc1", "1.0", -1},		 {"1.0", "1.0_p1", -1},		{"1.0_p1", "1.0.1", -1},
	{"1.0", "1.0a", -1},		 {"1.0a", "1.0b", -1},		{"1.0-r0", "1.0-r1", -1},
	{"1.0-r9", "1.0-r10", -1},	 {"1.0_rc1-r5", "1.0-r0", -1},	{"1.2.10", "1.2.9", 1},
	{"1.0_git20240101", "1.0_git20240202", -1},
};

static void check_pairs(enum nip_graft_format f, const struct pair *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *a = NULL, *b = NULL;
		int c;
		CU_ASSERT_EQUAL_FATAL(nip_graft_version(f, v[i].a, &a, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(nip_graft_version(f, v[i].b, &b, NULL), 0);
		c = nip_version_cmp(a, b);
		c = c < 0 ? -1 : c > 0;
		if (c != v[i].want)
			CU_FAIL_FATAL(v[i].a);
		free(a);
		free(b);
	}
}

static void test_pacman_order(void)
{
	check_pairs(NIP_GRAFT_PACMAN, pacman, sizeof pacman / sizeof *pacman);
}

static void test_apk_order(void)
{
	check_pairs(NIP_GRAFT_APK, apk, sizeof apk / sizeof *apk);
}

static void test_spellings(void)
{
	static const struct {
		enum nip_graft_format f;
		const char *in, *out;
	} v[] = {
		{NIP_GRAFT_DEB, "1:1.35.0-4+deb12u1+b1", "1:1.35.0-4+deb12u1+b1"},
		{NIP_GRAFT_DEB, "2.0~rc1", "2.0~rc1"},
		{NIP_GRAFT_PACMAN, "1:1.0rc1-2", "1:1.0~rc1-2"},
		{NIP_GRAFT_PACMAN, "2.38_p1-3", "2.38.~p1-3"},
		{NIP_GRAFT_APK, "2.1_rc1-r3", "2.1~rc1-3"},
		{NIP_GRAFT_APK, "1.2_p1", "1.2+p1"},
	};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		char *s = NULL;
		CU_ASSERT_EQUAL_FATAL(nip_graft_version(v[i].f, v[i].in, &s, NULL), 0);
		CU_ASSERT_STRING_EQUAL(s, v[i].out);
		free(s);
	}
}

static void test_refused(void)
{
	static const struct {
		enum nip_graft_format f;
		const char *in;
	} v[] = {
		{NIP_GRAFT_DEB, "1.0 beta"}, {NIP_GRAFT_DEB, "a1.0"},	 {NIP_GRAFT_DEB, ""},
		{NIP_GRAFT_PACMAN, "1.0-x"}, {NIP_GRAFT_PACMAN, "1.0/2"}, {NIP_GRAFT_APK, "1.0_foo"},
		{NIP_GRAFT_APK, "1.0-rx"},   {NIP_GRAFT_APK, "x1"},
	};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		struct nip_error err;
		char *s = NULL;
		CU_ASSERT_EQUAL(nip_graft_version(v[i].f, v[i].in, &s, &err), -1);
		CU_ASSERT_EQUAL(err.code, NIP_E_FORMAT);
		CU_ASSERT_PTR_NULL(s);
	}
}

NIP_UNIT_SUITE("graft/map", NIP_TEST(test_pacman_order), NIP_TEST(test_apk_order), NIP_TEST(test_spellings),
	       NIP_TEST(test_refused));
