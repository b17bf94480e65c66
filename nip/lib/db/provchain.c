/* ProvChain: appending signed, hash-chained entries, and reading them back.
 * The encoding that is hashed is fixed by doc/nip-db.5. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Ends in a NUL so that no tag of a later version is a prefix of it. */
static const char tag[] = "nip-provchain-v1";

static void put_be(struct nip_sha256 *h, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	nip_sha256_update(h, b, (size_t)bytes);
}

void provchain_hash(struct nip_sha256 *h, const struct provchain_fields *f,
		    uint8_t out[NIP_SHA256_LEN])
{
	nip_sha256_reset(h);
	nip_sha256_update(h, tag, sizeof tag);
	put_be(h, (uint64_t)f->seq, 8);
	put_be(h, (uint64_t)f->time, 8);
	/* Length-prefixed, so that no two different entries encode alike
	 * ("a" "bc" against "ab" "c"). */
	for (int i = 0; i < 3; i++) {
		put_be(h, f->len[i], 4);
		nip_sha256_update(h, f->text[i], f->len[i]);
	}
	nip_sha256_update(h, f->prev, NIP_SHA256_LEN);
	nip_sha256_final(h, out);
}

/* The last entry's seq and hash; 0 and zeros for an empty log. */
static int last_entry(struct nip_db *db, struct nip_provchain_anchor *out, struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof *out);
	if (db_prepare(db, "SELECT seq, hash FROM provchain ORDER BY seq DESC LIMIT 1", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->seq = sqlite3_column_int64(st, 0);
		if (db_column_fixed(st, 1, out->hash, sizeof out->hash) < 0) {
			nip_err(err, NIP_E_FORMAT,
				"%s: ProvChain entry %lld is damaged: run nip log verify", db->path,
				(long long)out->seq);
			goto out;
		}
	} else if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading the log", err);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_provchain_head(struct nip_db *db, struct nip_provchain_anchor *out, struct nip_error *err)
{
	struct nip_provchain_anchor a;

	if (last_entry(db, &a, err) < 0)
		return -1;
	*out = a;
	return 0;
}

static int check_field(const char *what, const char *s, size_t *len, struct nip_error *err)
{
	*len = strlen(s);
	if (*len > DB_LOG_FIELD_MAX)
		return nip_err(err, NIP_E_LIMIT, "ProvChain: %s of %zu bytes (at most %u)", what, *len,
			       DB_LOG_FIELD_MAX);
	return 0;
}

int nip_provchain_append(struct nip_db *db, const struct nip_seckey *node, const char *event,
			 const char *subject, const char *details, struct nip_error *err)
{
	struct nip_provchain_anchor last;
	struct provchain_fields f = {0};
	struct nip_sha256 *h = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t hash[NIP_SHA256_LEN], sig[64];
	int ret = -1;

	/* Outside a transaction the entry and the change it records could
	 * commit apart, and two writers could both take the same seq. */
	if (sqlite3_get_autocommit(db->h))
		return nip_err(err, NIP_E_INTERNAL, "ProvChain: append outside a transaction");
	f.text[0] = event;
	f.text[1] = subject ? subject : "";
	f.text[2] = details ? details : "";
	if (!*event)
		return nip_err(err, NIP_E_INTERNAL, "ProvChain: an entry needs an event");
	if (check_field("event", f.text[0], &f.len[0], err) < 0 ||
	    check_field("subject", f.text[1], &f.len[1], err) < 0 ||
	    check_field("details", f.text[2], &f.len[2], err) < 0)
		return -1;
	if (last_entry(db, &last, err) < 0 || !(h = nip_sha256_new(err)))
		goto out;
	f.seq = last.seq + 1;
	/* The wall clock, never SOURCE_DATE_EPOCH: the log says when. */
	f.time = (int64_t)time(NULL);
	f.prev = last.hash;
	provchain_hash(h, &f, hash);
	if (nip_sign_raw(node, hash, sizeof hash, sig, err) < 0)
		goto out;
	if (db_prepare(db,
		       "INSERT INTO provchain (seq, time, event, subject, details, prev, hash, sig)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		       &st, err) < 0 ||
	    db_bind_int(db, st, 1, f.seq, err) < 0 || db_bind_int(db, st, 2, f.time, err) < 0 ||
	    db_bind_text(db, st, 3, f.text[0], err) < 0 || db_bind_text(db, st, 4, f.text[1], err) < 0 ||
	    db_bind_text(db, st, 5, f.text[2], err) < 0 ||
	    db_bind_blob(db, st, 6, last.hash, sizeof last.hash, err) < 0 ||
	    db_bind_blob(db, st, 7, hash, sizeof hash, err) < 0 ||
	    db_bind_blob(db, st, 8, sig, sizeof sig, err) < 0 ||
	    db_step_done(db, st, "appending to the log", err) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	nip_sha256_free(h);
	return ret;
}

void nip_log_entry_free(struct nip_log_entry *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++) {
		free(e[i].event);
		free(e[i].subject);
		free(e[i].details);
	}
	free(e);
}

/* For display, a damaged row is shown as it is (blobs of the wrong size
 * cut or zero-padded): `nip log verify` is what judges it. */
static void copy_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);

	memset(out, 0, n);
	if (p)
		memcpy(out, p, len < n ? len : n);
}

int nip_provchain_list(struct nip_db *db, size_t limit, struct nip_log_entry **out, size_t *n,
		       struct nip_error *err)
{
	struct nip_log_entry *v = NULL, *e;
	sqlite3_stmt *st = NULL;
	size_t count = 0, cap = 0;
	int rc, ret = -1;

	if (db_prepare(db,
		       "SELECT seq, time, event, subject, details, prev, hash, sig FROM provchain"
		       " ORDER BY seq DESC LIMIT ?1",
		       &st, err) < 0 ||
	    db_bind_int(db, st, 1, limit && limit < INT64_MAX ? (int64_t)limit : -1, err) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(e = db_grow(v, count, &cap, sizeof *v, err)))
			goto out;
		v = e;
		e = &v[count++];
		memset(e, 0, sizeof *e);
		e->seq = sqlite3_column_int64(st, 0);
		e->time = sqlite3_column_int64(st, 1);
		if (db_column_strdup(st, 2, &e->event, err) < 0 ||
		    db_column_strdup(st, 3, &e->subject, err) < 0 ||
		    db_column_strdup(st, 4, &e->details, err) < 0)
			goto out;
		copy_blob(st, 5, e->prev, sizeof e->prev);
		copy_blob(st, 6, e->hash, sizeof e->hash);
		copy_blob(st, 7, e->sig, sizeof e->sig);
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading the log", err);
		goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	nip_log_entry_free(v, count);
	return ret;
}
