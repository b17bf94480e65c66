/* The root's settings (keep policy, node key id, ...): text by key. */
#include <stdlib.h>

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

int nip_db_config_list(struct nip_db *db, const char *prefix, struct nip_config_entry **out,
		       size_t *n, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	struct nip_config_entry *v = NULL;
	size_t cnt = 0;
	int rc, ret = -1;

	*out = NULL;
	*n = 0;
	/* substr, not LIKE: a '_' or '%' in the prefix is literal. */
	if (db_prepare(db,
		       "SELECT key, value FROM config WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
		       &st, err) < 0 ||
	    db_bind_text(db, st, 1, prefix, err) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct nip_config_entry *g = realloc(v, (cnt + 1) * sizeof *v);
		if (!g) {
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
		v = g;
		v[cnt].key = v[cnt].value = NULL;
		cnt++;
		if (db_column_strdup(st, 0, &v[cnt - 1].key, err) < 0 ||
		    db_column_strdup(st, 1, &v[cnt - 1].value, err) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading the configuration", err);
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
out:
	nip_config_free(v, cnt);
	sqlite3_finalize(st);
	return ret;
}

void nip_config_free(struct nip_config_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}
