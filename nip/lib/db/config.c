/* The root's settings (keep policy, node key id, ...): text by key. */
#include "internal.h"

/* 0 with *value NULL when the key is not set. */
int nip_db_config_get(struct nip_db *db, const char *key, char **value, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	int rc, ret = -1;

	if (db_prepare(db, "SELECT value FROM config WHERE key = ?1", &st, err) < 0 ||
	    db_bind_text(db, st, 1, key, err) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (db_column_strdup(st, 0, &v, err) < 0)
			goto out;
	} else if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading the configuration", err);
		goto out;
	}
	*value = v;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* value NULL removes the key. */
int nip_db_config_set(struct nip_db *db, const char *key, const char *value, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (value) {
		if (db_prepare(db,
			       "INSERT INTO config (key, value) VALUES (?1, ?2)"
			       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			       &st, err) < 0 ||
		    db_bind_text(db, st, 2, value, err) < 0)
			goto out;
	} else if (db_prepare(db, "DELETE FROM config WHERE key = ?1", &st, err) < 0) {
		goto out;
	}
	if (db_bind_text(db, st, 1, key, err) < 0 ||
	    db_step_done(db, st, "writing the configuration", err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}
