/* Cells as a root sees them: creating one with its policy, removing one,
 * and logging what happens inside them. The policy text is kept twice: in
 * the database (the record) and as ROOT/cells/CELL/policy, which `nip run`
 * reads without opening SQLite, to start fast. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txn_internal.h"

int nip_txn_cell_create(struct nip_root *r, const char *cell, const char *policy,
			struct nip_error *err)
{
	char subject[128];
	int fd;

	if (!nip_cell_name_valid(cell))
		return nip_err(err, NIP_E_USAGE,
			       "'%.64s' is not a cell name (a-z, 0-9, '-', '_', '.'; at most 64)", cell);
	if (nip_db_begin(r->db, err) < 0)
		return -1;
	if (nip_db_cell_create(r->db, cell, policy, err) < 0)
		goto fail;
	/* Before the commit: a file without its row is overwritten by the
	 * next create; a row without its file would run the wrong policy. */
	if ((fd = txn_cell_dir(r, cell, err)) < 0)
		goto fail;
	if (policy)
		fd = nip_write_atomic(fd, "policy", policy, strlen(policy), 0644, 0, err) < 0 ? (close(fd), -1) : fd;
	else if (unlinkat(fd, "policy", 0) < 0 && errno != ENOENT)
		fd = (nip_err_sys(err, NIP_E_IO, errno, "cells/%s/policy", cell), close(fd), -1);
	if (fd < 0)
		goto fail;
	close(fd);
	snprintf(subject, sizeof subject, "cell=%s", cell);
	return txn_logged_commit(r, "cell-create", subject, policy ? "with its own policy" : "policy default",
				 err);
fail:
	nip_db_rollback(r->db);
	return -1;
}

/* Does the tree hold anything but (empty) directories? */
static int has_files(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), found = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 1;
	}
	while (!found && (e = readdir(d))) {
		int sub;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			found = 1;
		else {
			found = has_files(sub);
			close(sub);
		}
	}
	closedir(d);
	return found;
}

static int remove_tree(int parent, const char *name, struct nip_error *err)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	DIR *d;
	struct dirent *e;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(parent, name, 0) < 0 ? nip_err_sys(err, NIP_E_IO, errno, "%s", name) : 0;
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	}
	fchmod(fd, 0700); /* a read-only directory the program left */
	if (!(d = fdopendir(fd))) {
		close(fd);
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	}
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = remove_tree(dirfd(d), e->d_name, err);
	closedir(d);
	if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	return rc;
}

int nip_txn_cell_remove(struct nip_root *r, const char *cell, int purge, struct nip_error *err)
{
	struct nip_generation *gens = NULL;
	char subject[128], path[160], name[128];
	size_t n = 0;
	int cells = -1, cfd = -1, state, rc = -1;

	if (strcmp(cell, "system") == 0)
		return nip_err(err, NIP_E_USAGE, "the system cell cannot be removed");
	if (!nip_cell_name_valid(cell))
		return nip_err(err, NIP_E_USAGE, "no cell %.64s", cell);
	snprintf(path, sizeof path, "cells/%s", cell);
	cfd = openat(r->fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd >= 0 && (state = openat(cfd, "state", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		int full = has_files(state);
		close(state);
		/* A cell's state is data nobody else has: never lost by default. */
		if (full && !purge) {
			nip_err(err, NIP_E_USAGE,
				"cell %s keeps data in %s/%s/state (remove it with --purge)", cell, r->path,
				path);
			goto out;
		}
	}
	if (nip_db_generations(r->db, cell, &gens, &n, err) < 0 || nip_db_begin(r->db, err) < 0)
		goto out;
	if (nip_db_cell_remove(r->db, cell, err) < 0) {
		nip_db_rollback(r->db);
		goto out;
	}
	snprintf(subject, sizeof subject, "cell=%s", cell);
	if (txn_logged_commit(r, "cell-remove", subject, purge ? "state purged" : "", err) < 0)
		goto out;
	/* Committed: what follows is garbage removal; a crash leaves
	 * directories that the next remove or gc finishes. */
	for (size_t i = 0; i < n; i++) {
		txn_deploy_name(cell, gens[i].number, name, sizeof name);
		if (nip_deploy_remove(r->fs, name, err) < 0)
			goto out;
	}
	if ((cells = openat(r->fd, "cells", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s/cells", r->path);
		goto out;
	}
	if (remove_tree(cells, cell, err) < 0 || nip_fsync_dir(cells, "cells", err) < 0)
		goto out;
	rc = 0;
out:
	if (cells >= 0)
		close(cells);
	if (cfd >= 0)
		close(cfd);
	for (size_t i = 0; i < n; i++)
		nip_generation_free(&gens[i]);
	free(gens);
	return rc;
}

struct nip_cell_logger {
	struct nip_seckey node;
	struct nip_db *db;
};

void nip_cell_log_close(struct nip_cell_logger *l)
{
	if (!l)
		return;
	nip_seckey_wipe(&l->node);
	nip_db_close(l->db);
	free(l);
}

int nip_cell_log_open(const char *rootpath, struct nip_cell_logger **out, struct nip_error *err)
{
	struct nip_cell_logger *l = calloc(1, sizeof *l);
	char path[4096];
	int keys = -1, rc = -1;

	if (!l)
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	snprintf(path, sizeof path, "%s/keys", rootpath);
	if ((keys = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_DENIED, errno, "%s", path);
		goto out;
	}
	if (nip_seckey_load(keys, "node.key", NULL, &l->node, err) < 0 ||
	    nip_db_open(rootpath, 0, &l->db, err) < 0 || nip_db_relaxed(l->db, err) < 0)
		goto out;
	*out = l;
	l = NULL;
	rc = 0;
out:
	nip_cell_log_close(l);
	if (keys >= 0)
		close(keys);
	return rc;
}

int nip_cell_log_begin(struct nip_cell_logger *l, const char *event, const char *subject,
		       const char *details, struct nip_error *err)
{
	if (nip_db_begin(l->db, err) < 0)
		return -1;
	if (nip_provchain_append(l->db, &l->node, event, subject, details, err) < 0) {
		nip_db_rollback(l->db);
		return -1;
	}
	return 0;
}

int nip_cell_log_commit(struct nip_cell_logger *l, struct nip_error *err)
{
	return nip_db_commit(l->db, err);
}

void nip_cell_log_abort(struct nip_cell_logger *l)
{
	if (l)
		nip_db_rollback(l->db);
}

int nip_cell_log_append(struct nip_cell_logger *l, const char *event, const char *subject,
			const char *details, struct nip_error *err)
{
	if (nip_cell_log_begin(l, event, subject, details, err) < 0)
		return -1;
	return nip_cell_log_commit(l, err);
}

/* The program as the cell will find it: an absolute name as given, else
 * the first PATH directory of the deployment that holds it. */
static int program_path(int deploy, const char *prog, char *out, size_t outsz)
{
	static const char *const dirs[] = {"usr/local/bin", "usr/bin", "bin", "usr/local/sbin",
					   "usr/sbin", "sbin"};
	struct stat st;

	if (strchr(prog, '/')) {
		snprintf(out, outsz, "%s", prog[0] == '/' ? prog + 1 : prog);
		return 0;
	}
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if ((size_t)snprintf(out, outsz, "%s/%s", dirs[i], prog) < outsz &&
		    fstatat(deploy, out, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
	return -1;
}

int nip_cell_package_policy(const char *rootpath, const char *cell, const char *program,
			    char **policy, char **package, struct nip_error *err)
{
	struct nip_generation g = {0};
	struct nip_manifest *m = NULL;
	struct nip_db *db = NULL;
	char path[4096], dpath[4200], *name = NULL, *version = NULL;
	int64_t cur;
	int deploy, rc = -1;

	*policy = *package = NULL;
	snprintf(dpath, sizeof dpath, "%s/cells/%s/current", rootpath, cell);
	if ((deploy = open(dpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0; /* no deployment: no package */
	if (program_path(deploy, program, path, sizeof path) < 0) {
		close(deploy);
		return 0;
	}
	close(deploy);
	if (nip_db_open(rootpath, 0, &db, err) < 0 || nip_db_owner(db, cell, path, &name, &version, err) < 0)
		goto out;
	rc = 0;
	if (!name || nip_db_current(db, cell, &cur, err) < 0 || !cur)
		goto out;
	rc = -1;
	if (nip_db_generation_get(db, cell, cur, &g, err) < 0)
		goto out;
	for (size_t i = 0; i < g.npkgs; i++)
		if (strcmp(g.pkgs[i].name, name) == 0 && nip_db_package_get(db, g.pkgs[i].cid, &m, err) < 0)
			goto out;
	if (m && m->policy) {
		if (!(*policy = strdup(m->policy)) || !(*package = strdup(name))) {
			free(*policy);
			*policy = NULL;
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	nip_manifest_free(m);
	nip_generation_free(&g);
	free(name);
	free(version);
	nip_db_close(db);
	return rc;
}
