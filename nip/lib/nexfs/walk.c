/* Walking objects/ or trees/: 256 two-hex-digit subdirectories, one level.
 * Anything else at the top (a stray file, a dot entry) is not the store's
 * and is left alone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int is_sub(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	return s[0] && s[1] && !s[2] && strchr(hex, s[0]) && strchr(hex, s[1]);
}

static int walk_sub(int dirfd, const char *what, const char *sub,
		    int (*fn)(void *ctx, int subfd, const char *sub, const char *name,
			      struct nip_error *err),
		    void *ctx, struct nip_error *err)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/%s", what, sub);
	if (!(d = fdopendir(fd))) {
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s/%s", what, sub);
		close(fd);
		return rc;
	}
	/* Removing entries already returned while reading on is safe on
	 * Linux: readdir neither repeats nor skips the others. */
	for (errno = 0; rc == 0 && (e = readdir(d)); errno = 0)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = fn(ctx, fd, sub, e->d_name, err);
	if (rc == 0 && errno)
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s/%s: readdir", what, sub);
	closedir(d);
	return rc;
}

int store_walk(int dirfd, const char *what,
	       int (*fn)(void *ctx, int subfd, const char *sub, const char *name,
			 struct nip_error *err),
	       void *ctx, struct nip_error *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", what);
	if (!(d = fdopendir(fd))) {
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s", what);
		close(fd);
		return rc;
	}
	for (errno = 0; rc == 0 && (e = readdir(d)); errno = 0)
		if (is_sub(e->d_name))
			rc = walk_sub(dirfd, what, e->d_name, fn, ctx, err);
	if (rc == 0 && errno)
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s: readdir", what);
	closedir(d);
	return rc;
}
