/* The body of a publish request: a framed stream of packages, each with
 * its file name and size, so that trackd can split it without trusting
 * more than the framing (doc/track-publish.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAGIC_LEN (sizeof NIP_PUBLISH_MAGIC - 1)

int nip_publish_name_valid(const char *name, size_t len)
{
	/* A plain file name: it becomes a file in trackd's incoming
	 * directory, so nothing that could leave it or hide in it. */
	if (len < 5 || len > NIP_NAME_MAX || name[0] == '.' || memcmp(name + len - 4, ".nip", 4) != 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '+' || c == '~'))
			return 0;
	}
	return 1;
}

static void be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t unbe(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

struct out {
	int fd;
	struct nip_sha256 *h;
	uint64_t len;
};

static int put(struct out *o, const void *p, size_t n, struct nip_error *err)
{
	nip_sha256_update(o->h, p, n);
	o->len += n;
	return nip_write_full(o->fd, p, n, "request body", err);
}

static int put_file(struct out *o, const char *path, struct nip_error *err)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	uint8_t hdr[8];
	char buf[1 << 16];
	struct stat st;
	uint64_t left;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return nip_err_sys(err, NIP_E_USAGE, errno, "%s", path);
	if (!nip_publish_name_valid(base, strlen(base))) {
		nip_err(err, NIP_E_USAGE, "%s: not a package file name (NAME-VERSION-ARCH.nip)", path);
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		nip_err_sys(err, NIP_E_USAGE, S_ISREG(st.st_mode) ? errno : EINVAL, "%s", path);
		goto out;
	}
	be(hdr, strlen(base), 2);
	if (put(o, hdr, 2, err) < 0 || put(o, base, strlen(base), err) < 0)
		goto out;
	be(hdr, (uint64_t)st.st_size, 8);
	if (put(o, hdr, 8, err) < 0)
		goto out;
	left = (uint64_t)st.st_size;
	while (left && (r = nip_read_some(fd, buf, left < sizeof buf ? left : sizeof buf, path, err)) > 0) {
		if (put(o, buf, (size_t)r, err) < 0)
			goto out;
		left -= (uint64_t)r;
	}
	if (left) {
		/* It shrank while read: the frame would lie about its size. */
		if (!err || !err->code)
			nip_err(err, NIP_E_IO, "%s: changed while it was read", path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int nip_publish_body_write(int fd, const char *const *files, size_t n, uint64_t *len,
			   uint8_t sha256[NIP_SHA256_LEN], struct nip_error *err)
{
	struct out o = {fd, nip_sha256_new(err), 0};
	uint8_t cnt[4];
	int rc = -1;
	if (!o.h)
		return -1;
	if (n == 0 || n > NIP_PUBLISH_FILES_MAX) {
		nip_err(err, NIP_E_USAGE, "publish: give 1 to %u packages", NIP_PUBLISH_FILES_MAX);
		goto out;
	}
	be(cnt, n, 4);
	if (put(&o, NIP_PUBLISH_MAGIC, MAGIC_LEN, err) < 0 || put(&o, cnt, 4, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (put_file(&o, files[i], err) < 0)
			goto out;
	nip_sha256_final(o.h, sha256);
	*len = o.len;
	rc = 0;
out:
	nip_sha256_free(o.h);
	return rc;
}

struct seen {
	char **names;
	size_t n;
};

static int dup_name(struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

int nip_publish_body_read(int fd, uint64_t len,
			  int (*each)(void *ctx, const char *name, int fd, uint64_t size,
				      struct nip_error *err),
			  void *ctx, struct nip_error *err)
{
	uint8_t head[MAGIC_LEN + 4], b[8];
	char name[NIP_NAME_MAX + 1];
	struct seen seen = {0};
	uint64_t pos, count;
	int rc = -1;

	if (len < sizeof head)
		return nip_err(err, NIP_E_FORMAT, "request body: shorter than its header");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "request body");
	if (nip_read_full(fd, head, sizeof head, "request body", err) < 0)
		return -1;
	if (memcmp(head, NIP_PUBLISH_MAGIC, MAGIC_LEN) != 0)
		return nip_err(err, NIP_E_FORMAT, "request body: not a publish body (bad magic)");
	count = unbe(head + MAGIC_LEN, 4);
	if (count == 0 || count > NIP_PUBLISH_FILES_MAX)
		return nip_err(err, count ? NIP_E_LIMIT : NIP_E_FORMAT,
			       "request body: %llu packages (1 to %u allowed)", (unsigned long long)count,
			       NIP_PUBLISH_FILES_MAX);
	if (!(seen.names = calloc(count, sizeof *seen.names)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	pos = sizeof head;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t nlen, size;
		if (len - pos < 2) {
			nip_err(err, NIP_E_FORMAT, "request body: package %llu: truncated",
				(unsigned long long)i + 1);
			goto out;
		}
		if (nip_read_full(fd, b, 2, "request body", err) < 0)
			goto out;
		nlen = unbe(b, 2);
		pos += 2;
		if (nlen == 0 || nlen > NIP_NAME_MAX || len - pos < nlen + 8) {
			nip_err(err, NIP_E_FORMAT, "request body: package %llu: bad name length",
				(unsigned long long)i + 1);
			goto out;
		}
		if (nip_read_full(fd, name, nlen, "request body", err) < 0 ||
		    nip_read_full(fd, b, 8, "request body", err) < 0)
			goto out;
		name[nlen] = 0;
		pos += nlen + 8;
		size = unbe(b, 8);
		if (!nip_publish_name_valid(name, nlen) || memchr(name, 0, nlen)) {
			nip_err(err, NIP_E_FORMAT, "request body: package %llu: not a package file name",
				(unsigned long long)i + 1);
			goto out;
		}
		if (dup_name(&seen, name)) {
			nip_err(err, NIP_E_FORMAT, "request body: %s: sent twice", name);
			goto out;
		}
		if (size > len - pos) {
			nip_err(err, NIP_E_FORMAT, "request body: %s: size past the end of the body", name);
			goto out;
		}
		if (!(seen.names[seen.n] = strdup(name))) {
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
		seen.n++;
		if (each(ctx, name, fd, size, err) < 0)
			goto out;
		pos += size;
		/* `each` consumed the bytes; the framing is ours to keep. */
		if (lseek(fd, (off_t)pos, SEEK_SET) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "request body");
			goto out;
		}
	}
	if (pos != len) {
		nip_err(err, NIP_E_FORMAT, "request body: %llu bytes after the last package",
			(unsigned long long)(len - pos));
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < seen.n; i++)
		free(seen.names[i]);
	free(seen.names);
	return rc;
}
