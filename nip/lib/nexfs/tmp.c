/* Files written in nexfs/tmp and linked into objects/ or trees/ once whole.
 * Linking (not renaming) gives write-once for free: an existing name fails
 * with EEXIST and the bytes already there are, by their name, the same. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int tmp_open(struct nip_nexfs *fs, struct tmp_file *t, struct nip_error *err)
{
	char hex[17];

	t->tmpname[0] = '\0';
	t->fd = openat(fs->tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t->fd >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return nip_err_sys(err, NIP_E_IO, errno, "nexfs/tmp: creating a temporary file");
	/* No O_TMPFILE here: a named file, which gc removes if we die. */
	for (int tries = 0; tries < 16; tries++) {
		random_hex(hex);
		snprintf(t->tmpname, sizeof t->tmpname, "w-%s", hex);
		t->fd = openat(fs->tmp_fd, t->tmpname, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW,
			       0600);
		if (t->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	nip_err_sys(err, NIP_E_IO, errno, "nexfs/tmp/%s", t->tmpname);
	t->tmpname[0] = '\0';
	return -1;
}

void tmp_discard(struct nip_nexfs *fs, struct tmp_file *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->tmpname[0])
		unlinkat(fs->tmp_fd, t->tmpname, 0);
	t->fd = -1;
	t->tmpname[0] = '\0';
}

static int link_once(struct nip_nexfs *fs, const struct tmp_file *t, int dirfd, const char *name)
{
	char proc[40];
	if (t->tmpname[0])
		return linkat(fs->tmp_fd, t->tmpname, dirfd, name, 0);
	/* AT_EMPTY_PATH is 40% cheaper per object than resolving /proc
	 * (14 against 24 us here) but needs CAP_DAC_READ_SEARCH before Linux
	 * 6.10, which refuses it with ENOENT; /proc/self/fd works for all. */
	if (linkat(t->fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", t->fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}

int make_sub(int dirfd, const char *name)
{
	char sub[3] = {name[0], name[1], '\0'};
	return mkdirat(dirfd, sub, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int tmp_link(struct nip_nexfs *fs, struct tmp_file *t, int dirfd, const char *name,
	     struct nip_error *err)
{
	const char *what = dirfd == fs->objects_fd ? "nexfs/objects" : "nexfs/trees";
	int rc = -1;

	for (int attempt = 0;; attempt++) {
		if (link_once(fs, t, dirfd, name) == 0 || errno == EEXIST) {
			rc = 0;
			break;
		}
		if (errno != ENOENT || attempt) {
			nip_err_sys(err, NIP_E_IO, errno, "%s/%s: link", what, name);
			break;
		}
		/* First file under this AB/: make the directory and retry. */
		if (make_sub(dirfd, name) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "%s/%.2s: mkdir", what, name);
			break;
		}
	}
	tmp_discard(fs, t);
	return rc;
}
