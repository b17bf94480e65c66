/* Index parts (index.c) and track layout helpers shared by the publisher
 * (publish.c) and the client side of a root (local.c). */
#ifndef NIP_TRACK_INDEX_H
#define NIP_TRACK_INDEX_H

#include <jansson.h>

#include "nip/package.h"
#include "nip/util.h"

int index_compress(const struct nip_buf *in, struct nip_buf *out, struct nip_error *err);
int index_decompress(const void *p, size_t n, struct nip_buf *out, const char *what,
		     struct nip_error *err);
json_t *index_entry(const struct nip_manifest *m, const uint8_t cid[NIP_SHA256_LEN],
		    const char *signer, uint64_t size, const char *path);
/* The form of a decompressed index part: names, versions, CIDs, paths,
 * relations; *count gets the number of packages. */
int index_check(const json_t *doc, const char *what, size_t *count, struct nip_error *err);

/* Hashed bins: a target belongs to the bin named by the first `digits`
 * hex digits of the SHA-256 of its path (PEP 458). */
void bin_of_path(const char *path, unsigned digits, char out[8]);
/* "index/XX.json.zst": the index part of bin XX. */
void index_part_path(const char *bin, char out[32]);

#endif
