/* .NIPINFO: parsing the manifest (Jansson). Parsing is strict: a manifest
 * must be byte-identical to its own re-serialisation (canon.c), so one
 * manifest has one encoding and one CID. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "nip/limits.h"

static const char *const kinds[] = {"app", "lib", "system", "kernel", "hal"};
static const char *const ftypes[] = {"file", "dir", "symlink", "hardlink", "char", "block", "fifo"};

const char *nip_kind_name(enum nip_kind kind)
{
	return kinds[kind];
}

int nip_kind_parse(const char *s, enum nip_kind *out)
{
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (strcmp(s, kinds[i]) == 0) {
			*out = (enum nip_kind)i;
			return 0;
		}
	return -1;
}

const char *nip_ftype_name(enum nip_ftype t)
{
	return ftypes[t];
}

struct nip_manifest *nip_manifest_new(struct nip_error *err)
{
	struct nip_manifest *m = calloc(1, sizeof *m);
	if (!m)
		nip_err(err, NIP_E_NOMEM, "manifest: out of memory");
	return m;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void nip_graft_info_free(struct nip_graft_info *g)
{
	if (!g)
		return;
	free(g->format);
	free(g->sha256);
	free(g->identity);
	free(g->signature);
	free(g->tool);
	free_strv(g->fields, g->nfields);
	free_strv(g->scripts, g->nscripts);
	free_strv(g->triggers, g->ntriggers);
	free_strv(g->conffiles, g->nconffiles);
	free_strv(g->sanitised, g->nsanitised);
	free(g);
}

void nip_manifest_free(struct nip_manifest *m)
{
	if (!m)
		return;
	nip_graft_info_free(m->graft);
	free(m->name);
	free(m->version);
	free(m->arch);
	free(m->summary);
	free(m->license);
	free(m->policy);
	free_strv(m->variant, m->nvariant);
	for (int k = 0; k < NIP_REL_COUNT; k++)
		free_strv(m->rel[k], m->nrel[k]);
	free(m->prov.recipe);
	free(m->prov.builder_key);
	free_strv(m->prov.sources, m->prov.nsources);
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].target);
	}
	free(m->files);
	free(m);
}

/* ---- parsing ----------------------------------------------------------- */

/* Each getter names the field at fault; `where` is "files[12]" and such. */
static int expect_keys_opt(json_t *o, const char *where, const char *const *keys, size_t n,
			   const char *optional, struct nip_error *err);

static int expect_keys(json_t *o, const char *where, const char *const *keys, size_t n,
		       struct nip_error *err)
{
	return expect_keys_opt(o, where, keys, n, NULL, err);
}

/* `optional`, if set, is one of keys that may be missing. */
static int expect_keys_opt(json_t *o, const char *where, const char *const *keys, size_t n,
			   const char *optional, struct nip_error *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return nip_err(err, NIP_E_FORMAT, "manifest: %s: not an object", where);
	json_object_foreach(o, k, v)
	{
		size_t i;
		for (i = 0; i < n && strcmp(k, keys[i]) != 0; i++)
			;
		if (i == n)
			return nip_err(err, NIP_E_FORMAT, "manifest: %s: unknown field \"%.64s\"",
				       where, k);
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, keys[i]) && !(optional && strcmp(keys[i], optional) == 0))
			return nip_err(err, NIP_E_FORMAT, "manifest: %s: missing field \"%s\"",
				       where, keys[i]);
	return 0;
}

static int get_str(json_t *o, const char *key, int nullable, size_t max, char **out,
		   struct nip_error *err)
{
	json_t *v = json_object_get(o, key);
	size_t len;

	if (nullable && json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return nip_err(err, NIP_E_FORMAT, "manifest: \"%s\": expected a string%s", key,
			       nullable ? " or null" : "");
	len = json_string_length(v);
	if (len > max || strlen(json_string_value(v)) != len)
		return nip_err(err, NIP_E_FORMAT, "manifest: \"%s\": %s", key,
			       len > max ? "too long" : "contains a NUL byte");
	*out = strdup(json_string_value(v));
	if (!*out)
		return nip_err(err, NIP_E_NOMEM, "manifest: out of memory");
	return 0;
}

static int get_int(json_t *o, const char *key, int64_t min, int64_t max, int64_t *out,
		   struct nip_error *err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return nip_err(err, NIP_E_FORMAT, "manifest: \"%s\": expected an integer in [%lld, %lld]",
			       key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int get_strv(json_t *o, const char *key, size_t maxn, size_t maxlen, char ***out,
		    size_t *n, struct nip_error *err)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;
	char **vec;

	if (!json_is_array(a))
		return nip_err(err, NIP_E_FORMAT, "manifest: \"%s\": expected an array", key);
	if (json_array_size(a) > maxn)
		return nip_err(err, NIP_E_LIMIT, "manifest: \"%s\": more than %zu entries", key, maxn);
	vec = calloc(json_array_size(a) + 1, sizeof *vec);
	if (!vec)
		return nip_err(err, NIP_E_NOMEM, "manifest: out of memory");
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) > maxlen ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    !(vec[i] = strdup(json_string_value(v)))) {
			free_strv(vec, i);
			return nip_err(err, NIP_E_FORMAT, "manifest: \"%s\"[%zu]: expected a string of at most %zu bytes",
				       key, i, maxlen);
		}
	}
	*out = vec;
	*n = json_array_size(a);
	return 0;
}

/* "manifest: X" becomes "manifest: files[3]: X". */
static void locate(struct nip_error *err, const char *where)
{
	char rest[NIP_ERRMSG_MAX];
	size_t n = strlen("manifest: ");

	if (!err || strncmp(err->msg, "manifest: ", n) != 0 ||
	    strncmp(err->msg + n, where, strlen(where)) == 0)
		return;
	memcpy(rest, err->msg + n, sizeof rest - n);
	snprintf(err->msg, sizeof err->msg, "manifest: %s: %.*s", where, (int)(sizeof rest - n - 64), rest);
}

static int parse_file(json_t *o, size_t idx, struct nip_file *f, struct nip_error *err)
{
	static const char *const base[] = {"path", "type", "mode"};
	static const char *const file_keys[] = {"path", "type", "mode", "size", "sha256"};
	static const char *const link_keys[] = {"path", "type", "mode", "target"};
	static const char *const dev_keys[] = {"path", "type", "mode", "rdev"};
	char where[32], *type = NULL, *hex = NULL;
	int64_t v;
	int rc = -1;

	snprintf(where, sizeof where, "files[%zu]", idx);
	if (!json_is_object(o)) {
		nip_err(err, NIP_E_FORMAT, "manifest: not an object");
		goto fail;
	}
	if (get_str(o, "type", 0, 16, &type, err) < 0)
		goto fail;
	for (f->type = 0; f->type < sizeof ftypes / sizeof *ftypes; f->type++)
		if (strcmp(type, ftypes[f->type]) == 0)
			break;
	switch (f->type) {
	case NIP_FT_FILE:
		rc = expect_keys(o, where, file_keys, 5, err);
		break;
	case NIP_FT_SYMLINK:
	case NIP_FT_HARDLINK:
		rc = expect_keys(o, where, link_keys, 4, err);
		break;
	case NIP_FT_CHAR:
	case NIP_FT_BLOCK:
		rc = expect_keys(o, where, dev_keys, 4, err);
		break;
	case NIP_FT_DIR:
	case NIP_FT_FIFO:
		rc = expect_keys(o, where, base, 3, err);
		break;
	default:
		nip_err(err, NIP_E_FORMAT, "manifest: %s: unknown type \"%.16s\"", where, type);
		goto fail;
	}
	if (rc < 0)
		goto fail;
	rc = -1;
	if (get_str(o, "path", 0, NIP_PATH_MAX, &f->path, err) < 0 ||
	    get_int(o, "mode", 0, 07777, &v, err) < 0)
		goto fail;
	f->mode = (uint32_t)v;
	if (f->type == NIP_FT_FILE) {
		if (get_int(o, "size", 0, (int64_t)NIP_PAYLOAD_MAX, &v, err) < 0 ||
		    get_str(o, "sha256", 0, 64, &hex, err) < 0)
			goto fail;
		f->size = (uint64_t)v;
		if (nip_unhex(hex, f->sha256, NIP_SHA256_LEN) < 0) {
			nip_err(err, NIP_E_FORMAT, "manifest: %s: sha256 is not 64 lower-case hex digits",
				where);
			goto fail;
		}
	} else if (f->type == NIP_FT_SYMLINK || f->type == NIP_FT_HARDLINK) {
		if (get_str(o, "target", 0, NIP_PATH_MAX, &f->target, err) < 0)
			goto fail;
	} else if (f->type == NIP_FT_CHAR || f->type == NIP_FT_BLOCK) {
		json_t *r = json_object_get(o, "rdev");
		json_int_t maj, min;
		if (json_unpack(r, "[II]", &maj, &min) < 0 || maj < 0 || min < 0 ||
		    maj > 0xfff || min > 0xfffff) {
			nip_err(err, NIP_E_FORMAT, "manifest: %s: rdev must be [major, minor]", where);
			goto fail;
		}
		f->rdev_major = (uint32_t)maj;
		f->rdev_minor = (uint32_t)min;
	}
	rc = 0;
fail:
	if (rc < 0)
		locate(err, where);
	free(type);
	free(hex);
	return rc;
}

static int parse_graft(json_t *o, struct nip_manifest *m, struct nip_error *err)
{
	static const char *const keys[] = {"conffiles", "fields", "format", "identity", "sanitised",
					   "scripts", "sha256", "signature", "tool", "triggers"};
	struct nip_graft_info *g = calloc(1, sizeof *g);

	if (!g)
		return nip_err(err, NIP_E_NOMEM, "manifest: out of memory");
	m->graft = g;
	if (expect_keys(o, "graft", keys, sizeof keys / sizeof *keys, err) < 0 ||
	    get_strv(o, "conffiles", NIP_GRAFT_LIST_MAX, NIP_PATH_MAX, &g->conffiles, &g->nconffiles, err) < 0 ||
	    get_strv(o, "fields", NIP_GRAFT_FIELDS_MAX, NIP_GRAFT_FIELD_MAX, &g->fields, &g->nfields, err) < 0 ||
	    get_str(o, "format", 0, 16, &g->format, err) < 0 ||
	    get_str(o, "identity", 0, NIP_STRING_MAX, &g->identity, err) < 0 ||
	    get_strv(o, "sanitised", NIP_GRAFT_LIST_MAX, NIP_STRING_MAX, &g->sanitised, &g->nsanitised, err) < 0 ||
	    get_strv(o, "scripts", NIP_GRAFT_FIELDS_MAX, NIP_STRING_MAX, &g->scripts, &g->nscripts, err) < 0 ||
	    get_str(o, "sha256", 0, 64, &g->sha256, err) < 0 ||
	    get_str(o, "signature", 0, NIP_STRING_MAX, &g->signature, err) < 0 ||
	    get_str(o, "tool", 0, NIP_STRING_MAX, &g->tool, err) < 0 ||
	    get_strv(o, "triggers", NIP_GRAFT_FIELDS_MAX, 64, &g->triggers, &g->ntriggers, err) < 0) {
		locate(err, "graft");
		return -1;
	}
	return 0;
}

static int parse_root(json_t *root, struct nip_manifest *m, struct nip_error *err)
{
	static const char *const top[] = {"arch", "files", "format", "graft", "kind", "license", "name",
					  "payload_root", "policy", "provenance", "relations",
					  "summary", "variant", "version"};
	static const char *const provkeys[] = {"builder_key", "recipe", "source_date_epoch",
					       "sources"};
	const char *relkeys[NIP_REL_COUNT];
	json_t *files, *rel, *prov, *v;
	char *kind = NULL, *root_hex = NULL;
	int64_t format;
	size_t i;
	int rc = -1;

	for (int k = 0; k < NIP_REL_COUNT; k++)
		relkeys[k] = nip_rel_kind_name((enum nip_rel_kind)k);
	if (expect_keys_opt(root, "top level", top, sizeof top / sizeof *top, "graft", err) < 0 ||
	    get_int(root, "format", 0, INT32_MAX, &format, err) < 0)
		goto out;
	if (format != NIP_MANIFEST_FORMAT) {
		nip_err(err, NIP_E_FORMAT, "manifest: format %lld is not supported (this nip reads %d)",
			(long long)format, NIP_MANIFEST_FORMAT);
		goto out;
	}
	if (get_str(root, "name", 0, NIP_PKGNAME_MAX, &m->name, err) < 0 ||
	    get_str(root, "version", 0, NIP_VERSION_MAX, &m->version, err) < 0 ||
	    get_str(root, "arch", 0, NIP_ARCH_MAX, &m->arch, err) < 0 ||
	    get_str(root, "summary", 0, NIP_STRING_MAX, &m->summary, err) < 0 ||
	    get_str(root, "license", 0, NIP_STRING_MAX, &m->license, err) < 0 ||
	    get_str(root, "policy", 1, NIP_POLICY_MAX, &m->policy, err) < 0 ||
	    get_str(root, "kind", 0, 16, &kind, err) < 0 ||
	    get_str(root, "payload_root", 0, 64, &root_hex, err) < 0 ||
	    get_strv(root, "variant", NIP_VARIANTS_MAX, NIP_VARIANT_LEN_MAX, &m->variant, &m->nvariant, err) < 0)
		goto out;
	if (nip_kind_parse(kind, &m->kind) < 0) {
		nip_err(err, NIP_E_FORMAT, "manifest: \"kind\": unknown kind \"%.16s\"", kind);
		goto out;
	}
	if (nip_unhex(root_hex, m->payload_root, NIP_SHA256_LEN) < 0) {
		nip_err(err, NIP_E_FORMAT, "manifest: \"payload_root\": not 64 lower-case hex digits");
		goto out;
	}
	rel = json_object_get(root, "relations");
	if (expect_keys(rel, "relations", relkeys, NIP_REL_COUNT, err) < 0)
		goto out;
	for (int k = 0; k < NIP_REL_COUNT; k++)
		if (get_strv(rel, relkeys[k], NIP_RELATIONS_MAX, NIP_RELATION_LEN_MAX, &m->rel[k],
			     &m->nrel[k], err) < 0) {
			locate(err, "relations");
			goto out;
		}
	if ((v = json_object_get(root, "graft")) && parse_graft(v, m, err) < 0)
		goto out;
	prov = json_object_get(root, "provenance");
	if (expect_keys(prov, "provenance", provkeys, 4, err) < 0 ||
	    get_str(prov, "builder_key", 1, NIP_KEYID_HEX, &m->prov.builder_key, err) < 0 ||
	    get_str(prov, "recipe", 1, 64, &m->prov.recipe, err) < 0 ||
	    get_int(prov, "source_date_epoch", 0, 077777777777ll, &m->prov.source_date_epoch,
		    err) < 0 ||
	    get_strv(prov, "sources", NIP_SOURCES_MAX, NIP_STRING_MAX, &m->prov.sources,
		     &m->prov.nsources, err) < 0) {
		locate(err, "provenance");
		goto out;
	}
	files = json_object_get(root, "files");
	if (!json_is_array(files)) {
		nip_err(err, NIP_E_FORMAT, "manifest: \"files\": expected an array");
		goto out;
	}
	if (json_array_size(files) > NIP_FILES_MAX) {
		nip_err(err, NIP_E_LIMIT, "manifest: more than %u files", NIP_FILES_MAX);
		goto out;
	}
	m->files = calloc(json_array_size(files) + 1, sizeof *m->files);
	if (!m->files) {
		nip_err(err, NIP_E_NOMEM, "manifest: out of memory");
		goto out;
	}
	json_array_foreach(files, i, v)
	{
		m->nfiles = i + 1; /* so that free() sees the partial entry */
		if (parse_file(v, i, &m->files[i], err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(kind);
	free(root_hex);
	return rc;
}

int nip_manifest_parse(const void *bytes, size_t len, struct nip_manifest **out,
		       struct nip_error *err)
{
	struct nip_manifest *m = NULL;

	if (manifest_read_canonical(bytes, len, &m) == 0) {
		if (nip_manifest_check(m, err) < 0) {
			nip_manifest_free(m);
			return -1;
		}
		*out = m;
		return 0;
	}
	/* Not canonical: the reference parser says exactly why. */
	return manifest_parse_reference(bytes, len, out, err);
}

int manifest_parse_reference(const void *bytes, size_t len, struct nip_manifest **out,
			     struct nip_error *err)
{
	struct nip_manifest *m = NULL;
	struct nip_buf canon;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -1;

	nip_buf_init(&canon, NIP_MANIFEST_MAX + 1, "manifest");
	if (len > NIP_MANIFEST_MAX) {
		nip_err(err, NIP_E_LIMIT, "manifest: %zu bytes exceeds the limit of %u", len,
			NIP_MANIFEST_MAX);
		goto out;
	}
	root = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		nip_err(err, NIP_E_FORMAT, "manifest: invalid JSON at byte %d: %s", jerr.position,
			jerr.text);
		goto out;
	}
	if (!(m = nip_manifest_new(err)) || parse_root(root, m, err) < 0)
		goto out;
	/* The re-serialisation also normalises relation strings and such, so
	 * a mismatch means some field was not in canonical form. */
	if (nip_manifest_serialize(m, &canon, err) < 0)
		goto out;
	if (canon.len != len || memcmp(canon.data, bytes, len) != 0) {
		size_t at = 0;
		while (at < len && at < canon.len && canon.data[at] == ((const unsigned char *)bytes)[at])
			at++;
		nip_err(err, NIP_E_FORMAT,
			"manifest: not in canonical form (sorted keys, no whitespace, minimal escapes) at byte %zu",
			at);
		goto out;
	}
	if (nip_manifest_check(m, err) < 0)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	nip_buf_free(&canon);
	json_decref(root);
	nip_manifest_free(m);
	return rc;
}
