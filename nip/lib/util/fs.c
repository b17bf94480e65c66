/* File helpers: every state file is written whole or not at all (temp,
 * fsync, rename, fsync the directory), and untrusted names never leave
 * their directory. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nip/util.h"

ssize_t nip_read_some(int fd, void *p, size_t n, const char *what, struct nip_error *err)
{
	ssize_t r;
	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: read", what);
	return r;
}

int nip_read_full(int fd, void *p, size_t n, const char *what, struct nip_error *err)
{
	unsigned char *q = p;
	while (n) {
		ssize_t r = nip_read_some(fd, q, n, what, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return nip_err(err, NIP_E_FORMAT, "%s: truncated", what);
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

int nip_write_full(int fd, const void *p, size_t n, const char *what, struct nip_error *err)
{
	const unsigned char *q = p;
	while (n) {
		ssize_t w = write(fd, q, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return nip_err_sys(err, NIP_E_IO, errno, "%s: write", what);
		}
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int nip_read_file(int dirfd, const char *path, size_t max, int nofollow, struct nip_buf *out,
		  struct nip_error *err)
{
	int fd, rc = -1;
	unsigned char chunk[16384];

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	nip_buf_init(out, max, path);
	for (;;) {
		ssize_t r = nip_read_some(fd, chunk, sizeof chunk, path, err);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (nip_buf_append(out, chunk, (size_t)r, err) < 0)
			goto out;
	}
	if (nip_buf_cstr(out, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		nip_buf_free(out);
	close(fd);
	return rc;
}

int nip_fsync_dir(int dirfd, const char *what, struct nip_error *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: open directory", what);
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return nip_err_sys(err, NIP_E_IO, e, "%s: fsync directory", what);
	}
	close(fd);
	return 0;
}

static void temp_name(char *out, size_t n)
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)out;
	snprintf(out, n, ".nip-tmp-%016llx", (unsigned long long)r);
}

int nip_tmpfile(int dirfd, mode_t mode, struct nip_error *err)
{
	char name[64];
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return nip_err_sys(err, NIP_E_IO, errno, "creating a temporary file");
	/* File systems without O_TMPFILE: a hidden name, unlinked at once;
	 * nip_tmpfile_link then links it via /proc/self/fd. */
	temp_name(name, sizeof name);
	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "creating %s", name);
	unlinkat(dirfd, name, 0);
	return fd;
}

int nip_tmpfile_link(int fd, int dirfd, const char *name, int flags, struct nip_error *err)
{
	char tmp[64], proc[64];
	int rc;

	if (fsync(fd) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: fsync", name);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (flags & NIP_WRITE_EXCL) {
		if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
			return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
		return nip_fsync_dir(dirfd, name, err);
	}
	for (int tries = 0;; tries++) {
		temp_name(tmp, sizeof tmp);
		if (linkat(AT_FDCWD, proc, dirfd, tmp, AT_SYMLINK_FOLLOW) == 0)
			break;
		if (errno != EEXIST || tries > 8)
			return nip_err_sys(err, NIP_E_IO, errno, "%s: link temporary file", name);
	}
	rc = renameat(dirfd, tmp, dirfd, name);
	if (rc < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return nip_err_sys(err, NIP_E_IO, e, "%s: rename", name);
	}
	return nip_fsync_dir(dirfd, name, err);
}

int nip_write_atomic(int dirfd, const char *name, const void *p, size_t n, mode_t mode,
		     int flags, struct nip_error *err)
{
	int fd = nip_tmpfile(dirfd, mode, err), rc = -1;
	if (fd < 0)
		return nip_err_prefix(err, "%s: ", name);
	/* O_TMPFILE applies the umask; state files get exactly their mode. */
	if (fchmod(fd, mode) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: chmod", name);
		goto out;
	}
	if (nip_write_full(fd, p, n, name, err) < 0)
		goto out;
	rc = nip_tmpfile_link(fd, dirfd, name, flags, err);
out:
	close(fd);
	return rc;
}

int nip_open_beneath(int dirfd, const char *name, int flags, mode_t mode, struct nip_error *err)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	do
		fd = syscall(SYS_openat2, dirfd, name, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0)
		return nip_err_sys(err, errno == EXDEV || errno == ELOOP ? NIP_E_FORMAT : NIP_E_IO,
				   errno, "%s", name);
	return (int)fd;
}

int nip_open_parent(const char *path, const char **base, struct nip_error *err)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd;

	if (!slash) {
		*base = path;
		fd = openat(AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof dir)
			return nip_err(err, NIP_E_USAGE, "%s: path too long", path);
		memcpy(dir, path, n);
		dir[n ? n : 1] = '\0';
		if (!n)
			dir[0] = '/';
		*base = slash + 1;
		fd = openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	if (!**base) {
		close(fd);
		return nip_err(err, NIP_E_USAGE, "%s: names a directory, not a file", path);
	}
	return fd;
}
