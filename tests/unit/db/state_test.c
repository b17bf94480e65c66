/* nip/lib/db/config.c, packages.c, cells.c, generations.c, trust.c: the
 * state of a root. */
#include "db_test.h"

static const char *const pkg_a[] = {"bin/", "bin/a", "share/", "share/a.txt", NULL};
static const char *const pkg_b[] = {"bin/", "bin/b", NULL};
static const char *const pkg_c[] = {"lib/", "lib/libc.so", NULL};

static void test_config(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	char *v = (char *)"untouched";

	CU_ASSERT_EQUAL(nip_db_config_get(db, "keep", &v, &err), 0);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "keep", "3", &err), 0);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "keep", "5", &err), 0);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "node", "quoted ' \" -- ; DROP TABLE config", &err), 0);
	nip_db_close(db);
	db = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL(nip_db_config_get(db, "keep", &v, &err), 0);
	CU_ASSERT_STRING_EQUAL(v, "5");
	free(v);
	CU_ASSERT_EQUAL(nip_db_config_get(db, "node", &v, &err), 0);
	CU_ASSERT_STRING_EQUAL(v, "quoted ' \" -- ; DROP TABLE config");
	free(v);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "keep", NULL, &err), 0);
	CU_ASSERT_EQUAL(nip_db_config_get(db, "keep", &v, &err), 0);
	CU_ASSERT_PTR_NULL(v);
	nip_db_close(db);
}

static void test_packages(void)
{
	static const uint8_t signer[NIP_KEYID_LEN] = {9, 9, 9, 9, 9, 9, 9, 9};
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	struct nip_manifest *m = NULL;
	struct nip_buf b;
	uint8_t cid[NIP_SHA256_LEN], other[NIP_SHA256_LEN];

	make_manifest("a", "1.0-1", pkg_a, &b, cid);
	CU_ASSERT_EQUAL(nip_db_package_get(db, cid, &m, &err), 0);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(nip_db_package_put(db, cid, b.data, b.len, signer, &err), 0);
	/* Idempotent by CID. */
	CU_ASSERT_EQUAL(nip_db_package_put(db, cid, b.data, b.len, signer, &err), 0);
	CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM packages"), 1);
	CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM files"), 4);
	CU_ASSERT_EQUAL(nip_db_package_get(db, cid, &m, &err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "a");
	CU_ASSERT_STRING_EQUAL(m->version, "1.0-1");
	CU_ASSERT_STRING_EQUAL(m->arch, "x86_64");
	CU_ASSERT_EQUAL(m->nfiles, 4);
	CU_ASSERT_STRING_EQUAL(m->files[3].path, "share/a.txt");
	nip_manifest_free(m);
	m = NULL;

	/* A CID that is not the manifest's is the caller's bug. */
	memcpy(other, cid, sizeof other);
	other[0] ^= 1;
	CU_ASSERT_EQUAL(nip_db_package_put(db, other, b.data, b.len, signer, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_INTERNAL, "the CID is not the manifest's");
	/* Bytes that are not a canonical manifest never get in. */
	nip_sha256("{}", 2, other);
	CU_ASSERT_EQUAL(nip_db_package_put(db, other, "{}", 2, signer, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_FORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "recording package b"));
	nip_buf_free(&b);
	nip_db_close(db);

	/* A manifest edited inside the file no longer matches its key. */
	raw_sql(dir, "UPDATE packages SET manifest = CAST(replace(CAST(manifest AS TEXT), '1.0-1', "
		     "'6.6-6') AS BLOB)");
	db = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL(nip_db_package_get(db, cid, &m, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "does not match its CID");
	CU_ASSERT_PTR_NULL(m);
	nip_db_close(db);
}

/* Generation `number` of "system" holding the given packages. */
static void add_gen(struct nip_db *db, int64_t number, const uint8_t (*cids)[NIP_SHA256_LEN],
		    size_t n, const char *reason)
{
	struct nip_error err;
	struct nip_gen_pkg pkgs[8] = {0};
	struct nip_generation g = {.number = number, .time = 1700000000 + number,
				   .reason = (char *)reason, .pkgs = pkgs, .npkgs = n};
	int rc;

	for (size_t i = 0; i < n; i++) {
		memcpy(pkgs[i].cid, cids[i], NIP_SHA256_LEN);
		pkgs[i].explicit_ = (int)(i % 2 == 0);
	}
	memset(g.root, (int)number, sizeof g.root);
	rc = nip_db_generation_add(db, "system", &g, &err);
	if (rc < 0)
		fprintf(stderr, "\nadd: %s\n", err.msg);
	CU_ASSERT_EQUAL(rc, 0);
}

static void test_generations(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	struct nip_generation g, *all = NULL;
	uint8_t cids[3][NIP_SHA256_LEN];
	int64_t cur = -1;
	size_t n = 0;

	/* Listed b then a: read back sorted by name. */
	put_package(db, "b", "2.0", pkg_b, cids[0]);
	put_package(db, "a", "1.0", pkg_a, cids[1]);
	put_package(db, "c", "3.0", pkg_c, cids[2]);
	CU_ASSERT_EQUAL(nip_db_current(db, "system", &cur, &err), 0);
	CU_ASSERT_EQUAL(cur, 0);
	CU_ASSERT_EQUAL(nip_db_generation_next(db, "system", &err), 1);
	CU_ASSERT_EQUAL(nip_db_cell_ensure(db, "system", &err), 0);
	CU_ASSERT_EQUAL(nip_db_cell_ensure(db, "system", &err), 0);
	CU_ASSERT_EQUAL(nip_db_generations(db, "system", &all, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(all);

	CU_ASSERT_EQUAL(nip_db_begin(db, &err), 0);
	add_gen(db, 1, cids, 2, "install a b");
	CU_ASSERT_EQUAL(nip_db_set_current(db, "system", 1, &err), 0);
	CU_ASSERT_EQUAL(nip_db_commit(db, &err), 0);
	CU_ASSERT_EQUAL(nip_db_generation_get(db, "system", 1, &g, &err), 0);
	CU_ASSERT_EQUAL(g.number, 1);
	CU_ASSERT_EQUAL(g.time, 1700000001);
	CU_ASSERT_STRING_EQUAL(g.reason, "install a b");
	CU_ASSERT_EQUAL(g.root[0], 1);
	CU_ASSERT_EQUAL(g.current, 1);
	CU_ASSERT_EQUAL_FATAL(g.npkgs, 2);
	CU_ASSERT_STRING_EQUAL(g.pkgs[0].name, "a");
	CU_ASSERT_STRING_EQUAL(g.pkgs[0].version, "1.0");
	CU_ASSERT_STRING_EQUAL(g.pkgs[0].arch, "x86_64");
	CU_ASSERT_EQUAL(memcmp(g.pkgs[0].cid, cids[1], NIP_SHA256_LEN), 0);
	CU_ASSERT_EQUAL(g.pkgs[0].explicit_, 0);
	CU_ASSERT_STRING_EQUAL(g.pkgs[1].name, "b");
	CU_ASSERT_EQUAL(g.pkgs[1].explicit_, 1);
	nip_generation_free(&g);

	/* Numbers are given out in order only. */
	add_gen(db, 2, cids + 1, 2, "install c");
	{
		struct nip_generation bad = {.number = 4, .reason = "skip"};
		CU_ASSERT_EQUAL(nip_db_generation_add(db, "system", &bad, &err), -1);
		CU_ASSERT_ERR(err, NIP_E_INTERNAL, "the next number is 3");
		bad.number = 2;
		CU_ASSERT_EQUAL(nip_db_generation_add(db, "system", &bad, &err), -1);
		CU_ASSERT_ERR(err, NIP_E_INTERNAL, "never reused");
	}
	/* A package never recorded: nothing of the generation is kept. */
	{
		uint8_t unknown[1][NIP_SHA256_LEN] = {{7}};
		struct nip_gen_pkg p = {.explicit_ = 1};
		struct nip_generation bad = {.number = 3, .reason = "x", .pkgs = &p, .npkgs = 1};
		memcpy(p.cid, unknown[0], NIP_SHA256_LEN);
		CU_ASSERT_EQUAL(nip_db_generation_add(db, "system", &bad, &err), -1);
		CU_ASSERT_ERR(err, NIP_E_INTERNAL, "was never recorded");
		CU_ASSERT_EQUAL(nip_db_generation_next(db, "system", &err), 3);
		CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM generations"), 2);
	}
	CU_ASSERT_EQUAL(nip_db_generations(db, "system", &all, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(all[0].number, 1);
	CU_ASSERT_EQUAL(all[0].current, 1);
	CU_ASSERT_EQUAL(all[1].number, 2);
	CU_ASSERT_EQUAL(all[1].current, 0);
	CU_ASSERT_EQUAL_FATAL(all[1].npkgs, 2);
	CU_ASSERT_STRING_EQUAL(all[1].pkgs[0].name, "a");
	CU_ASSERT_STRING_EQUAL(all[1].pkgs[1].name, "c");
	free_generations(all, n);

	/* The current generation stays; others go, and their numbers with
	 * them for good. */
	CU_ASSERT_EQUAL(nip_db_generation_drop(db, "system", 1, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "generation 1 is the current one of cell system");
	CU_ASSERT_EQUAL(nip_db_set_current(db, "system", 9, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "cell system has no generation 9");
	CU_ASSERT_EQUAL(nip_db_set_current(db, "system", 2, &err), 0);
	CU_ASSERT_EQUAL(nip_db_current(db, "system", &cur, &err), 0);
	CU_ASSERT_EQUAL(cur, 2);
	CU_ASSERT_EQUAL(nip_db_generation_drop(db, "system", 1, &err), 0);
	CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM generation_packages WHERE number = 1"), 0);
	CU_ASSERT_EQUAL(nip_db_generation_drop(db, "system", 1, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "cell system has no generation 1");
	CU_ASSERT_EQUAL(nip_db_generation_get(db, "system", 1, &g, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "cell system has no generation 1");
	add_gen(db, 3, cids, 1, "install b");
	CU_ASSERT_EQUAL(nip_db_generation_drop(db, "system", 3, &err), 0);
	CU_ASSERT_EQUAL(nip_db_generation_next(db, "system", &err), 4);
	nip_db_close(db);
	db = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL(nip_db_generation_next(db, "system", &err), 4);
	CU_ASSERT_EQUAL(nip_db_generations(db, "system", &all, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	free_generations(all, n);
	/* Other cells count on their own; an unknown one is empty. */
	CU_ASSERT_EQUAL(nip_db_generation_next(db, "web", &err), 1);
	CU_ASSERT_EQUAL(nip_db_current(db, "web", &cur, &err), 0);
	CU_ASSERT_EQUAL(cur, 0);
	CU_ASSERT_EQUAL(nip_db_cell_ensure(db, "", &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_USAGE);
	/* A long name is cut in the middle so that the reason survives. */
	{
		char name[2000];
		memset(name, 'c', sizeof name - 1);
		name[sizeof name - 1] = '\0';
		CU_ASSERT_EQUAL(nip_db_set_current(db, name, 1, &err), -1);
		CU_ASSERT_ERR(err, NIP_E_USAGE, "...");
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "has no generation 1"));
	}
	nip_db_close(db);
}

static void owner_is(struct nip_db *db, const char *path, const char *want)
{
	struct nip_error err;
	char *name = (char *)"unset", *version = (char *)"unset";

	CU_ASSERT_EQUAL_FATAL(nip_db_owner(db, "system", path, &name, &version, &err), 0);
	if (!want) {
		CU_ASSERT_PTR_NULL(name);
		CU_ASSERT_PTR_NULL(version);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	CU_ASSERT_STRING_EQUAL(name, want);
	CU_ASSERT_PTR_NOT_NULL(version);
	free(name);
	free(version);
}

static void test_owner(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	uint8_t cids[2][NIP_SHA256_LEN];

	put_package(db, "b", "2.0", pkg_b, cids[0]);
	put_package(db, "a", "1.0", pkg_a, cids[1]);
	owner_is(db, "bin/a", NULL); /* recorded, but in no generation */
	add_gen(db, 1, cids, 2, "install a b");
	CU_ASSERT_EQUAL(nip_db_set_current(db, "system", 1, &err), 0);
	owner_is(db, "bin/a", "a");
	owner_is(db, "/bin/b", "b");
	owner_is(db, "share/a.txt", "a");
	owner_is(db, "bin", "a"); /* shared directory: first by name */
	owner_is(db, "bin/c", NULL);
	add_gen(db, 2, cids, 1, "remove a");
	owner_is(db, "bin/a", "a"); /* generation 1 is still current */
	CU_ASSERT_EQUAL(nip_db_set_current(db, "system", 2, &err), 0);
	owner_is(db, "bin/a", NULL);
	owner_is(db, "bin", "b");
	{
		char *name = NULL, *version = NULL;
		CU_ASSERT_EQUAL(nip_db_owner(db, "web", "bin/b", &name, &version, &err), 0);
		CU_ASSERT_PTR_NULL(name);
	}
	nip_db_close(db);
}

static void test_trust(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	struct nip_pubkey k[3];
	struct nip_seckey s;
	struct nip_trusted *t = NULL;
	char id[NIP_KEYID_HEX];
	size_t n = 0;

	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL_FATAL(nip_key_generate(&k[i], &s, &err), 0);
		nip_seckey_wipe(&s);
	}
	CU_ASSERT_EQUAL(nip_db_trust_list(db, &t, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(t);
	CU_ASSERT_EQUAL(nip_db_trust_add(db, "bob", &k[1], &err), 0);
	CU_ASSERT_EQUAL(nip_db_trust_add(db, "alice", &k[0], &err), 0);
	CU_ASSERT_EQUAL(nip_db_trust_add(db, "alice", &k[2], &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "a key named alice is already trusted");
	nip_keyid_format(k[1].keyid, id);
	CU_ASSERT_EQUAL(nip_db_trust_add(db, "carol", &k[1], &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "is already trusted, as bob");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, id));
	CU_ASSERT_EQUAL(nip_db_trust_add(db, "", &k[2], &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_USAGE);

	CU_ASSERT_EQUAL(nip_db_trust_list(db, &t, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(t[0].name, "alice");
	CU_ASSERT_EQUAL(memcmp(&t[0].key, &k[0], sizeof k[0]), 0);
	CU_ASSERT_STRING_EQUAL(t[1].name, "bob");
	CU_ASSERT_EQUAL(memcmp(&t[1].key, &k[1], sizeof k[1]), 0);
	nip_trusted_free(t, n);

	/* By name, then by id in either case. */
	CU_ASSERT_EQUAL(nip_db_trust_remove(db, "alice", &err), 0);
	for (char *p = id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	CU_ASSERT_EQUAL(nip_db_trust_remove(db, id, &err), 0);
	CU_ASSERT_EQUAL(nip_db_trust_remove(db, "bob", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "no trusted key is named bob");
	CU_ASSERT_EQUAL(nip_db_trust_list(db, &t, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(t);
	nip_db_close(db);
}

NIP_UNIT_SUITE("db/state", NIP_TEST(test_config), NIP_TEST(test_packages),
	       NIP_TEST(test_generations), NIP_TEST(test_owner), NIP_TEST(test_trust))
