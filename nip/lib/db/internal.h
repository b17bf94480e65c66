/* Private to the db component. */
#ifndef NIP_DB_INTERNAL_H
#define NIP_DB_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "nip/db.h"

struct nip_db {
	sqlite3 *h;
	char *path; /* "ROOT/nip.db", for messages */
};

/* "NIP\1" in PRAGMA application_id: tells nip's database from any other
 * SQLite file dropped at ROOT/nip.db. */
#define DB_APPLICATION_ID 0x4E495001
/* A user-supplied name inside a message keeps at most this much, so that
 * the reason after it is never cut off. */
#define DB_NAME_SHOWN 96

/* Each text field of a ProvChain entry. A subject lists CIDs (60 bytes
 * each): 1 MiB holds 17,000, more than any transaction installs; the cap
 * keeps a runaway caller from bloating every `nip log` for good. */
#define DB_LOG_FIELD_MAX (1u << 20)

/* schema.c: migrations[v] brings user_version v to v + 1; each script sets
 * user_version itself, so it commits with the tables it made. */
extern const char *const db_migrations[];
extern const int db_schema_version;

/* error.c. Sets err from a SQLite result code: corruption is NIP_E_FORMAT
 * naming the file and what to do, a lock NIP_E_BUSY, a full disk NIP_E_IO
 * with ENOSPC; `what` says what nip was doing. Returns -1. */
int db_fail(struct nip_db *db, int rc, const char *what, struct nip_error *err);
/* nip's fixed SQL only: values are always bound, never spliced in. A
 * statement that does not compile means the tables are not the ones
 * user_version promises: NIP_E_FORMAT. */
int db_prepare(struct nip_db *db, const char *sql, sqlite3_stmt **st, struct nip_error *err);
/* Steps a statement that returns no row (INSERT, UPDATE, DELETE, ...). */
int db_step_done(struct nip_db *db, sqlite3_stmt *st, const char *what, struct nip_error *err);
/* Runs a static script (no values). */
int db_exec(struct nip_db *db, const char *sql, const char *what, struct nip_error *err);
/* A savepoint makes a multi-statement change atomic whether or not the
 * caller has a transaction open. undo rolls back to it and releases it. */
int db_savepoint(struct nip_db *db, struct nip_error *err);
int db_release(struct nip_db *db, struct nip_error *err);
void db_undo(struct nip_db *db);
/* Binds, checking the result (SQLITE_TOOBIG, SQLITE_NOMEM). */
int db_bind_text(struct nip_db *db, sqlite3_stmt *st, int i, const char *s, struct nip_error *err);
int db_bind_blob(struct nip_db *db, sqlite3_stmt *st, int i, const void *p, size_t n,
		 struct nip_error *err);
int db_bind_int(struct nip_db *db, sqlite3_stmt *st, int i, int64_t v, struct nip_error *err);
/* v (holding n elements of `size` bytes, room for *cap) with room for one
 * more; NULL with v untouched when memory is short. */
void *db_grow(void *v, size_t n, size_t *cap, size_t size, struct nip_error *err);
/* A malloc'ed copy of a text column ("" for NULL); NIP_E_NOMEM on failure. */
int db_column_strdup(sqlite3_stmt *st, int col, char **out, struct nip_error *err);
/* Copies a blob column of exactly n bytes; -1 (no message) when it has
 * another size, which only a hand-edited database can have. */
int db_column_fixed(sqlite3_stmt *st, int col, void *out, size_t n);

/* cells.c: does the cell exist, and the highest generation number it has
 * ever used (0 for none). */
int db_cell_last(struct nip_db *db, const char *cell, int *exists, int64_t *last,
		 struct nip_error *err);

/* provchain.c, shared with verify.c: the entry hash of doc/nip-db.5 over
 * fields given with their lengths (a hand-edited row may hold a NUL). */
struct provchain_fields {
	int64_t seq, time;
	const char *text[3]; /* event, subject, details */
	size_t len[3];
	const uint8_t *prev;
};
void provchain_hash(struct nip_sha256 *h, const struct provchain_fields *f,
		    uint8_t out[NIP_SHA256_LEN]);

#endif
