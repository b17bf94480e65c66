/* The one CUnit runner: every suite registered by NIP_UNIT_SUITE, or only
 * those named on the command line. */
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "unit.h"

#define MAX_SUITES 128

static struct {
	const char *name;
	const struct nip_unit_test *tests;
} suites[MAX_SUITES];
static size_t nsuites;
static char tmproot[64];
static unsigned tmpcount;

void nip_unit_add(const char *suite, const struct nip_unit_test *tests)
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "unit: too many suites\n");
		exit(1);
	}
	suites[nsuites].name = suite;
	suites[nsuites++].tests = tests;
}

const char *nip_unit_tmpdir(void)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/t%u", tmproot, ++tmpcount);
	if (mkdir(path, 0700) < 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strncmp(name, argv[i], strlen(argv[i])) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned failed;
	const char *t = getenv("TMPDIR");

	snprintf(tmproot, sizeof tmproot, "%s/nip-unit-XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(tmproot)) {
		perror("mkdtemp");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (size_t i = 0; i < nsuites; i++) {
		CU_pSuite s;
		if (!wanted(suites[i].name, argc, argv))
			continue;
		s = CU_add_suite(suites[i].name, NULL, NULL);
		for (const struct nip_unit_test *u = suites[i].tests; u->name; u++)
			CU_add_test(s, u->name, u->fn);
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	nftw(tmproot, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? 1 : 0;
}
