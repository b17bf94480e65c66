/* Key files: loading refuses what could leak or swap a secret key (other
 * readers, symbolic links, special files); saving never replaces a key. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nip/crypto.h"
#include "nip/limits.h"

/* Reads until EOF, size bytes, or (stop_nl) a newline; returns the count. */
static ssize_t read_upto(int fd, char *buf, size_t size, int stop_nl, const char *what,
			 struct nip_error *err)
{
	size_t got = 0;

	while (got < size) {
		ssize_t r = nip_read_some(fd, buf + got, size - got, what, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (stop_nl && memchr(buf + got, '\n', (size_t)r))
			return (ssize_t)(got + (size_t)r);
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int nip_pubkey_load(int dirfd, const char *path, struct nip_pubkey *out, struct nip_error *err)
{
	struct nip_buf text;
	int rc;

	if (nip_read_file(dirfd, path, NIP_KEYFILE_MAX, 0, &text, err) < 0)
		return -1;
	rc = nip_pubkey_parse((const char *)text.data, text.len, out, err);
	if (rc < 0)
		nip_err_prefix(err, "%s: ", path);
	nip_buf_free(&text);
	return rc;
}

int nip_seckey_load(int dirfd, const char *path, const char *passphrase,
		    struct nip_seckey *out, struct nip_error *err)
{
	char text[NIP_KEYFILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	/* O_NONBLOCK: a FIFO planted under the key's name must not hang the
	 * open; the type check below refuses it. */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return nip_err(err, NIP_E_DENIED,
				       "%s: secret key is a symbolic link: not following it", path);
		return nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	}
	if (fstat(fd, &st) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: fstat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		nip_err(err, NIP_E_DENIED, "%s: secret key is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		nip_err(err, NIP_E_DENIED, "%s: secret key is %s by others (mode %04o): chmod 600 %s",
			path, st.st_mode & 044 ? "readable" : "writable",
			(unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	n = read_upto(fd, text, sizeof text, 0, path, err);
	if (n < 0)
		goto out;
	if ((size_t)n > NIP_KEYFILE_MAX) {
		nip_err(err, NIP_E_LIMIT, "%s: secret key is larger than %u bytes", path,
			NIP_KEYFILE_MAX);
		goto out;
	}
	if (nip_seckey_parse(text, (size_t)n, passphrase, out, err) < 0) {
		nip_err_prefix(err, "%s: ", path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof text);
	close(fd);
	return rc;
}

/* The directory of "dir/base" opened below dirfd (dirfd itself when there
 * is no slash), so that the temporary file is made beside the target. */
static int open_parent_at(int dirfd, const char *path, int *pdir, const char **base,
			  struct nip_error *err)
{
	const char *slash = strrchr(path, '/');
	char dir[NIP_PATH_MAX];
	size_t n;
	int fd;

	if (!slash) {
		*pdir = dirfd;
		*base = path;
		return 0;
	}
	n = (size_t)(slash - path);
	if (n >= sizeof dir)
		return nip_err(err, NIP_E_USAGE, "%s: path too long", path);
	if (!slash[1])
		return nip_err(err, NIP_E_USAGE, "%s: names a directory, not a file", path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	fd = openat(dirfd, n ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", n ? dir : "/");
	*pdir = fd;
	*base = slash + 1;
	return 0;
}

static int absent(int dirfd, const char *name, const char *shown, struct nip_error *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return nip_err(err, NIP_E_USAGE, "%s already exists: not overwriting a key", shown);
	if (errno != ENOENT)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", shown);
	return 0;
}

int nip_key_save(int dirfd, const char *path, const struct nip_seckey *sec,
		 const char *passphrase, struct nip_error *err)
{
	struct nip_buf pubtext, sectext;
	struct nip_pubkey pub;
	char pubname[NIP_NAME_MAX + 1], pubpath[NIP_PATH_MAX + 8];
	const char *base = NULL;
	int pdir = -1, rc = -1;

	nip_buf_init(&pubtext, NIP_KEYFILE_MAX, "public key");
	nip_buf_init(&sectext, NIP_KEYFILE_MAX, "secret key");
	if (open_parent_at(dirfd, path, &pdir, &base, err) < 0)
		return -1;
	if ((size_t)snprintf(pubname, sizeof pubname, "%s.pub", base) >= sizeof pubname) {
		nip_err(err, NIP_E_USAGE, "%s.pub: name too long", path);
		goto out;
	}
	snprintf(pubpath, sizeof pubpath, "%s.pub", path);
	/* Both names first: a half-written pair is worse than none. */
	if (absent(pdir, base, path, err) < 0 || absent(pdir, pubname, pubpath, err) < 0)
		goto out;
	nip_seckey_public(sec, &pub);
	if (nip_pubkey_format(&pub, &pubtext, err) < 0 ||
	    nip_seckey_format(sec, passphrase, &sectext, err) < 0)
		goto out;
	/* O_EXCL still guards each file against a racing creator. */
	if (nip_write_atomic(pdir, pubname, pubtext.data, pubtext.len, 0644, NIP_WRITE_EXCL,
			     err) < 0)
		goto out;
	if (nip_write_atomic(pdir, base, sectext.data, sectext.len, 0600, NIP_WRITE_EXCL, err) < 0) {
		/* A public key without its secret would only block the retry. */
		unlinkat(pdir, pubname, 0);
		goto out;
	}
	rc = 0;
out:
	if (sectext.data)
		sodium_memzero(sectext.data, sectext.cap);
	nip_buf_free(&sectext);
	nip_buf_free(&pubtext);
	if (pdir != dirfd)
		close(pdir);
	return rc;
}

int nip_passphrase_read_file(const char *path, char *out, size_t outsz, struct nip_error *err)
{
	char buf[NIP_PASSPHRASE_MAX + 1];
	const char *nl;
	size_t len;
	ssize_t n;
	int fd, rc = -1;

	fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	/* One byte past the cap tells a line that is too long from one that
	 * fits; stopping at the newline lets a pipe stay open. */
	n = read_upto(fd, buf, sizeof buf, 1, path, err);
	if (n < 0)
		goto out;
	nl = memchr(buf, '\n', (size_t)n);
	len = nl ? (size_t)(nl - buf) : (size_t)n;
	if (len > NIP_PASSPHRASE_MAX) {
		nip_err(err, NIP_E_LIMIT, "%s: passphrase longer than %u bytes", path,
			NIP_PASSPHRASE_MAX);
		goto out;
	}
	if (len == 0) {
		nip_err(err, NIP_E_FORMAT, "%s: empty passphrase", path);
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		nip_err(err, NIP_E_FORMAT, "%s: passphrase contains a NUL byte", path);
		goto out;
	}
	if (len >= outsz) {
		nip_err(err, NIP_E_LIMIT, "%s: passphrase longer than %zu bytes", path,
			outsz ? outsz - 1 : 0);
		goto out;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	rc = 0;
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return rc;
}
