/* txn: the transaction, the only component that knows the whole pipeline
 * (plan -> verify -> import -> compose -> deploy -> commit -> switch) and
 * the root's lock. Everything a front end does to a root is one call here.
 *
 * The commit point of every change is the SQLite COMMIT that makes a
 * generation current; the symlink ROOT/cells/CELL/current is renamed right
 * after. Opening a root for writing first reconciles one left half-done: a
 * symlink that disagrees with the database is moved to what it says. */
#ifndef NIP_TXN_H
#define NIP_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "nip/db.h"
#include "nip/nexfs.h"
#include "nip/util.h"

struct nip_root {
	char *path;
	int fd;     /* the root directory */
	int lockfd; /* -1 when opened read-only */
	struct nip_db *db;
	struct nip_nexfs *fs;
	struct nip_seckey node; /* ProvChain's signing key; only when writing */
	struct nip_pubkey node_pub;
	int keep; /* generations kept per cell (config "keep", default 3) */
	struct nip_txn_mcache *mcache; /* installed packages' manifests, parsed once */
};

#define NIP_ROOT_WRITE 1 /* lock it (waiting up to lock_timeout) and create it if missing */

/* A read-only open of a root that does not exist yet is NIP_E_USAGE
 * ("no nip root at PATH"); callers of list-like commands treat it as empty. */
int nip_root_open(const char *path, int flags, double lock_timeout, struct nip_root **out,
		  struct nip_error *err);
void nip_root_close(struct nip_root *r);

struct nip_txn_result {
	int64_t generation; /* the new current generation, 0 if nothing changed */
	size_t added, removed, changed;
	/* Configuration files whose local change (in ROOT/cells/CELL/state)
	 * was kept while the package's default changed too: the new default
	 * was written beside it as FILE.nipnew. The first is named. */
	size_t nipnew;
	char first_nipnew[256];
	/* When the request cannot be met (NIP_E_RESOLVE): every problem and
	 * its solutions, as nip_solver_solve gives them; free() it. */
	char *problems;
	/* Installs by name: what the plan changes, a line each ("+ NAME
	 * VERSION (TRACK)", "~ NAME OLD -> NEW (TRACK)", "- NAME VERSION");
	 * free() it. */
	char *plan;
};

/* install FILE.nip...: one transaction, exactly those versions (up or down),
 * with dependencies and conflicts checked against what is installed. */
/* A cell name is a directory under cells/ and part of deployment names:
 * 1 to 64 of [A-Za-z0-9_-], not starting with '-'. */
#define NIP_CELL_NAME_MAX 64
int nip_cell_name_check(const char *name, struct nip_error *err);

int nip_txn_install_files(struct nip_root *r, const char *cell, char *const *paths, size_t n,
			  int dry_run, struct nip_txn_result *res, struct nip_error *err);
/* install NAME[OP VERSION]... (or upgrade [NAME...]) from the root's
 * tracks: one solve over the installed set and every track's cache, the
 * packages it chose fetched into ROOT/cache/CID.nip (offline: only from
 * there), each read with its track's authorised publishers as the only
 * keys, then one transaction. Pins (nip_txn_pin) hold their packages. */
struct nip_fetcher;
struct nip_found;
struct nip_pick;
struct nip_download_event;
/* What an install by name is doing, for a progress bar or a stream of
 * events: FETCH_PLAN once (count packages, bytes to fetch; zero when all
 * are cached), FETCH for each download event of a pick, VERIFY when a
 * pick's head was checked (signer, CID; cached: it was in the cache
 * already), INSTALL before the transaction (count packages). */
enum nip_txn_event_kind { NIP_TXN_FETCH_PLAN, NIP_TXN_FETCH, NIP_TXN_VERIFY, NIP_TXN_INSTALL };
struct nip_txn_event {
	enum nip_txn_event_kind kind;
	const struct nip_pick *pick;         /* FETCH, VERIFY */
	const struct nip_download_event *dl; /* FETCH */
	const uint8_t *signer;               /* VERIFY: key id */
	int cached;                          /* VERIFY */
	size_t count;                        /* FETCH_PLAN, INSTALL */
	uint64_t bytes;                      /* FETCH_PLAN */
};
struct nip_txn_track_opts {
	int dry_run, offline, upgrade;
	int fetch_only;    /* fetch and check the plan's packages, install nothing */
	unsigned parallel;   /* downloads at once; 0: 8 */
	long low_speed_time; /* seconds under 1 KiB/s before a transfer is cut; 0: 30 */
	/* Called one at a time, from any thread; may be NULL. */
	void (*event)(void *ctx, const struct nip_txn_event *ev);
	void *event_ctx;
};
int nip_txn_install_names(struct nip_root *r, const char *cell, char *const *specs, size_t n,
			  const struct nip_txn_track_opts *o, struct nip_txn_result *res,
			  struct nip_error *err);
/* nip_track_add and nip_track_remove, each logged in ProvChain (a pinned
 * root key is trust). Mirrors (http(s) URLs, kept in the root's config as
 * "mirrors.NAME") serve the track's packages when its URL fails; what they
 * send is checked against the signed metadata like anything else. A track
 * of higher priority ("priority.NAME", -1000 to 1000, default 0) wins over
 * one of lower whatever the versions. */
int nip_txn_track_add(struct nip_root *r, const char *name, const char *url,
		      const char *const *mirrors, size_t nmirrors, int priority,
		      const struct nip_pubkey *root_pub, const void *root_json, size_t root_len,
		      const struct nip_fetcher *f, struct nip_error *err);
int nip_txn_track_remove(struct nip_root *r, const char *name, struct nip_error *err);
/* Every package of the pinned tracks whose name or summary contains term. */
int nip_txn_search(struct nip_root *r, const char *term,
		   void (*fn)(void *ctx, const struct nip_found *f), void *ctx, size_t *found,
		   struct nip_error *err);
/* Every package of the pinned tracks called exactly name, newest first
 * (nip_solver_lookup); *found: how many. */
struct nip_track_pkg;
int nip_txn_lookup(struct nip_root *r, const char *name,
		   void (*fn)(void *ctx, const struct nip_track_pkg *p), void *ctx, size_t *found,
		   struct nip_error *err);
/* The libsolv cache of a pinned track, rebuilt from its verified index
 * when that changed (after a refresh); *fd (if fd is not NULL) opened on
 * it. */
int nip_txn_track_cache(struct nip_root *r, const char *track, int *fd, struct nip_error *err);
/* pin NAME: keep it at its installed version (version NULL) or at exactly
 * VERSION through installs and upgrades; unpin. Logged. */
int nip_txn_pin(struct nip_root *r, const char *name, const char *version, struct nip_error *err);
int nip_txn_unpin(struct nip_root *r, const char *name, struct nip_error *err);

/* remove NAME...: refuses to take dependents along unless cascade. */
int nip_txn_remove(struct nip_root *r, const char *cell, char *const *names, size_t n, int cascade,
		   int dry_run, struct nip_txn_result *res, struct nip_error *err);
/* Makes generation `gen` current (0: the one current before this one if it
 * is still kept, else the newest one older than the current), a switch
 * recorded in ProvChain; no tree is built. */
int nip_txn_rollback(struct nip_root *r, const char *cell, int64_t gen, int64_t *now_current,
		     struct nip_error *err);
/* Drops generations beyond the newest `keep` (the current one always
 * stays), then every object, tree and deployment none of the rest uses. */
int nip_txn_gc(struct nip_root *r, const char *cell, int keep, struct nip_gc_stats *stats,
	       struct nip_error *err);
/* Trust for local files. */
int nip_txn_trust_add(struct nip_root *r, const char *name, const struct nip_pubkey *key,
		      struct nip_error *err);
int nip_txn_trust_remove(struct nip_root *r, const char *name_or_id, struct nip_error *err);
/* The database (SQLite's quick_check), every object and tree against its
 * hash, every kept generation's deployment against its file list, and
 * ProvChain. Repair removes bad objects, checks out again each damaged
 * deployment whose objects are all present (stats->unrepaired counts the
 * others: their packages must be installed again), and logs it. */
int nip_txn_fsck(struct nip_root *r, int repair, nip_fsck_bad_fn *bad, void *ctx,
		 struct nip_fsck_stats *stats, struct nip_error *err);
/* Cells. A name is a-z, 0-9, '-', '_', '.' (at most 64, not leading '.'
 * or '-'): it names a directory. */
int nip_cell_name_valid(const char *name);
/* A new cell whose policy is `policy` (text, already checked by the
 * caller; NULL: `default`). */
int nip_txn_cell_create(struct nip_root *r, const char *cell, const char *policy,
			struct nip_error *err);
/* Drops a cell, its generations and deployments; a cell whose state
 * holds files is refused unless purge. Never the system cell. */
int nip_txn_cell_remove(struct nip_root *r, const char *cell, int purge, struct nip_error *err);
/* The policy that the package owning `program` (as the cell finds it in
 * its current deployment) carries in its manifest: *policy NULL when it
 * has none or no package owns the program. The caller narrows the cell's
 * policy by it: a package confines itself further, never less. */
int nip_cell_package_policy(const char *rootpath, const char *cell, const char *program,
			    char **policy, char **package, struct nip_error *err);
/* The same from the run index the deployment was written with (no
 * database: runindex.c), for the cell whose directory is celldir: 1 when
 * the index answered (*policy may still be NULL), 0 when there is none,
 * and the caller asks nip_cell_package_policy. */
int nip_run_index_lookup(int celldir, const char *program, char **policy, char **package,
			 struct nip_error *err);
/* The program as a cell finds it: an absolute name as given (relative to
 * the deployment), else the first PATH directory of the deployment that
 * holds it; -1 when none does. */
int nip_program_path(int deploy, const char *prog, char *out, size_t outsz);

/* ProvChain entries about cells (starts, violations). `nip run` appends
 * them to the cell-event journal ROOT/cells/.events (events.c), one
 * unsynced append and nothing else, so that logging costs a start nothing;
 * nip_cell_log_fold moves them into ProvChain, signed with the node key
 * (the root owner's), without the root's lock and without waiting for
 * fsync (nip_db_relaxed). The CLI folds before it opens a root, so `nip
 * log` and `nip log verify` see every start. */
#define NIP_CELL_EVENTS "cells/.events"
#define NIP_CELL_EVENT_MAX 2048u	     /* a record's line */
#define NIP_CELL_EVENTS_MAX (16u << 20) /* the journal folded at once */
struct nip_cell_event {
	long long sec;
	long nsec;
	char *event, *subject, *details; /* point into the parsed line */
};
int nip_cell_event_append(int rootfd, const char *event, const char *subject, const char *details,
			  struct nip_error *err);
/* One line, without its newline, parsed in place: 0, or -1 when it is
 * not a record. */
int nip_cell_event_parse(char *line, struct nip_cell_event *out);
/* Folds the journal into ProvChain, each record once even across a crash
 * (the database remembers the folded bytes by their hash). 0 also when
 * there is nothing to fold. */
int nip_cell_log_fold(const char *rootpath, struct nip_error *err);

/* ProvChain against the node key and the anchor kept outside the database. */
int nip_txn_log_verify(struct nip_root *r, int64_t *bad_seq, struct nip_error *err);

#endif
