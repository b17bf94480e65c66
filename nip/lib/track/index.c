/* The index part of a bin: every package the bin holds (name, version,
 * arch, CID, relations, size, path, signer), canonical JSON compressed
 * with zstd. It is a TUF target like the packages, so its bytes are
 * verified before it is decompressed (with a cap) and checked field by
 * field before anything reads it. */
#include <string.h>

#include <zstd.h>

#include "internal.h"
#include "nip/package.h"
#include "track_index.h"

int index_compress(const struct nip_buf *in, struct nip_buf *out, struct nip_error *err)
{
	size_t bound = ZSTD_compressBound(in->len), n;
	if (nip_buf_reserve(out, bound, err) < 0)
		return -1;
	n = ZSTD_compress(out->data + out->len, bound, in->data, in->len, 19);
	if (ZSTD_isError(n))
		return nip_err(err, NIP_E_INTERNAL, "index: zstd: %s", ZSTD_getErrorName(n));
	out->len += n;
	return 0;
}

int index_decompress(const void *p, size_t n, struct nip_buf *out, const char *what,
		     struct nip_error *err)
{
	unsigned long long size = ZSTD_getFrameContentSize(p, n);
	size_t got;
	/* nip writes the size into the frame; an unknown or huge one is refused
	 * before any memory is given to it. */
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
		return nip_err(err, NIP_E_FORMAT, "%s: not a zstd frame with its size", what);
	if (size > NIP_INDEX_PART_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: decompresses to %llu bytes, more than %u", what,
			       size, NIP_INDEX_PART_MAX);
	if (nip_buf_reserve(out, (size_t)size + 1, err) < 0)
		return -1;
	got = ZSTD_decompress(out->data + out->len, (size_t)size, p, n);
	if (ZSTD_isError(got) || got != size)
		return nip_err(err, NIP_E_FORMAT, "%s: zstd: %s", what,
			       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size differs from its frame");
	out->len += got;
	return 0;
}

static const char *const rel_fields[] = {"depends", "provides", "conflicts", "obsoletes",
					 "recommends"};

json_t *index_entry(const struct nip_manifest *m, const uint8_t cid[NIP_SHA256_LEN],
		    const char *signer, uint64_t size, const char *path)
{
	char c[NIP_CID_STRLEN];
	json_t *e;
	nip_cid_format(cid, c);
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "name", m->name, "version",
		      m->version, "arch", m->arch, "cid", c, "kind", nip_kind_name(m->kind), "summary",
		      m->summary ? m->summary : "", "size", (json_int_t)size, "path", path, "signer",
		      signer);
	for (int k = 0; e && k < NIP_REL_COUNT; k++) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < m->nrel[k]; i++)
			json_array_append_new(a, json_string(m->rel[k][i]));
		if (!a || json_object_set_new(e, rel_fields[k], a) < 0) {
			json_decref(e);
			return NULL;
		}
	}
	return e;
}

static int str_field(const json_t *e, const char *k, size_t max, const char *what, size_t i,
		     struct nip_error *err)
{
	const json_t *v = json_object_get(e, k);
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
		return nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: field %s: missing or malformed",
			       what, i, k);
	return 0;
}

int index_check(const json_t *doc, const char *what, size_t *count, struct nip_error *err)
{
	const json_t *pk = json_object_get(doc, "packages");
	if (!json_is_object(doc) || !json_is_array(pk))
		return nip_err(err, NIP_E_FORMAT, "%s: field packages: missing or not an array", what);
	for (size_t i = 0; i < json_array_size(pk); i++) {
		const json_t *e = json_array_get(pk, i);
		const char *name, *ver, *path;
		uint8_t d[NIP_SHA256_LEN];
		if (!json_is_object(e) || str_field(e, "name", NIP_PKGNAME_MAX, what, i, err) < 0 ||
		    str_field(e, "version", NIP_VERSION_MAX, what, i, err) < 0 ||
		    str_field(e, "arch", NIP_ARCH_MAX, what, i, err) < 0 ||
		    str_field(e, "cid", NIP_CID_STRLEN, what, i, err) < 0 ||
		    str_field(e, "path", NIP_PATH_MAX, what, i, err) < 0 ||
		    str_field(e, "signer", NIP_KEYID_HEX, what, i, err) < 0)
			return -1;
		name = json_string_value(json_object_get(e, "name"));
		ver = json_string_value(json_object_get(e, "version"));
		path = json_string_value(json_object_get(e, "path"));
		if (!nip_name_valid(name, strlen(name)) || !nip_version_valid(ver, strlen(ver)))
			return nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: bad name or version", what, i);
		if (nip_cid_parse(json_string_value(json_object_get(e, "cid")), d, err) < 0)
			return nip_err_prefix(err, "%s: packages[%zu]: field cid: ", what, i);
		/* The path is a target of this track: pkgs/NAME, nothing that
		 * climbs out or hides in a subdirectory. */
		if (strncmp(path, "pkgs/", 5) != 0 || strchr(path + 5, '/') || path[5] == '.')
			return nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: field path: not pkgs/FILE",
				       what, i);
		if (!json_is_integer(json_object_get(e, "size")) ||
		    json_integer_value(json_object_get(e, "size")) < 0)
			return nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: field size: not a size", what, i);
		for (size_t k = 0; k < sizeof rel_fields / sizeof *rel_fields; k++) {
			const json_t *a = json_object_get(e, rel_fields[k]);
			if (a && !json_is_array(a))
				return nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: field %s: not an array",
					       what, i, rel_fields[k]);
			for (size_t j = 0; j < json_array_size(a); j++) {
				struct nip_relation r;
				const json_t *s = json_array_get(a, j);
				if (!json_is_string(s) ||
				    nip_relation_parse(json_string_value(s), (enum nip_rel_kind)k, &r, err) < 0)
					return nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: field %s[%zu]: malformed",
						       what, i, rel_fields[k], j);
				nip_relation_free(&r);
			}
		}
	}
	if (count)
		*count = json_array_size(pk);
	return 0;
}
