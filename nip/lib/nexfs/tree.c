/* Trees: the directory nodes of the Merkle DAG, stored byte for byte as
 * nip_files_root hashes them, so a package's payload root names its tree
 * and a snapshot's root tree is found by hash alone. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

/* One node's bytes, checked against its name. */
static int read_node(struct nip_nexfs *fs, const uint8_t hash[NIP_SHA256_LEN], struct nip_buf *b,
		     struct nip_error *err)
{
	char name[TREE_NAME_MAX];
	uint8_t got[NIP_SHA256_LEN];
	struct stat st;
	int fd, rc = -1;

	tree_name(hash, name);
	fd = openat(fs->trees_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "nexfs/trees/%s", name);
		goto out;
	}
	b->len = 0;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > b->max) {
		nip_err(err, NIP_E_FORMAT, "nexfs/trees/%s: not a tree node", name);
		goto out;
	}
	if (nip_buf_reserve(b, (size_t)st.st_size, err) < 0 ||
	    nip_read_full(fd, b->data, (size_t)st.st_size, name, err) < 0)
		goto out;
	b->len = (size_t)st.st_size;
	nip_sha256(b->data, b->len, got);
	if (memcmp(got, hash, sizeof got) != 0) {
		nip_err(err, NIP_E_FORMAT, "nexfs/trees/%s: its bytes do not match its name", name);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The hashes of a node's subdirectories, pushed on `stack`. A node is
 * entries of "T MODE NAME\0" and 32 bytes of hash (merkle.c). */
static int node_children(const struct nip_buf *b, struct nip_buf *stack, struct nip_error *err)
{
	const unsigned char *p = b->data, *end = p + b->len;

	while (p < end) {
		const unsigned char *q = p + 2;
		char type = (char)p[0];
		if (end - p < 4 || !strchr("fdlcbp", type) || p[1] != ' ')
			goto bad;
		while (q < end && *q >= '0' && *q <= '7' && q - p < 2 + 7)
			q++;
		if (q == p + 2 || q == end || *q != ' ')
			goto bad;
		p = memchr(q + 1, '\0', (size_t)(end - q - 1));
		if (!p || p == q + 1 || end - p - 1 < NIP_SHA256_LEN)
			goto bad;
		p++;
		if (type == 'd' && nip_buf_append(stack, p, NIP_SHA256_LEN, err) < 0)
			return -1;
		p += NIP_SHA256_LEN;
	}
	return 0;
bad:
	return nip_err(err, NIP_E_FORMAT, "a tree node is malformed");
}

int nip_tree_walk(struct nip_nexfs *fs, const uint8_t root[NIP_SHA256_LEN],
		  int (*seen)(void *ctx, const uint8_t hash[NIP_SHA256_LEN]), void *ctx,
		  struct nip_error *err)
{
	struct nip_buf stack, node;
	int rc = -1;

	nip_buf_init(&stack, (size_t)NIP_FILES_MAX * NIP_SHA256_LEN, "tree walk");
	nip_buf_init(&node, (size_t)NIP_FILES_MAX * (NIP_NAME_MAX + 48), "tree node");
	if (nip_buf_append(&stack, root, NIP_SHA256_LEN, err) < 0)
		goto out;
	while (stack.len) {
		uint8_t h[NIP_SHA256_LEN];
		int s;
		stack.len -= NIP_SHA256_LEN;
		memcpy(h, stack.data + stack.len, sizeof h);
		if ((s = seen(ctx, h)) < 0) {
			nip_err(err, NIP_E_NOMEM, "tree walk: out of memory");
			goto out;
		}
		if (s == 0 && (read_node(fs, h, &node, err) < 0 || node_children(&node, &stack, err) < 0))
			goto out;
	}
	rc = 0;
out:
	nip_buf_free(&stack);
	nip_buf_free(&node);
	return rc;
}
