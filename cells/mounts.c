/* The file system a cell sees (DESIGN.md, "Cells and policies"): a fresh
 * tmpfs as "/", holding read-only binds of the deployment's top-level
 * directories, the cell's state as /var, a private /tmp, a minimal /dev
 * and a fresh /proc. Built under /tmp of the new mount namespace (hidden
 * from the host), then made the root with pivot_root. Sources are opened
 * first and bound by descriptor (open_tree), so covering /tmp hides none. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define ATTR_RDONLY 0x00000001
#define ATTR_NOSUID 0x00000002
#define ATTR_NODEV 0x00000004

struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define STAGE "/tmp"

/* The host's directories a cell without a deployment borrows: code and
 * its configuration, read-only. */
static const char *const host_dirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
					"etc", NULL};
/* Names the cell provides itself. */
static const char *const own[] = {"dev", "proc", "tmp", "var", NULL};

static int is_own(const char *name, int have_state)
{
	for (int i = 0; own[i]; i++)
		if (strcmp(name, own[i]) == 0)
			return strcmp(name, "var") != 0 || have_state;
	return 0;
}

/* Clones the tree at fd (recursively), sets flags, attaches it at
 * dirfd/name. */
static int bind_fd(int fd, int dirfd, const char *name, uint64_t attrs, int recursive,
		   struct nip_error *err)
{
	struct mount_attr_v0 a = {.attr_set = attrs};
	unsigned flags = OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
	int tree = (int)syscall(SYS_open_tree, fd, "", flags), rc = 0;

	if (tree < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "binding /%s", name);
	if (attrs && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
			     &a, sizeof a) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "binding /%s: mount_setattr", name);
	else if (syscall(SYS_move_mount, tree, "", dirfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "binding /%s: move_mount", name);
	close(tree);
	return rc;
}

static int mkdir_at(int dirfd, const char *name, mode_t mode, struct nip_error *err)
{
	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "mkdir /%s", name);
	return 0;
}

/* The cell's local configuration (state/etc, kept by upgrades' three-way
 * merge) over the deployment's defaults: a read-only overlay with the
 * state as the upper lower layer, mounted on the deployment's etc in this
 * mount namespace only. Paths overlayfs cannot quote (',', ':') are left
 * out, as is a state without etc. */
static int overlay_etc(const struct nip_cell_spec *s, struct nip_error *err)
{
	char opts[8448], upper[4200], lower[4200];
	struct dirent *e;
	DIR *d;
	int empty = 1;

	snprintf(upper, sizeof upper, "%s/etc", s->state);
	snprintf(lower, sizeof lower, "%s/etc", s->deploy);
	if (strpbrk(upper, ",:") || strpbrk(lower, ",:") || !(d = opendir(upper)))
		return 0;
	while (empty && (e = readdir(d)))
		empty = e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]));
	closedir(d);
	if (empty || access(lower, F_OK) < 0)
		return 0;
	snprintf(opts, sizeof opts, "lowerdir=%s:%s", upper, lower);
	if (mount("overlay", lower, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "laying the cell's /etc changes over /etc");
	return 0;
}

int cell_open_sources(const struct nip_cell_spec *s, struct cell_sources *src, struct nip_error *err)
{
	int state;

	src->host = !s->deploy;
	if (!src->host && s->state && overlay_etc(s, err) < 0)
		return -1;
	src->top = open(src->host ? "/" : s->deploy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	src->state = -1;
	src->bind = NULL;
	if (src->top < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", src->host ? "/" : s->deploy);
	if (s->state) {
		/* /var of the cell lives in state/var: it survives upgrades and
		 * rollbacks, which only switch the deployment. */
		if ((state = open(s->state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return nip_err_sys(err, NIP_E_IO, errno, "%s", s->state);
		if (mkdirat(state, "var", 0755) < 0 && errno != EEXIST) {
			close(state);
			return nip_err_sys(err, NIP_E_IO, errno, "%s/var", s->state);
		}
		src->state = openat(state, "var", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(state);
		if (src->state < 0)
			return nip_err_sys(err, NIP_E_IO, errno, "%s/var", s->state);
	}
	if (s->nbinds && !(src->bind = calloc(s->nbinds, sizeof *src->bind)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	for (size_t i = 0; i < s->nbinds; i++)
		src->bind[i] = -1;
	for (size_t i = 0; i < s->nbinds; i++) {
		src->bind[i] = open(s->binds[i].src, O_PATH | O_CLOEXEC);
		if (src->bind[i] < 0)
			return nip_err_sys(err, NIP_E_IO, errno, "--bind %s", s->binds[i].src);
	}
	return 0;
}

void cell_close_sources(const struct nip_cell_spec *s, struct cell_sources *src)
{
	if (src->top >= 0)
		close(src->top);
	if (src->state >= 0)
		close(src->state);
	for (size_t i = 0; src->bind && i < s->nbinds; i++)
		if (src->bind[i] >= 0)
			close(src->bind[i]);
	free(src->bind);
}

static int bind_top(const struct cell_sources *src, int root, struct nip_error *err)
{
	const uint64_t ro = ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV;
	int dupfd = openat(src->top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	DIR *d;
	struct dirent *e;

	if (dupfd < 0 || !(d = fdopendir(dupfd))) {
		if (dupfd >= 0)
			close(dupfd);
		return nip_err_sys(err, NIP_E_IO, errno, "reading the deployment");
	}
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		int fd;

		if (e->d_name[0] == '.' || is_own(e->d_name, src->state >= 0))
			continue;
		if (src->host) {
			int wanted = 0;
			for (int i = 0; host_dirs[i] && !wanted; i++)
				wanted = strcmp(e->d_name, host_dirs[i]) == 0;
			if (!wanted)
				continue;
		}
		if (fstatat(src->top, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* Merged /usr: bin -> usr/bin stays a link. */
			char target[4096];
			ssize_t n = readlinkat(src->top, e->d_name, target, sizeof target - 1);
			if (n > 0) {
				target[n] = '\0';
				if (symlinkat(target, root, e->d_name) < 0)
					rc = nip_err_sys(err, NIP_E_IO, errno, "/%s", e->d_name);
			}
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		fd = openat(src->top, e->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = nip_err_sys(err, NIP_E_IO, errno, "/%s", e->d_name);
			break;
		}
		rc = mkdir_at(root, e->d_name, 0755, err);
		if (rc == 0)
			rc = bind_fd(fd, root, e->d_name, ro, 1, err);
		close(fd);
	}
	closedir(d);
	return rc;
}

/* Terminals of the cell's own (tty): a new devpts instance, whose
 * ptys no one outside sees and which sees none of the host's, with
 * /dev/ptmx pointing at its multiplexer. A kernel or security module that
 * refuses the mount leaves the cell without ptys, not without a start. */
static int make_pts(const struct nip_cell_spec *s, int dev, struct nip_error *err)
{
	if (!(s->policy->promises & NIP_PROMISE(TTY)))
		return 0;
	if (mkdir_at(dev, "pts", 0755, err) < 0)
		return -1;
	if (mount("devpts", STAGE "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0600") < 0) {
		if (errno == EPERM || errno == EACCES || errno == ENODEV)
			return 0;
		return nip_err_sys(err, NIP_E_IO, errno, "mounting /dev/pts");
	}
	if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "/dev/ptmx");
	return 0;
}

/* POSIX shared memory (shm_open) for a program that may create files: a
 * private tmpfs, gone with the cell, never executable. */
static int make_shm(const struct nip_cell_spec *s, int dev, struct nip_error *err)
{
	if (!(s->policy->promises & (NIP_PROMISE(TMPPATH) | NIP_PROMISE(CPATH))))
		return 0;
	if (mkdir_at(dev, "shm", 01777, err) < 0)
		return -1;
	if (mount("tmpfs", STAGE "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777") < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "mounting /dev/shm");
	return 0;
}

/* Device nodes are bound from the host's /dev (a user namespace cannot
 * make them); the rest of /dev is links into /proc. */
static int make_dev(const struct nip_cell_spec *s, int root, struct nip_error *err)
{
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	static const char *const links[][2] = {{"fd", "/proc/self/fd"},
					       {"stdin", "/proc/self/fd/0"},
					       {"stdout", "/proc/self/fd/1"},
					       {"stderr", "/proc/self/fd/2"}};
	int dev = -1, rc = -1;
	size_t n = sizeof nodes / sizeof *nodes - (s->tty ? 0 : 1);

	if (mkdir_at(root, "dev", 0755, err) < 0)
		return -1;
	if (mount("tmpfs", STAGE "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "mounting /dev");
	if ((dev = openat(root, "dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "/dev");
	for (size_t i = 0; i < n; i++) {
		char host[32];
		int fd, mp;

		snprintf(host, sizeof host, "/dev/%s", nodes[i]);
		if ((mp = openat(dev, nodes[i], O_CREAT | O_WRONLY | O_CLOEXEC, 0666)) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "/dev/%s", nodes[i]);
			goto out;
		}
		close(mp);
		if ((fd = open(host, O_PATH | O_CLOEXEC)) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "%s", host);
			goto out;
		}
		rc = bind_fd(fd, dev, nodes[i], ATTR_NOSUID, 0, err);
		close(fd);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	for (size_t i = 0; i < sizeof links / sizeof *links; i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "/dev/%s", links[i][0]);
			goto out;
		}
	rc = make_pts(s, dev, err) < 0 || make_shm(s, dev, err) < 0 ? -1 : 0;
out:
	close(dev);
	return rc;
}

/* mkdir -p of a --bind target inside the new root; the last component is
 * made a file when the source is one. */
static int make_target(int root, const char *dst, int dir, struct nip_error *err)
{
	char path[4096], *p;
	int fd;

	if (dst[0] != '/' || strlen(dst) >= sizeof path || strstr(dst, "/../") ||
	    (strlen(dst) >= 3 && strcmp(dst + strlen(dst) - 3, "/..") == 0))
		return nip_err(err, NIP_E_USAGE, "--bind: %s is not an absolute path without '..'", dst);
	snprintf(path, sizeof path, "%s", dst + 1);
	for (p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (*path && mkdir_at(root, path, 0755, err) < 0)
			return -1;
		*p = '/';
	}
	if (dir)
		return mkdir_at(root, path, 0755, err);
	fd = openat(root, path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "--bind target %s", dst);
	close(fd);
	return 0;
}

int cell_build_root(const struct nip_cell_spec *s, const struct cell_sources *src,
		    struct nip_error *err)
{
	int root = -1, rc = -1;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "making mounts private");
	if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "mounting the cell's root");
	if ((root = open(STAGE, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "the cell's root");
	if (bind_top(src, root, err) < 0)
		goto out;
	if (src->state >= 0 &&
	    (mkdir_at(root, "var", 0755, err) < 0 ||
	     bind_fd(src->state, root, "var", ATTR_NOSUID | ATTR_NODEV, 0, err) < 0))
		goto out;
	if (mkdir_at(root, "tmp", 01777, err) < 0)
		goto out;
	if (mount("tmpfs", STAGE "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "mounting /tmp");
		goto out;
	}
	if (make_dev(s, root, err) < 0 || mkdir_at(root, "proc", 0555, err) < 0)
		goto out;
	if (mount("proc", STAGE "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "mounting /proc");
		goto out;
	}
	for (size_t i = 0; i < s->nbinds; i++) {
		struct stat st;
		uint64_t attrs = ATTR_NOSUID | ATTR_NODEV | (s->binds[i].ro ? ATTR_RDONLY : 0);
		if (fstat(src->bind[i], &st) < 0 ||
		    make_target(root, s->binds[i].dst, S_ISDIR(st.st_mode), err) < 0 ||
		    bind_fd(src->bind[i], root, s->binds[i].dst + 1, attrs, 1, err) < 0)
			goto out;
	}
	/* The root itself is read-only: only /tmp, /var and binds write. */
	if (mount(NULL, STAGE, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "making the root read-only");
		goto out;
	}
	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves no path back to the host's tree. */
	if (fchdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "pivot_root");
		goto out;
	}
	rc = 0;
out:
	close(root);
	return rc;
}
