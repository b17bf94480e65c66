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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
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

/* The node key and a connection of its own, relaxed (no fsync per
 * commit): cell events are not state changes. */
struct logger {
	struct nip_seckey node;
	struct nip_db *db;
};

static void logger_close(struct logger *l)
{
	nip_seckey_wipe(&l->node);
	nip_db_close(l->db);
}

static int logger_open(const char *rootpath, struct logger *l, struct nip_error *err)
{
	char path[4096];
	int keys, rc;

	memset(l, 0, sizeof *l);
	snprintf(path, sizeof path, "%s/keys", rootpath);
	if ((keys = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "%s", path);
	rc = nip_seckey_load(keys, "node.key", NULL, &l->node, err) < 0 ||
			     nip_db_open(rootpath, 0, &l->db, err) < 0 || nip_db_relaxed(l->db, err) < 0
		     ? -1
		     : 0;
	close(keys);
	if (rc < 0)
		logger_close(l);
	return rc;
}

#define FOLDED_KEY "cell-events-folded" /* "LENGTH SHA256": the bytes folded last */

/* How many leading bytes of the journal were folded already: a fold that
 * committed but died before emptying the journal left them. */
static size_t already_folded(struct nip_db *db, const char *buf, size_t len, struct nip_error *err)
{
	char *mark = NULL, hex[2 * NIP_SHA256_LEN + 1];
	uint8_t sum[NIP_SHA256_LEN];
	unsigned long long n;
	size_t done = 0;

	if (nip_db_config_get(db, FOLDED_KEY, &mark, err) < 0 || !mark)
		return 0;
	if (sscanf(mark, "%llu %64s", &n, hex) == 2 && n <= len && n > 0) {
		char have[2 * NIP_SHA256_LEN + 1];
		nip_sha256(buf, (size_t)n, sum);
		nip_hex(sum, sizeof sum, have);
		if (strcmp(have, hex) == 0)
			done = (size_t)n;
	}
	free(mark);
	return done;
}

static int fold_records(struct logger *l, char *buf, size_t len, size_t from, struct nip_error *err)
{
	char mark[32 + 2 * NIP_SHA256_LEN], hex[2 * NIP_SHA256_LEN + 1], details[NIP_CELL_EVENT_MAX + 64];
	uint8_t sum[NIP_SHA256_LEN];

	/* The mark covers the bytes as they were read: hashed first, since
	 * parsing cuts the lines in place. */
	nip_sha256(buf, len, sum);
	nip_hex(sum, sizeof sum, hex);
	snprintf(mark, sizeof mark, "%zu %s", len, hex);
	if (nip_db_begin(l->db, err) < 0)
		return -1;
	for (char *line = buf + from, *end; line < buf + len; line = end + 1) {
		struct nip_cell_event e;
		struct tm tm;
		time_t t;
		char when[32];

		end = memchr(line, '\n', (size_t)(buf + len - line));
		*end = '\0';
		if (nip_cell_event_parse(line, &e) < 0)
			continue; /* not a record: nothing to sign */
		t = (time_t)e.sec;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		/* The entry's own time is the fold's; when it happened is said. */
		snprintf(details, sizeof details, "%s at=%s.%03ldZ", e.details, when, e.nsec / 1000000);
		if (nip_provchain_append(l->db, &l->node, e.event, e.subject, details, err) < 0)
			goto fail;
	}
	if (nip_db_config_set(l->db, FOLDED_KEY, mark, err) < 0 || nip_db_commit(l->db, err) < 0)
		goto fail;
	return 0;
fail:
	nip_db_rollback(l->db);
	return -1;
}

int nip_cell_log_fold(const char *rootpath, struct nip_error *err)
{
	struct logger l = {0};
	struct stat st;
	char path[4200], *buf = NULL;
	size_t len = 0, from;
	ssize_t n;
	int fd, rc = -1, opened = 0;

	snprintf(path, sizeof path, "%s/%s", rootpath, NIP_CELL_EVENTS);
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	/* Appenders wait meanwhile: nothing is written between the read and
	 * the truncation. */
	if (fstat(fd, &st) < 0 || flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s", path);
		goto out;
	}
	if (st.st_size == 0) {
		rc = 0;
		goto out;
	}
	if ((uint64_t)st.st_size > NIP_CELL_EVENTS_MAX) {
		nip_err(err, NIP_E_LIMIT, "%s: %lld bytes (at most %u)", path, (long long)st.st_size,
			NIP_CELL_EVENTS_MAX);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size && (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	/* A last line without its newline is an append cut short: it stays
	 * out of the fold and is dropped with the rest. */
	while (len && buf[len - 1] != '\n')
		len--;
	if (logger_open(rootpath, &l, err) < 0)
		goto out;
	opened = 1;
	if ((from = already_folded(l.db, buf, len, err)) < len && fold_records(&l, buf, len, from, err) < 0)
		goto out;
	/* Committed: emptying the journal may fail or be lost in a crash, the
	 * mark then tells the next fold to skip what was folded. */
	if (ftruncate(fd, 0) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s", path);
		goto out;
	}
	rc = 0;
out:
	if (opened)
		logger_close(&l);
	free(buf);
	close(fd);
	return rc;
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
	if (nip_program_path(deploy, program, path, sizeof path) < 0) {
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
