/* The payload's Merkle root: each directory is a node listing its children
 * (type, mode, name, hash) in name order, hashed with SHA-256; files hash to
 * their content's SHA-256, symlinks to their target's. NexFS stores trees
 * in the same encoding, so a package's root names its tree in the store.
 * Walking the archive order, a stack of open directories suffices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

struct level {
	const char *path; /* NULL for the root */
	size_t pathlen;
	uint32_t mode;
	struct nip_buf node;
};

static char type_char(enum nip_ftype t)
{
	static const char c[] = {[NIP_FT_FILE] = 'f', [NIP_FT_DIR] = 'd', [NIP_FT_SYMLINK] = 'l',
				 [NIP_FT_HARDLINK] = 'f', [NIP_FT_CHAR] = 'c', [NIP_FT_BLOCK] = 'b',
				 [NIP_FT_FIFO] = 'p'};
	return c[t];
}

/* "T MODE NAME\0" and the hash: written by hand, as printf was a tenth of
 * a gc's time (three generations' trees of 58,000 files). */
static int add_child(struct level *parent, char type, uint32_t mode, const char *name,
		     const uint8_t hash[NIP_SHA256_LEN], struct nip_error *err)
{
	char head[16], oct[12];
	size_t nlen = strlen(name), k = 0, o = 0;

	do
		oct[o++] = (char)('0' + (mode & 7));
	while ((mode >>= 3) && o < sizeof oct);
	head[k++] = type;
	head[k++] = ' ';
	while (o)
		head[k++] = oct[--o];
	head[k++] = ' ';
	if (nip_buf_append(&parent->node, head, k, err) < 0 ||
	    nip_buf_append(&parent->node, name, nlen + 1, err) < 0)
		return -1;
	return nip_buf_append(&parent->node, hash, NIP_SHA256_LEN, err);
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

struct node_sink {
	int (*fn)(void *ctx, const uint8_t hash[NIP_SHA256_LEN], const void *bytes, size_t len,
		  struct nip_error *err);
	void *ctx;
};

static int close_node(const struct nip_buf *node, const struct node_sink *sink,
		      uint8_t h[NIP_SHA256_LEN], struct nip_error *err)
{
	const void *bytes = node->data ? (const void *)node->data : "";
	nip_sha256(bytes, node->len, h);
	return sink->fn ? sink->fn(sink->ctx, h, bytes, node->len, err) : 0;
}

/* Close the top directory: hash its node into its parent's. */
static int pop(struct level *stack, size_t *depth, const struct node_sink *sink,
	       struct nip_error *err)
{
	struct level *top = &stack[*depth - 1];
	uint8_t h[NIP_SHA256_LEN];
	int rc;

	if (close_node(&top->node, sink, h, err) < 0)
		return -1;
	rc = add_child(&stack[*depth - 2], 'd', top->mode, basename_of(top->path), h, err);
	nip_buf_free(&top->node);
	(*depth)--;
	return rc;
}

static int is_parent(const struct level *l, const char *path)
{
	if (!l->path)
		return strchr(path, '/') == NULL;
	return strncmp(path, l->path, l->pathlen) == 0 && path[l->pathlen] == '/' &&
	       !strchr(path + l->pathlen + 1, '/');
}

static int is_ancestor(const struct level *l, const char *path)
{
	return !l->path || (strncmp(path, l->path, l->pathlen) == 0 && path[l->pathlen] == '/');
}

int nip_payload_root(const struct nip_manifest *m, uint8_t out[NIP_SHA256_LEN], struct nip_error *err)
{
	return nip_files_root(m->files, m->nfiles, NULL, NULL, out, err);
}

int nip_files_root(const struct nip_file *files, size_t n,
		   int (*node)(void *ctx, const uint8_t hash[NIP_SHA256_LEN], const void *bytes,
			       size_t len, struct nip_error *err),
		   void *ctx, uint8_t out[NIP_SHA256_LEN], struct nip_error *err)
{
	const struct node_sink sink = {node, ctx};
	/* Depth is bounded by the path length: one level per two bytes. */
	size_t cap = NIP_PATH_MAX / 2 + 2, depth = 1;
	struct level *stack = calloc(cap, sizeof *stack);
	int rc = -1;

	if (!stack)
		return nip_err(err, NIP_E_NOMEM, "payload root: out of memory");
	nip_buf_init(&stack[0].node, (size_t)NIP_FILES_MAX * (NIP_NAME_MAX + 48), "tree node");
	for (size_t i = 0; i < n; i++) {
		const struct nip_file *f = &files[i];
		uint8_t h[NIP_SHA256_LEN];
		while (depth > 1 && !is_ancestor(&stack[depth - 1], f->path))
			if (pop(stack, &depth, &sink, err) < 0)
				goto out;
		if (!is_parent(&stack[depth - 1], f->path)) {
			nip_err(err, NIP_E_FORMAT, "%s: its parent directory is not listed before it", f->path);
			goto out;
		}
		if (f->type == NIP_FT_DIR) {
			struct level *l = &stack[depth++];
			if (depth == cap) {
				nip_err(err, NIP_E_LIMIT, "%s: too deep", f->path);
				goto out;
			}
			l->path = f->path;
			l->pathlen = strlen(f->path);
			l->mode = f->mode;
			nip_buf_init(&l->node, stack[0].node.max, "tree node");
			continue;
		}
		if (f->type == NIP_FT_FILE || f->type == NIP_FT_HARDLINK) {
			const struct nip_file *t = nip_files_content(files, i);
			if (!t) {
				nip_err(err, NIP_E_FORMAT, "%s: hard link to a missing file", f->path);
				goto out;
			}
			memcpy(h, t->sha256, sizeof h);
		} else if (f->type == NIP_FT_SYMLINK) {
			nip_sha256(f->target, strlen(f->target), h);
		} else {
			char dev[32];
			int dn = snprintf(dev, sizeof dev, "%u:%u", f->rdev_major, f->rdev_minor);
			nip_sha256(dev, f->type == NIP_FT_FIFO ? 0 : (size_t)dn, h);
		}
		if (add_child(&stack[depth - 1], type_char(f->type), f->mode, basename_of(f->path), h, err) < 0)
			goto out;
	}
	while (depth > 1)
		if (pop(stack, &depth, &sink, err) < 0)
			goto out;
	if (close_node(&stack[0].node, &sink, out, err) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < depth; i++)
		nip_buf_free(&stack[i].node);
	free(stack);
	return rc;
}
