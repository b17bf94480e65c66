/* Tests nip/lib/package/relation.c: names, relation parsing, canonical
 * formatting, per-kind rules, refusals and their messages, op_match. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nip/limits.h"
#include "nip/package.h"
#include "../unit.h"

/* A CUnit assertion whose failure names the row (CUnit copies the text). */
static void check_at(int ok, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check_at(int ok, unsigned line, const char *fmt, ...)
{
	char msg[512] = "";
	va_list ap;

	if (!ok) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	}
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg, __FILE__, "", CU_FALSE);
}
#define CHECK(ok, ...) check_at((ok), __LINE__, __VA_ARGS__)

#define D NIP_REL_DEPENDS
#define P NIP_REL_PROVIDES
#define C NIP_REL_CONFLICTS
#define O NIP_REL_OBSOLETES
#define R NIP_REL_RECOMMENDS

/* Parses and formats; returns the canonical text (caller frees) or NULL. */
static char *canon(const char *s, enum nip_rel_kind kind, struct nip_error *err)
{
	struct nip_relation rel;
	struct nip_buf b;

	nip_buf_init(&b, NIP_RELATION_LEN_MAX, "relation");
	if (nip_relation_parse(s, kind, &rel, err) < 0)
		return NULL;
	if (nip_relation_format(&rel, &b, err) < 0) {
		nip_relation_free(&rel);
		nip_buf_free(&b);
		return NULL;
	}
	nip_relation_free(&rel);
	return (char *)b.data;
}

static const struct {
	enum nip_rel_kind kind;
	const char *in, *out;
} good[] = {
	{D, "libc", "libc"},
	{D, "libc >= 2.36", "libc >= 2.36"},
	{D, "libc>=2.36", "libc >= 2.36"},
	{D, "  libc   >=   2.36  ", "libc >= 2.36"},
	{D, "libc>= 2.36", "libc >= 2.36"},
	{D, "libc >=2.36", "libc >= 2.36"},
	{D, "a|b", "a | b"},
	{D, "a  |b |  c", "a | b | c"},
	{D, "a>1|b<2|c", "a > 1 | b < 2 | c"},
	{D, "a<=1:2.0-3|b=4", "a <= 1:2.0-3 | b = 4"},
	{D, "x <=1.0~rc1", "x <= 1.0~rc1"},
	{D, "so:libc.so.6", "so:libc.so.6"},
	{D, "so:libX11.so.6", "so:libX11.so.6"},
	{D, "pc:glib-2.0>=2.74", "pc:glib-2.0 >= 2.74"},
	{D, "cmd:sh | busybox", "cmd:sh | busybox"},
	{D, "path:/usr/bin/env", "path:/usr/bin/env"},
	{D, "g++ >= 12", "g++ >= 12"},
	{D, "lib.foo_bar-1+x", "lib.foo_bar-1+x"},
	{R, "gnupg|sq", "gnupg | sq"},
	{P, "cmd:sh", "cmd:sh"},
	{P, "libc-dev=2.36-9", "libc-dev = 2.36-9"},
	{P, "so:libc.so.6 = 2.36", "so:libc.so.6 = 2.36"},
	{C, "foo<2", "foo < 2"},
	{C, "foo <= 2", "foo <= 2"},
	{C, "foo = 2", "foo = 2"},
	{C, "foo >= 2", "foo >= 2"},
	{C, "foo>2", "foo > 2"},
	{O, "old-name < 1.0", "old-name < 1.0"},
	{O, "old-name", "old-name"},
};

static void test_parse_format(void)
{
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct nip_error err = {0};
		char *c1 = canon(good[i].in, good[i].kind, &err), *c2 = NULL;

		CHECK(c1 != NULL, "\"%s\" refused: %s", good[i].in, err.msg);
		if (!c1)
			continue;
		CHECK(strcmp(c1, good[i].out) == 0, "\"%s\" gave \"%s\"", good[i].in, c1);
		/* the canonical form is a fixed point */
		c2 = canon(c1, good[i].kind, &err);
		CHECK(c2 && strcmp(c1, c2) == 0, "\"%s\" not a fixed point", c1);
		free(c1);
		free(c2);
	}
}

static void test_parse_fields(void)
{
	struct nip_relation rel;
	struct nip_error err = {0};

	CU_ASSERT_EQUAL_FATAL(nip_relation_parse("a | b >= 1:2-3 | so:x.so.1", D, &rel, &err), 0);
	CU_ASSERT_EQUAL_FATAL(rel.n, 3);
	CU_ASSERT_STRING_EQUAL(rel.alts[0].name, "a");
	CU_ASSERT_EQUAL(rel.alts[0].op, NIP_OP_NONE);
	CU_ASSERT_PTR_NULL(rel.alts[0].version);
	CU_ASSERT_STRING_EQUAL(rel.alts[1].name, "b");
	CU_ASSERT_EQUAL(rel.alts[1].op, NIP_OP_GE);
	CU_ASSERT_STRING_EQUAL(rel.alts[1].version, "1:2-3");
	CU_ASSERT_STRING_EQUAL(rel.alts[2].name, "so:x.so.1");
	nip_relation_free(&rel);
	CU_ASSERT_PTR_NULL(rel.alts);
	CU_ASSERT_EQUAL(rel.n, 0);
	nip_relation_free(&rel); /* twice is harmless */
	nip_relation_free(NULL);
}

static const struct {
	enum nip_rel_kind kind;
	const char *in;
	int code;
	const char *msg; /* must occur in the message */
} bad[] = {
	/* the messages the design promises, whole */
	{D, "libc >>>= 2", NIP_E_FORMAT, "\"libc >>>= 2\": unknown operator \">>>=\""},
	{D, "a | | b", NIP_E_FORMAT, "\"a | | b\": empty alternative"},
	{D, "Libc", NIP_E_FORMAT,
	 "\"Libc\": invalid package name \"Libc\" (must be [a-z0-9][a-z0-9+._-]* or NS:VALUE)"},
	{D, "libc >= ", NIP_E_FORMAT, "\"libc >= \": missing version after \">=\""},
	{D, "libc >= 1:", NIP_E_FORMAT, "\"libc >= 1:\": invalid version \"1:\""},
	/* empty parts */
	{D, "", NIP_E_FORMAT, "\"\": empty relation"},
	{D, "   ", NIP_E_FORMAT, "empty relation"},
	{D, "a |", NIP_E_FORMAT, "empty alternative"},
	{D, "| a", NIP_E_FORMAT, "empty alternative"},
	{D, "|", NIP_E_FORMAT, "empty alternative"},
	{D, ">= 2", NIP_E_FORMAT, "invalid package name \"\""},
	/* operators and versions */
	{D, "libc => 2", NIP_E_FORMAT, "unknown operator \"=>\""},
	{D, "libc == 2", NIP_E_FORMAT, "unknown operator \"==\""},
	{D, "libc << 2", NIP_E_FORMAT, "unknown operator \"<<\""},
	{D, "libc >", NIP_E_FORMAT, "missing version after \">\""},
	{D, "libc 2.36", NIP_E_FORMAT, "expected an operator or '|' before \"2.36\""},
	{D, "libc (>= 2.36)", NIP_E_FORMAT, "before \"(>= 2.36)\""},
	{D, "libc >= 2.36 extra", NIP_E_FORMAT, "invalid version \"2.36 extra\""},
	{D, "libc >= 2.36>1", NIP_E_FORMAT, "invalid version \"2.36>1\""},
	{D, "libc >= a1", NIP_E_FORMAT, "invalid version \"a1\""},
	{D, "libc >= 01:1", NIP_E_FORMAT, "invalid version \"01:1\""},
	/* names */
	{D, "-foo", NIP_E_FORMAT, "invalid package name \"-foo\""},
	{D, ".foo", NIP_E_FORMAT, "invalid package name \".foo\""},
	{D, "foo/bar", NIP_E_FORMAT, "invalid package name \"foo/bar\""},
	{D, "so:", NIP_E_FORMAT, "invalid package name \"so:\""},
	{D, ":x", NIP_E_FORMAT, "invalid package name \":x\""},
	{D, "So:x", NIP_E_FORMAT, "invalid package name \"So:x\""},
	{D, "so:a:b", NIP_E_FORMAT, "invalid package name \"so:a:b\""},
	{D, "a | B", NIP_E_FORMAT, "invalid package name \"B\""},
	/* bytes a terminal would act on are refused, and escaped in the message */
	{D, "libc\t>= 2", NIP_E_FORMAT, "control character 0x09 at offset 4"},
	{D, "libc >= 2\n", NIP_E_FORMAT, "\"libc >= 2\\x0a\": control character 0x0a"},
	{D, "libc >= 2\x1b[31m", NIP_E_FORMAT, "control character 0x1b"},
	{D, "lib\xc3\xa9", NIP_E_FORMAT, "invalid package name \"lib\\xc3\\xa9\""},
	{D, "a\"b", NIP_E_FORMAT, "invalid package name \"a\\\"b\""},
	/* per-kind rules */
	{P, "a | b", NIP_E_FORMAT, "\"a | b\": alternatives ('|') are not allowed in provides"},
	{C, "a|b", NIP_E_FORMAT, "alternatives ('|') are not allowed in conflicts"},
	{O, "a|b", NIP_E_FORMAT, "alternatives ('|') are not allowed in obsoletes"},
	{P, "x < 2", NIP_E_FORMAT, "operator \"<\" not allowed in provides (only \"=\")"},
	{P, "x>=2", NIP_E_FORMAT, "operator \">=\" not allowed in provides"},
	{P, "x>>2", NIP_E_FORMAT, "unknown operator \">>\""},
	{NIP_REL_COUNT, "a", NIP_E_INTERNAL, "relation kind 5 is unknown"},
};

static void test_refusals(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct nip_error err = {0};
		struct nip_relation rel = {(struct nip_dep *)&err, 7};
		int r = nip_relation_parse(bad[i].in, bad[i].kind, &rel, &err);

		CHECK(r == -1, "\"%s\" accepted", bad[i].in);
		CHECK(err.code == bad[i].code, "\"%s\": code %d, message %s", bad[i].in,
		      err.code, err.msg);
		CHECK(strstr(err.msg, bad[i].msg) != NULL, "\"%s\": message [%s] lacks [%s]",
		      bad[i].in, err.msg, bad[i].msg);
		CHECK(!strchr(err.msg, '\x1b') && !strchr(err.msg, '\n'),
		      "\"%s\": raw control byte in message", bad[i].in);
		/* out-params are set only on success */
		CHECK(rel.alts == (struct nip_dep *)&err && rel.n == 7, "\"%s\": out touched",
		      bad[i].in);
	}
}

static void test_limits(void)
{
	char s[NIP_RELATION_LEN_MAX + 64], alts[4 * 40];
	struct nip_relation rel;
	struct nip_error err = {0};
	size_t n = 0;

	/* exactly at the cap: a 1024-byte relation of one long (invalid) name
	 * is a format error; one byte more is a limit error */
	memset(s, 'a', NIP_RELATION_LEN_MAX + 1);
	s[NIP_RELATION_LEN_MAX] = '\0';
	CU_ASSERT_EQUAL(nip_relation_parse(s, D, &rel, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_FORMAT);
	/* the quotes are cut, so the complaint still fits the message */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "...\": invalid package name \"aaa"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "...\" (must be"));
	s[NIP_RELATION_LEN_MAX] = 'a';
	s[NIP_RELATION_LEN_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(nip_relation_parse(s, D, &rel, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "NIP_RELATION_LEN_MAX"));

	/* 32 alternatives pass, 33 are a limit error */
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(alts + n, sizeof alts - n, "%sp%d", i ? "|" : "", i);
	CU_ASSERT_EQUAL_FATAL(nip_relation_parse(alts, D, &rel, &err), 0);
	CU_ASSERT_EQUAL(rel.n, 32);
	nip_relation_free(&rel);
	snprintf(alts + n, sizeof alts - n, "|q");
	CU_ASSERT_EQUAL(nip_relation_parse(alts, D, &rel, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "33 alternatives"));

	/* 959 bytes as written but 1077 in canonical form: refused, so that
	 * what nip writes into a manifest always parses again */
	n = 0;
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(s + n, sizeof s - n, "%s%029d>1", i ? "|" : "", i);
	CU_ASSERT_EQUAL(n, 959);
	CU_ASSERT_EQUAL(nip_relation_parse(s, D, &rel, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "canonical form longer than 1024 bytes"));
}

static void test_names(void)
{
	static const char *const ok[] = {
		"a", "0", "libc6", "g++", "lib.foo_bar-1+x", "foo_", "so:libc.so.6", "cmd:sh",
		"so:libX11.so.6", "pc:glib-2.0", "path:/usr/bin/sh", "py3:foo@1", "a1:B-_+.@/",
	};
	static const char *const no[] = {
		"", "A", "Libc", "-a", ".a", "+a", "_a", "a b", "a/b", "a@b", "a:", ":a", "A:b",
		"1so:x", "so-x:y", "so:a:b", "so:a b", "so:a~", "a\n", "caf\xc3\xa9",
	};
	char long_name[300];

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		CHECK(nip_name_valid(ok[i], strlen(ok[i])), "\"%s\" should be valid", ok[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		CHECK(!nip_name_valid(no[i], strlen(no[i])), "\"%s\" should be invalid", no[i]);
	CU_ASSERT_TRUE(nip_name_valid("abc!", 3)); /* len bounds the check */
	CU_ASSERT_FALSE(nip_name_valid("a\0b", 3));
	CU_ASSERT_FALSE(nip_name_valid(NULL, 0));

	memset(long_name, 'a', sizeof long_name);
	CU_ASSERT_TRUE(nip_name_valid(long_name, NIP_PKGNAME_MAX));
	CU_ASSERT_FALSE(nip_name_valid(long_name, NIP_PKGNAME_MAX + 1));
	memcpy(long_name, "so:", 3);
	CU_ASSERT_TRUE(nip_name_valid(long_name, 256));
	CU_ASSERT_FALSE(nip_name_valid(long_name, 257));
}

static void test_format(void)
{
	struct nip_dep deps[2] = {{"libc", NIP_OP_GE, "2.36"}, {"musl", NIP_OP_NONE, NULL}};
	struct nip_relation rel = {deps, 2}, empty = {NULL, 0};
	struct nip_error err = {0};
	struct nip_buf b;

	/* appends, and leaves a C string */
	nip_buf_init(&b, 64, "relation");
	CU_ASSERT_EQUAL_FATAL(nip_buf_append(&b, "x: ", 3, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_relation_format(&rel, &b, &err), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "x: libc >= 2.36 | musl");
	CU_ASSERT_EQUAL(b.len, strlen("x: libc >= 2.36 | musl"));

	/* a malformed relation is a caller bug, and the buffer is untouched */
	CU_ASSERT_EQUAL(nip_relation_format(&empty, &b, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_INTERNAL);
	deps[1].op = NIP_OP_LT;
	CU_ASSERT_EQUAL(nip_relation_format(&rel, &b, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_INTERNAL);
	CU_ASSERT_EQUAL(b.len, strlen("x: libc >= 2.36 | musl"));
	nip_buf_free(&b);

	/* the buffer's cap holds, and a failure rolls back what was appended */
	nip_buf_init(&b, 10, "relation");
	deps[1].op = NIP_OP_NONE;
	CU_ASSERT_EQUAL(nip_relation_format(&rel, &b, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
	CU_ASSERT_EQUAL(b.len, 0);
	nip_buf_free(&b);
}

static void test_op_match(void)
{
	static const struct {
		enum nip_op op;
		const char *have, *want;
		int match;
	} rows[] = {
		{NIP_OP_NONE, "1", "2", 1},	  {NIP_OP_NONE, "1", NULL, 1},
		{NIP_OP_LT, "1.0~rc1", "1.0", 1}, {NIP_OP_LT, "1.0", "1.0", 0},
		{NIP_OP_LT, "1.1", "1.0", 0},	  {NIP_OP_LE, "1.0", "1.00", 1},
		{NIP_OP_LE, "1.0-1", "1.0", 0},	  {NIP_OP_LE, "0.9", "1.0", 1},
		{NIP_OP_EQ, "1.0", "1.0-0", 1},	  {NIP_OP_EQ, "0:1.0", "1.0", 1},
		{NIP_OP_EQ, "1.0", "1.0+b1", 0},  {NIP_OP_GE, "1:0", "9.9", 1},
		{NIP_OP_GE, "1.0", "1.0", 1},	  {NIP_OP_GE, "1.0~", "1.0", 0},
		{NIP_OP_GT, "1.0+b1", "1.0", 1},  {NIP_OP_GT, "1.0", "1.0", 0},
		{NIP_OP_GT, "1.0a", "1.0.1", 0},  {NIP_OP_GE, "1", NULL, 0},
		{(enum nip_op)99, "1", "1", 0},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECK(nip_op_match(rows[i].op, rows[i].have, rows[i].want) == rows[i].match,
		      "row %zu: op %d %s %s", i, (int)rows[i].op, rows[i].have,
		      rows[i].want ? rows[i].want : "(null)");
}

static void test_kind_names(void)
{
	static const char *const names[NIP_REL_COUNT] = {"depends", "provides", "conflicts",
							  "obsoletes", "recommends"};

	for (int k = 0; k < NIP_REL_COUNT; k++)
		CU_ASSERT_STRING_EQUAL(nip_rel_kind_name((enum nip_rel_kind)k), names[k]);
	CU_ASSERT_STRING_EQUAL(nip_rel_kind_name(NIP_REL_COUNT), "unknown");
}

NIP_UNIT_SUITE("package/relation", NIP_TEST(test_parse_format), NIP_TEST(test_parse_fields),
	       NIP_TEST(test_refusals), NIP_TEST(test_limits), NIP_TEST(test_names),
	       NIP_TEST(test_format), NIP_TEST(test_op_match), NIP_TEST(test_kind_names))
