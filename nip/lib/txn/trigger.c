/* Deploy-time triggers of grafted packages (doc/nip-graft.8): what their
 * maintainer scripts did, done by nip from the manifest's declaration:
 * sysusers (sysusers.c), then tmpfiles (tmpfiles.c, which may need those
 * users), then ldconfig, here.
 *
 * ldconfig: the deployment is immutable and shared, so its ld.so.cache is
 * the cell's: `ldconfig -X -r DEPLOYMENT` (no symlinks made: the
 * deployment must not change) writes a new cache into the deployment's top
 * directory, which is at once renamed to ROOT/cells/CELL/state/etc/
 * ld.so.cache, where a cell's /etc changes live. ldconfig -r chroots, so
 * the trigger runs when nip runs as root; otherwise it is skipped (nip
 * could not have run it in a cell either). Runs before the commit (and
 * after a rollback's switch); the rename makes the cache whole or absent,
 * and a generation that needs no cache has none. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "txn_internal.h"

#define CACHE_TMP ".nip-ld.so.cache"

static int wants(const struct txn_set *set, const char *trigger)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct nip_graft_info *g = set->v[i].m->graft;
		for (size_t j = 0; g && j < g->ntriggers; j++)
			if (strcmp(g->triggers[j], trigger) == 0)
				return 1;
	}
	return 0;
}

/* Runs the host's tool (the first of bins that exists) with argv, output
 * discarded, in a fixed environment: never through a shell. */
int txn_run_tool(const char *what, const char *const bins[2], char *const argv[], struct nip_error *err)
{
	char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	const char *bin = NULL;
	int status;
	pid_t pid;

	for (size_t i = 0; i < 2 && !bin; i++)
		if (access(bins[i], X_OK) == 0)
			bin = bins[i];
	if (!bin)
		return nip_err(err, NIP_E_IO, "%s trigger: no %s on this system", what, bins[0]);
	pid = fork();
	if (pid < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s trigger: fork", what);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execve(bin, argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return nip_err_sys(err, NIP_E_IO, errno, "%s trigger: waitpid", what);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return nip_err(err, NIP_E_IO, "%s trigger: %s failed (status %d)", what, bin,
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static int run_ldconfig(const char *deploy, struct nip_error *err)
{
	static const char *const bins[2] = {"/sbin/ldconfig", "/usr/sbin/ldconfig"};
	char *const argv[] = {"ldconfig", "-X", "-r", (char *)deploy, "-C", "/" CACHE_TMP, NULL};
	return txn_run_tool("ldconfig", bins, argv, err);
}

/* cells/CELL/state/etc, created if missing; returns its fd. */
static int state_etc(struct nip_root *r, const char *cell, struct nip_error *err)
{
	char path[256];
	const char *parts[] = {"cells", cell, "state", "etc"};
	int fd = dup(r->fd);

	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", r->path);
	for (size_t i = 0; i < 4; i++) {
		int next;
		if (mkdirat(fd, parts[i], 0755) < 0 && errno != EEXIST) {
			snprintf(path, sizeof path, "%s/cells/%s/state/etc", r->path, cell);
			nip_err_sys(err, NIP_E_IO, errno, "%s", path);
			close(fd);
			return -1;
		}
		next = nip_open_beneath(fd, parts[i], O_RDONLY | O_DIRECTORY, 0, err);
		close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	return fd;
}

int txn_triggers(struct nip_root *r, const char *cell, const struct txn_set *set, int64_t gen,
		 struct nip_error *err)
{
	char name[128], deploy[4096], tmp[192];
	int dfd = nip_nexfs_deploy_fd(r->fs), etc = -1, rc = -1;

	if (geteuid() != 0)
		return 0;
	if (wants(set, "sysusers")) {
		int genfd;
		txn_deploy_name(cell, gen, name, sizeof name);
		if ((etc = state_etc(r, cell, err)) < 0)
			return -1;
		genfd = nip_open_beneath(dfd, name, O_RDONLY | O_DIRECTORY, 0, err);
		rc = genfd < 0 ? -1 : txn_sysusers(r, cell, genfd, etc, err);
		if (genfd >= 0)
			close(genfd);
		close(etc);
		etc = -1;
		if (rc < 0)
			return -1;
		rc = -1;
	}
	if (wants(set, "tmpfiles")) {
		int genfd;
		txn_deploy_name(cell, gen, name, sizeof name);
		genfd = nip_open_beneath(dfd, name, O_RDONLY | O_DIRECTORY, 0, err);
		rc = genfd < 0 ? -1 : txn_tmpfiles(r, cell, genfd, err);
		if (genfd >= 0)
			close(genfd);
		if (rc < 0)
			return -1;
		rc = -1;
	}
	if (!wants(set, "ldconfig")) {
		/* The cache is nip's, made for another generation: it goes. */
		snprintf(deploy, sizeof deploy, "cells/%s/state/etc/ld.so.cache", cell);
		if (unlinkat(r->fd, deploy, 0) < 0 && errno != ENOENT && errno != ENOTDIR)
			return nip_err_sys(err, NIP_E_IO, errno, "%s/%s", r->path, deploy);
		return 0;
	}
	txn_deploy_name(cell, gen, name, sizeof name);
	snprintf(deploy, sizeof deploy, "%s/deploy/%s", r->path, name);
	snprintf(tmp, sizeof tmp, "%s/" CACHE_TMP, name);
	if (run_ldconfig(deploy, err) < 0)
		goto out;
	if ((etc = state_etc(r, cell, err)) < 0)
		goto out;
	if (renameat(dfd, tmp, etc, "ld.so.cache") < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "ldconfig trigger: moving the cache to cells/%s/state/etc", cell);
		goto out;
	}
	rc = nip_fsync_dir(etc, "state/etc", err);
out:
	unlinkat(dfd, tmp, 0); /* whatever ldconfig left, the deployment is whole again */
	if (etc >= 0)
		close(etc);
	return rc;
}
