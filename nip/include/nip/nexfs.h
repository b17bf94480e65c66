/* nexfs: the content-addressed store under a nip root.
 *
 *   ROOT/nexfs/objects/AB/HASH.MODE   file contents with their mode, by
 *                                     SHA-256; symlinks as HASH.link, a
 *                                     symlink to the target text
 *   ROOT/nexfs/trees/AB/HASH          directory nodes of the Merkle DAG,
 *                                     encoded as package.h's payload root
 *   ROOT/nexfs/tmp/                   objects being written
 *   ROOT/deploy/NAME/                 a tree checked out with hard links to
 *                                     the objects, read-only
 *
 * Objects and trees are written once and never changed; every generation
 * and cell that holds the same bytes shares one inode. Which tree each
 * generation of each cell has (snapshots and refs) is kept by the state
 * database, whose COMMIT is the commit point: whatever nexfs holds that no
 * committed generation references is garbage for nip_nexfs_gc. */
#ifndef NIP_NEXFS_H
#define NIP_NEXFS_H

#include <stddef.h>
#include <stdint.h>

#include "nip/package.h"
#include "nip/util.h"

struct nip_nexfs;

/* Opens (creating if missing) nexfs/ and deploy/ under rootfd. */
int nip_nexfs_open(int rootfd, struct nip_nexfs **out, struct nip_error *err);
void nip_nexfs_close(struct nip_nexfs *fs);

/* "AB/HASH.0755" for a file of that mode, "AB/HASH.link" for a symlink's
 * text. The two hex digits of AB spread objects over 256 directories. */
#define NIP_OBJECT_NAME_MAX 80
void nip_object_name(const uint8_t hash[NIP_SHA256_LEN], uint32_t mode, int is_link,
		     char out[NIP_OBJECT_NAME_MAX]);
int nip_object_has(struct nip_nexfs *fs, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode,
		   int is_link);

/* Streaming one file's content into the store: begin, write..., then
 * commit under the hash that the package reader confirmed (or abort, which
 * leaves nothing behind). Objects are not fsynced one by one:
 * nip_nexfs_sync flushes them in one batch before the transaction commits. */
struct nip_object_writer;
int nip_object_begin(struct nip_nexfs *fs, struct nip_object_writer **out, struct nip_error *err);
int nip_object_write(struct nip_object_writer *w, const void *p, size_t n, struct nip_error *err);
/* Frees w in every case. Committing an object that exists is a no-op. */
int nip_object_commit(struct nip_object_writer *w, const uint8_t hash[NIP_SHA256_LEN],
		      uint32_t mode, struct nip_error *err);
void nip_object_abort(struct nip_object_writer *w);
/* A stored file's content, read-only. */
int nip_object_open(struct nip_nexfs *fs, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode,
		    struct nip_error *err);
/* A symlink's target as an object (hash = SHA-256 of the text). */
int nip_object_put_link(struct nip_nexfs *fs, const char *target, struct nip_error *err);

/* syncfs() of the store's file system: the batched fsync. */
int nip_nexfs_sync(struct nip_nexfs *fs, struct nip_error *err);
/* The same on a thread of its own, started before an import. From start
 * to finish that thread also names the objects committed (which then
 * reach objects/ a little later, in order) and starts every large one on
 * its way to the disk. Finish (which the caller makes once the objects are
 * in) waits until every queued object has its name, reports the first
 * that failed, and asks for the syncfs without waiting; wait (which
 * finishes, frees s, and accepts NULL) reports that too. The disk flushes
 * while the caller builds the tree and checks out; what was written after
 * finish needs one more nip_nexfs_sync, which then has little left to do. */
struct nip_nexfs_syncer;
int nip_nexfs_sync_start(struct nip_nexfs *fs, struct nip_nexfs_syncer **out, struct nip_error *err);
int nip_nexfs_sync_finish(struct nip_nexfs_syncer *s, struct nip_error *err);
int nip_nexfs_sync_wait(struct nip_nexfs_syncer *s, struct nip_error *err);

/* Stores every directory node of the tree that `files` (archive order,
 * parents first, as a manifest lists them) describes; returns its root. */
int nip_tree_store(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
		   uint8_t root[NIP_SHA256_LEN], struct nip_error *err);
/* Visits the stored tree under root: seen(ctx, hash) for it and each
 * directory node below, returning 1 for a node visited before (its subtree
 * is skipped), 0 to read it, -1 when out of memory. Each node read is
 * checked against its name; a missing, damaged or malformed one ends the
 * walk with -1. */
int nip_tree_walk(struct nip_nexfs *fs, const uint8_t root[NIP_SHA256_LEN],
		  int (*seen)(void *ctx, const uint8_t hash[NIP_SHA256_LEN]), void *ctx,
		  struct nip_error *err);

/* Checks out `files` as deploy/NAME with hard links to the objects
 * (symlinks hard-linked from their .link objects, which are made on demand:
 * a fresh symlink per entry costs an inode each, twice cp -al's time;
 * directories created, FIFOs with mkfifo), then makes the
 * directories read-only. Built under a temporary name and renamed into
 * place, so deploy/NAME is whole or absent. Every object must exist. */
int nip_deploy_checkout(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
			const char *name, struct nip_error *err);
/* Checks out deploy/NAME again from the store and swaps it for the one
 * there in one rename (fsck --repair of a damaged deployment). */
int nip_deploy_redo(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
		    const char *name, struct nip_error *err);
int nip_deploy_remove(struct nip_nexfs *fs, const char *name, struct nip_error *err);
/* Recycling: the deployment of a generation being dropped becomes the
 * next one by changing only the entries that differ (a one-package change
 * on a large system: a few calls instead of two per file). The plan
 * compares the two file lists (archive order; borrowed until it is freed).
 * Recycling renames deploy/FROM away, removes and creates what differs,
 * sets directory modes and renames the result to deploy/TO: whole or
 * absent, as a checkout is. FROM must have been checked whole against its
 * list (nip_deploy_check): what the plan keeps is kept as it is. On
 * failure deploy/FROM is gone (a temporary that gc removes). */
struct nip_deploy_plan;
int nip_deploy_plan(const struct nip_file *from, size_t nfrom, const struct nip_file *to, size_t nto,
		    struct nip_deploy_plan **out, struct nip_error *err);
/* The number of entries the plan removes or creates. */
size_t nip_deploy_plan_changes(const struct nip_deploy_plan *p);
int nip_deploy_recycle(struct nip_nexfs *fs, const char *from, const char *to,
		       const struct nip_deploy_plan *p, struct nip_error *err);
void nip_deploy_plan_free(struct nip_deploy_plan *p);
/* The dirfd of deploy/ (borrowed). */
int nip_nexfs_deploy_fd(const struct nip_nexfs *fs);

/* Points dirfd/link at target atomically: a new symlink under a temporary
 * name, renameat over the old one, fsync of the directory. */
int nip_symlink_replace(int dirfd, const char *link, const char *target, struct nip_error *err);

/* Garbage collection: `keep` answers whether an object or tree is still
 * referenced (by a kept generation); everything else in objects/, trees/,
 * tmp/ and every deployment not named by keep_deploy is removed. */
struct nip_gc_ops {
	int (*keep_object)(void *ctx, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode, int is_link);
	int (*keep_tree)(void *ctx, const uint8_t hash[NIP_SHA256_LEN]);
	int (*keep_deploy)(void *ctx, const char *name);
};
struct nip_gc_stats {
	uint64_t objects, trees, deployments, bytes;
};
int nip_nexfs_gc(struct nip_nexfs *fs, const struct nip_gc_ops *ops, void *ctx,
		 struct nip_gc_stats *stats, struct nip_error *err);

/* fsck: every object and tree re-hashed against its name. Each bad one is
 * reported through `bad`; with repair, bad ones are removed (so that the
 * next install or `fsck --repair` with the package at hand restores them). */
typedef void nip_fsck_bad_fn(void *ctx, const char *what, const char *name, const char *why);
struct nip_fsck_stats {
	uint64_t objects, trees, deployments, bad;
	uint64_t repaired, unrepaired; /* deployments, under repair */
};
int nip_nexfs_fsck(struct nip_nexfs *fs, int repair, nip_fsck_bad_fn *bad, void *ctx,
		   struct nip_fsck_stats *stats, struct nip_error *err);

/* Checks deploy/NAME against `files`: every entry there, of its type and
 * read-only mode, nothing more; files the same inode as their object (or,
 * where the link cap forced a copy, the same bytes), symlinks with their
 * target. Returns the number of bad entries (0: whole) or -1; *missing
 * counts files whose object is gone from the store, which a re-checkout
 * cannot restore until their package is installed again. */
long nip_deploy_check(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
		      const char *name, nip_fsck_bad_fn *bad, void *ctx, uint64_t *missing,
		      struct nip_error *err);

#endif
