/* `nip log verify`: walks ProvChain in seq order and names the first entry
 * that was removed, inserted, reordered or altered. Streams: one row in
 * memory whatever the length of the log. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Stops the walk at entry `seq` with NIP_E_TRUST. */
__attribute__((format(printf, 4, 5))) static int bad(int64_t seq, int64_t *bad_seq,
						     struct nip_error *err, const char *fmt, ...)
{
	char msg[NIP_ERRMSG_MAX];
	va_list ap;

	if (bad_seq)
		*bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return nip_err(err, NIP_E_TRUST, "ProvChain: %s", msg);
}

/* The row's fields for the hash, as stored: lengths from SQLite, so that a
 * NUL planted inside a text cannot hide what follows it. */
static void read_fields(sqlite3_stmt *st, struct provchain_fields *f)
{
	f->seq = sqlite3_column_int64(st, 0);
	f->time = sqlite3_column_int64(st, 1);
	for (int i = 0; i < 3; i++) {
		const char *s = (const char *)sqlite3_column_text(st, 2 + i);
		f->len[i] = s ? (size_t)sqlite3_column_bytes(st, 2 + i) : 0;
		f->text[i] = s ? s : "";
	}
}

/* One entry against its predecessor (prev_hash, seq expect - 1). */
static int check_entry(sqlite3_stmt *st, struct nip_sha256 *h, const struct nip_pubkey *node,
		       int64_t expect, const uint8_t prev_hash[NIP_SHA256_LEN],
		       uint8_t hash[NIP_SHA256_LEN], int64_t *bad_seq, struct nip_error *err)
{
	struct provchain_fields f;
	uint8_t prev[NIP_SHA256_LEN], want[NIP_SHA256_LEN], sig[64];
	int64_t seq = sqlite3_column_int64(st, 0);

	if (seq > expect)
		return bad(expect, bad_seq, err, "entry %lld is missing", (long long)expect);
	if (seq < expect) /* only seq <= 0: the key is unique */
		return bad(seq, bad_seq, err, "entry %lld was inserted (entries start at 1)",
			   (long long)seq);
	if (db_column_fixed(st, 5, prev, sizeof prev) < 0 ||
	    memcmp(prev, prev_hash, sizeof prev) != 0) {
		if (seq == 1)
			return bad(seq, bad_seq, err,
				   "entry %lld does not start the log: inserted or reordered",
				   (long long)seq);
		return bad(seq, bad_seq, err,
			   "entry %lld does not follow entry %lld: inserted or reordered",
			   (long long)seq, (long long)(seq - 1));
	}
	read_fields(st, &f);
	f.prev = prev;
	provchain_hash(h, &f, want);
	if (db_column_fixed(st, 6, hash, NIP_SHA256_LEN) < 0 ||
	    memcmp(hash, want, NIP_SHA256_LEN) != 0)
		return bad(seq, bad_seq, err, "entry %lld was altered", (long long)seq);
	if (db_column_fixed(st, 7, sig, sizeof sig) < 0 ||
	    !nip_verify_raw(node, hash, NIP_SHA256_LEN, sig))
		return bad(seq, bad_seq, err, "entry %lld: signature does not verify",
			   (long long)seq);
	return 0;
}

int nip_provchain_verify(struct nip_db *db, const struct nip_pubkey *node,
			 const struct nip_provchain_anchor *anchor, int64_t *bad_seq,
			 struct nip_error *err)
{
	struct nip_sha256 *h = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t last[NIP_SHA256_LEN] = {0}, hash[NIP_SHA256_LEN];
	int64_t seq = 0;
	int rc, ret = -1;

	if (bad_seq)
		*bad_seq = 0;
	if (!(h = nip_sha256_new(err)) ||
	    db_prepare(db,
		       "SELECT seq, time, event, subject, details, prev, hash, sig FROM provchain"
		       " ORDER BY seq",
		       &st, err) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (check_entry(st, h, node, seq + 1, last, hash, bad_seq, err) < 0)
			goto out;
		seq++;
		/* The anchor was kept outside the database: a log rewritten
		 * from here on, even re-signed, differs from it. */
		if (anchor && anchor->seq == seq && memcmp(hash, anchor->hash, sizeof hash) != 0) {
			bad(seq, bad_seq, err,
			    "entry %lld was altered (it is not the entry the anchor names)",
			    (long long)seq);
			goto out;
		}
		memcpy(last, hash, sizeof last);
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading the log", err);
		goto out;
	}
	/* Cutting the tail leaves a chain that is whole: only the anchor
	 * knows it was longer. */
	if (anchor && anchor->seq > seq) {
		bad(seq + 1, bad_seq, err,
		    "entries after %lld were removed (the anchor names entry %lld)",
		    (long long)seq, (long long)anchor->seq);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	nip_sha256_free(h);
	return ret;
}
