/* /etc across upgrades, as OSTree does it: a deployment's etc/ holds the
 * packages' defaults, read-only; a cell's local changes live in its state
 * (ROOT/cells/CELL/state/etc/...). When an upgrade changes a default the
 * cell has a local copy of, three versions meet:
 *   local equals the new default  -> nothing to do;
 *   local equals the old default  -> it was never changed: it goes, and the
 *                                    new default shows through;
 *   otherwise                     -> the local change wins, and the new
 *                                    default is written beside it as
 *                                    FILE.nipnew, and reported.
 * Runs before the commit; what it writes is idempotent, so a transaction
 * that fails after it leaves nothing a retry would not write again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txn_internal.h"

static int hash_fd(int fd, uint8_t out[NIP_SHA256_LEN], struct nip_error *err)
{
	struct nip_sha256 *h = nip_sha256_new(err);
	unsigned char buf[65536];
	ssize_t n;

	if (!h)
		return -1;
	while ((n = nip_read_some(fd, buf, sizeof buf, "configuration file", err)) > 0)
		nip_sha256_update(h, buf, (size_t)n);
	nip_sha256_final(h, out);
	nip_sha256_free(h);
	return n < 0 ? -1 : 0;
}

/* state/PATH.nipnew := the new default's bytes, whole or not at all. */
static int write_nipnew(struct nip_root *r, int statefd, const struct nip_file *f, struct nip_error *err)
{
	char name[NIP_PATH_MAX + 8];
	const char *base;
	int src = nip_object_open(r->fs, f->sha256, f->mode, err), dir = -1, tmp = -1, rc = -1;
	char parent[NIP_PATH_MAX + 1];

	if (src < 0)
		return -1;
	snprintf(parent, sizeof parent, "%s", f->path);
	*strrchr(parent, '/') = '\0'; /* etc/... always has a parent */
	base = strrchr(f->path, '/') + 1;
	snprintf(name, sizeof name, "%s.nipnew", base);
	if ((dir = nip_open_beneath(statefd, parent, O_RDONLY | O_DIRECTORY, 0, err)) < 0 ||
	    (tmp = nip_tmpfile(dir, 0644, err)) < 0)
		goto out;
	for (;;) {
		unsigned char buf[65536];
		ssize_t n = nip_read_some(src, buf, sizeof buf, f->path, err);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (nip_write_full(tmp, buf, (size_t)n, name, err) < 0)
			goto out;
	}
	rc = nip_tmpfile_link(tmp, dir, name, 0, err);
out:
	if (tmp >= 0)
		close(tmp);
	if (dir >= 0)
		close(dir);
	close(src);
	return rc;
}

static int merge_one(struct nip_root *r, int statefd, const struct nip_file *old, const struct nip_file *new,
		     struct nip_txn_result *res, struct nip_error *err)
{
	uint8_t local[NIP_SHA256_LEN];
	struct stat st;
	int fd = nip_open_beneath(statefd, new->path, O_RDONLY, 0, NULL), rc;

	if (fd < 0)
		return 0; /* no local copy: the default applies */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || hash_fd(fd, local, err) < 0) {
		close(fd);
		return S_ISREG(st.st_mode) ? -1 : 0;
	}
	close(fd);
	if (memcmp(local, new->sha256, NIP_SHA256_LEN) == 0)
		return 0;
	if (memcmp(local, old->sha256, NIP_SHA256_LEN) == 0) {
		if (unlinkat(statefd, new->path, 0) < 0 && errno != ENOENT)
			return nip_err_sys(err, NIP_E_IO, errno, "state/%s", new->path);
		return 0;
	}
	if ((rc = write_nipnew(r, statefd, new, err)) == 0 && res->nipnew++ == 0)
		snprintf(res->first_nipnew, sizeof res->first_nipnew, "%s.nipnew", new->path);
	return rc;
}

int txn_merge_etc(struct nip_root *r, const char *cell, const struct nip_file *oldf, size_t nold,
		  const struct nip_file *newf, size_t nnew, struct nip_txn_result *res, struct nip_error *err)
{
	char path[300];
	int statefd, rc = 0;

	snprintf(path, sizeof path, "cells/%s/state", cell);
	statefd = openat(r->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (statefd < 0)
		return errno == ENOENT ? 0 : nip_err_sys(err, NIP_E_IO, errno, "%s/%s", r->path, path);
	for (size_t i = 0; rc == 0 && i < nnew; i++) {
		const struct nip_file *f = &newf[i], *o;
		if (f->type != NIP_FT_FILE || strncmp(f->path, "etc/", 4) != 0)
			continue;
		o = nip_files_find(oldf, nold, f->path);
		if (!o || o->type != NIP_FT_FILE || memcmp(o->sha256, f->sha256, NIP_SHA256_LEN) == 0)
			continue; /* a new default, or an unchanged one: the local copy stands */
		rc = merge_one(r, statefd, o, f, res, err);
	}
	close(statefd);
	return rc;
}
