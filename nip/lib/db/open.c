/* Opening nip.db: telling nip's file from any other, bringing its schema up
 * to date, and the transactions that make nip's commit point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A second writer is already serialised by nip's lock file; this only
 * covers a reader meeting a WAL checkpoint or recovery, which take
 * milliseconds. */
#define BUSY_TIMEOUT_MS 5000

static int pragma_int(struct nip_db *db, const char *sql, int64_t *out, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (db_prepare(db, sql, &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_fail(db, rc, "reading the header", err);
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Whose file is this? Reads only: a file that is not nip's is never
 * written to, not even by switching it to WAL. *version is 0 for an empty
 * database that `create` may fill. */
static int identify(struct nip_db *db, int create, int64_t *version, struct nip_error *err)
{
	int64_t app, ver, tables;

	if (pragma_int(db, "PRAGMA application_id", &app, err) < 0 ||
	    pragma_int(db, "PRAGMA user_version", &ver, err) < 0 ||
	    pragma_int(db, "SELECT count(*) FROM sqlite_master", &tables, err) < 0)
		return -1;
	if (app == 0 && ver == 0 && tables == 0) {
		if (!create)
			return nip_err(err, NIP_E_FORMAT,
				       "%s: not a nip database (it is empty): the root was never "
				       "initialised",
				       db->path);
		*version = 0;
		return 0;
	}
	if (app != DB_APPLICATION_ID)
		return nip_err(err, NIP_E_FORMAT, "%s: not a nip database", db->path);
	if (ver > db_schema_version)
		return nip_err(err, NIP_E_FORMAT,
			       "%s: made by a newer nip (schema version %lld; this nip knows up to "
			       "%d): upgrade nip",
			       db->path, (long long)ver, db_schema_version);
	if (ver < 1)
		return nip_err(err, NIP_E_FORMAT, "%s: nip database without a schema version",
			       db->path);
	*version = ver;
	return 0;
}

/* Runs the migrations from the version found under the write lock (another
 * nip may have migrated since identify looked). */
static int migrate(struct nip_db *db, struct nip_error *err)
{
	int64_t ver;

	if (db_exec(db, "BEGIN IMMEDIATE", "upgrading the schema", err) < 0)
		return -1;
	if (pragma_int(db, "PRAGMA user_version", &ver, err) < 0)
		goto fail;
	for (; ver < db_schema_version; ver++)
		if (db_exec(db, db_migrations[ver], "upgrading the schema", err) < 0)
			goto fail;
	if (db_exec(db, "COMMIT", "upgrading the schema", err) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Settings of the connection, not of the file (except journal_mode, which
 * WAL makes persistent). */
static int configure(struct nip_db *db, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int rc, ret = -1;

	if (db_prepare(db, "PRAGMA journal_mode = WAL", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_fail(db, rc, "switching to WAL", err);
		goto out;
	}
	mode = sqlite3_column_text(st, 0);
	/* Without WAL a reader would block the writer's COMMIT. */
	if (!mode || strcmp((const char *)mode, "wal") != 0) {
		nip_err(err, NIP_E_IO, "%s: cannot use write-ahead logging (journal mode stays %s)",
			db->path, mode ? (const char *)mode : "unknown");
		goto out;
	}
	/* synchronous=FULL: a COMMIT that returned survives a power cut, which
	 * is what makes it nip's commit point. */
	if (db_exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "configuring",
		    err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_open(const char *rootpath, int create, struct nip_db **out, struct nip_error *err)
{
	struct nip_db *db = NULL;
	size_t n = strlen(rootpath) + sizeof "/nip.db";
	int64_t version = 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE, rc;

	if (!(db = calloc(1, sizeof *db)) || !(db->path = malloc(n))) {
		nip_err(err, NIP_E_NOMEM, "opening the database: out of memory");
		goto fail;
	}
	snprintf(db->path, n, "%s/nip.db", rootpath);
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(db->path, &db->h, flags, NULL);
	if (!db->h) {
		nip_err(err, NIP_E_NOMEM, "%s: out of memory", db->path);
		goto fail;
	}
	if (rc != SQLITE_OK) {
		db_fail(db, rc, "opening", err);
		goto fail;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	/* nip's SQL never needs these; a planted trigger, view or schema
	 * function could otherwise run inside nip's transactions. */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	if (identify(db, create, &version, err) < 0 || configure(db, err) < 0)
		goto fail;
	if (version < db_schema_version && migrate(db, err) < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	nip_db_close(db);
	return -1;
}

void nip_db_close(struct nip_db *db)
{
	if (!db)
		return;
	/* close_v2 never fails with statements open; there are none left, as
	 * every function finalizes its own. */
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

int nip_db_begin(struct nip_db *db, struct nip_error *err)
{
	/* IMMEDIATE takes the write lock now, so a transaction never fails
	 * half-way for want of it. */
	return db_exec(db, "BEGIN IMMEDIATE", "starting a transaction", err);
}

int nip_db_commit(struct nip_db *db, struct nip_error *err)
{
	int rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	db_fail(db, rc, "committing", err);
	/* A COMMIT that failed leaves the transaction open (SQLITE_BUSY) or
	 * already rolled back; either way nothing of it may count. */
	nip_db_rollback(db);
	return -1;
}

void nip_db_rollback(struct nip_db *db)
{
	if (db && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int nip_db_check(struct nip_db *db, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	const char *result;
	int rc, ret = -1;

	/* quick_check: every page and record is well formed (no index
	 * contents compared, which is integrity_check's slow part). */
	if (db_prepare(db, "PRAGMA quick_check", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_fail(db, rc, "checking", err);
		goto out;
	}
	result = (const char *)sqlite3_column_text(st, 0);
	if (!result || strcmp(result, "ok") != 0) {
		nip_err(err, NIP_E_FORMAT, "%s: damaged database (%s): restore nip.db from a backup",
			db->path, result ? result : "out of memory");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* A row whose parent is gone (a hand-edited file): the first one. */
	if (db_prepare(db, "PRAGMA foreign_key_check", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *child = (const char *)sqlite3_column_text(st, 0);
		const char *parent = (const char *)sqlite3_column_text(st, 2);
		nip_err(err, NIP_E_FORMAT,
			"%s: damaged database: a row of %s refers to a missing row of %s", db->path,
			child ? child : "a table", parent ? parent : "another");
		goto out;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, "checking", err);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}
