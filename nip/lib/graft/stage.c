/* Staging one archive member under the graft's private directory, by the
 * rules of doc/nip-graft.8 (SANITISING). Every name is checked before it
 * touches the disk, every directory is entered with openat2
 * (RESOLVE_BENEATH, no symlinks), and files are created O_EXCL, so a member
 * can neither escape the staging directory nor overwrite an earlier one. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "nip/limits.h"

#define COPY_CHUNK (256u << 10)

/* "./usr/bin/x", "usr/bin/x/" -> "usr/bin/x"; NULL for the root itself.
 * Refuses absolute names, '..', '.' and empty components. */
static int clean_name(const char *raw, char *out, size_t outsz, const char **problem)
{
	const char *p = raw;
	size_t n;

	*problem = NULL;
	while (p[0] == '.' && p[1] == '/')
		for (p += 2; *p == '/';)
			p++;
	if (*raw == '/') {
		*problem = "absolute name";
		return -1;
	}
	n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && p[0] == '.')) {
		out[0] = '\0';
		return 0;
	}
	if (n >= outsz || n > NIP_PATH_MAX) {
		*problem = "name too long";
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	for (char *c = out;;) {
		char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
			*problem = len ? "'.' or '..' in name" : "empty component in name";
			return -1;
		}
		if (len > NIP_NAME_MAX) {
			*problem = "name component too long";
			return -1;
		}
		if (!e)
			break;
		c = e + 1;
	}
	if (!text_valid(out, n) || strchr(out, '\n') || strchr(out, '\t')) {
		*problem = "control character or invalid UTF-8 in name";
		return -1;
	}
	return 0;
}

/* Creates the missing parents of path (mode 0755) and returns an fd of its
 * directory, with *base pointing at the last component. */
static int open_parent(int stagefd, char *path, const char **base, struct nip_error *err)
{
	int fd = dup(stagefd);
	char *c = path, *slash;

	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "staging: dup");
	while ((slash = strchr(c, '/'))) {
		int next;
		*slash = '\0';
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			nip_err_sys(err, NIP_E_IO, errno, "staging %s", path);
			*slash = '/';
			close(fd);
			return -1;
		}
		next = nip_open_beneath(fd, c, O_PATH | O_DIRECTORY, 0, err);
		*slash = '/';
		close(fd);
		if (next < 0)
			return nip_err(err, NIP_E_FORMAT, "member %s: a parent directory is a link or a file", path);
		fd = next;
		c = slash + 1;
	}
	*base = c;
	return fd;
}

/* The link's target as a clean path from the package root, in out
 * ("usr/lib/x"); -1 when it climbs above the root. */
static int resolve_link(const char *path, const char *target, char *out, size_t outsz)
{
	char buf[2 * NIP_PATH_MAX + 2];
	const char *parts[NIP_PATH_MAX];
	size_t n = 0, o = 0;
	char *save = NULL;

	if (target[0] == '/')
		snprintf(buf, sizeof buf, "%s", target);
	else {
		const char *slash = strrchr(path, '/');
		snprintf(buf, sizeof buf, "%.*s/%s", slash ? (int)(slash - path) : 0, path, target);
	}
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			/* An absolute link's ".." stops at the root, as the kernel's
			 * does inside a chroot; a relative one must not get there. */
			if (n == 0 && target[0] != '/')
				return -1;
			if (n)
				n--;
			continue;
		}
		parts[n++] = c;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + o, outsz - o, "%s%s", i ? "/" : "", parts[i]);
		if (w < 0 || (size_t)w >= outsz - o)
			return -1;
		o += (size_t)w;
	}
	return 0;
}

/* check.c's rule for a relative link: '..' only at its start. */
static int link_plain(const char *target)
{
	const char *c = target;
	while (strncmp(c, "../", 3) == 0)
		c += 3;
	if (strcmp(c, "..") == 0)
		return 1;
	for (;;) {
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!e)
			return 1;
		c = e + 1;
	}
}

static int stage_symlink(struct gpkg *g, char *path, const char *target, struct nip_error *err)
{
	char clean[NIP_PATH_MAX + 2], abs[NIP_PATH_MAX + 4];
	const char *base, *use = target;
	int dfd, rc = -1;

	if (!*target || strlen(target) > NIP_PATH_MAX || !text_valid(target, strlen(target)))
		return nip_err(err, NIP_E_FORMAT, "member %s: empty, overlong or non-text symlink target", path);
	if (resolve_link(path, target, clean, sizeof clean) < 0)
		return nip_err(err, NIP_E_FORMAT, "member %s: symlink target %s leaves the package", path,
			       target);
	if (target[0] != '/' && !link_plain(target)) {
		/* Written as the absolute name it resolves to; the packer makes
		 * that relative again, in the one form the manifest allows. */
		snprintf(abs, sizeof abs, "/%s", clean);
		use = abs;
		if (gpkg_note(g, err, "symlink rewritten: %s -> %s (was %s)", path, abs, target) < 0)
			return -1;
	}
	if ((dfd = open_parent(g->stagefd, path, &base, err)) < 0)
		return -1;
	if (symlinkat(use, dfd, base) < 0)
		nip_err_sys(err, errno == EEXIST ? NIP_E_FORMAT : NIP_E_IO, errno, "member %s%s", path,
			    errno == EEXIST ? ": appears twice" : "");
	else
		rc = 0;
	close(dfd);
	return rc;
}

static int stage_hardlink(struct gpkg *g, char *path, const char *raw, struct nip_error *err)
{
	char target[NIP_PATH_MAX + 2], proc[64];
	const char *problem, *base;
	struct stat st;
	int tfd = -1, dfd = -1, rc = -1;

	if (clean_name(raw, target, sizeof target, &problem) < 0 || !*target)
		return nip_err(err, NIP_E_FORMAT, "member %s: hard link target %s: %s", path, raw,
			       problem ? problem : "the root");
	tfd = nip_open_beneath(g->stagefd, target, O_PATH, 0, err);
	if (tfd < 0 || fstat(tfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		nip_err(err, NIP_E_FORMAT, "member %s: hard link to %s, which is not an earlier regular file",
			path, target);
		goto out;
	}
	if ((dfd = open_parent(g->stagefd, path, &base, err)) < 0)
		goto out;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", tfd);
	if (linkat(AT_FDCWD, proc, dfd, base, AT_SYMLINK_FOLLOW) < 0) {
		nip_err_sys(err, errno == EEXIST ? NIP_E_FORMAT : NIP_E_IO, errno, "member %s%s", path,
			    errno == EEXIST ? ": appears twice" : "");
		goto out;
	}
	rc = 0;
out:
	if (tfd >= 0)
		close(tfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int stage_file(struct gpkg *g, struct lar *r, char *path, mode_t perm, int64_t size,
		      struct nip_error *err)
{
	const char *base;
	unsigned char *buf = malloc(COPY_CHUNK);
	int dfd = -1, fd = -1, rc = -1;
	uint64_t total = 0;

	if (!buf)
		return nip_err(err, NIP_E_NOMEM, "staging: out of memory");
	if ((dfd = open_parent(g->stagefd, path, &base, err)) < 0)
		goto out;
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		nip_err_sys(err, errno == EEXIST ? NIP_E_FORMAT : NIP_E_IO, errno, "member %s%s", path,
			    errno == EEXIST ? ": appears twice" : "");
		goto out;
	}
	for (;;) {
		ssize_t n = lar_read(r, buf, COPY_CHUNK, err);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > NIP_PAYLOAD_MAX) {
			nip_err(err, NIP_E_LIMIT, "member %s: larger than %llu bytes", path,
				(unsigned long long)NIP_PAYLOAD_MAX);
			goto out;
		}
		if (nip_write_full(fd, buf, (size_t)n, path, err) < 0)
			goto out;
	}
	if (size >= 0 && total != (uint64_t)size) {
		nip_err(err, NIP_E_FORMAT, "member %s: %llu bytes where its header says %lld", path,
			(unsigned long long)total, (long long)size);
		goto out;
	}
	if (fchmod(fd, perm) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "staging %s: chmod", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(buf);
	return rc;
}

static int stage_dir(struct gpkg *g, char *path, mode_t perm, struct nip_error *err)
{
	const char *base;
	int dfd = open_parent(g->stagefd, path, &base, err), rc = -1;
	struct stat st;

	if (dfd < 0)
		return -1;
	/* Owner rwx while staging, so that even a 0555 directory can be filled;
	 * the packer reads the final mode from the tree. */
	if (mkdirat(dfd, base, 0700) < 0 && errno != EEXIST)
		nip_err_sys(err, NIP_E_IO, errno, "staging %s", path);
	else if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		nip_err(err, NIP_E_FORMAT, "member %s: a directory where a file or link already is", path);
	else if (fchmodat(dfd, base, perm | 0700, 0) < 0)
		nip_err_sys(err, NIP_E_IO, errno, "staging %s: chmod", path);
	else
		rc = 0;
	close(dfd);
	return rc;
}

int stage_entry(struct gpkg *g, struct lar *r, struct archive_entry *e, struct nip_error *err)
{
	const struct la *la = g->la;
	const char *raw = la->entry_pathname(e), *problem, *hl = la->entry_hardlink(e);
	char path[NIP_PATH_MAX + 2];
	mode_t type = la->entry_filetype(e), perm = la->entry_perm(e) & 07777;
	const char *pol = g->opts->policy ? g->opts->policy : "";
	time_t mt = la->entry_mtime(e);

	if (!raw)
		return nip_err(err, NIP_E_FORMAT, "%s: a member without a name", r->what);
	if (clean_name(raw, path, sizeof path, &problem) < 0) {
		char shown[128];
		return nip_err(err, NIP_E_FORMAT, "%s: member %s: %s", r->what,
			       nip_shorten(raw, shown, sizeof shown), problem);
	}
	if (!*path)
		return 0; /* "./": the root's own entry */
	if (mt > g->epoch)
		g->epoch = mt > 077777777777ll ? 077777777777ll : mt;
	if (hl)
		return stage_hardlink(g, path, hl, err);
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK) {
		const char *what = type == AE_IFIFO ? "FIFO" : type == AE_IFSOCK ? "socket" : "device node";
		return gpkg_note(g, err, "dropped %s: %s", what, path);
	}
	if (la->entry_uid(e) != 0 || la->entry_gid(e) != 0)
		if (gpkg_note(g, err, "owner %lld:%lld dropped (nip installs as 0:0): %s",
			      (long long)la->entry_uid(e), (long long)la->entry_gid(e), path) < 0)
			return -1;
	if (type == AE_IFDIR)
		return stage_dir(g, path, perm & 01777, err);
	if (type == AE_IFLNK)
		return stage_symlink(g, path, la->entry_symlink(e) ? la->entry_symlink(e) : "", err);
	if (type != AE_IFREG)
		return nip_err(err, NIP_E_FORMAT, "%s: member %s: unknown type", r->what, path);
	for (int bit = 0; bit < 2; bit++) {
		const char *what = bit ? "setgid" : "setuid";
		mode_t m = bit ? 02000 : 04000;
		if ((perm & m) && !nip_policy_allows(pol, what, path)) {
			perm &= ~m;
			if (gpkg_note(g, err, "%s bit stripped: %s", what, path) < 0)
				return -1;
		}
	}
	perm &= ~01000u;
	return stage_file(g, r, path, perm, la->entry_size(e), err);
}

static void clear_at(int dirfd, int depth)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int sub;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			continue;
		fchmodat(dirfd, de->d_name, 0700, 0);
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && depth < 4096) {
			clear_at(sub, depth + 1);
			close(sub);
		} else if (sub >= 0)
			close(sub);
		unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

void stage_clear(int dirfd)
{
	clear_at(dirfd, 0);
}
