/* Private to the package component. */
#ifndef NIP_PACKAGE_INTERNAL_H
#define NIP_PACKAGE_INTERNAL_H

#include <stdint.h>

#include "nip/package.h"

#define TAR_BLOCK 512u
#define NIPINFO_NAME ".NIPINFO"
#define NIPSIG_NAME ".NIPSIG"
/* The untrusted comment of every .NIPSIG: fixed, so it carries nothing. */
#define NIPSIG_UNTRUSTED "nip package signature"
#define NIP_DEFAULT_LEVEL 3
/* Largest canonical header: pax header block + records (path and linkpath
 * of NIP_PATH_MAX each, a size) rounded up, + the ustar block. */
#define TAR_HEADER_MAX (3 * TAR_BLOCK + 2 * (NIP_PATH_MAX + 32))

/* One archive member as nip encodes it. */
struct tar_member {
	const char *path;
	char type; /* ustar typeflag: '0' '1' '2' '3' '4' '5' '6' */
	uint32_t mode;
	uint64_t size;
	int64_t mtime;
	const char *link; /* linkname for '1' and '2' */
	uint32_t devmajor, devminor;
};

/* Appends the canonical header of m: a pax extended header when the path or
 * link exceeds 100 bytes or the size 8 GiB, then the ustar block. */
int tar_header(const struct tar_member *m, struct nip_buf *out, struct nip_error *err);
void tar_member_of_file(const struct nip_file *f, int64_t mtime, struct tar_member *m);
static inline uint64_t tar_padding(uint64_t size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}
/* Strict reading of the two metadata headers: a plain ustar block whose
 * name is `name`, typeflag '0', size at most max. */
int tar_meta_size(const unsigned char hdr[TAR_BLOCK], const char *name, uint64_t max,
		  uint64_t *size, struct nip_error *err);
/* For error messages only: the member name an unexpected header claims. */
void tar_describe(const unsigned char *hdr, size_t len, char *out, size_t outsz);

/* head.c: the raw head frame, and the trusted comment that binds the
 * signature to the manifest (by CID) and to the payload frame's bytes
 * ("nip package NAME VERSION ARCH CID zst-sha256=HEX"). */
int raw_frame(const void *content, size_t len, struct nip_buf *out, struct nip_error *err);
/* The whole head frame of manifest m: canonical headers, .NIPINFO, .NIPSIG,
 * padding, raw blocks. The writer writes it; the reader compares with it. */
int head_frame(const struct nip_manifest *m, const struct nip_buf *info, const struct nip_buf *sigtext,
	       struct nip_buf *frame, struct nip_error *err);
size_t raw_frame_size(size_t content);
int sig_trusted_comment(const struct nip_manifest *m, const uint8_t cid[NIP_SHA256_LEN],
			const uint8_t zsha[NIP_SHA256_LEN], char *out, size_t outsz, struct nip_error *err);
/* Checks the comment names m and cid; returns the payload frame's hash. */
int sig_comment_payload(const char *comment, const struct nip_manifest *m,
			const uint8_t cid[NIP_SHA256_LEN], uint8_t zsha[NIP_SHA256_LEN],
			struct nip_error *err);

/* mread.c: the fast path of nip_manifest_parse; 0 only for canonical
 * bytes (no message: the reference parser gives one). */
int manifest_read_canonical(const void *bytes, size_t len, struct nip_manifest **out);
/* manifest.c: the reference parser (Jansson), with precise messages. */
int manifest_parse_reference(const void *bytes, size_t len, struct nip_manifest **out,
			     struct nip_error *err);


/* Decompressing reader (zread.c): a thread decompresses ahead into chunks
 * while the caller hashes; every frame is checked (checksum present, window
 * capped, no dictionary, not skippable) and the ratio is capped. */
struct zread;
/* sink sees, in order and once, the compressed bytes the decompressor
 * consumes, with the frame they belong to (1 = the head), on the
 * decompressing thread: its state is the reader's to look at only once
 * the stream has been read to where it needs it. */
typedef void zread_sink(void *ctx, const unsigned char *p, size_t n, int frame);
struct zread *zread_new(int fd, int threaded, zread_sink *sink, void *sink_ctx,
			struct nip_error *err);
/* Exactly n bytes, or NIP_E_FORMAT "truncated". */
int zread_exact(struct zread *z, void *dst, size_t n, struct nip_error *err);
/* Zero copy: up to max bytes in place; *len 0 only at the end of the stream. */
int zread_peek(struct zread *z, const unsigned char **p, size_t *len, size_t max,
	       struct nip_error *err);
void zread_advance(struct zread *z, size_t n);
/* The number of the frame that ends exactly at the read position, or 0. */
int zread_frame_ended(const struct zread *z);
/* Once a signature has bounded the output, the ratio cap has done its job:
 * sparse or zero-filled files may then compress beyond it. */
void zread_uncap_ratio(struct zread *z);
/* 0 when the stream (and the file) ended exactly at a frame boundary,
 * after exactly `frames` frames. */
int zread_expect_end(struct zread *z, int frames, struct nip_error *err);
void zread_free(struct zread *z);

#endif
