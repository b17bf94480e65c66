/* Unit test registration: each test file declares its suite with
 * NIP_UNIT_SUITE and the runner in main.c collects them at start-up. */
#ifndef NIP_UNIT_H
#define NIP_UNIT_H

#include <CUnit/CUnit.h>

struct nip_unit_test {
	const char *name;
	void (*fn)(void);
};

void nip_unit_add(const char *suite, const struct nip_unit_test *tests);
/* A fresh empty directory for one test (removed at exit); returns its path. */
const char *nip_unit_tmpdir(void);

#define NIP_UNIT_SUITE(suite_name, ...)                                        \
	static const struct nip_unit_test nip_unit_tests_[] = {__VA_ARGS__,    \
							       {NULL, NULL}}; \
	__attribute__((constructor)) static void nip_unit_register_(void)      \
	{                                                                      \
		nip_unit_add(suite_name, nip_unit_tests_);                     \
	}

#define NIP_TEST(fn) {#fn, fn}

#endif
