/* Removing a tree without recursion. A hostile or merely deep package can
 * nest thousands of directories: the C stack must not follow it, and
 * neither may the number of open descriptors, so only the deepest WINDOW
 * levels keep theirs and a shallower one is reopened through ".." when the
 * walk climbs back to it. Only nip writes the trees it removes, so ".." is
 * the directory we came from. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define WINDOW 32

struct level {
	DIR *d; /* NULL while closed to stay within WINDOW */
	char *name; /* in the parent level */
};

struct walk {
	struct level *stack;
	size_t depth, cap;
	int rootfd;
	const char *top; /* for messages */
};

static int level_fd(const struct walk *w, size_t i)
{
	return i == (size_t)-1 ? w->rootfd : dirfd(w->stack[i].d);
}

/* Deployments are read-only: make a directory writable before emptying it. */
static DIR *open_writable(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	if (fd < 0)
		return NULL;
	if (fchmod(fd, 0700) < 0 || !(d = fdopendir(fd))) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	return d;
}

static int push(struct walk *w, const char *name, struct nip_error *err)
{
	struct level *l;
	if (w->depth == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		struct level *s = realloc(w->stack, cap * sizeof *s);
		if (!s)
			return nip_err(err, NIP_E_NOMEM, "%s: out of memory", w->top);
		w->stack = s;
		w->cap = cap;
	}
	l = &w->stack[w->depth];
	if (!(l->name = strdup(name)))
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", w->top);
	if (!(l->d = open_writable(level_fd(w, w->depth - 1), name))) {
		int e = errno;
		free(l->name);
		return nip_err_sys(err, NIP_E_IO, e, "%s: %s", w->top, name);
	}
	w->depth++;
	if (w->depth > WINDOW) {
		closedir(w->stack[w->depth - 1 - WINDOW].d);
		w->stack[w->depth - 1 - WINDOW].d = NULL;
	}
	return 0;
}

/* The top level is empty: reopen its parent if needed, remove it. */
static int pop(struct walk *w, struct nip_error *err)
{
	struct level *top = &w->stack[w->depth - 1];
	int rc = 0;

	if (w->depth > 1 && !w->stack[w->depth - 2].d) {
		DIR *p = open_writable(dirfd(top->d), "..");
		if (!p)
			rc = nip_err_sys(err, NIP_E_IO, errno, "%s: reopening the parent of %s", w->top,
					 top->name);
		w->stack[w->depth - 2].d = p;
	}
	if (rc == 0 && unlinkat(level_fd(w, w->depth - 2), top->name, AT_REMOVEDIR) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s: rmdir %s", w->top, top->name);
	closedir(top->d);
	free(top->name);
	w->depth--;
	return rc;
}

static int is_dir(DIR *d, const struct dirent *e)
{
	struct stat st;
	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int step(struct walk *w, struct nip_error *err)
{
	struct level *top = &w->stack[w->depth - 1];
	struct dirent *e;

	errno = 0;
	e = readdir(top->d);
	if (!e) {
		if (errno)
			return nip_err_sys(err, NIP_E_IO, errno, "%s: reading %s", w->top, top->name);
		return pop(w, err);
	}
	if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
		return 0;
	if (is_dir(top->d, e))
		return push(w, e->d_name, err);
	if (unlinkat(dirfd(top->d), e->d_name, 0) < 0 && errno != ENOENT)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: unlink %s", w->top, e->d_name);
	return 0;
}

int remove_tree(int dirfd, const char *name, struct nip_error *err)
{
	struct walk w = {.rootfd = dirfd, .top = name};
	struct stat st;
	int rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return nip_err_sys(err, NIP_E_IO, errno, "%s: unlink", name);
		return 0;
	}
	rc = push(&w, name, err);
	while (rc == 0 && w.depth)
		rc = step(&w, err);
	for (size_t i = 0; i < w.depth; i++) {
		if (w.stack[i].d)
			closedir(w.stack[i].d);
		free(w.stack[i].name);
	}
	free(w.stack);
	return rc;
}
