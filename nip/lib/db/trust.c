/* Trusted signers of local .nip files, by name and key id. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

void nip_trusted_free(struct nip_trusted *t, size_t n)
{
	if (!t)
		return;
	for (size_t i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

/* One message for either clash, naming what is already there. */
static int refuse_clash(struct nip_db *db, const char *name, const struct nip_pubkey *key,
			struct nip_error *err)
{
	char id[NIP_KEYID_HEX], shown[DB_NAME_SHOWN];
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (db_prepare(db,
		       "SELECT name, keyid = ?1 FROM trust WHERE keyid = ?1 OR name = ?2"
		       " ORDER BY keyid = ?1 DESC LIMIT 1",
		       &st, err) < 0 ||
	    db_bind_blob(db, st, 1, key->keyid, NIP_KEYID_LEN, err) < 0 ||
	    db_bind_text(db, st, 2, name, err) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		db_fail(db, rc, "reading trusted keys", err);
		goto out;
	}
	nip_keyid_format(key->keyid, id);
	if (sqlite3_column_int(st, 1)) {
		const char *as = (const char *)sqlite3_column_text(st, 0);
		nip_err(err, NIP_E_USAGE, "key %s is already trusted, as %s", id,
			nip_shorten(as ? as : "?", shown, sizeof shown));
	} else {
		nip_err(err, NIP_E_USAGE, "a key named %s is already trusted",
			nip_shorten(name, shown, sizeof shown));
	}
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_trust_add(struct nip_db *db, const char *name, const struct nip_pubkey *key,
		     struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (!*name)
		return nip_err(err, NIP_E_USAGE, "a trusted key needs a name");
	if (refuse_clash(db, name, key, err) < 0)
		return -1;
	if (db_prepare(db, "INSERT INTO trust (keyid, name, pubkey) VALUES (?1, ?2, ?3)", &st, err) < 0 ||
	    db_bind_blob(db, st, 1, key->keyid, NIP_KEYID_LEN, err) < 0 ||
	    db_bind_text(db, st, 2, name, err) < 0 ||
	    db_bind_blob(db, st, 3, key->pk, sizeof key->pk, err) < 0 ||
	    db_step_done(db, st, "adding a trusted key", err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* The key id of the key whose minisign-style id (any case) is `id`. */
static int find_by_id(struct nip_db *db, const char *id, uint8_t keyid[NIP_KEYID_LEN], int *found,
		      struct nip_error *err)
{
	char text[NIP_KEYID_HEX];
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	*found = 0;
	/* Trust lists hold a handful of keys: comparing the printed forms
	 * keeps one notation for ids, nip_keyid_format's. */
	if (db_prepare(db, "SELECT keyid FROM trust", &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_column_fixed(st, 0, keyid, NIP_KEYID_LEN) < 0)
			continue;
		nip_keyid_format(keyid, text);
		if (strcasecmp(text, id) == 0) {
			*found = 1;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(db, rc, "reading trusted keys", err);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_trust_remove(struct nip_db *db, const char *name_or_id, struct nip_error *err)
{
	char shown[DB_NAME_SHOWN];
	uint8_t keyid[NIP_KEYID_LEN];
	sqlite3_stmt *st = NULL;
	int found, ret = -1;

	/* A name wins over an id that happens to read the same. */
	if (db_prepare(db, "DELETE FROM trust WHERE name = ?1", &st, err) < 0 ||
	    db_bind_text(db, st, 1, name_or_id, err) < 0 ||
	    db_step_done(db, st, "removing a trusted key", err) < 0)
		goto out;
	if (sqlite3_changes(db->h) == 1) {
		ret = 0;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (find_by_id(db, name_or_id, keyid, &found, err) < 0)
		goto out;
	if (!found) {
		nip_err(err, NIP_E_USAGE, "no trusted key is named %s or has that id",
			nip_shorten(name_or_id, shown, sizeof shown));
		goto out;
	}
	if (db_prepare(db, "DELETE FROM trust WHERE keyid = ?1", &st, err) < 0 ||
	    db_bind_blob(db, st, 1, keyid, NIP_KEYID_LEN, err) < 0 ||
	    db_step_done(db, st, "removing a trusted key", err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_trust_list(struct nip_db *db, struct nip_trusted **out, size_t *n, struct nip_error *err)
{
	char shown[DB_NAME_SHOWN];
	struct nip_trusted *v = NULL, *t;
	sqlite3_stmt *st = NULL;
	size_t count = 0, cap = 0;
	int rc, ret = -1;

	if (db_prepare(db, "SELECT name, keyid, pubkey FROM trust ORDER BY name", &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(t = db_grow(v, count, &cap, sizeof *v, err)))
			goto out;
		v = t;
		t = &v[count++];
		memset(t, 0, sizeof *t);
		if (db_column_strdup(st, 0, &t->name, err) < 0)
			goto out;
		if (db_column_fixed(st, 1, t->key.keyid, NIP_KEYID_LEN) < 0 ||
		    db_column_fixed(st, 2, t->key.pk, sizeof t->key.pk) < 0) {
			nip_err(err, NIP_E_FORMAT, "%s: trusted key %s is damaged", db->path,
				nip_shorten(t->name, shown, sizeof shown));
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading trusted keys", err);
		goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	nip_trusted_free(v, count);
	return ret;
}
