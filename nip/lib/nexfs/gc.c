/* Garbage collection: the caller (holding the lock, after the COMMIT that
 * dropped generations) says what is still referenced; the rest goes.
 * Deployments go first, so that an object whose last deployment link is
 * gone counts its bytes as freed. A missing callback keeps everything of
 * its kind: forgetting one must never empty the store. Entries whose names
 * the store would never write are left for fsck to report. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct gc {
	struct nip_nexfs *fs;
	const struct nip_gc_ops *ops;
	void *ctx;
	struct nip_gc_stats st;
};

/* Unlink one entry, counting its bytes if this was its last link. */
static int drop(struct gc *g, int dirfd, const char *what, const char *name, uint64_t *count,
		struct nip_error *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : nip_err_sys(err, NIP_E_IO, errno, "%s/%s", what, name);
	if (S_ISDIR(st.st_mode)) {
		if (remove_tree(dirfd, name, err) < 0)
			return nip_err_prefix(err, "%s/", what);
	} else if (unlinkat(dirfd, name, 0) < 0) {
		return nip_err_sys(err, NIP_E_IO, errno, "%s/%s: unlink", what, name);
	}
	if (S_ISREG(st.st_mode) && st.st_nlink == 1)
		g->st.bytes += (uint64_t)st.st_size;
	if (count)
		(*count)++;
	return 0;
}

static int gc_object(void *ctx, int subfd, const char *sub, const char *name, struct nip_error *err)
{
	struct gc *g = ctx;
	uint8_t hash[NIP_SHA256_LEN];
	uint32_t mode;
	int is_link;

	if (object_name_parse(sub, name, hash, &mode, &is_link) < 0)
		return 0;
	if (!g->ops->keep_object || g->ops->keep_object(g->ctx, hash, mode, is_link))
		return 0;
	return drop(g, subfd, "nexfs/objects", name, &g->st.objects, err);
}

static int gc_tree(void *ctx, int subfd, const char *sub, const char *name, struct nip_error *err)
{
	struct gc *g = ctx;
	uint8_t hash[NIP_SHA256_LEN];

	if (tree_name_parse(sub, name, hash) < 0)
		return 0;
	if (!g->ops->keep_tree || g->ops->keep_tree(g->ctx, hash))
		return 0;
	return drop(g, subfd, "nexfs/trees", name, &g->st.trees, err);
}

/* The names in a directory, read before any is renamed or removed (a
 * rename while reading could show an entry twice). */
static int list_dir(int dirfd, const char *what, char ***out, size_t *n, struct nip_error *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	char **names = NULL;
	size_t cap = 0;
	struct dirent *e;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	*n = 0;
	if (!d) {
		nip_err_sys(err, NIP_E_IO, errno, "%s", what);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (errno = 0; (e = readdir(d)); errno = 0) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			char **s = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof *s);
			if (!s)
				goto nomem;
			names = s;
		}
		if (!(names[*n] = strdup(e->d_name)))
			goto nomem;
		(*n)++;
	}
	if (errno) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: readdir", what);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
out:
	closedir(d);
	if (rc < 0) {
		while (*n)
			free(names[--*n]);
		free(names);
		names = NULL;
	}
	*out = names;
	return rc;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int gc_deploy(struct gc *g, struct nip_error *err)
{
	const size_t plen = strlen(DEPLOY_TMP_PREFIX);
	char **names;
	size_t n;
	int rc = 0;

	if (list_dir(g->fs->deploy_fd, "deploy", &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name = names[i];
		/* A checkout or removal cut short; the lock says none runs. */
		if (strncmp(name, DEPLOY_TMP_PREFIX, plen) == 0)
			rc = drop(g, g->fs->deploy_fd, "deploy", name, NULL, err);
		else if (name[0] == '.' || !g->ops->keep_deploy || g->ops->keep_deploy(g->ctx, name))
			continue;
		else if ((rc = deploy_drop(g->fs, name, err)) == 0)
			g->st.deployments++; /* its files are links: 0 bytes */
	}
	free_names(names, n);
	return rc;
}

static int gc_tmp(struct gc *g, struct nip_error *err)
{
	char **names;
	size_t n;
	int rc = 0;

	if (list_dir(g->fs->tmp_fd, "nexfs/tmp", &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = drop(g, g->fs->tmp_fd, "nexfs/tmp", names[i], NULL, err);
	free_names(names, n);
	return rc;
}

int nip_nexfs_gc(struct nip_nexfs *fs, const struct nip_gc_ops *ops, void *ctx,
		 struct nip_gc_stats *stats, struct nip_error *err)
{
	static const struct nip_gc_ops keep_all = {NULL, NULL, NULL};
	struct gc g = {.fs = fs, .ops = ops ? ops : &keep_all, .ctx = ctx};

	if (gc_deploy(&g, err) < 0 || gc_tmp(&g, err) < 0 ||
	    store_walk(fs->objects_fd, "nexfs/objects", gc_object, &g, err) < 0 ||
	    store_walk(fs->trees_fd, "nexfs/trees", gc_tree, &g, err) < 0)
		return nip_err_prefix(err, "gc: ");
	if (stats)
		*stats = g.st;
	return 0;
}
