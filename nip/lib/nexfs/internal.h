/* Private to the nexfs component. */
#ifndef NIP_NEXFS_INTERNAL_H
#define NIP_NEXFS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nip/nexfs.h"

/* Every file operation is *at() on these, so nothing is resolved twice and
 * no name is ever joined into a path. */
struct nip_nexfs {
	int nexfs_fd, objects_fd, trees_fd, tmp_fd, deploy_fd;
	struct nip_nexfs_syncer *writeback; /* set while a syncer streams */
};

/* "AB/" + 64 hex digits: the name of a tree node. */
#define TREE_NAME_MAX (3 + 2 * NIP_SHA256_LEN + 1)
/* A temporary name in nexfs/tmp or deploy/: prefix, NAME, 16 random hex. */
#define TMP_NAME_MAX 280
/* Deployment names must leave room for ".tmp-NAME-RANDOM" in NAME_MAX. */
#define DEPLOY_NAME_MAX 200

void tree_name(const uint8_t hash[NIP_SHA256_LEN], char out[TREE_NAME_MAX]);
/* Parses the entry name inside AB/ of objects/ ("HASH.MODE", "HASH.link"),
 * checking that HASH starts with AB. Returns 0 or -1 (not an object name). */
int object_name_parse(const char *sub, const char *name, uint8_t hash[NIP_SHA256_LEN],
		      uint32_t *mode, int *is_link);
/* The same for trees/AB/HASH. */
int tree_name_parse(const char *sub, const char *name, uint8_t hash[NIP_SHA256_LEN]);
/* 16 random lower-case hex digits and a NUL. */
void random_hex(char out[17]);

/* A file being written in nexfs/tmp: unnamed (O_TMPFILE) when the file
 * system allows, else under `tmpname`, which then is non-empty. */
struct tmp_file {
	int fd;
	char tmpname[32];
};
int tmp_open(struct nip_nexfs *fs, struct tmp_file *t, struct nip_error *err);
/* Gives the file its final name dirfd/"AB/NAME" (creating AB/ if missing)
 * without fsync: the batched syncfs covers it. An existing name is success
 * (the same bytes are there already). Closes t in every case. */
int tmp_link(struct nip_nexfs *fs, struct tmp_file *t, int dirfd, const char *name,
	     struct nip_error *err);
void tmp_discard(struct nip_nexfs *fs, struct tmp_file *t);
/* Gives a written object file its mode and its name objects/NAME;
 * t is closed in every case. */
int object_name_file(struct nip_nexfs *fs, struct tmp_file *t, const char *name, uint32_t mode,
		     struct nip_error *err);
/* While a syncer runs (writeback.c): a ready temporary file from its pool
 * (1, or 0 when none is ready), and the queueing of a written object under
 * its name (1; 0 when no syncer runs and the caller names it itself; -1
 * when an earlier object failed, whose error err then holds). Either way t
 * is no longer the caller's once queued or failed. */
int writeback_tmp(struct nip_nexfs *fs, struct tmp_file *t);
int writeback_commit(struct nip_nexfs *fs, struct tmp_file *t, const char *name, uint32_t mode,
		     uint64_t size, struct nip_error *err);
/* Smaller objects are left to the final syncfs: starting each one's few
 * pages early cost more than it saved (eatmydata runs: 0.1 s per 15,000
 * files), and the larger ones hold most of the bytes (73% of a tree of
 * /usr/include, /usr/lib/gcc and /usr/share/doc). */
#define WRITEBACK_MIN (64u << 10)

/* mkdir dirfd/AB for the name "AB/...": the 256 subdirectories are made
 * on first use. 0, or -1 with errno set. */
int make_sub(int dirfd, const char *name);

/* A symlink object is a symlink: objects/AB/HASH.link -> TARGET. Made by
 * one symlinkat (whole at once: no temporary); an existing one is success.
 * Checkouts hard-link it, as they do files, so a deployment's symlinks
 * cost no inode of their own. */
int link_object_make(struct nip_nexfs *fs, const char *target, const char *name,
		     struct nip_error *err);

/* Removes dirfd/name whatever it is; a directory tree is removed without
 * recursion (any depth, a bounded number of open descriptors), making its
 * directories writable first since deployments are read-only. */
int remove_tree(int dirfd, const char *name, struct nip_error *err);

/* Calls fn for every entry of every two-hex-digit subdirectory of dirfd
 * (objects/ or trees/); a non-zero return from fn stops the walk. */
int store_walk(int dirfd, const char *what,
	       int (*fn)(void *ctx, int subfd, const char *sub, const char *name,
			 struct nip_error *err),
	       void *ctx, struct nip_error *err);

/* Creates files' entries under rootfd (an empty directory): directories
 * writable while they fill, then read-only deepest first. */
int checkout_tree(struct nip_nexfs *fs, const struct nip_file *files, size_t n, int rootfd,
		  struct nip_error *err);
/* Creates files[i] (anything but a directory) as pfd/base. */
int checkout_entry(struct nip_nexfs *fs, const struct nip_file *files, size_t i, int pfd,
		   const char *base, struct nip_error *err);

/* Renames deploy/NAME to a temporary name, then removes it: a crash in
 * between leaves a ".tmp-" entry that gc collects, never half a NAME. */
int deploy_drop(struct nip_nexfs *fs, const char *name, struct nip_error *err);
/* Renames deploy/NAME to deploy/.tmp-TAG-RANDOM (its name in tmp), no fsync. */
int deploy_rename_away(struct nip_nexfs *fs, const char *name, const char *tag,
		       char tmp[TMP_NAME_MAX], struct nip_error *err);
/* A deployment name: one plain component that cannot be a temporary. */
int deploy_name_check(const char *name, struct nip_error *err);
/* ".tmp-" entries in deploy/ are checkouts and removals cut short. */
#define DEPLOY_TMP_PREFIX ".tmp-"

#endif
