/* Private to the txn component. */
#ifndef NIP_TXN_INTERNAL_H
#define NIP_TXN_INTERNAL_H

#include "nip/solve.h"
#include "nip/txn.h"

/* One package of a generation being planned. */
struct txn_pkg {
	uint8_t cid[NIP_SHA256_LEN];
	struct nip_manifest *m; /* owned, unless borrowed from the root's cache */
	int borrowed;
	uint8_t signer[NIP_KEYID_LEN];
	int explicit_;
	const char *path; /* a new package's file, to import from; NULL if stored */
	char *path_owned; /* path, when the set owns it (a cached download) */
	/* The keys its signature is checked with: its track's authorised
	 * publishers; NULL: the root's trusted signers (local files). */
	const struct nip_pubkey *keys;
	size_t nkeys;
};

struct txn_set {
	struct txn_pkg *v;
	size_t n;
};

void txn_set_free(struct txn_set *s);
/* SHA-256 to a non-NULL pointer (hmap.c); zero-initialised is empty. */
struct txn_hmap {
	struct txn_hmap_slot {
		uint8_t key[NIP_SHA256_LEN];
		void *val; /* NULL: a free slot */
	} *v;
	size_t n, cap;
};
void *txn_hmap_get(const struct txn_hmap *m, const uint8_t key[NIP_SHA256_LEN]);
/* Adds or replaces; -1 when out of memory. */
int txn_hmap_put(struct txn_hmap *m, const uint8_t key[NIP_SHA256_LEN], void *val);
/* Calls free_val (if not NULL) on every value, then empties m. */
void txn_hmap_free(struct txn_hmap *m, void (*free_val)(void *));

/* An installed package's manifest, parsed once per process and owned by
 * r, never to be changed or freed (mcache.c); *out is NULL when the
 * database lacks it. */
int txn_manifest(struct nip_root *r, const uint8_t cid[NIP_SHA256_LEN], struct nip_manifest **out,
		 struct nip_error *err);
struct nip_txn_mcache;
void txn_mcache_free(struct nip_txn_mcache *c);
/* The current generation's packages (empty when there is none), or
 * generation gen's. */
int txn_current_set(struct nip_root *r, const char *cell, struct txn_set *out, struct nip_error *err);
int txn_generation_set(struct nip_root *r, const char *cell, int64_t gen, struct txn_set *out,
		       struct nip_error *err);
/* The union of the set's files in archive order (shallow copies); a path in
 * two packages with different content is NIP_E_RESOLVE naming both. */
int txn_compose(const struct txn_set *set, struct nip_file **out, size_t *n, struct nip_error *err);
/* Makes `set` the cell's new generation: imports what is new, composes and
 * checks the tree, deploys it, commits, switches. Nothing changes (and no
 * generation is made) when set equals the current one. */
int txn_apply(struct nip_root *r, const char *cell, struct txn_set *set, const char *event,
	      const char *reason, int dry_run, struct nip_txn_result *res, struct nip_error *err);
/* The name of a generation's deployment: CELL-N. */
void txn_deploy_name(const char *cell, int64_t gen, char *out, size_t outsz);
/* Makes generation gen's deployment of `files`: recycled from the
 * generation the coming gc drops when that is cheaper (recycle.c), else
 * checked out afresh. */
int txn_checkout(struct nip_root *r, const char *cell, int64_t gen, const struct nip_file *files,
		 size_t nfiles, struct nip_error *err);
/* Deploy-time triggers that grafted packages of `set` ask for (trigger.c),
 * run on generation gen's deployment. */
int txn_triggers(struct nip_root *r, const char *cell, const struct txn_set *set, int64_t gen,
		 struct nip_error *err);
/* trigger.c: runs the first of bins that exists with argv, no shell. */
int txn_run_tool(const char *what, const char *const bins[2], char *const argv[], struct nip_error *err);
/* sysusers.c: the sysusers trigger on generation genfd, into the cell's
 * state/etc (etc). */
int txn_sysusers(struct nip_root *r, const char *cell, int genfd, int etc, struct nip_error *err);
/* tmpfiles.c: the tmpfiles trigger, into the cell's state/var and etc. */
int txn_tmpfiles(struct nip_root *r, const char *cell, int genfd, struct nip_error *err);
/* Helpers of the triggers (sysusers.c): remove a small tree; copy a
 * regular file (owner-writable); make and open nested directories. */
void txn_rm_tree(int parent, const char *name, int depth);
int txn_copy_file(int srcdir, const char *src, int dstdir, const char *name, struct nip_error *err);
int txn_mkdirs(int fd, const char *const *parts, size_t n, struct nip_error *err);
/* Points cells/CELL/current at generation gen's deployment (0: removes it). */
int txn_switch(struct nip_root *r, const char *cell, int64_t gen, struct nip_error *err);
/* ProvChain's last entry, kept outside the database (keys/provchain.head). */
int txn_anchor_save(struct nip_root *r, struct nip_error *err);
int txn_anchor_load(struct nip_root *r, struct nip_provchain_anchor *a, int *have, struct nip_error *err);
/* Ends a one-statement change begun with nip_db_begin: log it, commit,
 * anchor. */
int txn_logged_commit(struct nip_root *r, const char *event, const char *subject,
		      const char *details, struct nip_error *err);
/* Calls fn for each cell that has a directory under cells/. */
int txn_each_cell(struct nip_root *r, int (*fn)(void *ctx, const char *cell, struct nip_error *err),
		  void *ctx, struct nip_error *err);
int txn_reconcile(struct nip_root *r, struct nip_error *err);
/* ROOT/cells/CELL (made with its state/ if missing), as a dirfd. */
int txn_cell_dir(struct nip_root *r, const char *cell, struct nip_error *err);
/* cells/CELL/.run/DEPLOYMENT for `nip run` (runindex.c). */
int txn_run_index_write(struct nip_root *r, const char *cell, const char *deployment,
			const struct txn_set *set, struct nip_error *err);
/* config "previous.CELL": what a bare rollback goes back to. */
int txn_set_previous(struct nip_root *r, const char *cell, int64_t gen, struct nip_error *err);
int txn_previous(struct nip_root *r, const char *cell, int64_t *gen, struct nip_error *err);
/* Trusted signers of local files. */
int txn_trusted_keys(struct nip_root *r, struct nip_pubkey **keys, size_t *n, struct nip_error *err);
/* etc.c: three-way merge of the cell's local configuration. */
int txn_merge_etc(struct nip_root *r, const char *cell, const struct nip_file *oldf, size_t nold,
		  const struct nip_file *newf, size_t nnew, struct nip_txn_result *res, struct nip_error *err);
int txn_gc(struct nip_root *r, const char *cell, int keep, struct nip_gc_stats *stats,
	   struct nip_error *err);

#endif
