/* fsck of a deployment. Its files are hard links to the store's objects,
 * so checking the objects checks their bytes; what can still go wrong is
 * the tree itself: an entry replaced, added, removed or made writable, or
 * a file that no longer shares its object's inode (written over after
 * fsck --repair removed a bad object it shared). Each directory is read
 * once; each entry is looked up in the generation's list by path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "nip/crypto.h"
#include "nip/limits.h"

enum { SEEN = 1, DIR_OK = 2 };

struct dcheck {
	struct nip_nexfs *fs;
	const struct nip_file *files;
	size_t n;
	unsigned char *seen; /* SEEN, or DIR_OK: a directory to read next */
	const char *name;
	nip_fsck_bad_fn *bad;
	void *ctx;
	long nbad;
	uint64_t *missing;
	struct nip_sha256 *h;
	dev_t dev; /* the store's: objects and deployments are on one file system */
};

static void report(struct dcheck *c, const char *path, const char *why)
{
	char full[NIP_PATH_MAX + 256];

	snprintf(full, sizeof full, "%s/%s", c->name, path);
	c->nbad++;
	if (c->bad)
		c->bad(c->ctx, "deployment", full, why);
}

static long lookup(const struct dcheck *c, const char *path)
{
	const struct nip_file *f = nip_files_find(c->files, c->n, path);
	return f ? f - c->files : -1;
}

/* The SHA-256 of an open file equals want. */
static int same_bytes(struct dcheck *c, int fd, const uint8_t want[NIP_SHA256_LEN], int *same,
		      struct nip_error *err)
{
	unsigned char buf[65536];
	uint8_t got[NIP_SHA256_LEN];
	ssize_t r;

	nip_sha256_reset(c->h);
	while ((r = nip_read_some(fd, buf, sizeof buf, "deployment", err)) > 0)
		nip_sha256_update(c->h, buf, (size_t)r);
	if (r < 0)
		return -1;
	nip_sha256_final(c->h, got);
	*same = memcmp(got, want, NIP_SHA256_LEN) == 0;
	return 0;
}

static int check_file(struct dcheck *c, int dfd, const char *base, const char *path,
		      const struct stat *st, const struct nip_file *f, struct nip_error *err)
{
	char obj[NIP_OBJECT_NAME_MAX];
	struct stat ost;
	int fd, same = 0, rc;

	if (!(f = nip_files_content(c->files, (size_t)(f - c->files)))) {
		report(c, path, "a hard link to a file the generation lacks");
		return 0;
	}
	nip_object_name(f->sha256, f->mode, 0, obj);
	if (fstatat(c->fs->objects_fd, obj, &ost, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return nip_err_sys(err, NIP_E_IO, errno, "fsck: object %s", obj);
		(*c->missing)++;
		report(c, path, "its object is missing from the store (install its package again)");
		return 0;
	}
	if ((st->st_mode & 07777) != (f->mode & 07777 & ~0222u)) {
		char why[64];
		snprintf(why, sizeof why, "mode %04o, expected %04o", (unsigned)(st->st_mode & 07777),
			 (unsigned)(f->mode & 07777 & ~0222u));
		report(c, path, why);
		return 0;
	}
	if (ost.st_dev == st->st_dev && ost.st_ino == st->st_ino)
		return 0;
	/* Not the object's inode: a copy made past the link cap is good if
	 * its bytes are; anything else is not the file that was checked out. */
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "fsck: deploy/%s/%s", c->name, path);
	rc = same_bytes(c, fd, f->sha256, &same, err);
	close(fd);
	if (rc == 0 && !same)
		report(c, path, "not its object's inode, and its bytes differ");
	return rc;
}

static int check_entry(struct dcheck *c, int dfd, const char *base, const char *path,
		       const struct nip_file *f, int *is_dir, struct nip_error *err)
{
	char target[NIP_PATH_MAX + 1];
	struct stat st;
	ssize_t len;
	mode_t want;

	*is_dir = 0;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "fsck: deploy/%s/%s", c->name, path);
	switch (f->type) {
	case NIP_FT_DIR: want = S_IFDIR; break;
	case NIP_FT_FILE: case NIP_FT_HARDLINK: want = S_IFREG; break;
	case NIP_FT_SYMLINK: want = S_IFLNK; break;
	case NIP_FT_FIFO: want = S_IFIFO; break;
	case NIP_FT_CHAR: want = S_IFCHR; break;
	default: want = S_IFBLK; break;
	}
	if ((st.st_mode & S_IFMT) != want) {
		report(c, path, "not of the type the generation lists");
		return 0;
	}
	switch (f->type) {
	case NIP_FT_DIR:
		if ((st.st_mode & 07777) != (f->mode & 07777 & ~0222u))
			report(c, path, "directory is not read-only with its listed mode");
		*is_dir = 1;
		return 0;
	case NIP_FT_FILE:
	case NIP_FT_HARDLINK:
		return check_file(c, dfd, base, path, &st, f, err);
	case NIP_FT_SYMLINK:
		len = readlinkat(dfd, base, target, sizeof target);
		if (len < 0)
			return nip_err_sys(err, NIP_E_IO, errno, "fsck: deploy/%s/%s", c->name, path);
		if ((size_t)len != strlen(f->target) || memcmp(target, f->target, (size_t)len) != 0)
			report(c, path, "symlink points elsewhere");
		return 0;
	case NIP_FT_FIFO:
		return 0;
	default:
		if (major(st.st_rdev) != f->rdev_major || minor(st.st_rdev) != f->rdev_minor)
			report(c, path, "device numbers differ");
		return 0;
	}
}

/* The common case, from the directory entry alone: a listed file that is
 * its object's inode, with the object's mode as listed. Anything else
 * takes the full check (which also covers file systems whose d_ino is not
 * the inode number). */
static int same_inode(struct dcheck *c, long i, ino_t ino)
{
	const struct nip_file *f = nip_files_content(c->files, (size_t)i);
	char obj[NIP_OBJECT_NAME_MAX];
	struct stat ost;

	if (!f)
		return 0;
	nip_object_name(f->sha256, f->mode, 0, obj);
	return fstatat(c->fs->objects_fd, obj, &ost, AT_SYMLINK_NOFOLLOW) == 0 && ost.st_ino == ino &&
	       S_ISREG(ost.st_mode) && (ost.st_mode & 07777) == (f->mode & 07777 & ~0222u);
}

/* Reads one directory of the deployment: each entry must be listed.
 * Subdirectories are marked, not entered: the caller reads them in list
 * order (parents first), so no depth of tree deepens the stack. */
static int check_dir(struct dcheck *c, int rootfd, const char *dpath, struct nip_error *err)
{
	char path[NIP_PATH_MAX + 1];
	struct dirent *e;
	struct stat dst;
	DIR *d;
	int fd, rc = 0, fast;

	fd = *dpath ? nip_open_beneath(rootfd, dpath, O_RDONLY | O_DIRECTORY, 0, err)
		    : openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return *dpath ? -1 : nip_err_sys(err, NIP_E_IO, errno, "fsck: deploy/%s", c->name);
	/* An inode number from a directory entry names an object only on
	 * the store's own file system (not on something mounted here). */
	fast = fstat(fd, &dst) == 0 && dst.st_dev == c->dev;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return nip_err_sys(err, NIP_E_IO, errno, "fsck: deploy/%s/%s", c->name, dpath);
	}
	while (rc == 0 && (errno = 0, e = readdir(d))) {
		long i;
		int is_dir;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s%s%s", dpath, *dpath ? "/" : "", e->d_name) >=
		    sizeof path) {
			report(c, dpath, "holds an entry whose path is too long");
			continue;
		}
		if ((i = lookup(c, path)) < 0) {
			report(c, path, "not part of the generation");
			continue;
		}
		if (fast && e->d_type == DT_REG && same_inode(c, i, e->d_ino)) {
			c->seen[i] = SEEN;
			continue;
		}
		rc = check_entry(c, dirfd(d), e->d_name, path, &c->files[i], &is_dir, err);
		c->seen[i] = is_dir ? DIR_OK : SEEN;
	}
	if (rc == 0 && errno)
		rc = nip_err_sys(err, NIP_E_IO, errno, "fsck: deploy/%s/%s", c->name, dpath);
	closedir(d);
	return rc;
}

long nip_deploy_check(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
		      const char *name, nip_fsck_bad_fn *bad, void *ctx, uint64_t *missing,
		      struct nip_error *err)
{
	struct dcheck c = {fs, files, n, NULL, name, bad, ctx, 0, missing, NULL, 0};
	struct stat st;
	int rootfd = -1;
	long rc = -1;

	*missing = 0;
	/* Entries are looked up by binary search in archive order. */
	if (!nip_files_in_order(files, n))
		return nip_err(err, NIP_E_INTERNAL, "fsck: deploy/%s: a file list out of order", name);
	if (fstat(fs->objects_fd, &st) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "fsck: nexfs/objects");
	c.dev = st.st_dev;
	rootfd = openat(fs->deploy_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) {
		if (errno != ENOENT)
			return nip_err_sys(err, NIP_E_IO, errno, "fsck: deploy/%s", name);
		report(&c, ".", "the deployment is missing");
		return c.nbad;
	}
	if (fstat(rootfd, &st) == 0 && (st.st_mode & 07777) != 0555)
		report(&c, ".", "not read-only");
	c.seen = calloc(n + 1, 1);
	if (!c.seen) {
		nip_err(err, NIP_E_NOMEM, "fsck: out of memory");
		goto out;
	}
	if (!(c.h = nip_sha256_new(err)))
		goto out;
	if (check_dir(&c, rootfd, "", err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (c.seen[i] == DIR_OK && check_dir(&c, rootfd, files[i].path, err) < 0)
			goto out;
	for (size_t i = 0; i < n; i++)
		if (!c.seen[i])
			report(&c, files[i].path, "missing");
	rc = c.nbad;
out:
	nip_sha256_free(c.h);
	free(c.seen);
	close(rootfd);
	return rc;
}
