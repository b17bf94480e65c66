/* The fast path of reading an index part: a scanner for exactly the form
 * a publisher writes ({"packages": [objects of strings, one integer and
 * arrays of strings]}), decoding each package in place into a scratch
 * area the size of the text, with no allocation per value. Anything else
 * (another value type, a duplicate key, an escape it does not decode)
 * answers "not mine" and the part goes to Jansson, the reference; a
 * differential fuzz target checks that both give the same .solv. Jansson
 * built a tree of every value: 70% of the time to make the cache. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

struct scan {
	const char *p, *end;
	char *out;  /* scratch for decoded strings: never longer than the text */
	size_t used;
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static int eat(struct scan *s, char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A string, decoded into the scratch area; NULL when it is not one this
 * scanner takes (the caller falls back). */
static const char *string(struct scan *s)
{
	char *o = s->out + s->used, *start = o;

	ws(s);
	if (s->p >= s->end || *s->p++ != '"')
		return NULL;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p++;
		unsigned u, lo;
		if (c < 0x20)
			return NULL;
		if (c >= 0x80) {
			/* Well-formed UTF-8 only, as Jansson takes it; the rest is
			 * the reference reader's to refuse. */
			unsigned cp;
			int len = nip_utf8_seq((const unsigned char *)s->p - 1, (const unsigned char *)s->end, &cp);
			if (len < 0)
				return NULL;
			memcpy(o, s->p - 1, (size_t)len);
			o += len;
			s->p += len - 1;
			continue;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (s->p >= s->end)
			return NULL;
		switch (*s->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (s->end - s->p < 4 || hex4(s->p, &u) < 0 || u == 0)
				return NULL;
			s->p += 4;
			if (u >= 0xd800 && u < 0xdc00) {
				if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
				    hex4(s->p + 2, &lo) < 0 || lo < 0xdc00 || lo >= 0xe000)
					return NULL;
				s->p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				return NULL;
			}
			if (u < 0x80) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xc0 | (u >> 6));
				*o++ = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				*o++ = (char)(0xe0 | (u >> 12));
				*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xf0 | (u >> 18));
				*o++ = (char)(0x80 | ((u >> 12) & 0x3f));
				*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			break;
		default:
			return NULL;
		}
	}
	if (s->p >= s->end)
		return NULL;
	s->p++;
	*o++ = '\0';
	s->used = (size_t)(o - s->out);
	return start;
}

static int integer(struct scan *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *start;

	ws(s);
	start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s->p++ - '0');
	}
	/* JSON forbids leading zeros; anything else is Jansson's to judge. */
	if (s->p == start || (*start == '0' && s->p - start > 1))
		return -1;
	*out = v;
	return 0;
}

enum { K_NAME, K_VERSION, K_ARCH, K_CID, K_PATH, K_SIGNER, K_SUMMARY, K_KIND, K_SIZE, K_REL0 };
static const char *const keys[] = {"name", "version", "arch", "cid", "path", "signer", "summary",
				   "kind", "size", "depends", "provides", "conflicts", "obsoletes",
				   "recommends"};
#define NKEYS (sizeof keys / sizeof *keys)
static const size_t keylen[NKEYS] = {4, 7, 4, 3, 4, 6, 7, 4, 4, 7, 8, 9, 9, 10};

/* One package object; 1: not mine. */
static int package(struct scan *s, struct nip_index_entry *e, char **rels, size_t relcap,
		   const char **cid)
{
	unsigned seen = 0;
	size_t nrels = 0;

	memset(e, 0, sizeof *e);
	*cid = NULL;
	if (!eat(s, '{'))
		return 1;
	if (eat(s, '}'))
		return 1;
	do {
		size_t before = s->used, klen, i;
		const char *k = string(s);
		if (!k || !eat(s, ':'))
			return 1;
		klen = s->used - before - 1;
		for (i = 0; i < NKEYS && !(keylen[i] == klen && memcmp(keys[i], k, klen) == 0); i++)
			;
		if (i == NKEYS || (seen & (1u << i)))
			return 1;
		seen |= 1u << i;
		if (i == K_SIZE) {
			if (integer(s, &e->size) < 0)
				return 1;
		} else if (i >= K_REL0) {
			enum nip_rel_kind kind = (enum nip_rel_kind)(i - K_REL0);
			e->rel[kind] = rels + nrels;
			if (!eat(s, '['))
				return 1;
			if (!eat(s, ']')) {
				do {
					const char *r = string(s);
					if (!r || nrels == relcap)
						return 1;
					rels[nrels++] = (char *)r;
					e->nrel[kind]++;
				} while (eat(s, ','));
				if (!eat(s, ']'))
					return 1;
			}
		} else {
			const char *v = string(s);
			if (!v)
				return 1;
			switch (i) {
			case K_NAME: e->name = v; break;
			case K_VERSION: e->version = v; break;
			case K_ARCH: e->arch = v; break;
			case K_CID: *cid = v; break;
			case K_PATH: e->path = v; break;
			case K_SIGNER: e->signer = v; break;
			case K_SUMMARY: e->summary = v; break;
			default: break; /* kind: not the solver's */
			}
		}
	} while (eat(s, ','));
	return eat(s, '}') ? 0 : 1;
}

/* Adds every package of the part; 1 as soon as it meets what it does not
 * read, having added some: the caller starts the build again with every
 * part left to Jansson (a publisher never writes such a part, so the
 * normal case is one pass). */
int index_scan(struct solv_build *b, const char *part, const char *text, size_t len,
	       struct nip_error *err)
{
	char **rels = malloc(NIP_RELATIONS_MAX * NIP_REL_COUNT * sizeof *rels);
	struct scan s = {text, text + len, malloc(len + 1), 0};
	const char *k;
	size_t i = 0;
	int rc = 1, seen_bin = 0, seen_packages = 0;

	if (!s.out || !rels) {
		rc = nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	/* {"bin": "XX", "packages": [...]}, keys in any order, each once. */
	if (!eat(&s, '{'))
		goto out;
	do {
		s.used = 0;
		if (!(k = string(&s)) || !eat(&s, ':'))
			goto out;
		if (strcmp(k, "bin") == 0 && !seen_bin) {
			seen_bin = 1;
			if (!string(&s))
				goto out;
			continue;
		}
		if (strcmp(k, "packages") != 0 || seen_packages || !eat(&s, '['))
			goto out;
		seen_packages = 1;
		if (eat(&s, ']'))
			continue;
		do {
			struct nip_index_entry e;
			const char *cid;
			s.used = 0;
			if (package(&s, &e, rels, NIP_RELATIONS_MAX * NIP_REL_COUNT, &cid) != 0)
				goto out;
			if (!e.name || !e.version || !e.arch || !e.path || !e.signer || !cid ||
			    nip_cid_parse(cid, e.cid, err) < 0) {
				rc = nip_err(err, NIP_E_FORMAT,
					     "%s: packages[%zu]: a field is missing or malformed", part, i);
				goto out;
			}
			if (solv_add(b, &e, err) < 0) {
				rc = -1;
				goto out;
			}
			i++;
		} while (eat(&s, ','));
		if (!eat(&s, ']'))
			goto out;
	} while (eat(&s, ','));
	if (!seen_packages)
		goto out;
	rc = eat(&s, '}') && (ws(&s), s.p == s.end) ? 0 : 1;
out:
	free(s.out);
	free(rels);
	return rc;
}
