/* The tmpfiles trigger of grafted packages: the directories, files and
 * links their usr/lib/tmpfiles.d/NAME.conf files declare under /var and
 * /etc are made in the cell's state (ROOT/cells/CELL/state/var and etc),
 * which is what a cell sees as its writable /var and /etc. The host's
 * systemd-tmpfiles does it with the state as its root and --prefix=/var
 * --prefix=/etc, from copies of the generation's files placed in
 * state/usr/lib/tmpfiles.d for the run and removed after it; /run and
 * /tmp are a cell's own at run time and are not touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txn_internal.h"

int txn_tmpfiles(struct nip_root *r, const char *cell, int genfd, struct nip_error *err)
{
	static const char *const bins[2] = {"/usr/bin/systemd-tmpfiles", "/bin/systemd-tmpfiles"};
	static const char *const conf_parts[] = {"usr", "lib", "tmpfiles.d"};
	char path[192], rootarg[4200];
	int state = -1, dst = -1, conf = -1, rc = -1;
	DIR *d = NULL;
	struct dirent *de;

	snprintf(path, sizeof path, "cells/%s/state", cell);
	if (mkdirat(r->fd, path, 0755) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/%s", r->path, path);
	if ((state = nip_open_beneath(r->fd, path, O_RDONLY | O_DIRECTORY, 0, err)) < 0)
		return -1;
	txn_rm_tree(state, "usr", 0); /* only ever nip's, from a killed run */
	if ((dst = txn_mkdirs(state, conf_parts, 3, err)) < 0)
		goto out;
	if ((conf = nip_open_beneath(genfd, "usr/lib/tmpfiles.d", O_RDONLY | O_DIRECTORY, 0, err)) < 0)
		goto out;
	if (!(d = fdopendir(conf))) {
		nip_err_sys(err, NIP_E_IO, errno, "tmpfiles trigger: usr/lib/tmpfiles.d");
		goto out;
	}
	conf = -1;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0 &&
		    txn_copy_file(dirfd(d), de->d_name, dst, de->d_name, err) < 0)
			goto out;
	}
	snprintf(rootarg, sizeof rootarg, "--root=%s/cells/%s/state", r->path, cell);
	{
		char *const argv[] = {"systemd-tmpfiles", "--create", rootarg, "--prefix=/var", "--prefix=/etc", NULL};
		if (txn_run_tool("tmpfiles", bins, argv, err) < 0)
			goto out;
	}
	rc = nip_fsync_dir(state, "state", err);
out:
	if (d)
		closedir(d);
	if (conf >= 0)
		close(conf);
	if (dst >= 0)
		close(dst);
	txn_rm_tree(state, "usr", 0);
	close(state);
	return rc;
}
