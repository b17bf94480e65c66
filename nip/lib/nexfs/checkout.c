/* Creating a file list's entries under a fresh directory. Archive order
 * puts every directory before its subtree, so a stack of open directories
 * gives each entry its parent's fd: every call is *at() on a directory we
 * just made, with a one-component name, so nothing can lead outside it.
 * A directory is made read-only when its subtree is complete (popped),
 * which is deepest first. As in remove.c, only the deepest WINDOW levels
 * hold a descriptor; a shallower one is reopened through "..". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

#define WINDOW 32

struct level {
	const char *path; /* NULL for the root */
	size_t pathlen;
	int fd; /* -1 while closed to stay within WINDOW */
	uint32_t mode;
};

struct co {
	struct nip_nexfs *fs;
	struct level *stack;
	size_t depth, cap;
};

static int is_ancestor(const struct level *l, const char *path)
{
	return !l->path || (strncmp(path, l->path, l->pathlen) == 0 && path[l->pathlen] == '/');
}

static const char *base_in(const struct level *l, const char *path)
{
	return l->path ? path + l->pathlen + 1 : path;
}

static int push(struct co *c, const struct nip_file *f, int fd, struct nip_error *err)
{
	if (c->depth == c->cap) {
		size_t cap = 2 * c->cap;
		struct level *s = realloc(c->stack, cap * sizeof *s);
		if (!s)
			return nip_err(err, NIP_E_NOMEM, "checkout: out of memory");
		c->stack = s;
		c->cap = cap;
	}
	c->stack[c->depth++] = (struct level){f->path, strlen(f->path), fd, f->mode};
	/* Level 0 is the caller's root: never ours to close. */
	if (c->depth > WINDOW + 1) {
		struct level *old = &c->stack[c->depth - 1 - WINDOW];
		close(old->fd);
		old->fd = -1;
	}
	return 0;
}

static int pop(struct co *c, struct nip_error *err)
{
	struct level *top = &c->stack[c->depth - 1], *parent = top - 1;
	char sp[256];
	const char *path = nip_shorten(top->path, sp, sizeof sp);
	int rc = 0;

	if (parent->fd < 0) {
		parent->fd = openat(top->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent->fd < 0)
			rc = nip_err_sys(err, NIP_E_IO, errno, "%s: reopening its parent", path);
	}
	if (rc == 0 && fchmod(top->fd, (mode_t)(top->mode & 07777 & ~0222u)) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s: chmod", path);
	close(top->fd);
	c->depth--;
	return rc;
}

/* ext4 caps an inode at 65,000 links; a common object (the empty file)
 * can reach that across packages and generations: copy it instead. */
static int copy_object(struct nip_nexfs *fs, const char *obj, int pfd, const char *base,
		       const char *path, struct nip_error *err)
{
	int in = openat(fs->objects_fd, obj, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, rc = -1;
	struct stat st;
	char buf[65536];
	ssize_t r;

	if (in < 0 || fstat(in, &st) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: object %s", path, obj);
		goto out;
	}
	out = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s", path);
		goto out;
	}
	while ((r = nip_read_some(in, buf, sizeof buf, obj, err)) > 0)
		if (nip_write_full(out, buf, (size_t)r, path, err) < 0)
			goto out;
	if (r < 0)
		goto out;
	if (fchmod(out, st.st_mode & 07777) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: chmod", path);
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int put_object(struct nip_nexfs *fs, int pfd, const char *base, const char *path,
		      const uint8_t hash[NIP_SHA256_LEN], uint32_t mode, struct nip_error *err)
{
	char obj[NIP_OBJECT_NAME_MAX];

	nip_object_name(hash, mode, 0, obj);
	if (linkat(fs->objects_fd, obj, pfd, base, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return nip_err(err, NIP_E_IO, "%s: object %s is missing from the store", path, obj);
	if (errno == EMLINK)
		return copy_object(fs, obj, pfd, base, path, err);
	return nip_err_sys(err, NIP_E_IO, errno, "%s: linking object %s", path, obj);
}

/* Hard-linking the store's symlink object allocates no inode: on ext4,
 * inode allocation after a gc freed many (its recently-deleted scan) made
 * a checkout of /usr/share/man 2.6x `cp -al`, which links symlinks too. */
static int put_symlink(struct nip_nexfs *fs, int pfd, const char *base, const char *path,
		       const char *target, struct nip_error *err)
{
	char obj[NIP_OBJECT_NAME_MAX];
	uint8_t h[NIP_SHA256_LEN];
	struct nip_error ignored;

	nip_sha256(target, strlen(target), h);
	nip_object_name(h, 0, 1, obj);
	if (linkat(fs->objects_fd, obj, pfd, base, 0) == 0)
		return 0;
	/* Importers need not store link objects: the first checkout does. */
	if (errno == ENOENT && link_object_make(fs, target, obj, &ignored) == 0 &&
	    linkat(fs->objects_fd, obj, pfd, base, 0) == 0)
		return 0;
	/* Past the link cap, or a store that cannot take it: its own. */
	if (symlinkat(target, pfd, base) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: symlink", path);
	return 0;
}

static int put_special(int pfd, const char *base, const char *path, const struct nip_file *f,
		       struct nip_error *err)
{
	mode_t fmt = f->type == NIP_FT_FIFO ? S_IFIFO : f->type == NIP_FT_CHAR ? S_IFCHR : S_IFBLK;
	dev_t dev = f->type == NIP_FT_FIFO ? 0 : makedev(f->rdev_major, f->rdev_minor);

	if (mknodat(pfd, base, fmt | 0600, dev) < 0)
		return nip_err_sys(err, errno == EPERM ? NIP_E_DENIED : NIP_E_IO, errno, "%s: mknod",
				   path);
	/* mknod applies the umask: set the listed mode exactly. */
	if (fchmodat(pfd, base, f->mode & 07777, 0) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: chmod", path);
	return 0;
}

int checkout_entry(struct nip_nexfs *fs, const struct nip_file *files, size_t i, int pfd,
		   const char *base, struct nip_error *err)
{
	const struct nip_file *f = &files[i], *t;
	char sp[256];
	const char *path = nip_shorten(f->path, sp, sizeof sp);

	switch (f->type) {
	case NIP_FT_FILE:
	case NIP_FT_HARDLINK:
		/* A hard link's content is its target's: the same object, one inode. */
		if (!(t = nip_files_content(files, i)))
			return nip_err(err, NIP_E_FORMAT, "%s: hard link to a file not listed before it",
				       path);
		return put_object(fs, pfd, base, path, t->sha256, t->mode, err);
	case NIP_FT_SYMLINK:
		if (!f->target || !*f->target)
			return nip_err(err, NIP_E_FORMAT, "%s: symlink without a target", path);
		return put_symlink(fs, pfd, base, path, f->target, err);
	case NIP_FT_DIR:
		return nip_err(err, NIP_E_INTERNAL, "%s: a directory is not a checkout entry", path);
	default:
		return put_special(pfd, base, path, f, err);
	}
}

static int put_entry(struct co *c, const struct nip_file *files, size_t i, struct nip_error *err)
{
	const struct nip_file *f = &files[i];
	const struct level *top = &c->stack[c->depth - 1];
	const char *base = base_in(top, f->path);
	char sp[256];
	const char *path;
	int fd;

	if (f->type != NIP_FT_DIR)
		return checkout_entry(c->fs, files, i, top->fd, base, err);
	path = nip_shorten(f->path, sp, sizeof sp);
	/* Writable while it fills; pop() makes it read-only. */
	if (mkdirat(top->fd, base, 0700) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: mkdir", path);
	fd = openat(top->fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	if (push(c, f, fd, err) < 0) {
		close(fd);
		return -1;
	}
	return 0;
}

int checkout_tree(struct nip_nexfs *fs, const struct nip_file *files, size_t n, int rootfd,
		  struct nip_error *err)
{
	struct co c = {.fs = fs, .cap = 64};
	char sp[256];
	int rc = -1;

	if (!(c.stack = malloc(c.cap * sizeof *c.stack)))
		return nip_err(err, NIP_E_NOMEM, "checkout: out of memory");
	c.stack[c.depth++] = (struct level){NULL, 0, rootfd, 0};
	for (size_t i = 0; i < n; i++) {
		const char *path = files[i].path, *base;
		while (c.depth > 1 && !is_ancestor(&c.stack[c.depth - 1], path))
			if (pop(&c, err) < 0)
				goto out;
		/* The manifest checks paths; this keeps a bad list (from any
		 * caller) from naming anything but a child of the top. */
		base = base_in(&c.stack[c.depth - 1], path);
		if (!is_ancestor(&c.stack[c.depth - 1], path) || !*base || strchr(base, '/') ||
		    strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
			nip_err(err, NIP_E_FORMAT, "%s: not a child of a directory listed before it",
				nip_shorten(path, sp, sizeof sp));
			goto out;
		}
		if (put_entry(&c, files, i, err) < 0)
			goto out;
	}
	while (c.depth > 1)
		if (pop(&c, err) < 0)
			goto out;
	rc = 0;
out:
	while (c.depth > 1)
		if (c.stack[--c.depth].fd >= 0)
			close(c.stack[c.depth].fd);
	free(c.stack);
	return rc;
}
