/* The sysusers trigger of grafted packages: the users and groups their
 * usr/lib/sysusers.d/NAME.conf files declare are added to the cell's account files
 * (ROOT/cells/CELL/state/etc/{passwd,group,shadow,gshadow}), where a
 * cell's /etc changes live; the deployment is never written. The host's
 * systemd-sysusers does the work in a scratch root made of copies: the
 * generation's sysusers.d files and the current account files (the cell's
 * own if it has them, else the deployment's defaults). The results replace
 * the cell's files one rename each. Accounts are never removed, as
 * systemd-sysusers never removes them: a rollback keeps them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txn_internal.h"

#define ACCOUNTS_MAX (16u << 20)

static const char *const accounts[] = {"passwd", "group", "shadow", "gshadow"};

void txn_rm_tree(int parent, const char *name, int depth)
{
	int fd;
	DIR *d;
	struct dirent *de;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT || depth > 8)
		return;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			txn_rm_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	unlinkat(parent, name, AT_REMOVEDIR);
}

/* dst/name := the bytes of src_dir/src (a regular file), mode kept. */
int txn_copy_file(int srcdir, const char *src, int dstdir, const char *name, struct nip_error *err)
{
	struct nip_buf b;
	struct stat st;
	int fd = nip_open_beneath(srcdir, src, O_RDONLY, 0, err), out = -1, rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nip_err(err, NIP_E_IO, "trigger: %s is not a regular file", src);
	}
	close(fd);
	if (nip_read_file(srcdir, src, ACCOUNTS_MAX, 1, &b, err) < 0)
		return -1;
	/* Deployed files are read-only; the cell's copy is its owner's to change. */
	st.st_mode |= 0200;
	out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0)
		nip_err_sys(err, NIP_E_IO, errno, "trigger: %s", name);
	else if (nip_write_full(out, b.data, b.len, name, err) == 0 && fchmod(out, st.st_mode & 0777) == 0)
		rc = 0;
	if (out >= 0)
		close(out);
	nip_buf_free(&b);
	return rc;
}

int txn_mkdirs(int fd, const char *const *parts, size_t n, struct nip_error *err)
{
	int cur = dup(fd);
	for (size_t i = 0; i < n && cur >= 0; i++) {
		int next;
		if (mkdirat(cur, parts[i], 0755) < 0 && errno != EEXIST) {
			close(cur);
			return nip_err_sys(err, NIP_E_IO, errno, "trigger: %s", parts[i]);
		}
		next = openat(cur, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
	}
	if (cur < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "trigger: a scratch directory");
	return cur;
}

int txn_sysusers(struct nip_root *r, const char *cell, int genfd, int etc, struct nip_error *err)
{
	static const char *const bins[2] = {"/usr/bin/systemd-sysusers", "/bin/systemd-sysusers"};
	static const char *const conf_parts[] = {"usr", "lib", "sysusers.d"};
	char scratch[192], rootarg[4200];
	int celld = -1, s = -1, sconf = -1, setc = -1, conf = -1, rc = -1;
	DIR *d = NULL;
	struct dirent *de;

	snprintf(scratch, sizeof scratch, "cells/%s", cell);
	if ((celld = nip_open_beneath(r->fd, scratch, O_RDONLY | O_DIRECTORY, 0, err)) < 0)
		return -1;
	txn_rm_tree(celld, ".sysusers", 0); /* a killed run's leftovers */
	if (mkdirat(celld, ".sysusers", 0700) < 0 ||
	    (s = openat(celld, ".sysusers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "sysusers trigger: cells/%s/.sysusers", cell);
		goto out;
	}
	if ((sconf = txn_mkdirs(s, conf_parts, 3, err)) < 0 || (setc = txn_mkdirs(s, (const char *const[]){"etc"}, 1, err)) < 0)
		goto out;
	if ((conf = nip_open_beneath(genfd, "usr/lib/sysusers.d", O_RDONLY | O_DIRECTORY, 0, err)) < 0)
		goto out;
	if (!(d = fdopendir(conf))) {
		nip_err_sys(err, NIP_E_IO, errno, "sysusers trigger: usr/lib/sysusers.d");
		goto out;
	}
	conf = -1; /* owned by d */
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0 &&
		    txn_copy_file(dirfd(d), de->d_name, sconf, de->d_name, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < 4; i++) {
		char def[32];
		snprintf(def, sizeof def, "etc/%s", accounts[i]);
		if (faccessat(etc, accounts[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			if (txn_copy_file(etc, accounts[i], setc, accounts[i], err) < 0)
				goto out;
		} else if (faccessat(genfd, def, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
			   txn_copy_file(genfd, def, setc, accounts[i], err) < 0)
			goto out;
	}
	snprintf(rootarg, sizeof rootarg, "--root=%s/cells/%s/.sysusers", r->path, cell);
	{
		char *const argv[] = {"systemd-sysusers", rootarg, NULL};
		if (txn_run_tool("sysusers", bins, argv, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < 4; i++)
		if (faccessat(setc, accounts[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		    renameat(setc, accounts[i], etc, accounts[i]) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "sysusers trigger: state/etc/%s", accounts[i]);
			goto out;
		}
	rc = nip_fsync_dir(etc, "state/etc", err);
out:
	if (d)
		closedir(d);
	if (conf >= 0)
		close(conf);
	if (sconf >= 0)
		close(sconf);
	if (setc >= 0)
		close(setc);
	if (s >= 0)
		close(s);
	if (celld >= 0) {
		txn_rm_tree(celld, ".sysusers", 0);
		close(celld);
	}
	return rc;
}
