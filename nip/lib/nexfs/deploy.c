/* Deployments: a tree checked out as hard links to the objects. Built
 * under deploy/.tmp-NAME-RANDOM and renamed into place, so deploy/NAME is
 * whole or absent; removed by the reverse rename, so it is never half
 * there either. Speed matters (a checkout per generation): one linkat per
 * file from a held dirfd, no stat of the object, no path joined. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Deployment names come from callers that may pass user input (cells,
 * generation names): one plain component that cannot be a temporary. */
int deploy_name_check(const char *name, struct nip_error *err)
{
	char s[64];
	const char *why = NULL;
	size_t len = strlen(name);

	if (len == 0)
		why = "empty";
	else if (strchr(name, '/'))
		why = "contains '/'";
	else if (name[0] == '.')
		why = "starts with '.'";
	else if (len > DEPLOY_NAME_MAX)
		why = "longer than 200 bytes";
	if (why)
		return nip_err(err, NIP_E_USAGE, "deployment name \"%s\": %s",
			       nip_shorten(name, s, sizeof s), why);
	return 0;
}

/* mkdir deploy/.tmp-NAME-RANDOM; returns its fd. */
static int make_tmp(struct nip_nexfs *fs, const char *name, char tmp[TMP_NAME_MAX],
		    struct nip_error *err)
{
	char hex[17];
	int fd;

	for (int tries = 0;; tries++) {
		random_hex(hex);
		snprintf(tmp, TMP_NAME_MAX, DEPLOY_TMP_PREFIX "%s-%s", name, hex);
		if (mkdirat(fs->deploy_fd, tmp, 0700) == 0)
			break;
		if (errno != EEXIST || tries == 16)
			return nip_err_sys(err, NIP_E_IO, errno, "deploy/%s: mkdir", tmp);
	}
	fd = openat(fs->deploy_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "deploy/%s", tmp);
		unlinkat(fs->deploy_fd, tmp, AT_REMOVEDIR);
	}
	return fd;
}

/* Builds the tree under a temporary name and puts it at deploy/NAME:
 * next to nothing (RENAME_NOREPLACE), or in exchange for what is there
 * (RENAME_EXCHANGE), whose tree is then removed under the temporary name:
 * either way deploy/NAME is whole at every instant. */
static int deploy_put(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
		      const char *name, int replace, struct nip_error *err)
{
	char tmp[TMP_NAME_MAX];
	struct stat st;
	int fd, rc = -1, placed = 0;

	if (deploy_name_check(name, err) < 0)
		return -1;
	/* Refuse early rather than after building the whole tree; the
	 * rename below is what makes it race-free. */
	if ((fstatat(fs->deploy_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) != replace)
		return nip_err_sys(err, NIP_E_IO, replace ? ENOENT : EEXIST, "checking out deploy/%s",
				   name);
	if ((fd = make_tmp(fs, name, tmp, err)) < 0)
		return -1;
	if (checkout_tree(fs, files, n, fd, err) < 0)
		goto out;
	/* The root's mode is not in the list: read-only, like every dir. */
	if (fchmod(fd, 0555) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "deploy/%s: chmod", tmp);
		goto out;
	}
	if (renameat2(fs->deploy_fd, tmp, fs->deploy_fd, name,
		      replace ? RENAME_EXCHANGE : RENAME_NOREPLACE) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "renaming %s into place", tmp);
		goto out;
	}
	placed = 1;
	rc = nip_fsync_dir(fs->deploy_fd, "deploy", err);
out:
	close(fd);
	if (rc < 0 || replace) {
		/* Keep the first error; gc removes what this cannot. */
		struct nip_error ignored;
		if (remove_tree(fs->deploy_fd, tmp, placed && rc == 0 ? err : &ignored) < 0 && rc == 0)
			rc = -1;
	}
	return rc < 0 ? nip_err_prefix(err, "checking out deploy/%s: ", name) : 0;
}

int nip_deploy_checkout(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
			const char *name, struct nip_error *err)
{
	return deploy_put(fs, files, n, name, 0, err);
}

int nip_deploy_redo(struct nip_nexfs *fs, const struct nip_file *files, size_t n,
		    const char *name, struct nip_error *err)
{
	return deploy_put(fs, files, n, name, 1, err);
}

int deploy_rename_away(struct nip_nexfs *fs, const char *name, const char *tag,
		       char tmp[TMP_NAME_MAX], struct nip_error *err)
{
	char hex[17];

	for (int tries = 0;; tries++) {
		random_hex(hex);
		snprintf(tmp, TMP_NAME_MAX, DEPLOY_TMP_PREFIX "%s-%s", tag, hex);
		if (renameat2(fs->deploy_fd, name, fs->deploy_fd, tmp, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST || tries == 16)
			return nip_err_sys(err, NIP_E_IO, errno, "renaming deploy/%s away", name);
	}
}

int deploy_drop(struct nip_nexfs *fs, const char *name, struct nip_error *err)
{
	char tmp[TMP_NAME_MAX];

	if (deploy_rename_away(fs, name, name, tmp, err) < 0)
		return -1;
	/* The rename is the removal's commit point: once it is on disk, a
	 * crash leaves a .tmp- that gc finishes, never a NAME with holes. */
	if (nip_fsync_dir(fs->deploy_fd, "deploy", err) < 0)
		return nip_err_prefix(err, "removing deploy/%s: ", name);
	if (remove_tree(fs->deploy_fd, tmp, err) < 0)
		return nip_err_prefix(err, "removing deploy/%s: deploy/", name);
	return 0;
}

int nip_deploy_remove(struct nip_nexfs *fs, const char *name, struct nip_error *err)
{
	if (deploy_name_check(name, err) < 0)
		return -1;
	return deploy_drop(fs, name, err);
}
