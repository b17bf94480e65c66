/* db: the state of a nip root in SQLite (ROOT/nip.db, WAL) and ProvChain,
 * the signed hash-chained log of every change. The COMMIT of a
 * transaction that makes a generation current is the commit point of nip;
 * everything on disk that no committed row references is garbage.
 *
 * Schema (doc/nip-db.5): packages (every package ever imported: CID,
 * name, version, arch, signer, the canonical manifest), files (which
 * packages list a path, for `nip owner`), generations (per
 * cell: number, time, reason, root tree), generation_packages (which CIDs,
 * asked for by name or pulled in), cells (name, current generation,
 * policy), trust (signers of local files), config, provchain. */
#ifndef NIP_DB_H
#define NIP_DB_H

#include <stddef.h>
#include <stdint.h>

#include "nip/crypto.h"
#include "nip/package.h"
#include "nip/util.h"

struct nip_db;

/* Opens ROOTPATH/nip.db; creates the schema when `create`. A database that
 * is not nip's (application_id), or is corrupt, is NIP_E_FORMAT naming it;
 * a newer schema than this nip knows is refused. WAL, synchronous=FULL:
 * a COMMIT that returned is on disk. Readers never block. */
int nip_db_open(const char *rootpath, int create, struct nip_db **out, struct nip_error *err);
void nip_db_close(struct nip_db *db);

/* BEGIN IMMEDIATE (one writer) / COMMIT / ROLLBACK. A failed COMMIT has
 * already rolled back; nip_db_rollback with nothing open is a no-op. */
int nip_db_begin(struct nip_db *db, struct nip_error *err);
int nip_db_commit(struct nip_db *db, struct nip_error *err);
void nip_db_rollback(struct nip_db *db);
/* For fsck: every page and record well formed, every reference resolved.
 * NIP_E_FORMAT naming the first problem. Reads the whole file. */
int nip_db_check(struct nip_db *db, struct nip_error *err);

/* ---- config ---------------------------------------------------------- */
/* *value NULL when the key is unset; set with value NULL removes it. */
int nip_db_config_get(struct nip_db *db, const char *key, char **value, struct nip_error *err);
int nip_db_config_set(struct nip_db *db, const char *key, const char *value, struct nip_error *err);
/* Every key starting with prefix, sorted; free with nip_config_free. */
struct nip_config_entry {
	char *key, *value;
};
int nip_db_config_list(struct nip_db *db, const char *prefix, struct nip_config_entry **out,
		       size_t *n, struct nip_error *err);
void nip_config_free(struct nip_config_entry *v, size_t n);

/* ---- packages -------------------------------------------------------- */
/* Records a package's canonical manifest (idempotent by CID). */
int nip_db_package_put(struct nip_db *db, const uint8_t cid[NIP_SHA256_LEN], const void *manifest,
		       size_t len, const uint8_t signer[NIP_KEYID_LEN], struct nip_error *err);
/* 0 and *out set, or 0 and *out NULL when unknown. */
int nip_db_package_get(struct nip_db *db, const uint8_t cid[NIP_SHA256_LEN],
		       struct nip_manifest **out, struct nip_error *err);
/* `nip owner PATH`: the package of the cell's current generation whose
 * manifest lists path (relative as in manifests; a leading '/' is
 * ignored). Directories shared by several packages give the first by
 * name. 0 with *name NULL when none. */
int nip_db_owner(struct nip_db *db, const char *cell, const char *path, char **name,
		 char **version, struct nip_error *err);

/* ---- generations ------------------------------------------------------ */
struct nip_gen_pkg {
	uint8_t cid[NIP_SHA256_LEN];
	char *name, *version, *arch;
	int explicit_; /* asked for by name, not pulled in */
};

struct nip_generation {
	int64_t number;
	int64_t time; /* seconds since 1970, UTC */
	char *reason; /* "install hello", "rollback to 3", ... */
	uint8_t root[NIP_SHA256_LEN]; /* the tree */
	int current;
	struct nip_gen_pkg *pkgs; /* sorted by name */
	size_t npkgs;
};
void nip_generation_free(struct nip_generation *g); /* frees members, not g */

int nip_db_cell_ensure(struct nip_db *db, const char *cell, struct nip_error *err);
/* A new cell with its policy text (NULL: the `default` policy); an
 * existing name is NIP_E_USAGE. */
int nip_db_cell_create(struct nip_db *db, const char *cell, const char *policy,
		       struct nip_error *err);
struct nip_cell_info {
	char *name;
	char *policy; /* "" when the cell runs the default policy */
	int64_t current, generations;
};
int nip_db_cell_list(struct nip_db *db, struct nip_cell_info **out, size_t *n,
		     struct nip_error *err);
void nip_cell_info_free(struct nip_cell_info *c, size_t n);
/* Drops the cell, its generations and their package lists. */
int nip_db_cell_remove(struct nip_db *db, const char *cell, struct nip_error *err);
/* synchronous=NORMAL for this connection: in WAL a COMMIT then survives a
 * crash of nip but may be lost with the last moments before a power cut.
 * For records that must not slow down what they record (a cell start);
 * state changes keep synchronous=FULL on their own connections. */
int nip_db_relaxed(struct nip_db *db, struct nip_error *err);
/* 0 with *number 0 when the cell has no generation yet. */
int nip_db_current(struct nip_db *db, const char *cell, int64_t *number, struct nip_error *err);
/* Adds generation g->number (must be one past the highest ever used in the
 * cell: numbers are never reused) with its packages, which must have been
 * recorded with nip_db_package_put; makes the cell if need be. g->time 0
 * means now; g->current is ignored (see nip_db_set_current). */
int nip_db_generation_add(struct nip_db *db, const char *cell, const struct nip_generation *g,
			  struct nip_error *err);
int nip_db_set_current(struct nip_db *db, const char *cell, int64_t number, struct nip_error *err);
int nip_db_generation_get(struct nip_db *db, const char *cell, int64_t number,
			  struct nip_generation *out, struct nip_error *err);
/* All generations of the cell, oldest first, packages included; free
 * each with nip_generation_free, then the array with free(). */
int nip_db_generations(struct nip_db *db, const char *cell, struct nip_generation **out, size_t *n,
		       struct nip_error *err);
int nip_db_generation_drop(struct nip_db *db, const char *cell, int64_t number,
			   struct nip_error *err);
int64_t nip_db_generation_next(struct nip_db *db, const char *cell, struct nip_error *err);

/* ---- trust (signers of local .nip files) ------------------------------ */
struct nip_trusted {
	char *name;
	struct nip_pubkey key;
};
int nip_db_trust_add(struct nip_db *db, const char *name, const struct nip_pubkey *key,
		     struct nip_error *err);
/* NIP_E_USAGE when no key has that name or id. */
int nip_db_trust_remove(struct nip_db *db, const char *name_or_id, struct nip_error *err);
int nip_db_trust_list(struct nip_db *db, struct nip_trusted **out, size_t *n, struct nip_error *err);
void nip_trusted_free(struct nip_trusted *t, size_t n);

/* ---- ProvChain ---------------------------------------------------------- */
/* entry hash = SHA-256 over the canonical encoding of (seq, time, event,
 * subject, details, prev hash); sig = the node key's Ed25519 over it. */
struct nip_log_entry {
	int64_t seq, time;
	char *event;   /* install, remove, upgrade, rollback, gc, trust-add, ... */
	char *subject; /* CIDs, cell, key id */
	char *details; /* one line */
	uint8_t prev[NIP_SHA256_LEN], hash[NIP_SHA256_LEN];
	uint8_t sig[64];
};
void nip_log_entry_free(struct nip_log_entry *e, size_t n);

/* Appends inside the caller's transaction, so an entry exists exactly when
 * the change it records was committed. */
int nip_provchain_append(struct nip_db *db, const struct nip_seckey *node, const char *event,
			 const char *subject, const char *details, struct nip_error *err);
/* The last entry (0 and zeros when empty), for the caller to keep outside
 * the database: a tail cut off with the rows that anchor it is still seen. */
struct nip_provchain_anchor {
	int64_t seq;
	uint8_t hash[NIP_SHA256_LEN];
};
int nip_provchain_head(struct nip_db *db, struct nip_provchain_anchor *out, struct nip_error *err);
/* Newest first, at most limit (0: all). */
int nip_provchain_list(struct nip_db *db, size_t limit, struct nip_log_entry **out, size_t *n,
		       struct nip_error *err);
/* NIP_E_TRUST naming the first entry that was altered, removed, inserted
 * or reordered; *bad_seq is its sequence number. */
int nip_provchain_verify(struct nip_db *db, const struct nip_pubkey *node,
			 const struct nip_provchain_anchor *anchor, int64_t *bad_seq,
			 struct nip_error *err);

#endif
