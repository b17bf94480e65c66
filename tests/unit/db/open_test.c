/* nip/lib/db/open.c, error.c, schema.c: telling nip's database from any
 * other file, and failing cleanly on a damaged one. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_test.h"

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

static int exists(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_create_reopen(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db;
	char *v = NULL;

	db = db_open_ok(dir, 1);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "keep", "3", &err), 0);
	nip_db_close(db);
	CU_ASSERT_EQUAL(raw_int(dir, "PRAGMA application_id"), 0x4E495001);
	CU_ASSERT_EQUAL(raw_int(dir, "PRAGMA user_version"), 1);
	/* WAL is a property of the file: it stays after close. */
	CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM sqlite_master WHERE name IN ('packages', "
				     "'files', 'cells', 'generations', 'generation_packages', 'trust', "
				     "'config', 'provchain')"),
			8);
	/* Reopening, with or without create, keeps what was there. */
	db = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL(nip_db_config_get(db, "keep", &v, &err), 0);
	CU_ASSERT_STRING_EQUAL(v, "3");
	free(v);
	CU_ASSERT_EQUAL(nip_db_check(db, &err), 0);
	nip_db_close(db);
	db = db_open_ok(dir, 1);
	CU_ASSERT_EQUAL(nip_db_config_get(db, "keep", &v, &err), 0);
	CU_ASSERT_STRING_EQUAL(v, "3");
	free(v);
	nip_db_close(db);
	nip_db_close(NULL);
}

static void test_missing(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = NULL;
	char sub[512];

	CU_ASSERT_EQUAL(nip_db_open(dir, 0, &db, &err), -1);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_ERR(err, NIP_E_IO, "nip.db");
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	CU_ASSERT_FALSE(exists(dir, "nip.db"));
	snprintf(sub, sizeof sub, "%s/no/such/dir", dir);
	CU_ASSERT_EQUAL(nip_db_open(sub, 1, &db, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_IO);
}

static void test_symlink_refused(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = NULL;
	char target[512], link[512];

	nip_db_close(db_open_ok(dir, 1));
	snprintf(target, sizeof target, "%s/nip.db", dir);
	snprintf(link, sizeof link, "%s/other", dir);
	CU_ASSERT_FATAL(mkdir(link, 0700) == 0);
	snprintf(link, sizeof link, "%s/other/nip.db", dir);
	CU_ASSERT_FATAL(symlink(target, link) == 0);
	snprintf(link, sizeof link, "%s/other", dir);
	CU_ASSERT_EQUAL(nip_db_open(link, 0, &db, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_DENIED, "symbolic link");
}

static void test_not_nip(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = NULL;
	char want[600];

	/* Someone else's SQLite database: refused, and left exactly as it
	 * was (no switch to WAL, no tables added). */
	raw_sql(dir, "CREATE TABLE mail (id INTEGER PRIMARY KEY, body TEXT)");
	CU_ASSERT_EQUAL(nip_db_open(dir, 1, &db, &err), -1);
	snprintf(want, sizeof want, "%s/nip.db: not a nip database", dir);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, want);
	CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);
	CU_ASSERT_FALSE(exists(dir, "nip.db-wal"));
	CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM sqlite_master"), 1);
	CU_ASSERT_EQUAL(raw_int(dir, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'delete'"), 1);

	/* Another application's id, even with no tables. */
	dir = nip_unit_tmpdir();
	raw_sql(dir, "PRAGMA application_id = 42; CREATE TABLE t (x); DROP TABLE t");
	CU_ASSERT_EQUAL(nip_db_open(dir, 1, &db, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "not a nip database");

	/* An empty file is a root that was never initialised. */
	dir = nip_unit_tmpdir();
	write_file(dir, "nip.db", "", 0);
	CU_ASSERT_EQUAL(nip_db_open(dir, 0, &db, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "not a nip database (it is empty)");
	nip_db_close(db_open_ok(dir, 1));
	CU_ASSERT_EQUAL(raw_int(dir, "PRAGMA user_version"), 1);
	CU_ASSERT_PTR_NULL(db);
}

static void test_newer(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = NULL;

	nip_db_close(db_open_ok(dir, 1));
	raw_sql(dir, "PRAGMA user_version = 99");
	CU_ASSERT_EQUAL(nip_db_open(dir, 0, &db, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "made by a newer nip");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "schema version 99"));
	CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);
	CU_ASSERT_EQUAL(nip_db_open(dir, 1, &db, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "made by a newer nip");
	CU_ASSERT_EQUAL(raw_int(dir, "PRAGMA user_version"), 99);
}

static void test_missing_table(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db;
	struct nip_pubkey key = {0};
	int64_t bad;

	nip_db_close(db_open_ok(dir, 1));
	raw_sql(dir, "DROP TABLE provchain");
	db = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL(nip_provchain_verify(db, &key, NULL, &bad, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "no such table: provchain");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nip.db"));
	nip_db_close(db);
}

static void test_garbage(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = NULL;
	char junk[8192], want[600];

	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 131 + 7);
	write_file(dir, "nip.db", junk, sizeof junk);
	for (int create = 0; create <= 1; create++) {
		CU_ASSERT_EQUAL(nip_db_open(dir, create, &db, &err), -1);
		snprintf(want, sizeof want, "%s/nip.db: damaged database", dir);
		CU_ASSERT_ERR(err, NIP_E_FORMAT, want);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "restore nip.db from a backup"));
		CU_ASSERT_PTR_NULL(strchr(err.msg, '\n'));
		CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);
	}
	CU_ASSERT_PTR_NULL(db);
}

/* A root with something in every table, closed (so all of it is in the
 * main file, none in the WAL). */
static void fill(const char *dir)
{
	static const char *const a[] = {"bin/", "bin/a", "share/", "share/a.txt", NULL};
	static const char *const b[] = {"bin/", "bin/b", NULL};
	struct nip_error err;
	struct nip_pubkey pub;
	struct nip_seckey sec;
	struct nip_generation g = {.number = 1, .reason = "install a b"};
	struct nip_gen_pkg pkgs[2] = {{.explicit_ = 1}, {.explicit_ = 0}};
	struct nip_db *db = db_open_ok(dir, 1);

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
	put_package(db, "a", "1.0", a, pkgs[0].cid);
	put_package(db, "b", "2.0", b, pkgs[1].cid);
	g.pkgs = pkgs;
	g.npkgs = 2;
	CU_ASSERT_EQUAL(nip_db_begin(db, &err), 0);
	CU_ASSERT_EQUAL(nip_db_cell_ensure(db, "system", &err), 0);
	CU_ASSERT_EQUAL(nip_db_generation_add(db, "system", &g, &err), 0);
	CU_ASSERT_EQUAL(nip_db_set_current(db, "system", 1, &err), 0);
	CU_ASSERT_EQUAL(nip_db_trust_add(db, "me", &pub, &err), 0);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "keep", "3", &err), 0);
	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(nip_provchain_append(db, &sec, "install", "a b", "details", &err), 0);
	CU_ASSERT_EQUAL(nip_db_commit(db, &err), 0);
	nip_db_close(db);
	nip_seckey_wipe(&sec);
}

/* Every read nip makes; any failure must be a clean exit-3 error. Returns
 * how many failed. */
static int read_everything(const char *dir)
{
	struct nip_error err;
	struct nip_db *db = NULL;
	struct nip_generation *gens = NULL;
	struct nip_trusted *t = NULL;
	struct nip_log_entry *log = NULL;
	struct nip_manifest *m = NULL;
	struct nip_provchain_anchor head;
	size_t n = 0;
	int64_t num, bad;
	char *s = NULL, *v = NULL;
	int failed = 0;

#define TRY(call)                                                                          \
	do {                                                                               \
		if ((call) < 0) {                                                          \
			failed++;                                                          \
			if (nip_err_exit_status(err.code) != 3)                            \
				fprintf(stderr, "\nunexpected: %s: %s\n", #call, err.msg); \
			CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);                 \
		}                                                                          \
	} while (0)
	TRY(nip_db_open(dir, 0, &db, &err));
	if (!db)
		return failed;
	TRY(nip_db_config_get(db, "keep", &s, &err));
	free(s);
	TRY(nip_db_current(db, "system", &num, &err));
	TRY(nip_db_generations(db, "system", &gens, &n, &err));
	for (size_t i = 0; gens && i < n; i++)
		for (size_t j = 0; j < gens[i].npkgs; j++) {
			TRY(nip_db_package_get(db, gens[i].pkgs[j].cid, &m, &err));
			nip_manifest_free(m);
			m = NULL;
		}
	free_generations(gens, n);
	TRY(nip_db_owner(db, "system", "bin/a", &s, &v, &err));
	free(s);
	free(v);
	s = v = NULL;
	TRY(nip_db_trust_list(db, &t, &n, &err));
	if (t)
		TRY(nip_provchain_verify(db, &t[0].key, NULL, &bad, &err));
	nip_trusted_free(t, n);
	TRY(nip_provchain_list(db, 0, &log, &n, &err));
	nip_log_entry_free(log, n);
	TRY(nip_provchain_head(db, &head, &err));
	TRY(nip_db_check(db, &err));
#undef TRY
	nip_db_close(db);
	return failed;
}

static void test_damaged_page(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_buf file;
	char path[512];
	size_t pages;

	fill(dir);
	CU_ASSERT_EQUAL(read_everything(dir), 0);
	snprintf(path, sizeof path, "%s/nip.db", dir);
	CU_ASSERT_EQUAL_FATAL(nip_read_file(AT_FDCWD, path, 1 << 24, 1, &file, &err), 0);
	pages = file.len / 4096;
	CU_ASSERT_FATAL(pages >= 6);
	/* Garbage over a whole page in the middle of the file. */
	for (size_t i = 0; i < 4096; i++)
		file.data[pages / 2 * 4096 + i] = (unsigned char)(i * 97 + 13);
	write_file(dir, "nip.db", file.data, file.len);
	CU_ASSERT(read_everything(dir) > 0);
	{
		struct nip_db *db = NULL;
		/* Opening reads only the header: it works; the check finds it. */
		if (nip_db_open(dir, 0, &db, &err) == 0) {
			CU_ASSERT_EQUAL(nip_db_check(db, &err), -1);
			CU_ASSERT_ERR(err, NIP_E_FORMAT, "damaged database");
			nip_db_close(db);
		}
	}
	nip_buf_free(&file);
}

static void test_flipped_bytes(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_buf file;
	char path[512];
	size_t step;
	int caught = 0;

	fill(dir);
	snprintf(path, sizeof path, "%s/nip.db", dir);
	CU_ASSERT_EQUAL_FATAL(nip_read_file(AT_FDCWD, path, 1 << 24, 1, &file, &err), 0);
	/* ~250 single-byte flips spread over every page, headers included:
	 * each run ends in success or a clean exit-3 error, never a crash. */
	step = file.len / 250 + 1;
	for (size_t at = 3; at < file.len; at += step) {
		file.data[at] ^= 0x5a;
		write_file(dir, "nip.db", file.data, file.len);
		caught += read_everything(dir) > 0;
		file.data[at] ^= 0x5a;
	}
	CU_ASSERT(caught > 0);
	write_file(dir, "nip.db", file.data, file.len);
	CU_ASSERT_EQUAL(read_everything(dir), 0);
	nip_buf_free(&file);
}

static void test_transactions(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1), *reader;
	char *v = NULL;

	CU_ASSERT_EQUAL(nip_db_begin(db, &err), 0);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "a", "1", &err), 0);
	/* A reader sees the last commit while the writer works (WAL). */
	reader = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL(nip_db_config_get(reader, "a", &v, &err), 0);
	CU_ASSERT_PTR_NULL(v);
	nip_db_rollback(db);
	CU_ASSERT_EQUAL(nip_db_config_get(db, "a", &v, &err), 0);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(nip_db_begin(db, &err), 0);
	CU_ASSERT_EQUAL(nip_db_begin(db, &err), -1);
	CU_ASSERT_EQUAL(nip_db_config_set(db, "a", "2", &err), 0);
	CU_ASSERT_EQUAL(nip_db_commit(db, &err), 0);
	CU_ASSERT_EQUAL(nip_db_config_get(reader, "a", &v, &err), 0);
	CU_ASSERT_STRING_EQUAL(v, "2");
	free(v);
	nip_db_rollback(db); /* nothing open: a no-op */
	nip_db_close(reader);
	nip_db_close(db);
}

NIP_UNIT_SUITE("db/open", NIP_TEST(test_create_reopen), NIP_TEST(test_missing),
	       NIP_TEST(test_symlink_refused), NIP_TEST(test_not_nip), NIP_TEST(test_newer),
	       NIP_TEST(test_missing_table), NIP_TEST(test_garbage), NIP_TEST(test_damaged_page),
	       NIP_TEST(test_flipped_bytes), NIP_TEST(test_transactions))
