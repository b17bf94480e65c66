/* SQLite results turned into nip errors, and the small statement helpers
 * every db file uses. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The connection's message when it belongs to rc, else SQLite's generic
 * text for rc (a bind or a step on another handle leaves errmsg stale). */
static const char *message(struct nip_db *db, int rc)
{
	if (db->h && (sqlite3_extended_errcode(db->h) == rc || sqlite3_errcode(db->h) == (rc & 0xff)))
		return sqlite3_errmsg(db->h);
	return sqlite3_errstr(rc);
}

int db_fail(struct nip_db *db, int rc, const char *what, struct nip_error *err)
{
	const char *msg = message(db, rc);
	int sys = db->h ? sqlite3_system_errno(db->h) : 0;

	if (rc == SQLITE_CANTOPEN_SYMLINK)
		return nip_err(err, NIP_E_DENIED, "%s is a symbolic link: not following it", db->path);
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		/* Nothing nip could do on its own is safe: a guess at the lost
		 * rows could resurrect a removed package or hide a log entry. */
		return nip_err(err, NIP_E_FORMAT,
			       "%s: damaged database (%s, %s): nip will not use it; restore nip.db "
			       "from a backup",
			       db->path, msg, what);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return nip_err(err, NIP_E_BUSY, "%s: %s: the database is locked by another process",
			       db->path, what);
	case SQLITE_NOMEM:
		return nip_err(err, NIP_E_NOMEM, "%s: %s: out of memory", db->path, what);
	case SQLITE_FULL:
		return nip_err_sys(err, NIP_E_IO, ENOSPC, "%s: %s", db->path, what);
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys)
			return nip_err_sys(err, NIP_E_IO, sys, "%s: %s", db->path, what);
		return nip_err(err, NIP_E_IO, "%s: %s: %s", db->path, what, msg);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return nip_err(err, NIP_E_DENIED, "%s: %s: %s", db->path, what, msg);
	case SQLITE_TOOBIG:
		return nip_err(err, NIP_E_LIMIT, "%s: %s: %s", db->path, what, msg);
	default:
		return nip_err(err, NIP_E_INTERNAL, "%s: %s: %s", db->path, what, msg);
	}
}

int db_prepare(struct nip_db *db, const char *sql, sqlite3_stmt **st, struct nip_error *err)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);

	if (rc == SQLITE_OK)
		return 0;
	*st = NULL;
	if (rc == SQLITE_ERROR)
		return nip_err(err, NIP_E_FORMAT,
			       "%s: %s: the tables are not those of this nip's schema; restore nip.db "
			       "from a backup",
			       db->path, sqlite3_errmsg(db->h));
	return db_fail(db, rc, "preparing a statement", err);
}

int db_step_done(struct nip_db *db, sqlite3_stmt *st, const char *what, struct nip_error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return db_fail(db, rc, what, err);
}

int db_exec(struct nip_db *db, const char *sql, const char *what, struct nip_error *err)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	return db_fail(db, rc, what, err);
}

int db_savepoint(struct nip_db *db, struct nip_error *err)
{
	return db_exec(db, "SAVEPOINT nip", "starting a change", err);
}

int db_release(struct nip_db *db, struct nip_error *err)
{
	if (db_exec(db, "RELEASE nip", "finishing a change", err) < 0) {
		db_undo(db);
		return -1;
	}
	return 0;
}

void db_undo(struct nip_db *db)
{
	/* Errors here leave nothing to do: when the savepoint is gone, SQLite
	 * has already rolled the whole transaction back. */
	sqlite3_exec(db->h, "ROLLBACK TO nip; RELEASE nip", NULL, NULL, NULL);
}

int db_bind_text(struct nip_db *db, sqlite3_stmt *st, int i, const char *s, struct nip_error *err)
{
	int rc = sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : db_fail(db, rc, "binding a value", err);
}

int db_bind_blob(struct nip_db *db, sqlite3_stmt *st, int i, const void *p, size_t n,
		 struct nip_error *err)
{
	int rc = sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : db_fail(db, rc, "binding a value", err);
}

int db_bind_int(struct nip_db *db, sqlite3_stmt *st, int i, int64_t v, struct nip_error *err)
{
	int rc = sqlite3_bind_int64(st, i, v);
	return rc == SQLITE_OK ? 0 : db_fail(db, rc, "binding a value", err);
}

void *db_grow(void *v, size_t n, size_t *cap, size_t size, struct nip_error *err)
{
	size_t want;
	void *p;

	if (n < *cap)
		return v;
	want = *cap ? 2 * *cap : 8;
	if (want > SIZE_MAX / size || !(p = realloc(v, want * size))) {
		nip_err(err, NIP_E_NOMEM, "database: out of memory");
		return NULL;
	}
	*cap = want;
	return p;
}

int db_column_strdup(sqlite3_stmt *st, int col, char **out, struct nip_error *err)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *copy;

	/* NULL from column_text with a non-NULL value is SQLite out of memory. */
	if (!s && sqlite3_column_type(st, col) != SQLITE_NULL)
		return nip_err(err, NIP_E_NOMEM, "database: out of memory");
	if (!(copy = malloc(n + 1)))
		return nip_err(err, NIP_E_NOMEM, "database: out of memory");
	if (n)
		memcpy(copy, s, n);
	copy[n] = '\0';
	*out = copy;
	return 0;
}

int db_column_fixed(sqlite3_stmt *st, int col, void *out, size_t n)
{
	const void *p = sqlite3_column_blob(st, col);

	if (!p || (size_t)sqlite3_column_bytes(st, col) != n)
		return -1;
	memcpy(out, p, n);
	return 0;
}
