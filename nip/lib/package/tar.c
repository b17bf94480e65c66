/* The canonical tar encoding of a .nip. nip owns these bytes rather than
 * taking whatever a general tar writer emits: the reader regenerates every
 * header from the signed manifest and compares byte for byte, so one member
 * has exactly one encoding and no header byte goes unchecked. The subset is
 * POSIX pax, readable by GNU tar, bsdtar and libarchive. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define NAME_LEN 100u
/* 11 octal digits: the largest size or time a ustar field holds. */
#define OCTAL11_MAX 077777777777ull

/* width-1 octal digits and a NUL, as POSIX and GNU tar write them; callers
 * keep v within the field. */
static void octal(char *field, size_t width, uint64_t v)
{
	field[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

static int pax_record(struct nip_buf *b, const char *key, const char *value,
		      struct nip_error *err)
{
	size_t body = 1 + strlen(key) + 1 + strlen(value) + 1; /* " k=v\n" */
	size_t len = body + 1, digits;

	/* The length counts its own digits. */
	for (;;) {
		char tmp[24];
		digits = (size_t)snprintf(tmp, sizeof tmp, "%zu", len);
		if (body + digits == len)
			break;
		len = body + digits;
	}
	return nip_buf_printf(b, err, "%zu %s=%s\n", len, key, value);
}

static void ustar_block(unsigned char blk[TAR_BLOCK], const char *name, char type,
			uint32_t mode, uint64_t size, int64_t mtime, const char *link,
			uint32_t devmajor, uint32_t devminor)
{
	unsigned sum = 0;

	memset(blk, 0, TAR_BLOCK);
	memcpy(blk, name, strnlen(name, NAME_LEN));
	octal((char *)blk + 100, 8, mode & 07777);
	octal((char *)blk + 108, 8, 0);
	octal((char *)blk + 116, 8, 0);
	octal((char *)blk + 124, 12, size > OCTAL11_MAX ? 0 : size);
	octal((char *)blk + 136, 12, (uint64_t)mtime);
	memset(blk + 148, ' ', 8);
	blk[156] = (unsigned char)type;
	if (link)
		memcpy(blk + 157, link, strnlen(link, NAME_LEN));
	memcpy(blk + 257, "ustar\0" "00", 8);
	octal((char *)blk + 329, 8, devmajor);
	octal((char *)blk + 337, 8, devminor);
	for (unsigned i = 0; i < TAR_BLOCK; i++)
		sum += blk[i];
	snprintf((char *)blk + 148, 8, "%06o", sum);
	blk[155] = ' ';
}

int tar_header(const struct tar_member *m, struct nip_buf *out, struct nip_error *err)
{
	char name[NIP_PATH_MAX + 2];
	unsigned char blk[TAR_BLOCK];
	struct nip_buf pax;
	int rc = -1;

	if (m->mtime < 0 || (uint64_t)m->mtime > OCTAL11_MAX)
		return nip_err(err, NIP_E_USAGE, "SOURCE_DATE_EPOCH %lld is out of range",
			       (long long)m->mtime);
	snprintf(name, sizeof name, "%s%s", m->path, m->type == '5' ? "/" : "");
	nip_buf_init(&pax, 3 * NIP_PATH_MAX, "pax header");
	if (m->link && strlen(m->link) > NAME_LEN && pax_record(&pax, "linkpath", m->link, err) < 0)
		goto out;
	if (strlen(name) > NAME_LEN && pax_record(&pax, "path", name, err) < 0)
		goto out;
	if (m->size > OCTAL11_MAX) {
		char v[24];
		snprintf(v, sizeof v, "%llu", (unsigned long long)m->size);
		if (pax_record(&pax, "size", v, err) < 0)
			goto out;
	}
	if (pax.len) {
		static const unsigned char zeros[TAR_BLOCK];
		ustar_block(blk, "././@PaxHeader", 'x', 0644, pax.len, m->mtime, NULL, 0, 0);
		if (nip_buf_append(out, blk, TAR_BLOCK, err) < 0 ||
		    nip_buf_append(out, pax.data, pax.len, err) < 0 ||
		    nip_buf_append(out, zeros, tar_padding(pax.len), err) < 0)
			goto out;
	}
	ustar_block(blk, name, m->type, m->mode, m->size, m->mtime, m->link, m->devmajor,
		    m->devminor);
	rc = nip_buf_append(out, blk, TAR_BLOCK, err);
out:
	nip_buf_free(&pax);
	return rc;
}

void tar_member_of_file(const struct nip_file *f, int64_t mtime, struct tar_member *m)
{
	static const char types[] = {
		[NIP_FT_FILE] = '0', [NIP_FT_DIR] = '5',   [NIP_FT_SYMLINK] = '2',
		[NIP_FT_HARDLINK] = '1', [NIP_FT_CHAR] = '3', [NIP_FT_BLOCK] = '4',
		[NIP_FT_FIFO] = '6',
	};
	memset(m, 0, sizeof *m);
	m->path = f->path;
	m->type = types[f->type];
	m->mode = f->type == NIP_FT_SYMLINK ? 0777 : f->mode;
	m->size = f->type == NIP_FT_FILE ? f->size : 0;
	m->mtime = mtime;
	m->link = f->type == NIP_FT_SYMLINK || f->type == NIP_FT_HARDLINK ? f->target : NULL;
	m->devmajor = f->rdev_major;
	m->devminor = f->rdev_minor;
}

int tar_meta_size(const unsigned char hdr[TAR_BLOCK], const char *name, uint64_t max,
		  uint64_t *size, struct nip_error *err)
{
	uint64_t v = 0;

	if (strnlen((const char *)hdr, NAME_LEN) != strlen(name) ||
	    memcmp(hdr, name, strlen(name)) != 0) {
		char got[128];
		tar_describe(hdr, TAR_BLOCK, got, sizeof got);
		return nip_err(err, NIP_E_FORMAT, "expected member %s, found %s", name, got);
	}
	if (hdr[156] != '0')
		return nip_err(err, NIP_E_FORMAT, "%s: must be a regular file (tar type '0', not 0x%02x)",
			       name, hdr[156]);
	for (unsigned i = 124; i < 135; i++) {
		if (hdr[i] < '0' || hdr[i] > '7')
			return nip_err(err, NIP_E_FORMAT, "%s: malformed size field", name);
		v = v * 8 + (uint64_t)(hdr[i] - '0');
	}
	if (hdr[135] != '\0')
		return nip_err(err, NIP_E_FORMAT, "%s: malformed size field", name);
	if (v > max)
		return nip_err(err, NIP_E_LIMIT, "%s: %llu bytes exceeds the limit of %llu", name,
			       (unsigned long long)v, (unsigned long long)max);
	*size = v;
	return 0;
}

static void printable(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	size_t j = 0;
	for (size_t i = 0; i < n && p[i] && j + 5 < outsz; i++)
		j += (size_t)snprintf(out + j, outsz - j, p[i] >= 0x20 && p[i] < 0x7f ? "%c" : "\\x%02x", p[i]);
	out[j] = '\0';
}

void tar_describe(const unsigned char *hdr, size_t len, char *out, size_t outsz)
{
	static const unsigned char zeros[TAR_BLOCK];
	char name[NAME_LEN + 1];

	if (len < TAR_BLOCK) {
		snprintf(out, outsz, "a truncated header");
		return;
	}
	if (memcmp(hdr, zeros, TAR_BLOCK) == 0) {
		snprintf(out, outsz, len >= 2 * TAR_BLOCK && memcmp(hdr + TAR_BLOCK, zeros, TAR_BLOCK) != 0
					     ? "a damaged end of the archive"
					     : "the end of the archive");
		return;
	}
	if (hdr[156] == 'x' && len > TAR_BLOCK) {
		/* Name the member by its pax path when the record is there. */
		const unsigned char *rec = hdr + TAR_BLOCK, *end = hdr + len;
		const unsigned char *p = memmem(rec, (size_t)(end - rec), " path=", 6);
		if (p) {
			const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
			char tmp[256];
			p += 6;
			printable(p, nl ? (size_t)(nl - p) : (size_t)(end - p), tmp, sizeof tmp);
			snprintf(out, outsz, "member '%s'", tmp);
			return;
		}
	}
	printable(hdr, NAME_LEN, name, sizeof name);
	snprintf(out, outsz, "member '%s'", name);
}
