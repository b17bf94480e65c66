/* Packages known to the root, by Variant-CID, and the path index that
 * answers `nip owner`. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int known(struct nip_db *db, const uint8_t cid[NIP_SHA256_LEN], int *yes,
		 struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (db_prepare(db, "SELECT 1 FROM packages WHERE cid = ?1", &st, err) < 0 ||
	    db_bind_blob(db, st, 1, cid, NIP_SHA256_LEN, err) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(db, rc, "looking up a package", err);
		goto out;
	}
	*yes = rc == SQLITE_ROW;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int insert_files(struct nip_db *db, const uint8_t cid[NIP_SHA256_LEN],
			const struct nip_manifest *m, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (db_prepare(db, "INSERT INTO files (path, cid) VALUES (?1, ?2)", &st, err) < 0 ||
	    db_bind_blob(db, st, 2, cid, NIP_SHA256_LEN, err) < 0)
		goto out;
	/* One statement for every file: a 10,000-file package is 10,000
	 * steps inside the caller's transaction, not 10,000 prepares. */
	for (size_t i = 0; i < m->nfiles; i++) {
		if (db_bind_text(db, st, 1, m->files[i].path, err) < 0 ||
		    db_step_done(db, st, "recording the files of a package", err) < 0)
			goto out;
		sqlite3_reset(st);
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_package_put(struct nip_db *db, const uint8_t cid[NIP_SHA256_LEN], const void *manifest,
		       size_t len, const uint8_t signer[NIP_KEYID_LEN], struct nip_error *err)
{
	struct nip_manifest *m = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t digest[NIP_SHA256_LEN];
	char cidstr[NIP_CID_STRLEN];
	int yes, ret = -1;

	nip_cid_format(cid, cidstr);
	/* The row is found by this key forever after: a CID that is not the
	 * manifest's would file a package under another's identity. */
	nip_sha256(manifest, len, digest);
	if (memcmp(digest, cid, sizeof digest) != 0)
		return nip_err(err, NIP_E_INTERNAL, "recording package %s: the CID is not the manifest's",
			       cidstr);
	if (known(db, cid, &yes, err) < 0)
		return -1;
	if (yes)
		return 0;
	if (nip_manifest_parse(manifest, len, &m, err) < 0) {
		nip_err_prefix(err, "recording package %s: ", cidstr);
		return -1;
	}
	if (db_savepoint(db, err) < 0)
		goto out;
	if (db_prepare(db,
		       "INSERT INTO packages (cid, name, version, arch, signer, manifest)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (cid) DO NOTHING",
		       &st, err) < 0 ||
	    db_bind_blob(db, st, 1, cid, NIP_SHA256_LEN, err) < 0 ||
	    db_bind_text(db, st, 2, m->name, err) < 0 || db_bind_text(db, st, 3, m->version, err) < 0 ||
	    db_bind_text(db, st, 4, m->arch, err) < 0 ||
	    db_bind_blob(db, st, 5, signer, NIP_KEYID_LEN, err) < 0 ||
	    db_bind_blob(db, st, 6, manifest, len, err) < 0 ||
	    db_step_done(db, st, "recording a package", err) < 0 ||
	    /* No change: another nip recorded it since `known` looked. */
	    (sqlite3_changes(db->h) == 1 && insert_files(db, cid, m, err) < 0)) {
		db_undo(db);
		goto out;
	}
	if (db_release(db, err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	nip_manifest_free(m);
	return ret;
}

int nip_db_package_get(struct nip_db *db, const uint8_t cid[NIP_SHA256_LEN],
		       struct nip_manifest **out, struct nip_error *err)
{
	struct nip_manifest *m = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t digest[NIP_SHA256_LEN];
	char cidstr[NIP_CID_STRLEN];
	const void *bytes;
	size_t len;
	int rc, ret = -1;

	if (db_prepare(db, "SELECT manifest FROM packages WHERE cid = ?1", &st, err) < 0 ||
	    db_bind_blob(db, st, 1, cid, NIP_SHA256_LEN, err) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		len = (size_t)sqlite3_column_bytes(st, 0);
		bytes = len ? sqlite3_column_blob(st, 0) : "";
		if (!bytes) {
			nip_err(err, NIP_E_NOMEM, "reading a package: out of memory");
			goto out;
		}
		nip_cid_format(cid, cidstr);
		/* Cheap, and it turns a hand-edited manifest into an error
		 * rather than a package that claims what it never signed. */
		nip_sha256(bytes, len, digest);
		if (memcmp(digest, cid, sizeof digest) != 0) {
			nip_err(err, NIP_E_FORMAT,
				"%s: package %s: the stored manifest does not match its CID: the "
				"database was altered",
				db->path, cidstr);
			goto out;
		}
		if (nip_manifest_parse(bytes, len, &m, err) < 0) {
			nip_err_prefix(err, "%s: package %s: ", db->path, cidstr);
			goto out;
		}
	} else if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading a package", err);
		goto out;
	}
	*out = m;
	m = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	nip_manifest_free(m);
	return ret;
}

int nip_db_owner(struct nip_db *db, const char *cell, const char *path, char **name,
		 char **version, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	char *n = NULL, *v = NULL;
	int rc, ret = -1;

	while (*path == '/')
		path++;
	/* files is probed by path (its key), then each candidate CID against
	 * the current generation's key: O(log) whatever the root's size. */
	if (db_prepare(db,
		       "SELECT p.name, p.version FROM files f"
		       " JOIN cells c ON c.name = ?1"
		       " JOIN generation_packages g"
		       "  ON g.cell = c.name AND g.number = c.current AND g.cid = f.cid"
		       " JOIN packages p ON p.cid = f.cid"
		       " WHERE f.path = ?2 ORDER BY p.name LIMIT 1",
		       &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0 || db_bind_text(db, st, 2, path, err) < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (db_column_strdup(st, 0, &n, err) < 0 || db_column_strdup(st, 1, &v, err) < 0)
			goto out;
	} else if (rc != SQLITE_DONE) {
		db_fail(db, rc, "looking up the owner of a path", err);
		goto out;
	}
	*name = n;
	*version = v;
	n = v = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	free(n);
	free(v);
	return ret;
}
