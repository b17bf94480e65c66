/* Writing the run index (runindex.c) beside a new deployment; apart from
 * the reader, which nip's small front end links without the rest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runindex.h"
#include "txn_internal.h"

static int put(struct nip_buf *b, const char *s, struct nip_error *err)
{
	return nip_buf_append(b, s, strlen(s) + 1, err);
}

/* Indexes of deployments that are gone (gc, cell remove) go too. */
static void prune(int rundir, int deployfd)
{
	int fd = dup(rundir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && faccessat(deployfd, e->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			unlinkat(rundir, e->d_name, 0);
	closedir(d);
}

int txn_run_index_write(struct nip_root *r, const char *cell, const char *deployment,
			const struct txn_set *set, struct nip_error *err)
{
	struct nip_buf b;
	int celldir = -1, rundir = -1, rc = -1;

	nip_buf_init(&b, INDEX_MAX, "run index");
	if (put(&b, MAGIC, err) < 0)
		goto out;
	for (size_t i = 0; i < set->n; i++) {
		const struct nip_manifest *m = set->v[i].m;
		if (!m->policy)
			continue;
		if (put(&b, m->name, err) < 0 || put(&b, m->policy, err) < 0)
			goto out;
		for (size_t f = 0; f < m->nfiles; f++)
			if (m->files[f].type != NIP_FT_DIR && put(&b, m->files[f].path, err) < 0)
				goto out;
		if (put(&b, "", err) < 0)
			goto out;
	}
	if (put(&b, "", err) < 0 || (celldir = txn_cell_dir(r, cell, err)) < 0)
		goto out;
	if (mkdirat(celldir, RUN_DIR, 0755) < 0 && errno != EEXIST) {
		nip_err_sys(err, NIP_E_IO, errno, "cells/%s/%s", cell, RUN_DIR);
		goto out;
	}
	if ((rundir = openat(celldir, RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "cells/%s/%s", cell, RUN_DIR);
		goto out;
	}
	prune(rundir, nip_nexfs_deploy_fd(r->fs));
	rc = nip_write_atomic(rundir, deployment, b.data, b.len, 0644, 0, err);
out:
	if (rundir >= 0)
		close(rundir);
	if (celldir >= 0)
		close(celldir);
	nip_buf_free(&b);
	return rc;
}

