/* The head of a .nip and what binds the rest to it. The head frame holds
 * .NIPINFO and .NIPSIG as raw zstd blocks: no signature can cover the bytes
 * that carry it, so their encoding is instead a function of the content
 * (which the signature does cover) and the reader rebuilds and compares it.
 * The payload frame's compressed bytes are bound by their SHA-256 in the
 * signed trusted comment: bits of entropy-coded data that happen to decode
 * the same are caught too, while the Variant-CID (the manifest's hash)
 * stays independent of the compressor. Every field of the head has a fixed
 * width once the file list is known, so the writer can place the payload
 * after it before a single hash exists. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ZSTD_MAGIC 0xFD2FB528u
/* No content size, no checksum, no dictionary, not single segment. */
#define RAW_FHD 0x00
/* Window 2^17 = 128 KiB: the largest block a frame may hold. */
#define RAW_WINDOW 0x38
#define RAW_BLOCK (128u << 10)

int raw_frame(const void *content, size_t len, struct nip_buf *out, struct nip_error *err)
{
	const unsigned char *p = content;
	unsigned char hdr[6] = {ZSTD_MAGIC & 0xff, ZSTD_MAGIC >> 8 & 0xff, ZSTD_MAGIC >> 16 & 0xff,
				ZSTD_MAGIC >> 24, RAW_FHD, RAW_WINDOW};

	if (nip_buf_append(out, hdr, sizeof hdr, err) < 0)
		return -1;
	do {
		size_t n = len < RAW_BLOCK ? len : RAW_BLOCK;
		/* Block header: last-block bit, type 0 (raw), size << 3. */
		uint32_t bh = (uint32_t)n << 3 | (n == len);
		unsigned char b[3] = {bh & 0xff, bh >> 8 & 0xff, bh >> 16 & 0xff};
		if (nip_buf_append(out, b, 3, err) < 0 || nip_buf_append(out, p, n, err) < 0)
			return -1;
		p += n;
		len -= n;
	} while (len);
	return 0;
}

static int comment_prefix(const struct nip_manifest *m, const uint8_t cid[NIP_SHA256_LEN],
			  char *out, size_t outsz, struct nip_error *err)
{
	char s[NIP_CID_STRLEN];
	nip_cid_format(cid, s);
	if ((size_t)snprintf(out, outsz, "nip package %s %s %s %s zst-sha256=", m->name, m->version,
			     m->arch, s) >= outsz)
		return nip_err(err, NIP_E_LIMIT, "trusted comment too long");
	return 0;
}

int head_frame(const struct nip_manifest *m, const struct nip_buf *info, const struct nip_buf *sigtext,
	       struct nip_buf *frame, struct nip_error *err)
{
	static const unsigned char zeros[TAR_BLOCK];
	struct tar_member tm = {.type = '0', .mode = 0644, .mtime = m->prov.source_date_epoch};
	const struct nip_buf *body[] = {info, sigtext};
	const char *names[] = {NIPINFO_NAME, NIPSIG_NAME};
	struct nip_buf tar;
	int rc = -1;

	nip_buf_init(&tar, NIP_MANIFEST_MAX + NIP_SIG_MAX + 4 * TAR_BLOCK, "package head");
	for (int i = 0; i < 2; i++) {
		tm.path = names[i];
		tm.size = body[i]->len;
		if (tar_header(&tm, &tar, err) < 0 || nip_buf_append(&tar, body[i]->data, body[i]->len, err) < 0 ||
		    nip_buf_append(&tar, zeros, (size_t)tar_padding(body[i]->len), err) < 0)
			goto out;
	}
	rc = raw_frame(tar.data, tar.len, frame, err);
out:
	nip_buf_free(&tar);
	return rc;
}

size_t raw_frame_size(size_t content)
{
	size_t blocks = content ? (content + RAW_BLOCK - 1) / RAW_BLOCK : 1;
	return 6 + 3 * blocks + content;
}

int sig_trusted_comment(const struct nip_manifest *m, const uint8_t cid[NIP_SHA256_LEN],
			const uint8_t zsha[NIP_SHA256_LEN], char *out, size_t outsz, struct nip_error *err)
{
	size_t n;

	if (comment_prefix(m, cid, out, outsz, err) < 0)
		return -1;
	n = strlen(out);
	if (n + NIP_SHA256_HEX > outsz)
		return nip_err(err, NIP_E_LIMIT, "trusted comment too long");
	nip_hex(zsha, NIP_SHA256_LEN, out + n);
	return 0;
}

int sig_comment_payload(const char *comment, const struct nip_manifest *m,
			const uint8_t cid[NIP_SHA256_LEN], uint8_t zsha[NIP_SHA256_LEN],
			struct nip_error *err)
{
	char prefix[NIP_COMMENT_MAX + 1];
	size_t n;

	if (comment_prefix(m, cid, prefix, sizeof prefix, err) < 0)
		return -1;
	n = strlen(prefix);
	if (strncmp(comment, prefix, n - strlen(" zst-sha256=")) != 0)
		return nip_err(err, NIP_E_TRUST, "%s: trusted comment does not name this manifest",
			       NIPSIG_NAME);
	if (strncmp(comment, prefix, n) != 0)
		return nip_err(err, NIP_E_TRUST, "%s: trusted comment lacks the payload frame's hash",
			       NIPSIG_NAME);
	if (nip_unhex(comment + n, zsha, NIP_SHA256_LEN) < 0)
		return nip_err(err, NIP_E_TRUST, "%s: trusted comment lacks the payload frame's hash",
			       NIPSIG_NAME);
	return 0;
}
