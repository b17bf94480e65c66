/* The fast path of manifest parsing: a single pass that accepts only the
 * canonical form (canon.c) and fills the structs directly. A manifest has
 * exactly one spelling, so reading it is matching: fixed key order, no
 * whitespace, only canonical escapes and numbers. Jansson's DOM costs ten
 * allocations per file and most of verify's head on big packages (160 ms
 * of 0.5 s for 32,000 files); this costs one or two.
 *
 * It only says yes or no: on no, nip_manifest_parse runs the Jansson-based
 * reference parser, which names what is wrong. fuzz_manifest checks that
 * the two accept exactly the same inputs and read them alike. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

struct rd {
	const char *p, *end;
};

static int lit(struct rd *r, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, s, n) != 0)
		return -1;
	r->p += n;
	return 0;
}

static int hexdig(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A canonical JSON string: raw bytes from 0x20 up but '"' and '\', the
 * short escapes, and \u00XX (upper case) for the other controls only. */
static int str(struct rd *r, size_t max, char **out)
{
	const char *p = r->p;
	size_t n = 0;
	char *s, *q;

	if (p == r->end || *p++ != '"')
		return -1;
	/* Measure and check first, then copy. */
	for (;; p++) {
		unsigned char c;
		if (p == r->end)
			return -1;
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (++p == r->end)
				return -1;
			if (*p == 'u') {
				int hi, lo;
				if (r->end - p < 5 || p[1] != '0' || p[2] != '0' || (hi = hexdig(p[3])) < 0 ||
				    (lo = hexdig(p[4])) < 0)
					return -1;
				c = (unsigned char)(hi << 4 | lo);
				if (c >= 0x20 || strchr("\b\f\n\r\t", c) || c == 0)
					return -1;
				p += 4;
			} else if (!strchr("\"\\bfnrt", *p) || !*p) {
				return -1;
			}
		}
		if (++n > max)
			return -1;
	}
	s = q = malloc(n + 1);
	if (!s)
		return -1;
	for (p = r->p + 1; *p != '"'; p++) {
		if (*p != '\\') {
			*q++ = *p;
			continue;
		}
		switch (*++p) {
		case 'b': *q++ = '\b'; break;
		case 'f': *q++ = '\f'; break;
		case 'n': *q++ = '\n'; break;
		case 'r': *q++ = '\r'; break;
		case 't': *q++ = '\t'; break;
		case 'u': *q++ = (char)(hexdig(p[3]) << 4 | hexdig(p[4])); p += 4; break;
		default: *q++ = *p;
		}
	}
	*q = '\0';
	r->p = p + 1;
	*out = s;
	return 0;
}

static int str_or_null(struct rd *r, size_t max, char **out)
{
	*out = NULL;
	return lit(r, "null") == 0 ? 0 : str(r, max, out);
}

/* Canonical integer: 0, or no leading zero; no sign. */
static int num(struct rd *r, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = r->p;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (v > (max - (uint64_t)(*r->p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*r->p++ - '0');
	}
	if (r->p == start || (*start == '0' && r->p - start > 1))
		return -1;
	*out = v;
	return 0;
}

static int strv(struct rd *r, size_t maxn, size_t maxlen, char ***out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (lit(r, "[") < 0)
		return -1;
	if (lit(r, "]") == 0)
		return 0;
	do {
		if (*n == maxn)
			return -1;
		if (*n + 1 >= cap) {
			char **v = realloc(*out, (cap = cap ? 2 * cap : 4) * sizeof *v);
			if (!v)
				return -1;
			*out = v;
		}
		if (str(r, maxlen, &(*out)[*n]) < 0)
			return -1;
		(*n)++;
	} while (lit(r, ",") == 0);
	return lit(r, "]");
}

static int file(struct rd *r, struct nip_file *f)
{
	uint64_t v;
	char *hex = NULL, *type = NULL;
	int rc = -1, has_hash = 0, has_target = 0, has_rdev = 0;

	if (lit(r, "{\"mode\":") < 0 || num(r, 07777, &v) < 0)
		return -1;
	f->mode = (uint32_t)v;
	if (lit(r, ",\"path\":") < 0 || str(r, NIP_PATH_MAX, &f->path) < 0)
		return -1;
	if (lit(r, ",\"rdev\":[") == 0) {
		uint64_t maj, min;
		if (num(r, 0xfff, &maj) < 0 || lit(r, ",") < 0 || num(r, 0xfffff, &min) < 0 || lit(r, "]") < 0)
			return -1;
		f->rdev_major = (uint32_t)maj;
		f->rdev_minor = (uint32_t)min;
		has_rdev = 1;
	} else if (lit(r, ",\"sha256\":") == 0) {
		if (str(r, 64, &hex) < 0 || nip_unhex(hex, f->sha256, NIP_SHA256_LEN) < 0 ||
		    lit(r, ",\"size\":") < 0 || num(r, NIP_PAYLOAD_MAX, &f->size) < 0)
			goto out;
		has_hash = 1;
	} else if (lit(r, ",\"target\":") == 0) {
		if (str(r, NIP_PATH_MAX, &f->target) < 0)
			return -1;
		has_target = 1;
	}
	if (lit(r, ",\"type\":") < 0 || str(r, 16, &type) < 0 || lit(r, "}") < 0)
		goto out;
	for (f->type = 0; f->type <= NIP_FT_FIFO; f->type++)
		if (strcmp(type, nip_ftype_name(f->type)) == 0)
			break;
	/* The keys present must be exactly those of the type. */
	switch (f->type) {
	case NIP_FT_FILE:
		rc = has_hash ? 0 : -1;
		break;
	case NIP_FT_SYMLINK:
	case NIP_FT_HARDLINK:
		rc = has_target ? 0 : -1;
		break;
	case NIP_FT_CHAR:
	case NIP_FT_BLOCK:
		rc = has_rdev ? 0 : -1;
		break;
	case NIP_FT_DIR:
	case NIP_FT_FIFO:
		rc = has_hash || has_target || has_rdev ? -1 : 0;
		break;
	default:
		rc = -1;
	}
out:
	free(hex);
	free(type);
	return rc;
}

static int files(struct rd *r, struct nip_manifest *m)
{
	size_t cap = 0;
	if (lit(r, "[") < 0)
		return -1;
	if (lit(r, "]") == 0)
		return 0;
	do {
		if (m->nfiles == NIP_FILES_MAX)
			return -1;
		if (m->nfiles == cap) {
			struct nip_file *v = realloc(m->files, (cap = cap ? 2 * cap : 64) * sizeof *v);
			if (!v)
				return -1;
			m->files = v;
		}
		memset(&m->files[m->nfiles], 0, sizeof *m->files);
		m->nfiles++; /* counted before it is filled, so that free() sees it */
		if (file(r, &m->files[m->nfiles - 1]) < 0)
			return -1;
	} while (lit(r, ",") == 0);
	return lit(r, "]");
}

static int graft(struct rd *r, struct nip_manifest *m)
{
	struct nip_graft_info *g = calloc(1, sizeof *g);

	if (!g)
		return -1;
	m->graft = g;
	return lit(r, "{\"conffiles\":") < 0 ||
			       strv(r, NIP_GRAFT_LIST_MAX, NIP_PATH_MAX, &g->conffiles, &g->nconffiles) < 0 ||
			       lit(r, ",\"fields\":") < 0 ||
			       strv(r, NIP_GRAFT_FIELDS_MAX, NIP_GRAFT_FIELD_MAX, &g->fields, &g->nfields) < 0 ||
			       lit(r, ",\"format\":") < 0 || str(r, 16, &g->format) < 0 ||
			       lit(r, ",\"identity\":") < 0 || str(r, NIP_STRING_MAX, &g->identity) < 0 ||
			       lit(r, ",\"sanitised\":") < 0 ||
			       strv(r, NIP_GRAFT_LIST_MAX, NIP_STRING_MAX, &g->sanitised, &g->nsanitised) < 0 ||
			       lit(r, ",\"scripts\":") < 0 ||
			       strv(r, NIP_GRAFT_FIELDS_MAX, NIP_STRING_MAX, &g->scripts, &g->nscripts) < 0 ||
			       lit(r, ",\"sha256\":") < 0 || str(r, 64, &g->sha256) < 0 ||
			       lit(r, ",\"signature\":") < 0 || str(r, NIP_STRING_MAX, &g->signature) < 0 ||
			       lit(r, ",\"tool\":") < 0 || str(r, NIP_STRING_MAX, &g->tool) < 0 ||
			       lit(r, ",\"triggers\":") < 0 ||
			       strv(r, NIP_GRAFT_FIELDS_MAX, 64, &g->triggers, &g->ntriggers) < 0 || lit(r, "}") < 0
		       ? -1
		       : 0;
}

static int body(struct rd *r, struct nip_manifest *m)
{
	static const enum nip_rel_kind order[] = {NIP_REL_CONFLICTS, NIP_REL_DEPENDS, NIP_REL_OBSOLETES,
						  NIP_REL_PROVIDES, NIP_REL_RECOMMENDS};
	char *kind = NULL, *root = NULL;
	uint64_t v;
	int rc = -1;

	if (lit(r, "{\"arch\":") < 0 || str(r, NIP_ARCH_MAX, &m->arch) < 0 || lit(r, ",\"files\":") < 0 ||
	    files(r, m) < 0 || lit(r, ",\"format\":1") < 0 ||
	    (lit(r, ",\"graft\":") == 0 && graft(r, m) < 0) || lit(r, ",\"kind\":") < 0 || str(r, 16, &kind) < 0 ||
	    nip_kind_parse(kind, &m->kind) < 0 || lit(r, ",\"license\":") < 0 ||
	    str(r, NIP_STRING_MAX, &m->license) < 0 || lit(r, ",\"name\":") < 0 ||
	    str(r, NIP_PKGNAME_MAX, &m->name) < 0 || lit(r, ",\"payload_root\":") < 0 ||
	    str(r, 64, &root) < 0 || nip_unhex(root, m->payload_root, NIP_SHA256_LEN) < 0 ||
	    lit(r, ",\"policy\":") < 0 || str_or_null(r, NIP_POLICY_MAX, &m->policy) < 0 ||
	    lit(r, ",\"provenance\":{\"builder_key\":") < 0 ||
	    str_or_null(r, NIP_KEYID_HEX, &m->prov.builder_key) < 0 || lit(r, ",\"recipe\":") < 0 ||
	    str_or_null(r, 64, &m->prov.recipe) < 0 || lit(r, ",\"source_date_epoch\":") < 0 ||
	    num(r, 077777777777ull, &v) < 0 || lit(r, ",\"sources\":") < 0 ||
	    strv(r, NIP_SOURCES_MAX, NIP_STRING_MAX, &m->prov.sources, &m->prov.nsources) < 0 ||
	    lit(r, "},\"relations\":{") < 0)
		goto out;
	m->prov.source_date_epoch = (int64_t)v;
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		enum nip_rel_kind k = order[i];
		if ((i && lit(r, ",") < 0) || lit(r, "\"") < 0 || lit(r, nip_rel_kind_name(k)) < 0 ||
		    lit(r, "\":") < 0 ||
		    strv(r, NIP_RELATIONS_MAX, NIP_RELATION_LEN_MAX, &m->rel[k], &m->nrel[k]) < 0)
			goto out;
	}
	if (lit(r, "},\"summary\":") < 0 || str(r, NIP_STRING_MAX, &m->summary) < 0 ||
	    lit(r, ",\"variant\":") < 0 ||
	    strv(r, NIP_VARIANTS_MAX, NIP_VARIANT_LEN_MAX, &m->variant, &m->nvariant) < 0 ||
	    lit(r, ",\"version\":") < 0 || str(r, NIP_VERSION_MAX, &m->version) < 0 || lit(r, "}") < 0)
		goto out;
	rc = r->p == r->end ? 0 : -1;
out:
	free(kind);
	free(root);
	return rc;
}

int manifest_read_canonical(const void *bytes, size_t len, struct nip_manifest **out)
{
	struct rd r = {bytes, (const char *)bytes + len};
	struct nip_manifest *m;

	if (len > NIP_MANIFEST_MAX || memchr(bytes, '\0', len) || !(m = nip_manifest_new(NULL)))
		return -1;
	if (body(&r, m) < 0) {
		nip_manifest_free(m);
		return -1;
	}
	*out = m;
	return 0;
}
