/* Reading a .nip in one pass. Order of trust: the signature is checked over
 * the raw manifest bytes before the manifest is parsed; from then on the
 * signed manifest dictates every remaining byte of the archive: each header
 * is regenerated and compared, each payload file is hashed as it streams,
 * padding must be zeros, and the stream must end right after the
 * end-of-archive blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

static const unsigned char zeros[TAR_BLOCK];

void nip_package_free(struct nip_package *p)
{
	if (!p)
		return;
	nip_manifest_free(p->manifest);
	free(p);
}

static int skip_padding(struct zread *z, uint64_t size, const char *what, struct nip_error *err)
{
	unsigned char pad[TAR_BLOCK];
	size_t n = (size_t)tar_padding(size);
	if (zread_exact(z, pad, n, err) < 0)
		return nip_err_prefix(err, "%s: ", what);
	if (memcmp(pad, zeros, n) != 0)
		return nip_err(err, NIP_E_FORMAT, "%s: non-zero padding", what);
	return 0;
}

/* A metadata member: its raw header (kept to compare later) and bytes. */
static int read_meta(struct zread *z, const char *name, uint64_t max, unsigned char hdr[TAR_BLOCK],
		     struct nip_buf *body, struct nip_error *err)
{
	uint64_t size;

	if (zread_exact(z, hdr, TAR_BLOCK, err) < 0 ||
	    tar_meta_size(hdr, name, max, &size, err) < 0)
		return -1;
	nip_buf_init(body, (size_t)max, name);
	if (nip_buf_reserve(body, (size_t)size, err) < 0 ||
	    zread_exact(z, body->data, (size_t)size, err) < 0)
		return nip_err_prefix(err, "%s: ", name);
	body->len = (size_t)size;
	if (nip_buf_cstr(body, err) < 0)
		return -1;
	return skip_padding(z, size, name, err);
}

static int expect_header(struct zread *z, const struct tar_member *m, struct nip_buf *want,
			 struct nip_buf *got, struct nip_error *err)
{
	want->len = 0;
	if (tar_header(m, want, err) < 0)
		return -1;
	got->len = 0;
	if (nip_buf_reserve(got, want->len, err) < 0)
		return -1;
	if (zread_exact(z, got->data, want->len, err) < 0)
		return nip_err_prefix(err, "%s: ", m->path);
	got->len = want->len;
	if (memcmp(want->data, got->data, want->len) != 0) {
		char desc[300], same[NIP_PATH_MAX + 16];
		tar_describe(got->data, got->len, desc, sizeof desc);
		snprintf(same, sizeof same, "member '%s%s'", m->path, m->type == '5' ? "/" : "");
		if (strcmp(desc, same) == 0)
			return nip_err(err, NIP_E_FORMAT, "%s: archive header differs from the manifest",
				       m->path);
		return nip_err(err, NIP_E_FORMAT, "expected member '%s', found %s", m->path, desc);
	}
	return 0;
}

static const struct nip_pubkey *pick_key(const struct nip_sig *sig, const struct nip_pubkey *keys,
					 size_t nkeys, struct nip_error *err)
{
	char id[NIP_KEYID_HEX];
	for (size_t i = 0; i < nkeys; i++)
		if (memcmp(keys[i].keyid, sig->keyid, NIP_KEYID_LEN) == 0)
			return &keys[i];
	nip_keyid_format(sig->keyid, id);
	if (nkeys == 1) {
		char want[NIP_KEYID_HEX];
		nip_keyid_format(keys[0].keyid, want);
		nip_err(err, NIP_E_TRUST, "signed by key %s, not by the trusted key %s", id, want);
	} else {
		nip_err(err, NIP_E_TRUST, "signed by key %s, which is not trusted", id);
	}
	return NULL;
}

/* The compressed bytes as the decompressor consumed them: the head frame
 * kept to compare with its canonical encoding, the payload frame hashed to
 * compare with the signed trusted comment. */
struct zseen {
	struct nip_buf head;
	struct nip_sha256 *payload;
	int overflow;
	uint8_t signed_sha[NIP_SHA256_LEN];
};

static void zseen_sink(void *ctx, const unsigned char *p, size_t n, int frame)
{
	struct zseen *s = ctx;
	if (frame == 1)
		s->overflow |= nip_buf_append(&s->head, p, n, NULL) < 0;
	else
		nip_sha256_update(s->payload, p, n);
}

/* The head of the archive: .NIPINFO and .NIPSIG, verified and parsed. */
static int read_head(struct zread *z, const struct nip_pubkey *keys, size_t nkeys,
		     struct nip_package *pkg, struct zseen *seen, struct nip_error *err)
{
	unsigned char info_hdr[TAR_BLOCK], sig_hdr[TAR_BLOCK];
	struct nip_buf info, sig, want;
	const char *untrusted;
	size_t ulen;
	char id[NIP_KEYID_HEX];
	int rc = -1;

	nip_buf_init(&info, NIP_MANIFEST_MAX, NIPINFO_NAME);
	nip_buf_init(&sig, NIP_SIG_MAX, NIPSIG_NAME);
	nip_buf_init(&want, raw_frame_size(NIP_MANIFEST_MAX + NIP_SIG_MAX + 4 * TAR_BLOCK), "package head");
	if (read_meta(z, NIPINFO_NAME, NIP_MANIFEST_MAX, info_hdr, &info, err) < 0 ||
	    read_meta(z, NIPSIG_NAME, NIP_SIG_MAX, sig_hdr, &sig, err) < 0)
		goto out;
	if (nip_sig_parse((char *)sig.data, sig.len, &pkg->sig, &untrusted, &ulen, err) < 0) {
		nip_err_prefix(err, "%s: ", NIPSIG_NAME);
		goto out;
	}
	if (ulen != strlen(NIPSIG_UNTRUSTED) || memcmp(untrusted, NIPSIG_UNTRUSTED, ulen) != 0) {
		nip_err(err, NIP_E_FORMAT, "%s: unexpected untrusted comment", NIPSIG_NAME);
		goto out;
	}
	/* The head is a frame of its own: a reader of the manifest stops
	 * there, and a file has one framing. */
	if (zread_frame_ended(z) != 1) {
		nip_err(err, NIP_E_FORMAT, "the first zstd frame must end after %s", NIPSIG_NAME);
		goto out;
	}
	want.len = 0;
	if (nip_sig_format(&pkg->sig, NIPSIG_UNTRUSTED, &want, err) < 0)
		goto out;
	if (want.len != sig.len || memcmp(want.data, sig.data, sig.len) != 0) {
		nip_err(err, NIP_E_FORMAT, "%s: not in canonical form", NIPSIG_NAME);
		goto out;
	}
	want.len = 0;
	if (nkeys) {
		const struct nip_pubkey *key = pick_key(&pkg->sig, keys, nkeys, err);
		if (!key || nip_sig_verify(&pkg->sig, key, info.data, info.len, err) < 0)
			goto out;
		/* From here the signed sizes bound every byte to come. */
		zread_uncap_ratio(z);
	}
	/* Only now is the manifest parsed (when keys were given). */
	nip_sha256(info.data, info.len, pkg->cid);
	if (nip_manifest_parse(info.data, info.len, &pkg->manifest, err) < 0)
		goto out;
	nip_keyid_format(pkg->sig.keyid, id);
	if (!pkg->manifest->prov.builder_key || strcmp(pkg->manifest->prov.builder_key, id) != 0) {
		nip_err(err, NIP_E_TRUST, "manifest names builder key %s but is signed by %s",
			pkg->manifest->prov.builder_key ? pkg->manifest->prov.builder_key : "(none)", id);
		goto out;
	}
	if (sig_comment_payload(pkg->sig.trusted_comment, pkg->manifest, pkg->cid, seen->signed_sha, err) < 0)
		goto out;
	/* The head frame must be byte for byte what nip writes for this
	 * manifest and signature: headers, padding and raw blocks included. */
	want.len = 0;
	if (head_frame(pkg->manifest, &info, &sig, &want, err) < 0)
		goto out;
	if (seen->overflow || seen->head.len != want.len || memcmp(seen->head.data, want.data, want.len) != 0) {
		nip_err(err, NIP_E_FORMAT, "the head frame is not in canonical form (tar headers or raw zstd blocks)");
		goto out;
	}
	rc = 0;
out:
	nip_buf_free(&info);
	nip_buf_free(&sig);
	nip_buf_free(&want);
	return rc;
}

static int read_file_data(struct zread *z, const struct nip_file *f, struct nip_sha256 *h,
			  const struct nip_read_ops *ops, void *ctx, struct nip_error *err)
{
	uint64_t left = f->size;
	uint8_t got[NIP_SHA256_LEN];

	nip_sha256_reset(h);
	while (left) {
		const unsigned char *p;
		size_t n;
		if (zread_peek(z, &p, &n, left > SIZE_MAX ? SIZE_MAX : (size_t)left, err) < 0)
			return nip_err_prefix(err, "%s: ", f->path);
		if (!n)
			return nip_err(err, NIP_E_FORMAT, "%s: truncated", f->path);
		nip_sha256_update(h, p, n);
		if (ops && ops->data && ops->data(ctx, p, n, err) < 0)
			return -1;
		zread_advance(z, n);
		left -= n;
	}
	nip_sha256_final(h, got);
	if (memcmp(got, f->sha256, sizeof got) != 0) {
		char a[NIP_SHA256_HEX], b[NIP_SHA256_HEX];
		nip_hex(got, sizeof got, a);
		nip_hex(f->sha256, sizeof got, b);
		return nip_err(err, NIP_E_TRUST, "%s: content does not match the manifest (sha256 %s, expected %s)",
			       f->path, a, b);
	}
	return skip_padding(z, f->size, f->path, err);
}

static int read_payload(struct zread *z, const struct nip_package *pkg, struct zseen *seen,
			const struct nip_read_ops *ops, void *ctx, struct nip_error *err)
{
	const struct nip_manifest *m = pkg->manifest;
	struct nip_buf want, got;
	struct nip_sha256 *h = nip_sha256_new(err);
	unsigned char end[2 * TAR_BLOCK];
	uint8_t zsha[NIP_SHA256_LEN];
	int rc = -1;

	nip_buf_init(&want, TAR_HEADER_MAX, "header");
	nip_buf_init(&got, TAR_HEADER_MAX, "header");
	if (!h)
		goto out;
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct nip_file *f = &m->files[i];
		struct tar_member tm;
		tar_member_of_file(f, m->prov.source_date_epoch, &tm);
		if (expect_header(z, &tm, &want, &got, err) < 0)
			goto out;
		if (ops && ops->begin && ops->begin(ctx, f, err) < 0)
			goto out;
		if (f->type == NIP_FT_FILE && read_file_data(z, f, h, ops, ctx, err) < 0)
			goto out;
		if (ops && ops->end && ops->end(ctx, f, err) < 0)
			goto out;
	}
	if (zread_exact(z, end, sizeof end, err) < 0) {
		nip_err_prefix(err, "end of archive: ");
		goto out;
	}
	if (memcmp(end, zeros, TAR_BLOCK) != 0 || memcmp(end + TAR_BLOCK, zeros, TAR_BLOCK) != 0) {
		char desc[300];
		tar_describe(end, sizeof end, desc, sizeof desc);
		nip_err(err, NIP_E_FORMAT, "%s is not in the manifest", desc);
		goto out;
	}
	/* Head frame, payload frame, nothing else. */
	if (zread_expect_end(z, 2, err) < 0)
		goto out;
	nip_sha256_final(seen->payload, zsha);
	if (memcmp(zsha, seen->signed_sha, sizeof zsha) != 0) {
		nip_err(err, NIP_E_TRUST, "the payload frame's compressed bytes do not match the signature");
		goto out;
	}
	rc = 0;
out:
	nip_sha256_free(h);
	nip_buf_free(&want);
	nip_buf_free(&got);
	return rc;
}

static int read_package(int fd, const struct nip_pubkey *keys, size_t nkeys, int whole,
			const struct nip_read_ops *ops, void *ctx, struct nip_package **out,
			struct nip_error *err)
{
	struct nip_package *pkg = calloc(1, sizeof *pkg);
	struct zread *z = NULL;
	struct zseen seen = {0};
	int rc = -1;

	nip_buf_init(&seen.head, raw_frame_size(NIP_MANIFEST_MAX + NIP_SIG_MAX + 4 * TAR_BLOCK),
		     "package head");
	if (!pkg || !(seen.payload = nip_sha256_new(err))) {
		nip_err(err, NIP_E_NOMEM, "package: out of memory");
		goto out;
	}
	if (!(z = zread_new(fd, whole, zseen_sink, &seen, err)))
		goto out;
	if (read_head(z, keys, nkeys, pkg, &seen, err) < 0)
		goto out;
	if (whole) {
		if (ops && ops->manifest && ops->manifest(ctx, pkg->manifest, pkg->cid, err) < 0)
			goto out;
		if (read_payload(z, pkg, &seen, ops, ctx, err) < 0)
			goto out;
	}
	if (out) {
		*out = pkg;
		pkg = NULL;
	}
	rc = 0;
out:
	zread_free(z);
	nip_buf_free(&seen.head);
	nip_sha256_free(seen.payload);
	nip_package_free(pkg);
	return rc;
}

int nip_package_read(int fd, const struct nip_pubkey *keys, size_t nkeys, const struct nip_read_ops *ops,
		     void *ctx, struct nip_package **out, struct nip_error *err)
{
	if (!nkeys)
		return nip_err(err, NIP_E_TRUST, "no trusted key to verify the package with");
	return read_package(fd, keys, nkeys, 1, ops, ctx, out, err);
}

int nip_package_read_head(int fd, const struct nip_pubkey *keys, size_t nkeys,
			  struct nip_package **out, struct nip_error *err)
{
	return read_package(fd, keys, nkeys, 0, NULL, NULL, out, err);
}
