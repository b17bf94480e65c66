/* Scanning a staged tree for packing: every entry with its lstat, in archive
 * order, through *at() calls on the tree's dirfd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk.h"
#include "nip/limits.h"

/* Deeper trees would need more open directories than a process may have. */
#define WALK_DEPTH_MAX 256

void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].path);
		free(w->v[i].link);
	}
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}

static int add(struct walk *w, const char *path, const struct stat *st, char *link,
	       struct nip_error *err)
{
	struct walk_entry *e;
	if (w->n == NIP_FILES_MAX)
		return nip_err(err, NIP_E_LIMIT, "more than %u files", NIP_FILES_MAX);
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		e = realloc(w->v, cap * sizeof *e);
		if (!e)
			return nip_err(err, NIP_E_NOMEM, "scanning: out of memory");
		w->v = e;
		w->cap = cap;
	}
	e = &w->v[w->n];
	e->path = strdup(path);
	if (!e->path)
		return nip_err(err, NIP_E_NOMEM, "scanning: out of memory");
	e->st = *st;
	e->link = link;
	w->n++;
	return 0;
}

static char *read_link(int dirfd, const char *name, const char *path, struct nip_error *err)
{
	char buf[NIP_PATH_MAX + 1];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof buf);
	char *s;
	if (n < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: readlink", path);
		return NULL;
	}
	if ((size_t)n > NIP_PATH_MAX) {
		nip_err(err, NIP_E_LIMIT, "%s: symlink target too long", path);
		return NULL;
	}
	s = strndup(buf, (size_t)n);
	if (!s)
		nip_err(err, NIP_E_NOMEM, "scanning: out of memory");
	return s;
}

static int walk_dir(int dirfd, const char *prefix, int depth, struct walk *w, struct nip_error *err)
{
	DIR *d;
	struct dirent *de;
	/* A fresh open file description: a dup() would share (and leave
	 * behind) the caller's directory offset. */
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", prefix[0] ? prefix : ".");
	if (depth > WALK_DEPTH_MAX) {
		close(fd);
		return nip_err(err, NIP_E_USAGE, "%s: more than %d directories deep", prefix,
			       WALK_DEPTH_MAX);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return nip_err_sys(err, NIP_E_IO, errno, "%s: opendir", prefix[0] ? prefix : ".");
	}
	while ((errno = 0, de = readdir(d))) {
		char path[NIP_PATH_MAX + 1];
		struct stat st;
		char *link = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "",
				     de->d_name) > NIP_PATH_MAX) {
			char sp[256];
			nip_err(err, NIP_E_USAGE, "%s/...: path longer than %u bytes",
				nip_shorten(prefix, sp, sizeof sp), NIP_PATH_MAX);
			goto out;
		}
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "%s", path);
			goto out;
		}
		if (S_ISLNK(st.st_mode) && !(link = read_link(dirfd, de->d_name, path, err)))
			goto out;
		if (add(w, path, &st, link, err) < 0) {
			free(link);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int r;
			if (sub < 0) {
				nip_err_sys(err, NIP_E_IO, errno, "%s", path);
				goto out;
			}
			r = walk_dir(sub, path, depth + 1, w, err);
			close(sub);
			if (r < 0)
				goto out;
		}
	}
	if (errno) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: readdir", prefix[0] ? prefix : ".");
		goto out;
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return nip_path_cmp(((const struct walk_entry *)a)->path, ((const struct walk_entry *)b)->path);
}

int walk_tree(int rootfd, struct walk *w, struct nip_error *err)
{
	w->v = NULL;
	w->n = w->cap = 0;
	if (walk_dir(rootfd, "", 0, w, err) < 0) {
		walk_free(w);
		return -1;
	}
	if (w->n > 1) /* an empty tree has no array, which qsort must not see */
		qsort(w->v, w->n, sizeof *w->v, by_path);
	return 0;
}
