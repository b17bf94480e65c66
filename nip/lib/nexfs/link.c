/* The generation switch: one rename(2) of a symlink, atomic and O(1)
 * whatever the size of the tree it points at. At every instant the link
 * exists and names either the old target or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int replace_in(int dirfd, const char *link, const char *what, const char *target,
		      struct nip_error *err)
{
	char tmp[64], hex[17];

	for (int tries = 0;; tries++) {
		random_hex(hex);
		snprintf(tmp, sizeof tmp, ".nip-link-%s", hex);
		if (symlinkat(target, dirfd, tmp) == 0)
			break;
		if (errno != EEXIST || tries == 16)
			return nip_err_sys(err, NIP_E_IO, errno, "%s: symlink", what);
	}
	if (renameat(dirfd, tmp, dirfd, link) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return nip_err_sys(err, NIP_E_IO, e, "%s: rename", what);
	}
	return nip_fsync_dir(dirfd, what, err);
}

int nip_symlink_replace(int dirfd, const char *link, const char *target, struct nip_error *err)
{
	const char *slash = strrchr(link, '/');
	char dir[4096];
	int fd, rc;

	/* Relative to dirfd, always: the switch never leaves the root. */
	if (!*link || link[0] == '/' || (slash && !slash[1]))
		return nip_err(err, NIP_E_USAGE, "symlink \"%.64s\": not a name under the root", link);
	if (!slash)
		return replace_in(dirfd, link, link, target, err);
	/* "cells/system/current": the temporary goes beside the link, so
	 * the rename stays in one directory and that directory is synced. */
	if ((size_t)(slash - link) >= sizeof dir)
		return nip_err(err, NIP_E_USAGE, "symlink %.64s...: path too long", link);
	memcpy(dir, link, (size_t)(slash - link));
	dir[slash - link] = '\0';
	fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", dir);
	rc = replace_in(fd, slash + 1, link, target, err);
	close(fd);
	return rc;
}
