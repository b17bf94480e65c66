/* Helpers shared by the db unit tests. */
#ifndef NIP_TEST_DB_H
#define NIP_TEST_DB_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit.h"
#include "nip/db.h"

/* err must be `code` and its message must contain `what`. */
#define CU_ASSERT_ERR(err, want_code, what)                                    \
	do {                                                                   \
		CU_ASSERT_EQUAL((err).code, want_code);                        \
		CU_ASSERT_PTR_NOT_NULL(strstr((err).msg, what));               \
		if ((err).code != (want_code) || !strstr((err).msg, what))     \
			fprintf(stderr, "\nmessage (code %d): %s\n", (err).code, \
				(err).msg);                                    \
	} while (0)

static inline struct nip_db *db_open_ok(const char *dir, int create)
{
	struct nip_error err;
	struct nip_db *db = NULL;

	if (nip_db_open(dir, create, &db, &err) < 0)
		fprintf(stderr, "\nopen: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	return db;
}

/* Raw SQL on ROOT/nip.db through a connection of its own, as someone
 * editing the file by hand would. */
static inline void raw_sql(const char *dir, const char *sql)
{
	char path[512], *msg = NULL;
	sqlite3 *h = NULL;
	int rc;

	snprintf(path, sizeof path, "%s/nip.db", dir);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					      NULL),
			      SQLITE_OK);
	rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "\nraw_sql: %s: %s\n", sql, msg);
	CU_ASSERT_EQUAL(rc, SQLITE_OK);
	sqlite3_free(msg);
	sqlite3_close(h);
}

/* The first integer of the first row of sql, by raw SQL. */
static inline long long raw_int(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	snprintf(path, sizeof path, "%s/nip.db", dir);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* A canonical manifest for NAME VERSION listing `paths` (in archive order;
 * a trailing '/' makes a directory, anything else an empty file), with its
 * CID. */
static inline void make_manifest(const char *name, const char *version, const char *const *paths,
				 struct nip_buf *out, uint8_t cid[NIP_SHA256_LEN])
{
	struct nip_error err;
	struct nip_manifest *m = nip_manifest_new(&err);
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	while (paths[n])
		n++;
	m->name = strdup(name);
	m->version = strdup(version);
	m->arch = strdup("x86_64");
	m->files = calloc(n ? n : 1, sizeof *m->files);
	CU_ASSERT_FATAL(m->name && m->version && m->arch && m->files);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(paths[i]);
		struct nip_file *f = &m->files[i];
		f->path = strndup(paths[i], paths[i][len - 1] == '/' ? len - 1 : len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f->path);
		if (paths[i][len - 1] == '/') {
			f->type = NIP_FT_DIR;
			f->mode = 0755;
		} else {
			f->type = NIP_FT_FILE;
			f->mode = 0644;
			nip_sha256("", 0, f->sha256);
		}
	}
	m->nfiles = n;
	CU_ASSERT_EQUAL_FATAL(nip_payload_root(m, m->payload_root, &err), 0);
	nip_buf_init(out, 1 << 20, "manifest");
	CU_ASSERT_EQUAL_FATAL(nip_manifest_serialize(m, out, &err), 0);
	nip_sha256(out->data, out->len, cid);
	nip_manifest_free(m);
}

/* Records a package (no transaction: put makes its own savepoint). */
static inline void put_package(struct nip_db *db, const char *name, const char *version,
			       const char *const *paths, uint8_t cid[NIP_SHA256_LEN])
{
	static const uint8_t signer[NIP_KEYID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct nip_error err;
	struct nip_buf b;
	int rc;

	make_manifest(name, version, paths, &b, cid);
	rc = nip_db_package_put(db, cid, b.data, b.len, signer, &err);
	if (rc < 0)
		fprintf(stderr, "\nput: %s\n", err.msg);
	CU_ASSERT_EQUAL(rc, 0);
	nip_buf_free(&b);
}

static inline void free_generations(struct nip_generation *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nip_generation_free(&g[i]);
	free(g);
}

#endif
