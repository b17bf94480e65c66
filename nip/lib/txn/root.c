/* Opening a nip root: create it on first write, take its lock, load the
 * node key, and reconcile what a crash may have left half-done. */
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

#define DEFAULT_KEEP 3

/* flock, not a pid file: the kernel drops it when its holder dies, so a
 * killed nip never leaves a stale lock behind (pacman's db.lck does). */
static int take_lock(struct nip_root *r, double timeout, struct nip_error *err)
{
	struct timespec start, now;
	char pid[32];
	int n;

	r->lockfd = openat(r->fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (r->lockfd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/lock", r->path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(r->lockfd, LOCK_EX | LOCK_NB) < 0) {
		char holder[32] = "";
		if (errno != EWOULDBLOCK)
			return nip_err_sys(err, NIP_E_IO, errno, "%s/lock", r->path);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= timeout) {
			ssize_t got = pread(r->lockfd, holder, sizeof holder - 1, 0);
			holder[got > 0 ? got : 0] = '\0';
			holder[strcspn(holder, "\n")] = '\0';
			return nip_err(err, NIP_E_BUSY, "%s is locked by another nip%s%s (waited %.0f s; see --lock-timeout)",
				       r->path, *holder ? ", pid " : "", holder, timeout);
		}
		usleep(50000);
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(r->lockfd, 0) == 0 && pwrite(r->lockfd, pid, (size_t)n, 0) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/lock", r->path);
	return 0;
}

static int mkdir_at(int dirfd, const char *name, mode_t mode, struct nip_error *err)
{
	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "mkdir %s", name);
	return 0;
}

/* The node key signs ProvChain; it is made with the root. */
static int node_key(struct nip_root *r, struct nip_error *err)
{
	int keys = -1, rc = -1;

	if (mkdir_at(r->fd, "keys", 0700, err) < 0)
		return -1;
	keys = openat(r->fd, "keys", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (keys < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/keys", r->path);
	if (faccessat(keys, "node.key", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		struct nip_pubkey pub;
		struct nip_seckey sec;
		if (nip_key_generate(&pub, &sec, err) < 0)
			goto out;
		rc = nip_key_save(keys, "node.key", &sec, NULL, err);
		nip_seckey_wipe(&sec);
		if (rc < 0)
			goto out;
	}
	if (nip_seckey_load(keys, "node.key", NULL, &r->node, err) < 0)
		goto out;
	nip_seckey_public(&r->node, &r->node_pub);
	rc = 0;
out:
	if (rc < 0)
		nip_err_prefix(err, "%s/keys: ", r->path);
	close(keys);
	return rc;
}

static int node_pub(struct nip_root *r, struct nip_error *err)
{
	char path[64];
	snprintf(path, sizeof path, "keys/node.key.pub");
	return nip_pubkey_load(r->fd, path, &r->node_pub, err);
}

int nip_root_open(const char *path, int flags, double lock_timeout, struct nip_root **out,
		  struct nip_error *err)
{
	struct nip_root *r = calloc(1, sizeof *r);
	char *keep = NULL;
	int write = flags & NIP_ROOT_WRITE;

	if (!r || !(r->path = strdup(path))) {
		free(r);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	r->fd = r->lockfd = -1;
	if (write && mkdir(path, 0755) < 0 && errno != EEXIST) {
		nip_err_sys(err, NIP_E_IO, errno, "creating the nip root %s", path);
		goto fail;
	}
	r->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		if (errno == ENOENT && !write)
			nip_err(err, NIP_E_USAGE, "no nip root at %s", path);
		else
			nip_err_sys(err, NIP_E_IO, errno, "%s", path);
		goto fail;
	}
	if (write && (take_lock(r, lock_timeout, err) < 0 || node_key(r, err) < 0 ||
		      mkdir_at(r->fd, "cells", 0755, err) < 0 || mkdir_at(r->fd, "cache", 0755, err) < 0))
		goto fail;
	if (!write && faccessat(r->fd, "nip.db", F_OK, 0) < 0) {
		nip_err(err, NIP_E_USAGE, "no nip root at %s", path);
		goto fail;
	}
	if (nip_db_open(path, write, &r->db, err) < 0 || nip_nexfs_open(r->fd, &r->fs, err) < 0)
		goto fail;
	if (!write && node_pub(r, err) < 0)
		goto fail;
	r->keep = DEFAULT_KEEP;
	if (nip_db_config_get(r->db, "keep", &keep, err) < 0)
		goto fail;
	if (keep) {
		int64_t k;
		if (nip_parse_i64(keep, 1, 100000, &k) == 0)
			r->keep = (int)k;
		free(keep);
	}
	if (write && txn_reconcile(r, err) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	nip_root_close(r);
	return -1;
}

void nip_root_close(struct nip_root *r)
{
	if (!r)
		return;
	txn_mcache_free(r->mcache);
	nip_db_close(r->db);
	nip_nexfs_close(r->fs);
	nip_seckey_wipe(&r->node);
	if (r->lockfd >= 0)
		close(r->lockfd); /* releases the flock */
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r);
}
