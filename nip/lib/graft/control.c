/* The text metadata of foreign packages: Debian's control file
 * (deb-control(5)) and the .PKGINFO of pacman and apk. Both are hostile
 * input: UTF-8 is required, each field is capped (NIP_GRAFT_FIELD_MAX), and
 * a key given twice is refused rather than letting one copy win. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

/* Control files this size are a mistake or an attack; the largest real
 * ones (with long descriptions) are a few tens of kilobytes. */
#define KV_MAX 1024u

int text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned cp;
	int n;

	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				return 0;
			p++;
			continue;
		}
		/* C1 controls too: some terminals obey them as escapes. */
		if ((n = nip_utf8_seq(p, end, &cp)) < 0 || (cp >= 0x80 && cp <= 0x9f))
			return 0;
		p += n;
	}
	return 1;
}

void kv_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *kv_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].value;
	return NULL;
}

static int kv_push(struct kvlist *l, const char *k, size_t kn, const char *v, size_t vn, struct nip_error *err)
{
	struct kv *nv;
	if (l->n == KV_MAX)
		return nip_err(err, NIP_E_LIMIT, "more than %u fields", KV_MAX);
	if (vn > NIP_GRAFT_FIELD_MAX)
		return nip_err(err, NIP_E_LIMIT, "field %.*s: longer than %u bytes", (int)(kn > 64 ? 64 : kn), k,
			       NIP_GRAFT_FIELD_MAX);
	if (!(nv = realloc(l->v, (l->n + 1) * sizeof *nv)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	l->v = nv;
	nv[l->n].key = strndup(k, kn);
	nv[l->n].value = strndup(v, vn);
	if (!nv[l->n].key || !nv[l->n].value) {
		free(nv[l->n].key);
		free(nv[l->n].value);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	l->n++;
	return 0;
}

static int key_ok(const char *k, size_t n)
{
	if (n == 0 || n > 64 || k[0] == '-' || k[0] == '#')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f || k[i] == ':')
			return 0;
	return 1;
}

int control_parse(const char *text, size_t len, struct kvlist *out, struct nip_error *err)
{
	const char *p = text, *end = text + len;
	struct kvlist l = {0};

	if (!text_valid(text, len))
		return nip_err(err, NIP_E_FORMAT, "control: not UTF-8 text (or has control characters)");
	while (p < end) {
		const char *nl, *colon, *k, *v, *vend;
		size_t kn;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl == p) { /* blank lines may only end the paragraph */
			while (p < end && *p == '\n')
				p++;
			if (p < end) {
				kv_free(&l);
				return nip_err(err, NIP_E_FORMAT, "control: more than one paragraph");
			}
			break;
		}
		if (*p == '#') { /* deb-control(5) allows comments */
			p = nl + (nl < end);
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			kv_free(&l);
			return nip_err(err, NIP_E_FORMAT, "control: a continuation line before any field");
		}
		colon = memchr(p, ':', (size_t)(nl - p));
		k = p;
		kn = colon ? (size_t)(colon - p) : 0;
		if (!colon || !key_ok(k, kn)) {
			kv_free(&l);
			return nip_err(err, NIP_E_FORMAT, "control: line %.*s is not \"Field: value\"",
				       (int)((nl - p) > 64 ? 64 : (nl - p)), p);
		}
		/* The value runs on over continuation lines. */
		v = colon + 1;
		while (v < nl && (*v == ' ' || *v == '\t'))
			v++;
		vend = nl;
		while (vend < end && vend + 1 < end && (vend[1] == ' ' || vend[1] == '\t')) {
			const char *next = memchr(vend + 1, '\n', (size_t)(end - vend - 1));
			vend = next ? next : end;
			if ((size_t)(vend - v) > NIP_GRAFT_FIELD_MAX)
				break;
		}
		for (size_t i = 0; i < l.n; i++)
			if (strlen(l.v[i].key) == kn && strncasecmp(l.v[i].key, k, kn) == 0) {
				kv_free(&l);
				return nip_err(err, NIP_E_FORMAT, "control: field %.*s given twice", (int)kn, k);
			}
		{
			const char *ve = vend;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (kv_push(&l, k, kn, v, (size_t)(ve - v), err) < 0) {
				kv_free(&l);
				return nip_err_prefix(err, "control: ");
			}
		}
		p = vend + (vend < end);
	}
	*out = l;
	return 0;
}

int pkginfo_parse(const char *text, size_t len, const char *const *multi, struct kvlist *out,
		  struct nip_error *err)
{
	const char *p = text, *end = text + len;
	struct kvlist l = {0};

	if (!text_valid(text, len))
		return nip_err(err, NIP_E_FORMAT, ".PKGINFO: not UTF-8 text (or has control characters)");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq, *ke, *v;
		if (!nl)
			nl = end;
		if (nl == p || *p == '#') {
			p = nl + (nl < end);
			continue;
		}
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq) {
			kv_free(&l);
			return nip_err(err, NIP_E_FORMAT, ".PKGINFO: line %.*s is not \"key = value\"",
				       (int)((nl - p) > 64 ? 64 : (nl - p)), p);
		}
		ke = eq;
		while (ke > p && ke[-1] == ' ')
			ke--;
		v = eq + 1;
		while (v < nl && *v == ' ')
			v++;
		if (!key_ok(p, (size_t)(ke - p))) {
			kv_free(&l);
			return nip_err(err, NIP_E_FORMAT, ".PKGINFO: bad key in line %.*s",
				       (int)((nl - p) > 64 ? 64 : (nl - p)), p);
		}
		{
			size_t kn = (size_t)(ke - p), i;
			int repeat = 0;
			for (i = 0; multi[i]; i++)
				if (strlen(multi[i]) == kn && memcmp(multi[i], p, kn) == 0)
					repeat = 1;
			for (i = 0; !repeat && i < l.n; i++)
				if (strlen(l.v[i].key) == kn && memcmp(l.v[i].key, p, kn) == 0) {
					kv_free(&l);
					return nip_err(err, NIP_E_FORMAT, ".PKGINFO: key %.*s given twice", (int)kn, p);
				}
			if (kv_push(&l, p, kn, v, (size_t)(nl - v), err) < 0) {
				kv_free(&l);
				return nip_err_prefix(err, ".PKGINFO: ");
			}
		}
		p = nl + (nl < end);
	}
	*out = l;
	return 0;
}
