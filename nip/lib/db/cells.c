/* Cells: each has its generations, the current one, and the highest
 * number it ever used. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int db_cell_last(struct nip_db *db, const char *cell, int *exists, int64_t *last,
		 struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (db_prepare(db, "SELECT last FROM cells WHERE name = ?1", &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(db, rc, "reading a cell", err);
		goto out;
	}
	*exists = rc == SQLITE_ROW;
	*last = *exists ? sqlite3_column_int64(st, 0) : 0;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_cell_ensure(struct nip_db *db, const char *cell, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (!*cell)
		return nip_err(err, NIP_E_USAGE, "a cell needs a name");
	if (db_prepare(db, "INSERT INTO cells (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", &st,
		       err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0 || db_step_done(db, st, "adding a cell", err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_current(struct nip_db *db, const char *cell, int64_t *number, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (db_prepare(db, "SELECT current FROM cells WHERE name = ?1", &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(db, rc, "reading the current generation", err);
		goto out;
	}
	/* An unknown cell, like a new one, has no generation: NULL reads 0. */
	*number = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_set_current(struct nip_db *db, const char *cell, int64_t number, struct nip_error *err)
{
	char shown[DB_NAME_SHOWN];
	sqlite3_stmt *st = NULL;
	int ret = -1;

	/* The foreign key would refuse a missing generation too, but only
	 * with SQLite's words. */
	if (db_prepare(db,
		       "UPDATE cells SET current = ?2 WHERE name = ?1"
		       " AND EXISTS (SELECT 1 FROM generations WHERE cell = ?1 AND number = ?2)",
		       &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0 || db_bind_int(db, st, 2, number, err) < 0 ||
	    db_step_done(db, st, "switching generation", err) < 0)
		goto out;
	if (sqlite3_changes(db->h) != 1) {
		nip_err(err, NIP_E_USAGE, "cell %s has no generation %lld",
			nip_shorten(cell, shown, sizeof shown), (long long)number);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int64_t nip_db_generation_next(struct nip_db *db, const char *cell, struct nip_error *err)
{
	int64_t last;
	int exists;

	if (db_cell_last(db, cell, &exists, &last, err) < 0)
		return -1;
	return last + 1;
}

int nip_db_cell_create(struct nip_db *db, const char *cell, const char *policy,
		       struct nip_error *err)
{
	char shown[DB_NAME_SHOWN];
	sqlite3_stmt *st = NULL;
	int64_t last;
	int exists, ret = -1;

	if (db_cell_last(db, cell, &exists, &last, err) < 0)
		return -1;
	if (exists)
		return nip_err(err, NIP_E_USAGE, "cell %s exists already",
			       nip_shorten(cell, shown, sizeof shown));
	if (db_prepare(db, "INSERT INTO cells (name, policy) VALUES (?1, ?2)", &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0 || db_bind_text(db, st, 2, policy, err) < 0 ||
	    db_step_done(db, st, "adding a cell", err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

void nip_cell_info_free(struct nip_cell_info *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].policy);
	}
	free(c);
}

int nip_db_cell_list(struct nip_db *db, struct nip_cell_info **out, size_t *n,
		     struct nip_error *err)
{
	struct nip_cell_info *v = NULL, *e;
	sqlite3_stmt *st = NULL;
	size_t count = 0, cap = 0;
	int rc, ret = -1;

	if (db_prepare(db,
		       "SELECT name, coalesce(current, 0), coalesce(policy, ''),"
		       " (SELECT count(*) FROM generations g WHERE g.cell = cells.name)"
		       " FROM cells ORDER BY name",
		       &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(e = db_grow(v, count, &cap, sizeof *v, err)))
			goto out;
		v = e;
		e = &v[count++];
		memset(e, 0, sizeof *e);
		e->current = sqlite3_column_int64(st, 1);
		e->generations = sqlite3_column_int64(st, 3);
		if (db_column_strdup(st, 0, &e->name, err) < 0 ||
		    db_column_strdup(st, 2, &e->policy, err) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, "listing cells", err);
		goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	count = 0;
	ret = 0;
out:
	nip_cell_info_free(v, count);
	sqlite3_finalize(st);
	return ret;
}

int nip_db_cell_remove(struct nip_db *db, const char *cell, struct nip_error *err)
{
	static const char *const sql[] = {
		"UPDATE cells SET current = NULL WHERE name = ?1",
		"DELETE FROM generations WHERE cell = ?1", /* their packages cascade */
		"DELETE FROM config WHERE key = 'previous.' || ?1",
		"DELETE FROM cells WHERE name = ?1",
	};
	char shown[DB_NAME_SHOWN];
	int64_t last;
	int exists;

	if (db_cell_last(db, cell, &exists, &last, err) < 0)
		return -1;
	if (!exists)
		return nip_err(err, NIP_E_USAGE, "no cell %s", nip_shorten(cell, shown, sizeof shown));
	if (db_savepoint(db, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
		sqlite3_stmt *st = NULL;
		int rc = db_prepare(db, sql[i], &st, err) < 0 || db_bind_text(db, st, 1, cell, err) < 0 ||
			 db_step_done(db, st, "removing a cell", err) < 0;
		sqlite3_finalize(st);
		if (rc) {
			db_undo(db);
			return -1;
		}
	}
	return db_release(db, err);
}

int nip_db_relaxed(struct nip_db *db, struct nip_error *err)
{
	/* Closing the last connection would checkpoint the WAL into nip.db,
	 * which syncs: leave that to the next writer. */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	return db_exec(db, "PRAGMA synchronous = NORMAL", "configuring", err);
}
