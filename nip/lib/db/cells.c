/* Cells: each has its generations, the current one, and the highest
 * number it ever used. */
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
