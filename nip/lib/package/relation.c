/* Names and relations: "NAME", "NAME OP VERSION", alternatives "A | B".
 * Relations come from manifests, tracks and the command line, so the parser
 * is strict and every refusal says which relation and what in it is wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nip/limits.h"
#include "nip/package.h"

/* A capability's value is often a soname or a path (so:libfoo.so.1,
 * path:/usr/bin/sh), which runs longer than a package name. */
#define CAP_NAME_MAX 256u
/* Debian's longest real alternative lists have about ten members; past 32
 * a relation is a mistake or an attempt to make the solver work. */
#define ALTS_MAX 32u
/* How much of a hostile string an error message quotes. */
#define QUOTE_MAX 128u
#define QUOTE_BUF (QUOTE_MAX + 16)

static const char *const kind_names[NIP_REL_COUNT] = {
	[NIP_REL_DEPENDS] = "depends",	   [NIP_REL_PROVIDES] = "provides",
	[NIP_REL_CONFLICTS] = "conflicts", [NIP_REL_OBSOLETES] = "obsoletes",
	[NIP_REL_RECOMMENDS] = "recommends",
};

static const char *const op_names[] = {
	[NIP_OP_NONE] = "", [NIP_OP_LT] = "<",	[NIP_OP_LE] = "<=",
	[NIP_OP_EQ] = "=",  [NIP_OP_GE] = ">=", [NIP_OP_GT] = ">",
};

const char *nip_rel_kind_name(enum nip_rel_kind kind)
{
	if ((unsigned)kind >= NIP_REL_COUNT)
		return "unknown";
	return kind_names[kind];
}

static int is_lower_or_digit(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_cap_value_char(unsigned char c)
{
	return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '+' || c == '.' ||
	       c == '_' || c == '@' || c == '/' || c == '-';
}

static int capability_valid(const char *s, size_t len, const char *colon)
{
	size_t ns = (size_t)(colon - s);

	if (len > CAP_NAME_MAX || ns == 0 || colon + 1 == s + len)
		return 0;
	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (size_t i = 1; i < ns; i++)
		if (!is_lower_or_digit((unsigned char)s[i]))
			return 0;
	for (const char *p = colon + 1; p < s + len; p++)
		if (!is_cap_value_char((unsigned char)*p))
			return 0;
	return 1;
}

int nip_name_valid(const char *s, size_t len)
{
	const char *colon;

	if (!s || len == 0)
		return 0;
	colon = memchr(s, ':', len);
	if (colon)
		return capability_valid(s, len, colon);
	if (len > NIP_PKGNAME_MAX || !is_lower_or_digit((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_lower_or_digit(c) && c != '+' && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

/* Quotes untrusted bytes for a message: escapes make control bytes and
 * non-ASCII visible (a manifest must not write to the user's terminal), and
 * long input is cut so that the complaint after it still fits. */
static void quote(char *out, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	out[o++] = '"';
	for (i = 0; i < len && o + 8 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* The relation being parsed, for messages. */
struct rctx {
	const char *s;
	size_t len;
	enum nip_rel_kind kind;
	struct nip_error *err;
};

/* Every refusal starts by quoting the whole relation, then says what. */
static int refuse(const struct rctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(const struct rctx *c, int code, const char *fmt, ...)
{
	char qrel[QUOTE_BUF], why[NIP_ERRMSG_MAX];
	va_list ap;

	quote(qrel, sizeof qrel, c->s, c->len);
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return nip_err(c->err, code, "%s: %s", qrel, why);
}

static int is_op_char(char c)
{
	return c == '<' || c == '=' || c == '>';
}

static int op_parse(const char *p, size_t n, enum nip_op *out)
{
	for (size_t op = NIP_OP_LT; op <= NIP_OP_GT; op++)
		if (strlen(op_names[op]) == n && memcmp(op_names[op], p, n) == 0) {
			*out = (enum nip_op)op;
			return 0;
		}
	return -1;
}

static char *dup_span(const char *p, const char *end)
{
	return strndup(p, (size_t)(end - p));
}

/* Parses one alternative [p, end), already trimmed of spaces. Only spaces
 * separate tokens: relations are single-line strings in JSON manifests and
 * on command lines, and a tab or newline in one is a mistake or a splice,
 * so check_whole refuses every control byte before we get here. */
static int parse_alt(const struct rctx *c, const char *p, const char *end, struct nip_dep *dep)
{
	const char *name = p, *name_end, *op, *op_end, *ver;
	char q[QUOTE_BUF];
	enum nip_op o = NIP_OP_NONE;

	while (p < end && *p != ' ' && !is_op_char(*p))
		p++;
	name_end = p;
	if (!nip_name_valid(name, (size_t)(name_end - name))) {
		quote(q, sizeof q, name, (size_t)(name_end - name));
		return refuse(c, NIP_E_FORMAT,
			      "invalid package name %s"
			      " (must be [a-z0-9][a-z0-9+._-]* or NS:VALUE)",
			      q);
	}
	while (p < end && *p == ' ')
		p++;
	ver = end;
	if (p < end) {
		op = p;
		while (p < end && is_op_char(*p))
			p++;
		op_end = p;
		if (op == op_end) {
			quote(q, sizeof q, op, (size_t)(end - op));
			return refuse(c, NIP_E_FORMAT, "expected an operator or '|' before %s", q);
		}
		quote(q, sizeof q, op, (size_t)(op_end - op));
		if (op_parse(op, (size_t)(op_end - op), &o) < 0)
			return refuse(c, NIP_E_FORMAT, "unknown operator %s", q);
		if (c->kind == NIP_REL_PROVIDES && o != NIP_OP_EQ)
			return refuse(c, NIP_E_FORMAT,
				      "operator %s not allowed in provides (only \"=\")", q);
		while (p < end && *p == ' ')
			p++;
		ver = p;
		if (ver == end)
			return refuse(c, NIP_E_FORMAT, "missing version after %s", q);
		if (!nip_version_valid(ver, (size_t)(end - ver))) {
			quote(q, sizeof q, ver, (size_t)(end - ver));
			return refuse(c, NIP_E_FORMAT,
				      "invalid version %s (must be [EPOCH:]UPSTREAM[-RELEASE])",
				      q);
		}
	}
	dep->name = dup_span(name, name_end);
	dep->version = o == NIP_OP_NONE ? NULL : dup_span(ver, end);
	if (!dep->name || (o != NIP_OP_NONE && !dep->version)) {
		free(dep->name);
		free(dep->version);
		dep->name = dep->version = NULL;
		return nip_err(c->err, NIP_E_NOMEM, "parsing a relation: out of memory");
	}
	dep->op = o;
	return 0;
}

/* Checks what holds for the whole string before it is split: the kind, the
 * length cap, no control bytes, the number of alternatives. Sets *nalts. */
static int check_whole(const struct rctx *c, size_t *nalts)
{
	size_t n = 1;

	if ((unsigned)c->kind >= NIP_REL_COUNT)
		return nip_err(c->err, NIP_E_INTERNAL, "relation kind %d is unknown",
			       (int)c->kind);
	if (c->len > NIP_RELATION_LEN_MAX)
		return refuse(c, NIP_E_LIMIT, "longer than %u bytes (NIP_RELATION_LEN_MAX)",
			      NIP_RELATION_LEN_MAX);
	for (size_t i = 0; i < c->len; i++) {
		unsigned char ch = (unsigned char)c->s[i];
		if (ch < 0x20 || ch == 0x7f)
			return refuse(c, NIP_E_FORMAT, "control character 0x%02x at offset %zu",
				      ch, i);
		n += ch == '|';
	}
	if (n > ALTS_MAX)
		return refuse(c, NIP_E_LIMIT, "%zu alternatives, more than %u", n, ALTS_MAX);
	if (n > 1 && c->kind != NIP_REL_DEPENDS && c->kind != NIP_REL_RECOMMENDS)
		return refuse(c, NIP_E_FORMAT, "alternatives ('|') are not allowed in %s",
			      nip_rel_kind_name(c->kind));
	*nalts = n;
	return 0;
}

/* Length of the canonical text, which adds spaces around '|' and OP. */
static size_t canon_len(const struct nip_dep *alts, size_t n)
{
	size_t len = 3 * (n - 1);

	for (size_t i = 0; i < n; i++) {
		len += strlen(alts[i].name);
		if (alts[i].op != NIP_OP_NONE)
			len += strlen(op_names[alts[i].op]) + strlen(alts[i].version) + 2;
	}
	return len;
}

static void deps_free(struct nip_dep *alts, size_t n)
{
	if (!alts)
		return;
	for (size_t i = 0; i < n; i++) {
		free(alts[i].name);
		free(alts[i].version);
	}
	free(alts);
}

int nip_relation_parse(const char *s, enum nip_rel_kind kind, struct nip_relation *out,
		       struct nip_error *err)
{
	struct rctx c = {.s = s, .kind = kind, .err = err};
	struct nip_dep *alts = NULL;
	size_t nalts = 0, done = 0;
	const char *p = s;
	int ret = -1;

	if (!s)
		return nip_err(err, NIP_E_INTERNAL, "relation is NULL");
	/* strnlen: never walk further than the cap into hostile input. */
	c.len = strnlen(s, NIP_RELATION_LEN_MAX + 1);
	if (check_whole(&c, &nalts) < 0)
		goto out;
	alts = calloc(nalts, sizeof *alts);
	if (!alts) {
		nip_err(err, NIP_E_NOMEM, "parsing a relation: out of memory");
		goto out;
	}
	for (; done < nalts; done++) {
		const char *end = memchr(p, '|', (size_t)(s + c.len - p)), *next;

		if (!end)
			end = s + c.len;
		next = end + 1;
		while (p < end && *p == ' ')
			p++;
		while (end > p && end[-1] == ' ')
			end--;
		if (p == end) {
			refuse(&c, NIP_E_FORMAT, "%s",
			       nalts > 1 ? "empty alternative" : "empty relation");
			goto out;
		}
		if (parse_alt(&c, p, end, &alts[done]) < 0)
			goto out;
		p = next;
	}
	/* Manifests store the canonical text: it too must pass the cap, or a
	 * relation accepted here would be refused when read back. */
	if (canon_len(alts, nalts) > NIP_RELATION_LEN_MAX) {
		refuse(&c, NIP_E_LIMIT,
		       "canonical form longer than %u bytes (NIP_RELATION_LEN_MAX)",
		       NIP_RELATION_LEN_MAX);
		goto out;
	}
	out->alts = alts;
	out->n = nalts;
	alts = NULL;
	ret = 0;
out:
	deps_free(alts, done);
	return ret;
}

void nip_relation_free(struct nip_relation *rel)
{
	if (!rel)
		return;
	deps_free(rel->alts, rel->n);
	rel->alts = NULL;
	rel->n = 0;
}

int nip_relation_format(const struct nip_relation *rel, struct nip_buf *out,
			struct nip_error *err)
{
	size_t start = out->len;

	if (!rel || rel->n == 0 || !rel->alts)
		return nip_err(err, NIP_E_INTERNAL, "formatting an empty relation");
	for (size_t i = 0; i < rel->n; i++) {
		const struct nip_dep *d = &rel->alts[i];

		if (!d->name || (unsigned)d->op > NIP_OP_GT ||
		    (d->op != NIP_OP_NONE && !d->version)) {
			nip_err(err, NIP_E_INTERNAL, "formatting a malformed relation");
			goto fail;
		}
		if (nip_buf_printf(out, err, "%s%s", i ? " | " : "", d->name) < 0)
			goto fail;
		if (d->op != NIP_OP_NONE &&
		    nip_buf_printf(out, err, " %s %s", op_names[d->op], d->version) < 0)
			goto fail;
	}
	if (nip_buf_cstr(out, err) < 0)
		goto fail;
	return 0;
fail:
	/* Leave the buffer as the caller gave it. */
	out->len = start;
	return -1;
}

int nip_op_match(enum nip_op op, const char *have, const char *want)
{
	int c;

	if (op == NIP_OP_NONE)
		return 1;
	if (!have || !want)
		return 0;
	c = nip_version_cmp(have, want);
	switch (op) {
	case NIP_OP_LT:
		return c < 0;
	case NIP_OP_LE:
		return c <= 0;
	case NIP_OP_EQ:
		return c == 0;
	case NIP_OP_GE:
		return c >= 0;
	case NIP_OP_GT:
		return c > 0;
	default:
		return 0;
	}
}
