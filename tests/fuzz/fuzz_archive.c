/* Fuzz target: the package reader. A fuzzer cannot forge Ed25519, so two
 * modes reach both sides of the signature check:
 *   first byte even: the rest is a whole .nip file (zstd layer, head);
 *   first byte odd:  u32 manifest length, manifest, then a raw tar payload;
 *                    the target compresses the payload, signs the manifest
 *                    with a fixed key (after setting its builder key) binding
 *                    that frame, writes the raw head, and reads the result,
 *                    so mutations reach the member checks. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "../../nip/lib/package/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_key(struct nip_seckey *sec, struct nip_pubkey *pub)
{
	unsigned char seed[32] = "nip fuzzing key, never trust it", pk[32];
	memset(sec->keyid, 0x42, sizeof sec->keyid);
	crypto_sign_seed_keypair(pk, sec->sk, seed);
	nip_seckey_public(sec, pub);
}

static int compress_frame(struct nip_buf *out, const void *p, size_t n)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(n), r;
	int rc = -1;
	if (!c || nip_buf_reserve(out, cap, NULL) < 0)
		goto out;
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
	r = ZSTD_compress2(c, out->data + out->len, cap, p, n);
	if (!ZSTD_isError(r)) {
		out->len += r;
		rc = 0;
	}
out:
	ZSTD_freeCCtx(c);
	return rc;
}

/* The manifest re-signed by the fuzz key, inside a canonical head frame
 * bound to the payload frame `zpay`. */
static int build_head(const uint8_t *man, size_t len, const struct nip_buf *zpay, struct nip_buf *frame)
{
	static const unsigned char zeros[TAR_BLOCK];
	struct nip_seckey sec;
	struct nip_pubkey pub;
	struct nip_manifest *m = NULL;
	struct nip_buf info, sigtext, tar;
	uint8_t zsha[NIP_SHA256_LEN];
	struct nip_sig sig;
	struct tar_member tm = {.type = '0', .mode = 0644};
	uint8_t cid[NIP_SHA256_LEN];
	char comment[NIP_COMMENT_MAX + 1] = "nip package", id[NIP_KEYID_HEX];
	int rc = -1;

	fuzz_key(&sec, &pub);
	nip_buf_init(&info, NIP_MANIFEST_MAX, "manifest");
	nip_buf_init(&sigtext, NIP_SIG_MAX, "sig");
	nip_buf_init(&tar, 2 * NIP_MANIFEST_MAX, "tar");
	nip_sha256(zpay->data, zpay->len, zsha);
	if (nip_manifest_parse(man, len, &m, NULL) == 0) {
		nip_keyid_format(sec.keyid, id);
		free(m->prov.builder_key);
		m->prov.builder_key = strdup(id);
		tm.mtime = m->prov.source_date_epoch;
		if (!m->prov.builder_key || nip_manifest_serialize(m, &info, NULL) < 0)
			goto out;
		nip_sha256(info.data, info.len, cid);
		sig_trusted_comment(m, cid, zsha, comment, sizeof comment, NULL);
	} else if (nip_buf_append(&info, man, len, NULL) < 0) {
		goto out;
	}
	if (nip_sig_sign(&sec, info.data, info.len, comment, &sig, NULL) < 0 ||
	    nip_sig_format(&sig, NIPSIG_UNTRUSTED, &sigtext, NULL) < 0)
		goto out;
	tm.path = NIPINFO_NAME;
	tm.size = info.len;
	if (tar_header(&tm, &tar, NULL) < 0 || nip_buf_append(&tar, info.data, info.len, NULL) < 0 ||
	    nip_buf_append(&tar, zeros, (size_t)tar_padding(info.len), NULL) < 0)
		goto out;
	tm.path = NIPSIG_NAME;
	tm.size = sigtext.len;
	if (tar_header(&tm, &tar, NULL) < 0 || nip_buf_append(&tar, sigtext.data, sigtext.len, NULL) < 0 ||
	    nip_buf_append(&tar, zeros, (size_t)tar_padding(sigtext.len), NULL) < 0)
		goto out;
	rc = raw_frame(tar.data, tar.len, frame, NULL);
out:
	nip_manifest_free(m);
	nip_buf_free(&info);
	nip_buf_free(&sigtext);
	nip_buf_free(&tar);
	return rc;
}

static void read_fd(const struct nip_buf *file)
{
	struct nip_seckey sec;
	struct nip_pubkey pub;
	struct nip_package *p = NULL;
	int fd = memfd_create("fuzz.nip", MFD_CLOEXEC);

	if (fd < 0)
		return;
	fuzz_key(&sec, &pub);
	if (write(fd, file->data, file->len) == (ssize_t)file->len && lseek(fd, 0, SEEK_SET) == 0) {
		if (nip_package_read(fd, &pub, 1, NULL, NULL, &p, NULL) == 0)
			nip_package_free(p);
		lseek(fd, 0, SEEK_SET);
		if (nip_package_read_head(fd, NULL, 0, &p, NULL) == 0)
			nip_package_free(p);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nip_buf file, zpay;
	uint32_t mlen;

	if (size < 1 || sodium_init() < 0)
		return 0;
	nip_buf_init(&file, 64u << 20, "file");
	nip_buf_init(&zpay, 64u << 20, "payload");
	if (!(data[0] & 1)) {
		if (nip_buf_append(&file, data + 1, size - 1, NULL) == 0)
			read_fd(&file);
	} else if (size >= 5) {
		memcpy(&mlen, data + 1, 4);
		if (mlen <= size - 5 && compress_frame(&zpay, data + 5 + mlen, size - 5 - mlen) == 0 &&
		    build_head(data + 5, mlen, &zpay, &file) == 0 &&
		    nip_buf_append(&file, zpay.data, zpay.len, NULL) == 0)
			read_fd(&file);
	}
	nip_buf_free(&file);
	nip_buf_free(&zpay);
	return 0;
}
