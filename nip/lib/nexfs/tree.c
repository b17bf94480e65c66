/* Trees: the directory nodes of the Merkle DAG, stored byte for byte as
 * nip_files_root hashes them, so a package's payload root names its tree
 * and a snapshot's root tree is found by hash alone. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static int store_node(void *ctx, const uint8_t hash[NIP_SHA256_LEN], const void *bytes, size_t len,
		      struct nip_error *err)
{
	struct nip_nexfs *fs = ctx;
	char name[TREE_NAME_MAX];
	struct tmp_file t;
	struct stat st;

	tree_name(hash, name);
	/* Shared subtrees (an unchanged /usr/share across generations) are
	 * already there: one stat, no write. */
	if (fstatat(fs->trees_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (tmp_open(fs, &t, err) < 0)
		return -1;
	if (nip_write_full(t.fd, bytes, len, "nexfs/tmp: tree", err) < 0)
		goto fail;
	if (fchmod(t.fd, 0444) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "nexfs/trees/%s: chmod", name);
		goto fail;
	}
	return tmp_link(fs, &t, fs->trees_fd, name, err);
fail:
	tmp_discard(fs, &t);
	return -1;
}

int nip_tree_store(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
		   uint8_t root[NIP_SHA256_LEN], struct nip_error *err)
{
	if (nip_files_root(files, n, store_node, fs, root, err) < 0)
		return nip_err_prefix(err, "storing a tree: ");
	return 0;
}
