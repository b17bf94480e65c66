/* nip/lib/solve/solve.c: resolution through libsolv. */
#include <stdlib.h>
#include <string.h>

#include "nip/solve.h"
#include "unit.h"

/* A manifest with only what the solver reads. */
static struct nip_manifest *pkg(const char *name, const char *version, const char *depends,
				const char *provides, const char *conflicts)
{
	struct nip_manifest *m = nip_manifest_new(NULL);
	const char *rel[] = {[NIP_REL_DEPENDS] = depends, [NIP_REL_PROVIDES] = provides,
			     [NIP_REL_CONFLICTS] = conflicts};
	m->name = strdup(name);
	m->version = strdup(version);
	m->arch = strdup("x86_64");
	for (int k = 0; k <= NIP_REL_CONFLICTS; k++)
		if (rel[k]) {
			m->rel[k] = calloc(2, sizeof(char *));
			m->rel[k][0] = strdup(rel[k]);
			m->nrel[k] = 1;
		}
	return m;
}

static int has(void **v, size_t n, void *h)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == h)
			return 1;
	return 0;
}

static void test_install_with_dependency(void)
{
	struct nip_manifest *libc = pkg("libc", "2.36-9", NULL, NULL, NULL);
	struct nip_manifest *hello = pkg("hello", "1.0-1", "libc >= 2.36", NULL, NULL);
	struct nip_solver *s = nip_solver_new("x86_64", NULL);
	struct nip_error err;
	void **out = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL(nip_solver_add(s, libc, 1, libc, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_add(s, hello, 0, hello, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_install(s, hello, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_solve(s, &out, &n, NULL, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT(has(out, n, libc) && has(out, n, hello));
	free(out);
	nip_solver_free(s);
	nip_manifest_free(libc);
	nip_manifest_free(hello);
}

/* Grafted Debian "all" and pacman "any" packages arrive as noarch. */
static void test_noarch(void)
{
	struct nip_manifest *data = pkg("media-types", "10.0.0", NULL, NULL, NULL);
	struct nip_manifest *app = pkg("app", "1.0-1", "media-types", NULL, NULL);
	struct nip_solver *s = nip_solver_new("x86_64", NULL);
	struct nip_error err;
	void **out = NULL;
	size_t n = 0;

	free(data->arch);
	data->arch = strdup("noarch");
	CU_ASSERT_EQUAL(nip_solver_add(s, data, 0, data, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_add(s, app, 0, app, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_install(s, data, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_install(s, app, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_solve(s, &out, &n, NULL, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	free(out);
	nip_solver_free(s);
	nip_manifest_free(data);
	nip_manifest_free(app);
}

static void test_missing_and_conflict(void)
{
	struct nip_manifest *hello = pkg("hello", "1.0-1", "libc >= 2.36", NULL, NULL);
	struct nip_manifest *a = pkg("a", "1", NULL, NULL, "b");
	struct nip_manifest *b = pkg("b", "1", NULL, NULL, NULL);
	struct nip_solver *s = nip_solver_new("x86_64", NULL);
	struct nip_error err;
	void **out = NULL;
	size_t n;
	char *problems = NULL;

	nip_solver_add(s, hello, 0, hello, &err);
	nip_solver_install(s, hello, &err);
	CU_ASSERT_EQUAL(nip_solver_solve(s, &out, &n, &problems, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_RESOLVE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nothing provides libc >= 2.36 needed by hello-1.0-1"));
	free(problems);
	nip_solver_free(s);

	s = nip_solver_new("x86_64", NULL);
	nip_solver_add(s, b, 1, b, &err);
	nip_solver_add(s, a, 0, a, &err);
	nip_solver_install(s, a, &err);
	CU_ASSERT_EQUAL(nip_solver_solve(s, &out, &n, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_RESOLVE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "conflicts with b"));
	nip_solver_free(s);
	nip_manifest_free(hello);
	nip_manifest_free(a);
	nip_manifest_free(b);
}

static void test_upgrade_and_provides(void)
{
	struct nip_manifest *old = pkg("hello", "1.0-1", "greeter", NULL, NULL);
	struct nip_manifest *new = pkg("hello", "1.1-1", "greeter", NULL, NULL);
	struct nip_manifest *g = pkg("libgreet", "2.0-1", NULL, "greeter = 2.0", NULL);
	struct nip_solver *s = nip_solver_new("x86_64", NULL);
	struct nip_error err;
	void **out = NULL;
	size_t n = 0;

	nip_solver_add(s, old, 1, old, &err);
	nip_solver_add(s, g, 1, g, &err);
	nip_solver_add(s, new, 0, new, &err);
	nip_solver_install(s, new, &err);
	CU_ASSERT_EQUAL_FATAL(nip_solver_solve(s, &out, &n, NULL, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT(has(out, n, new) && has(out, n, g) && !has(out, n, old));
	free(out);
	nip_solver_free(s);
	nip_manifest_free(old);
	nip_manifest_free(new);
	nip_manifest_free(g);
}

static void test_remove_cascade(void)
{
	struct nip_manifest *lib = pkg("libgreet", "2.0-1", NULL, NULL, NULL);
	struct nip_manifest *app = pkg("hello", "1.0-1", "libgreet", NULL, NULL);
	struct nip_error err;
	void **out = NULL;
	size_t n = 0;
	struct nip_solver *s = nip_solver_new("x86_64", NULL);

	nip_solver_add(s, lib, 1, lib, &err);
	nip_solver_add(s, app, 1, app, &err);
	nip_solver_remove(s, "libgreet", 0, &err);
	CU_ASSERT_EQUAL(nip_solver_solve(s, &out, &n, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_RESOLVE);
	nip_solver_free(s);

	s = nip_solver_new("x86_64", NULL);
	nip_solver_add(s, lib, 1, lib, &err);
	nip_solver_add(s, app, 1, app, &err);
	nip_solver_remove(s, "libgreet", 1, &err);
	CU_ASSERT_EQUAL_FATAL(nip_solver_solve(s, &out, &n, NULL, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(out);
	nip_solver_free(s);

	s = nip_solver_new("x86_64", NULL);
	nip_solver_add(s, lib, 1, lib, &err);
	nip_solver_add(s, app, 1, app, &err);
	nip_solver_remove(s, "hello", 0, &err);
	CU_ASSERT_EQUAL_FATAL(nip_solver_solve(s, &out, &n, NULL, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(has(out, n, lib));
	free(out);
	nip_solver_free(s);
	nip_manifest_free(lib);
	nip_manifest_free(app);
}

NIP_UNIT_SUITE("solve", NIP_TEST(test_install_with_dependency), NIP_TEST(test_noarch), NIP_TEST(test_missing_and_conflict),
	       NIP_TEST(test_upgrade_and_provides), NIP_TEST(test_remove_cascade))
