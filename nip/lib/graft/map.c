/* Mapping foreign versions, relations and architectures onto nip's.
 * nip orders versions as dpkg does; pacman (rpmvercmp) and apk order
 * theirs differently, so each is rewritten into a dpkg-ordered spelling
 * that sorts its versions as its own tool would (doc/nip-graft.8, VERSIONS;
 * tests/unit/graft/map_test.c checks the edge cases). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

static int isdig(char c)
{
	return c >= '0' && c <= '9';
}
static int isalph(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* pacman: '_' and '+' separate like '.', so they become '.'; every run of
 * letters gets a '~' in front, because rpmvercmp sorts a letter segment
 * before the end of the string and before any number (1.0a < 1.0rc < 1.0 <
 * 1.0.a < 1.0.1), which is what '~' does in dpkg's order. */
static int map_pacman(const char *in, struct nip_buf *b, struct nip_error *err)
{
	const char *colon = strchr(in, ':'), *up = colon ? colon + 1 : in, *dash = strrchr(up, '-');
	const char *end = dash ? dash : up + strlen(up);

	if (colon && nip_buf_append(b, in, (size_t)(colon - in + 1), err) < 0)
		return -1;
	if (up < end && isalph(*up) && nip_buf_append(b, "0", 1, err) < 0)
		return -1;
	for (const char *p = up; p < end; p++) {
		char c = *p;
		if (c == '_' || c == '+')
			c = '.';
		else if (isalph(c) && (p == up || !isalph(p[-1])) && nip_buf_append(b, "~", 1, err) < 0)
			return -1;
		else if (!isalph(c) && !isdig(c) && c != '.')
			return nip_err(err, NIP_E_FORMAT, "pacman version %s: character '%c' is not allowed", in, c);
		if (nip_buf_append(b, &c, 1, err) < 0)
			return -1;
	}
	if (dash) {
		for (const char *p = dash + 1; *p; p++)
			if (!isdig(*p) && *p != '.')
				return nip_err(err, NIP_E_FORMAT, "pacman version %s: pkgrel must be digits and dots", in);
		if (nip_buf_append(b, dash, strlen(dash), err) < 0)
			return -1;
	}
	return 0;
}

/* apk: 1.2.3[letter][_suffix[N]]...[-rN]. Pre-release suffixes sort before
 * the plain version (_alpha < _beta < _pre < _rc), post-release ones after
 * (_cvs, _svn, _git, _hg, _p): '~' and '+' in dpkg's order. -rN is the
 * release. */
static int map_apk(const char *in, struct nip_buf *b, struct nip_error *err)
{
	static const char *const pre[] = {"alpha", "beta", "pre", "rc", NULL};
	static const char *const post[] = {"cvs", "svn", "git", "hg", "p", NULL};
	const char *p = in, *rel = strstr(in, "-r");

	if (rel && (strchr(rel + 2, '-') || !rel[2]))
		return nip_err(err, NIP_E_FORMAT, "apk version %s: malformed -rN", in);
	if (rel)
		for (const char *q = rel + 2; *q; q++)
			if (!isdig(*q))
				return nip_err(err, NIP_E_FORMAT, "apk version %s: -rN must be a number", in);
	if (!isdig(*p))
		return nip_err(err, NIP_E_FORMAT, "apk version %s: must start with a digit", in);
	while (*p && p != rel) {
		if (*p == '_') {
			size_t i, n = 0;
			const char *s = p + 1, *mark = NULL;
			while (isalph(s[n]))
				n++;
			for (i = 0; pre[i]; i++)
				if (strlen(pre[i]) == n && strncmp(pre[i], s, n) == 0)
					mark = "~";
			for (i = 0; !mark && post[i]; i++)
				if (strlen(post[i]) == n && strncmp(post[i], s, n) == 0)
					mark = "+";
			if (!mark)
				return nip_err(err, NIP_E_FORMAT, "apk version %s: unknown suffix _%.*s", in,
					       (int)(n > 16 ? 16 : n), s);
			if (nip_buf_append(b, mark, 1, err) < 0 || nip_buf_append(b, s, n, err) < 0)
				return -1;
			p = s + n;
			continue;
		}
		if (!isdig(*p) && !isalph(*p) && *p != '.')
			return nip_err(err, NIP_E_FORMAT, "apk version %s: character '%c' is not allowed", in, *p);
		if (nip_buf_append(b, p++, 1, err) < 0)
			return -1;
	}
	if (rel && nip_buf_printf(b, err, "-%s", rel + 2) < 0)
		return -1;
	return 0;
}

int nip_graft_version(enum nip_graft_format f, const char *in, char **out, struct nip_error *err)
{
	struct nip_buf b;

	nip_buf_init(&b, NIP_VERSION_MAX + 1, "version");
	if (!in || !*in || strlen(in) > NIP_VERSION_MAX)
		return nip_err(err, NIP_E_FORMAT, "version: empty or longer than %u bytes", NIP_VERSION_MAX);
	if (f == NIP_GRAFT_DEB ? nip_buf_append(&b, in, strlen(in), err)
	    : f == NIP_GRAFT_PACMAN ? map_pacman(in, &b, err)
				  : map_apk(in, &b, err))
		goto fail;
	if (nip_buf_cstr(&b, err) < 0)
		goto fail;
	if (!nip_version_valid((char *)b.data, b.len)) {
		nip_err(err, NIP_E_FORMAT, "version %s: not expressible as [EPOCH:]UPSTREAM[-RELEASE]", in);
		goto fail;
	}
	*out = (char *)b.data;
	return 0;
fail:
	nip_buf_free(&b);
	return -1;
}

const char *map_arch(const char *arch)
{
	static const char *const table[][2] = {
		{"amd64", "x86_64"}, {"arm64", "aarch64"}, {"i386", "i686"},   {"armhf", "armv7h"},
		{"all", "noarch"},   {"any", "noarch"},	   {"x86", "i686"},	{"armel", "armv5"},
	};
	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		if (strcmp(arch, table[i][0]) == 0)
			return table[i][1];
	return arch;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int map_add_relation(struct nip_manifest *m, enum nip_rel_kind k, const char *s, struct nip_error *err)
{
	struct nip_relation r;
	struct nip_buf canon;
	int rc;

	if (nip_relation_parse(s, k, &r, err) < 0)
		return -1;
	nip_buf_init(&canon, 4 * NIP_RELATION_LEN_MAX, "relation");
	rc = nip_relation_format(&r, &canon, err);
	for (size_t i = 0; rc == 0 && i < m->nrel[k]; i++)
		if (strcmp(m->rel[k][i], (char *)canon.data) == 0)
			goto out; /* already there */
	if (rc == 0 && m->nrel[k] >= NIP_RELATIONS_MAX)
		rc = nip_err(err, NIP_E_LIMIT, "more than %u %s relations", NIP_RELATIONS_MAX, nip_rel_kind_name(k));
	if (rc == 0 && (rc = gpkg_add_strv(&m->rel[k], &m->nrel[k], (char *)canon.data, err)) == 0)
		qsort(m->rel[k], m->nrel[k], sizeof *m->rel[k], cmp_str);
out:
	nip_relation_free(&r);
	nip_buf_free(&canon);
	return rc;
}

static const char *deb_op(const char *op, size_t n)
{
	static const char *const ops[][2] = {{"<<", "<"}, {"<=", "<="}, {"=", "="}, {">=", ">="},
					     {">>", ">"}, {"<", "<="},	{">", ">="}};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strlen(ops[i][0]) == n && strncmp(ops[i][0], op, n) == 0)
			return ops[i][1];
	return NULL;
}

/* One Debian alternative "name[:arch] [(op version)] [[archs]] [<profiles>]"
 * into "name [op version]"; *lossy is set when something was left out. */
static int deb_alt(const char *p, const char *end, struct nip_buf *out, int *lossy, struct nip_error *err)
{
	const char *n = p, *ne;

	while (p < end && !isspace((unsigned char)*p) && *p != '(' && *p != '[' && *p != '<' && *p != ':')
		p++;
	ne = p;
	if (ne == n)
		return nip_err(err, NIP_E_FORMAT, "empty package name");
	if (nip_buf_append(out, n, (size_t)(ne - n), err) < 0)
		return -1;
	if (p < end && *p == ':') { /* Multi-Arch qualifier: one arch per root */
		*lossy = 1;
		while (p < end && !isspace((unsigned char)*p) && *p != '(')
			p++;
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end && *p == '(') {
		const char *close = memchr(p, ')', (size_t)(end - p)), *op, *oe, *v, *ve;
		const char *mapped;
		if (!close)
			return nip_err(err, NIP_E_FORMAT, "unbalanced '('");
		op = p + 1;
		while (op < close && isspace((unsigned char)*op))
			op++;
		oe = op;
		while (oe < close && strchr("<=>", *oe))
			oe++;
		v = oe;
		while (v < close && isspace((unsigned char)*v))
			v++;
		ve = close;
		while (ve > v && isspace((unsigned char)ve[-1]))
			ve--;
		if (!(mapped = deb_op(op, (size_t)(oe - op))) || v == ve)
			return nip_err(err, NIP_E_FORMAT, "bad version relation %.*s", (int)(close - p + 1), p);
		if (nip_buf_printf(out, err, " %s %.*s", mapped, (int)(ve - v), v) < 0)
			return -1;
		p = close + 1;
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end) /* architecture lists and build profiles: not for binaries */
		*lossy = 1;
	return 0;
}

int map_deb_relations(struct gpkg *g, const char *field, const char *value, enum nip_rel_kind k,
		      struct nip_error *err)
{
	const char *p = value, *end = value + strlen(value);
	struct nip_buf rel;
	int lossy = 0, rc = -1;

	nip_buf_init(&rel, NIP_RELATION_LEN_MAX * 4, "relation");
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *ce = comma ? comma : end;
		rel.len = 0;
		while (p < ce) {
			const char *bar = memchr(p, '|', (size_t)(ce - p)), *ae = bar ? bar : ce;
			while (p < ae && isspace((unsigned char)*p))
				p++;
			if (rel.len && nip_buf_append(&rel, " | ", 3, err) < 0)
				goto out;
			if (deb_alt(p, ae, &rel, &lossy, err) < 0)
				goto fail;
			p = bar ? bar + 1 : ce;
		}
		if (nip_buf_cstr(&rel, err) < 0 || map_add_relation(g->meta, k, (char *)rel.data, err) < 0)
			goto fail;
		p = comma ? comma + 1 : end;
		while (p < end && isspace((unsigned char)*p))
			p++;
	}
	/* Whatever could not be said in nip's grammar stays, verbatim. */
	rc = lossy ? gpkg_field(g, field, value, err) : 0;
	goto out;
fail:
	nip_err_prefix(err, "%s: ", field);
out:
	nip_buf_free(&rel);
	return rc;
}

/* One pacman or apk relation: name[op version]; versions mapped. */
int map_one_relation(struct gpkg *g, const char *field, const char *value, enum nip_rel_kind k,
		     struct nip_error *err)
{
	const char *p = value, *op;
	char *ver = NULL;
	struct nip_buf rel;
	int rc = -1;
	size_t on;

	nip_buf_init(&rel, NIP_RELATION_LEN_MAX * 2, "relation");
	if (g->format == NIP_GRAFT_APK && *p == '!') { /* apk: a conflict */
		k = NIP_REL_CONFLICTS;
		p++;
	}
	op = p + strcspn(p, "<=>~");
	on = strspn(op, "<=>~");
	if (nip_buf_append(&rel, p, (size_t)(op - p), err) < 0)
		goto out;
	if (*op) {
		char o[3] = {0};
		if (on > 2 || !op[on])
			goto bad;
		memcpy(o, op, on);
		if (strcmp(o, "~") == 0) { /* apk's fuzzy match: a version prefix */
			strcpy(o, ">=");
			if (gpkg_field(g, field, value, err) < 0)
				goto out;
		} else if (strcmp(o, "<") && strcmp(o, "<=") && strcmp(o, "=") && strcmp(o, ">=") && strcmp(o, ">"))
			goto bad;
		if (k == NIP_REL_PROVIDES && strcmp(o, "=") != 0)
			goto bad;
		if (nip_graft_version(g->format, op + on, &ver, err) < 0)
			goto fail;
		if (nip_buf_printf(&rel, err, " %s %s", o, ver) < 0)
			goto out;
	}
	if (nip_buf_cstr(&rel, err) < 0 || map_add_relation(g->meta, k, (char *)rel.data, err) < 0)
		goto fail;
	rc = 0;
	goto out;
bad:
	nip_err(err, NIP_E_FORMAT, "bad relation");
fail:
	/* apk and pacman allow names nip's grammar does not (busybox's apk
	 * provides cmd:[): such an entry is kept whole, and said so, rather
	 * than failing the package or vanishing. */
	if (err && err->code == NIP_E_FORMAT) {
		char why[NIP_ERRMSG_MAX];
		memcpy(why, err->msg, sizeof why);
		nip_err_clear(err);
		rc = gpkg_field(g, field, value, err) < 0 ||
				     gpkg_note(g, err, "%s %s: not expressible as a nip relation, kept as a field (%s)",
					       field, value, why) < 0
			     ? -1
			     : 0;
		goto out;
	}
	nip_err_prefix(err, "%s %s: ", field, value);
out:
	free(ver);
	nip_buf_free(&rel);
	return rc;
}
