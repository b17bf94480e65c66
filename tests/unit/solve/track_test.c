/* nip/lib/solve/track.c: a track's index as a .solv cache, jobs by name,
 * priorities and pins. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../nip/lib/solve/internal.h"
#include "nip/solve.h"
#include "unit.h"

struct spec {
	const char *name, *version, *depends, *provides;
};

/* Writes a track of the given packages to DIR/NAME.solv and opens it. */
static int track(const char *name, const struct spec *v, size_t n)
{
	struct nip_index_entry *e = calloc(n, sizeof *e);
	char *deps[16], *provs[16], file[64];
	struct nip_error err;
	int dirfd = open(nip_unit_tmpdir(), O_RDONLY | O_DIRECTORY), fd;

	CU_ASSERT_FATAL(e && dirfd >= 0 && n <= 16);
	for (size_t i = 0; i < n; i++) {
		e[i].name = v[i].name;
		e[i].version = v[i].version;
		e[i].arch = strcmp(v[i].name, "cowsay") == 0 ? "noarch" : "x86_64";
		e[i].size = 1000 + i;
		e[i].path = v[i].name;
		memset(e[i].cid, (int)i + 1, sizeof e[i].cid);
		deps[i] = (char *)v[i].depends;
		provs[i] = (char *)v[i].provides;
		if (deps[i]) {
			e[i].rel[NIP_REL_DEPENDS] = &deps[i];
			e[i].nrel[NIP_REL_DEPENDS] = 1;
		}
		if (provs[i]) {
			e[i].rel[NIP_REL_PROVIDES] = &provs[i];
			e[i].nrel[NIP_REL_PROVIDES] = 1;
		}
	}
	snprintf(file, sizeof file, "%s.solv", name);
	CU_ASSERT_EQUAL_FATAL(nip_solv_write(name, e, n, dirfd, file, &err), 0);
	fd = openat(dirfd, file, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	close(dirfd);
	free(e);
	return fd;
}

static const struct spec stable[] = {
	{"hello", "1.0-1", "libgreet >= 2.0", NULL},
	{"hello", "1.1-1", "libgreet >= 2.1", NULL},
	{"libgreet", "2.0-1", NULL, NULL},
	{"libgreet", "2.1-1", NULL, NULL},
	{"cowsay", "3.0-1", NULL, "greeter = 1"},
};

/* Solves and returns "name-version name-version ..." of the picks, sorted
 * as libsolv gives them. */
static char *solve(struct nip_solver *s, struct nip_error *err)
{
	void **handles = NULL;
	struct nip_pick *p = NULL;
	size_t nh = 0, np = 0;
	char *out = calloc(1, 512);

	if (nip_solver_solve(s, &handles, &nh, NULL, err) < 0) {
		fprintf(stderr, "\nsolve: %s\n", err->msg);
		free(out);
		return NULL;
	}
	CU_ASSERT_EQUAL_FATAL(nip_solver_picks(s, &p, &np, err), 0);
	for (size_t i = 0; i < np; i++) {
		CU_ASSERT_STRING_EQUAL(p[i].path, p[i].name);
		CU_ASSERT(p[i].size >= 1000);
		snprintf(out + strlen(out), 512 - strlen(out), "%s%s-%s", i ? " " : "", p[i].name,
			 p[i].version);
	}
	nip_picks_free(p, np);
	free(handles);
	return out;
}

static void test_want_by_name_and_constraint(void)
{
	int fd = track("stable", stable, 5);
	struct nip_error err;
	struct nip_solver *s = nip_solver_new("x86_64", &err);
	char *got;

	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fd, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "hello", &err), 0);
	got = solve(s, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT(strstr(got, "hello-1.1-1") && strstr(got, "libgreet-2.1-1"));
	free(got);
	nip_solver_free(s);

	s = nip_solver_new("x86_64", &err);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fd, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "hello < 1.1", &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "greeter", &err), 0);
	got = solve(s, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT(strstr(got, "hello-1.0-1") && strstr(got, "cowsay-3.0-1") && !strstr(got, "hello-1.1"));
	free(got);
	nip_solver_free(s);
	close(fd);
}

static void test_problems_in_words(void)
{
	int fd = track("stable", stable, 5);
	struct nip_error err;
	struct nip_solver *s = nip_solver_new("x86_64", &err);
	char *problems = NULL;
	void **h = NULL;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fd, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "nosuch", &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "hello >= 9", &err), 0);
	CU_ASSERT_EQUAL(nip_solver_solve(s, &h, &n, &problems, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_RESOLVE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(and 1 more problems)"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(problems);
	CU_ASSERT_PTR_NOT_NULL(strstr(problems, "problem 1: nothing provides requested nosuch\n"
						"  solution 1: do not ask to install a package providing nosuch\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(problems, "problem 2: nothing provides requested hello >= 9"));
	free(problems);
	nip_solver_free(s);
	close(fd);
}

static void test_priority_and_pin(void)
{
	static const struct spec testing[] = {
		{"hello", "2.0-1", NULL, NULL},
	};
	int fs = track("stable", stable, 5), ft = track("testing", testing, 1);
	struct nip_error err;
	struct nip_solver *s = nip_solver_new("x86_64", &err);
	char *got;

	/* The higher priority wins over the higher version. */
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 10, fs, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "testing", 0, ft, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "hello", &err), 0);
	got = solve(s, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "hello-1.1-1"));
	free(got);
	nip_solver_free(s);

	/* Equal priorities: the newest; a pin holds a version. */
	s = nip_solver_new("x86_64", &err);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fs, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "testing", 0, ft, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "hello", &err), 0);
	got = solve(s, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "hello-2.0-1");
	free(got);
	nip_solver_free(s);

	s = nip_solver_new("x86_64", &err);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fs, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "testing", 0, ft, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_pin(s, "hello", "1.0-1", &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "hello", &err), 0);
	got = solve(s, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT(strstr(got, "hello-1.0-1") && strstr(got, "libgreet-2."));
	free(got);
	nip_solver_free(s);
	close(fs);
	close(ft);
}

static void test_upgrade_from_installed(void)
{
	int fd = track("stable", stable, 5);
	struct nip_error err;
	struct nip_solver *s = nip_solver_new("x86_64", &err);
	struct nip_manifest *m = nip_manifest_new(&err), *lib = nip_manifest_new(&err);
	char *dep = "libgreet >= 2.0", **deps = &dep;
	void **h = NULL;
	struct nip_pick *p = NULL;
	size_t nh, np;

	m->name = strdup("hello");
	m->version = strdup("1.0-1");
	m->arch = strdup("x86_64");
	m->rel[NIP_REL_DEPENDS] = calloc(2, sizeof(char *));
	m->rel[NIP_REL_DEPENDS][0] = strdup(deps[0]);
	m->nrel[NIP_REL_DEPENDS] = 1;
	lib->name = strdup("libgreet");
	lib->version = strdup("2.0-1");
	lib->arch = strdup("x86_64");
	CU_ASSERT_EQUAL(nip_solver_add(s, m, 1, m, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_add(s, lib, 1, lib, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fd, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_upgrade(s, NULL, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_solve(s, &h, &nh, NULL, &err), 0);
	CU_ASSERT_EQUAL(nh, 0); /* both replaced by the track's newer ones */
	CU_ASSERT_EQUAL_FATAL(nip_solver_picks(s, &p, &np, &err), 0);
	CU_ASSERT_EQUAL(np, 2);
	for (size_t i = 0; i < np; i++) {
		CU_ASSERT_STRING_EQUAL(p[i].version, strcmp(p[i].name, "hello") == 0 ? "1.1-1" : "2.1-1");
		CU_ASSERT_STRING_EQUAL(p[i].track, "stable");
		CU_ASSERT_EQUAL(p[i].cid[0], strcmp(p[i].name, "hello") == 0 ? 2 : 4);
	}
	nip_picks_free(p, np);
	free(h);
	nip_solver_free(s);
	nip_manifest_free(m);
	nip_manifest_free(lib);
	close(fd);
}

static void test_bad_cache(void)
{
	struct nip_error err;
	struct nip_solver *s = nip_solver_new("x86_64", &err);
	int dirfd = open(nip_unit_tmpdir(), O_RDONLY | O_DIRECTORY), fd;

	CU_ASSERT_EQUAL_FATAL(nip_write_atomic(dirfd, "bad.solv", "SOLVgarbage", 11, 0644, 0, &err), 0);
	fd = openat(dirfd, "bad.solv", O_RDONLY);
	CU_ASSERT_EQUAL(nip_solver_add_track(s, "stable", 0, fd, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_FORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "track stable: solver cache"));
	close(fd);
	close(dirfd);
	nip_solver_free(s);
}

/* The index parts a refresh leaves, read into a .solv. */
static void test_from_index(void)
{
	static const char part[] =
		"{\"packages\":[{\"name\":\"hello\",\"version\":\"1.0-1\",\"arch\":\"x86_64\","
		"\"cid\":\"bafkreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe\",\"size\":42,"
		"\"path\":\"pkgs/h.nip\",\"signer\":\"0123456789ABCDEF\",\"summary\":\"greets\","
		"\"depends\":[\"libgreet >= 2\"]},"
		"{\"name\":\"libgreet\",\"version\":\"2.0-1\",\"arch\":\"noarch\","
		"\"cid\":\"bafkreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe\",\"size\":1,"
		"\"path\":\"pkgs/l.nip\",\"signer\":\"0123456789ABCDEF\"}]}";
	static const char bad[] = "{\"packages\":[{\"name\":\"x\"}]}";
	char *parts[] = {"part.json"}, *badparts[] = {"bad.json"};
	struct nip_error err;
	struct nip_solver *s = nip_solver_new("x86_64", &err);
	struct nip_pick *p = NULL;
	void **h = NULL;
	size_t nh, np;
	int dirfd = open(nip_unit_tmpdir(), O_RDONLY | O_DIRECTORY), fd;

	CU_ASSERT_EQUAL_FATAL(nip_write_atomic(dirfd, "part.json", part, sizeof part - 1, 0644, 0, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solv_from_index("stable", dirfd, parts, 1, "stable.solv", &err), 0);
	fd = openat(dirfd, "stable.solv", O_RDONLY);
	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fd, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_want(s, "hello", &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_solve(s, &h, &nh, NULL, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_solver_picks(s, &p, &np, &err), 0);
	CU_ASSERT_EQUAL(np, 2);
	for (size_t i = 0; i < np; i++) {
		CU_ASSERT_STRING_EQUAL(p[i].signer, "0123456789ABCDEF");
		CU_ASSERT_STRING_EQUAL(p[i].path, strcmp(p[i].name, "hello") == 0 ? "pkgs/h.nip" : "pkgs/l.nip");
		CU_ASSERT_EQUAL(p[i].size, strcmp(p[i].name, "hello") == 0 ? 42 : 1);
	}
	nip_picks_free(p, np);
	free(h);
	nip_solver_free(s);
	close(fd);

	CU_ASSERT_EQUAL_FATAL(nip_write_atomic(dirfd, "bad.json", bad, sizeof bad - 1, 0644, 0, &err), 0);
	CU_ASSERT_EQUAL(nip_solv_from_index("stable", dirfd, badparts, 1, "bad.solv", &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_FORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "track stable: bad.json: packages[0]"));
	CU_ASSERT_EQUAL(faccessat(dirfd, "bad.solv", F_OK, 0), -1);
	close(dirfd);
}

/* The publisher's form of a part (track/index.c writes it with sorted
 * keys) is the scanner's: a part it hands to Jansson costs a whole second
 * build of the cache. */
static void test_scanner_reads_the_publishers_form(void)
{
	static const char part[] =
		"{\"bin\":\"0a\",\"packages\":[{\"arch\":\"x86_64\","
		"\"cid\":\"bafkreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe\","
		"\"conflicts\":[],\"depends\":[\"libc6 >= 2.7\",\"a | b < 2\"],\"kind\":\"app\","
		"\"name\":\"aegean\",\"obsoletes\":[],\"path\":\"pkgs/aegean.nip\","
		"\"provides\":[\"x = 1\"],\"recommends\":[],\"signer\":\"1DF8A33E4AF6B843\","
		"\"size\":2592,\"summary\":\"caf\\u00e9 \\\"q\\\"\",\"version\":\"0.16.0+dfsg-2\"}]}";
	struct solv_build b;
	struct nip_error err;

	CU_ASSERT_EQUAL_FATAL(solv_start(&b, "t", &err), 0);
	CU_ASSERT_EQUAL(index_scan(&b, "0a.json", part, sizeof part - 1, &err), 0);
	CU_ASSERT_EQUAL(b.repo->nsolvables, 1);
	/* Another top-level key is not the scanner's. */
	CU_ASSERT_EQUAL(index_scan(&b, "x.json", "{\"other\":1}", 11, &err), 1);
	solv_abandon(&b);
}

struct seen {
	char text[512];
	size_t n;
};

static void on_pkg(void *ctx, const struct nip_track_pkg *p)
{
	struct seen *v = ctx;
	size_t len = strlen(v->text);
	snprintf(v->text + len, sizeof v->text - len, "%s%s %s %s %llu %d [", v->n++ ? "; " : "", p->name,
		 p->version, p->track, (unsigned long long)p->size, p->have_cid);
	for (int k = 0; k < NIP_REL_COUNT; k++)
		for (size_t i = 0; i < p->nrel[k]; i++) {
			len = strlen(v->text);
			snprintf(v->text + len, sizeof v->text - len, "%s:%s,", nip_rel_kind_name(k),
				 p->rel[k][i]);
		}
	len = strlen(v->text);
	snprintf(v->text + len, sizeof v->text - len, "]");
}

/* nip/lib/solve/lookup.c: every version of a name, newest first (Debian's
 * order: 1.10 after 1.9), relations back in nip's text, alternatives and
 * every operator, without the package's own provide. */
static void test_lookup(void)
{
	static const struct spec tools[] = {
		{"tool", "1.0-1", NULL, NULL},
		{"tool", "1.10-1", "a >= 1 | b < 2 | c", "tool-api = 2"},
		{"tool", "1.9-1", "d <= 3 | e > 4 | f = 5", NULL},
	};
	int fd = track("stable", tools, 3);
	struct nip_error err;
	struct nip_solver *s = nip_solver_new("x86_64", &err);
	struct seen v = {{0}, 0};

	CU_ASSERT_EQUAL_FATAL(nip_solver_add_track(s, "stable", 0, fd, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_lookup(s, "tool", on_pkg, &v, &err), 3);
	CU_ASSERT_STRING_EQUAL(v.text, "tool 1.10-1 stable 1001 1 [depends:a >= 1 | b < 2 | c,provides:tool-api = 2,]; "
				       "tool 1.9-1 stable 1002 1 [depends:d <= 3 | e > 4 | f = 5,]; "
				       "tool 1.0-1 stable 1000 1 []");
	memset(&v, 0, sizeof v);
	CU_ASSERT_EQUAL(nip_solver_lookup(s, "tool-api", on_pkg, &v, &err), 0);
	CU_ASSERT_EQUAL(nip_solver_lookup(s, "nosuch", on_pkg, &v, &err), 0);
	CU_ASSERT_EQUAL(v.n, 0);
	nip_solver_free(s);
	close(fd);
}

NIP_UNIT_SUITE("solve/track", NIP_TEST(test_want_by_name_and_constraint), NIP_TEST(test_problems_in_words),
	       NIP_TEST(test_priority_and_pin), NIP_TEST(test_upgrade_from_installed),
	       NIP_TEST(test_bad_cache), NIP_TEST(test_from_index),
	       NIP_TEST(test_scanner_reads_the_publishers_form), NIP_TEST(test_lookup))
