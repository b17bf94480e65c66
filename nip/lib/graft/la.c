/* libarchive, loaded on first use: reading a .deb, pacman or apk package is
 * libarchive's job (ar, tar, gzip, xz, zstd); nip only decides what each
 * member may be. Only built-in decompressors are enabled: filter_all would
 * also run external programs (lrzip, lzop) on hostile input. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "nip/limits.h"

#define LAR_BLOCK (64u << 10)

int la_load(struct la *la, struct nip_error *err)
{
#define S(field, sym) {#sym, (void **)&la->field}
	const struct nip_dl_sym syms[] = {
		S(read_new, archive_read_new),
		S(support_filter_gzip, archive_read_support_filter_gzip),
		S(support_filter_xz, archive_read_support_filter_xz),
		S(support_filter_zstd, archive_read_support_filter_zstd),
		S(support_format_ar, archive_read_support_format_ar),
		S(support_format_tar, archive_read_support_format_tar),
		S(support_format_raw, archive_read_support_format_raw),
		S(support_filter_lz4, archive_read_support_filter_lz4),
		S(open, archive_read_open),
		S(next_header, archive_read_next_header),
		S(read_data, archive_read_data),
		S(read_free, archive_read_free),
		S(error_string, archive_error_string),
		S(filter_bytes, archive_filter_bytes),
		S(entry_pathname, archive_entry_pathname),
		S(entry_size, archive_entry_size),
		S(entry_filetype, archive_entry_filetype),
		S(entry_perm, archive_entry_perm),
		S(entry_symlink, archive_entry_symlink),
		S(entry_hardlink, archive_entry_hardlink),
		S(entry_mtime, archive_entry_mtime),
		S(entry_uid, archive_entry_uid),
		S(entry_gid, archive_entry_gid),
	};
#undef S
	return nip_dl_load("libarchive.so.13", syms, sizeof syms / sizeof *syms, err);
}

/* The read callback: bytes from the fd, or from the outer archive's member. */
static ssize_t feed(struct archive *a, void *ctx, const void **buf)
{
	struct lar *r = ctx;
	ssize_t n;

	(void)a;
	*buf = r->buf;
	if (r->outer)
		n = r->la->read_data(r->outer->a, r->buf, LAR_BLOCK);
	else
		do
			n = read(r->fd, r->buf, LAR_BLOCK);
		while (n < 0 && errno == EINTR);
	if (n > 0)
		r->in += (uint64_t)n;
	if (n > 0 && r->h)
		nip_sha256_update(r->h, r->buf, (size_t)n);
	return n < 0 ? -1 : n;
}

/* libarchive's message for r, or for the archive r reads from (a nested
 * reader's failure is often its source's truncation). */
static const char *why(const struct lar *r)
{
	for (; r; r = r->outer) {
		const char *s = r->la->error_string(r->a);
		if (s)
			return s;
	}
	return "truncated or corrupt";
}

int lar_open(struct lar *r, const struct la *la, int fd, struct lar *outer, char format,
	     struct nip_sha256 *h, const char *what, struct nip_error *err)
{
	memset(r, 0, sizeof *r);
	r->h = h;
	r->la = la;
	r->fd = fd;
	r->outer = outer;
	r->what = what;
	if (!(r->buf = malloc(LAR_BLOCK)) || !(r->a = la->read_new()))
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
	if (format == 'a')
		la->support_format_ar(r->a);
	else {
		if (format == 'r') {
			la->support_format_raw(r->a);
			la->support_filter_lz4(r->a);
		} else
			la->support_format_tar(r->a);
		la->support_filter_gzip(r->a);
		la->support_filter_xz(r->a);
		la->support_filter_zstd(r->a);
	}
	if (la->open(r->a, r, NULL, feed, NULL) != ARCHIVE_OK)
		return nip_err(err, NIP_E_FORMAT, "%s: %s", what, why(r));
	return 0;
}

/* Past the grace, output may not outrun input by more than NIP_RATIO_MAX:
 * a kilobyte must not unpack into terabytes before a cap is noticed. */
static int ratio_ok(const struct lar *r, struct nip_error *err)
{
	const struct lar *src = r;
	uint64_t in;

	while (src->outer)
		src = src->outer;
	in = src->in;
	if (r->out > NIP_RATIO_GRACE && r->out / NIP_RATIO_MAX > in)
		return nip_err(err, NIP_E_LIMIT,
			       "%s: unpacks to more than %u times its compressed size (a compression bomb?)",
			       r->what, NIP_RATIO_MAX);
	return 0;
}

int lar_next(struct lar *r, struct archive_entry **e, struct nip_error *err)
{
	int rc = r->la->next_header(r->a, e);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		return nip_err(err, NIP_E_FORMAT, "%s: %s", r->what, why(r));
	r->out += 512; /* a header's worth, so empty members count too */
	if (ratio_ok(r, err) < 0)
		return -1;
	return 1;
}

ssize_t lar_read(struct lar *r, void *p, size_t n, struct nip_error *err)
{
	ssize_t got = r->la->read_data(r->a, p, n);
	if (got < 0)
		return nip_err(err, NIP_E_FORMAT, "%s: %s", r->what, why(r));
	r->out += (uint64_t)got;
	if (ratio_ok(r, err) < 0)
		return -1;
	return got;
}

int lar_slurp(struct lar *r, size_t max, struct nip_buf *out, struct nip_error *err)
{
	unsigned char *chunk = malloc(LAR_BLOCK);

	nip_buf_init(out, max, r->what);
	if (!chunk)
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", r->what);
	for (;;) {
		ssize_t n;
		if (nip_buf_reserve(out, 1, err) < 0)
			goto fail;
		/* Never ask for more than the cap leaves, plus one byte to
		 * notice a member that is longer still. */
		n = lar_read(r, chunk, out->max - out->len < LAR_BLOCK ? out->max - out->len + 1 : LAR_BLOCK, err);
		if (n < 0 || nip_buf_append(out, chunk, (size_t)n, err) < 0)
			goto fail;
		if (n == 0)
			break;
	}
	if (nip_buf_cstr(out, err) < 0)
		goto fail;
	free(chunk);
	return 0;
fail:
	free(chunk);
	nip_buf_free(out);
	return -1;
}

void lar_close(struct lar *r)
{
	if (r->a)
		r->la->read_free(r->a);
	free(r->buf);
	r->a = NULL;
	r->buf = NULL;
}
