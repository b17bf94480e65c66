/* trackd's request rules (trackd/rules.c): URL decoding, which paths may
 * be served, Range, ETag matching, Cache-Control per file, dates. */
#include <string.h>

#include "unit.h"
/* trackd is not part of libnip: its pure rules are compiled in here. */
#include "../../../trackd/rules.c"

static enum trackd_path_verdict check(const char *raw, const char **rel)
{
	static char buf[2048];
	const char *why = NULL;

	snprintf(buf, sizeof buf, "%s", raw);
	trackd_unescape(buf);
	return trackd_path_check(buf, rel, &why);
}

static void test_paths(void)
{
	const char *rel = NULL;

	CU_ASSERT_EQUAL(check("/metadata/timestamp.json", &rel), TRACKD_PATH_OK);
	CU_ASSERT_STRING_EQUAL(rel, "metadata/timestamp.json");
	CU_ASSERT_EQUAL(check("/targets/pkgs/a%20b.nip", &rel), TRACKD_PATH_OK);
	CU_ASSERT_STRING_EQUAL(rel, "targets/pkgs/a b.nip");
	/* Everything that could climb out, or read as something else. */
	const char *bad[] = {"/../x", "/a/..", "/a/./b", "/%2e%2e/x", "/%2E%2e/x", "/a%2fb",
			     "/a%2Fb", "/a%5cb", "/a\\b", "/a%00b", "/a%zzb", "/a%", "/a%2",
			     "//a", "/a//b", "x", "", "/a\x01"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CU_ASSERT_EQUAL(check(bad[i], &rel), TRACKD_PATH_BAD);
		if (check(bad[i], &rel) != TRACKD_PATH_BAD)
			fprintf(stderr, "\nnot refused: %s\n", bad[i]);
	}
	/* Not served, but not malformed either: 404. */
	CU_ASSERT_EQUAL(check("/", &rel), TRACKD_PATH_HIDDEN);
	CU_ASSERT_EQUAL(check("/metadata/", &rel), TRACKD_PATH_HIDDEN);
	CU_ASSERT_EQUAL(check("/.trackd/nonces", &rel), TRACKD_PATH_HIDDEN);
	CU_ASSERT_EQUAL(check("/targets/.x", &rel), TRACKD_PATH_HIDDEN);
	/* A '..' later in the path is still a 400, whatever came first. */
	CU_ASSERT_EQUAL(check("/.trackd/../x", &rel), TRACKD_PATH_BAD);
	char longp[TRACKD_PATH_MAX + 8];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	CU_ASSERT_EQUAL(check(longp, &rel), TRACKD_PATH_TOO_LONG);
}

static void test_range(void)
{
	struct trackd_range r;

	CU_ASSERT_EQUAL(trackd_range_parse("bytes=0-9", 100, &r), TRACKD_RANGE_OK);
	CU_ASSERT(r.first == 0 && r.last == 9);
	CU_ASSERT_EQUAL(trackd_range_parse("bytes=90-200", 100, &r), TRACKD_RANGE_OK);
	CU_ASSERT(r.first == 90 && r.last == 99);
	CU_ASSERT_EQUAL(trackd_range_parse("bytes=10-", 100, &r), TRACKD_RANGE_OK);
	CU_ASSERT(r.first == 10 && r.last == 99);
	CU_ASSERT_EQUAL(trackd_range_parse("bytes=-5", 100, &r), TRACKD_RANGE_OK);
	CU_ASSERT(r.first == 95 && r.last == 99);
	CU_ASSERT_EQUAL(trackd_range_parse("bytes=-500", 100, &r), TRACKD_RANGE_OK);
	CU_ASSERT(r.first == 0 && r.last == 99);
	CU_ASSERT_EQUAL(trackd_range_parse("BYTES=1-1", 100, &r), TRACKD_RANGE_OK);
	CU_ASSERT_EQUAL(trackd_range_parse("bytes=100-", 100, &r), TRACKD_RANGE_UNSAT);
	CU_ASSERT_EQUAL(trackd_range_parse("bytes=-0", 100, &r), TRACKD_RANGE_UNSAT);
	CU_ASSERT_EQUAL(trackd_range_parse("bytes=0-", 0, &r), TRACKD_RANGE_UNSAT);
	/* Malformed or several ranges: ignored, the whole file is sent. */
	const char *none[] = {"bytes=5-1", "bytes=0-1,3-4", "bytes=", "bytes=-", "bytes=a-b",
			      "items=0-1", "bytes= 0-1", "bytes=0-1x", "bytes=99999999999999999999-"};
	for (size_t i = 0; i < sizeof none / sizeof *none; i++)
		CU_ASSERT_EQUAL(trackd_range_parse(none[i], 100, &r), TRACKD_RANGE_NONE);
}

static void test_etag_and_cache(void)
{
	const char *h = "targets/pkgs/"
			"38927dfac64ac4c2741c09f4426492e4137fd246baef937d31d626473873bab2.hello-1.0-1-x86_64.nip";
	char etag[TRACKD_ETAG_MAX];

	trackd_etag(h, 1, 2, 3, 4, etag);
	CU_ASSERT_STRING_EQUAL(etag,
			       "\"38927dfac64ac4c2741c09f4426492e4137fd246baef937d31d626473873bab2\"");
	trackd_etag("metadata/timestamp.json", 0x10, 0x20, 0x30, 0x40, etag);
	CU_ASSERT_STRING_EQUAL(etag, "\"10-20-30.40\"");
	CU_ASSERT(trackd_etag_match("\"10-20-30.40\"", etag));
	CU_ASSERT(trackd_etag_match("\"a\", W/\"10-20-30.40\"", etag));
	CU_ASSERT(trackd_etag_match("*", etag));
	CU_ASSERT(!trackd_etag_match("\"10-20-30.4\"", etag));
	CU_ASSERT(!trackd_etag_match("10-20-30.40", etag));

	const char *imm = "public, max-age=31536000, immutable";
	CU_ASSERT_STRING_EQUAL(trackd_cache_control(h), imm);
	CU_ASSERT_STRING_EQUAL(trackd_cache_control("metadata/12.bin-0a.json"), imm);
	CU_ASSERT_STRING_EQUAL(trackd_cache_control("metadata/1.root.json"), imm);
	CU_ASSERT_STRING_EQUAL(trackd_cache_control("metadata/timestamp.json"), "no-cache");
	CU_ASSERT_STRING_EQUAL(trackd_cache_control("metadata/root.json"), "no-cache");
	CU_ASSERT_STRING_EQUAL(trackd_cache_control("metadata/01.root.json"), "no-cache");
	CU_ASSERT_STRING_EQUAL(trackd_cache_control("targets/pkgs/hello.nip"), "no-cache");
	CU_ASSERT_STRING_EQUAL(trackd_content_type("a.json"), "application/json");
	CU_ASSERT_STRING_EQUAL(trackd_content_type("a.json.zst"), "application/zstd");
	CU_ASSERT_STRING_EQUAL(trackd_content_type("a.nip"), "application/octet-stream");
}

static void test_dates_and_json(void)
{
	char d[TRACKD_DATE_MAX], j[32];

	trackd_http_date(0, d);
	CU_ASSERT_STRING_EQUAL(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	trackd_http_date(951782400, d); /* a leap day */
	CU_ASSERT_STRING_EQUAL(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	trackd_http_date(1700000000, d);
	CU_ASSERT_STRING_EQUAL(d, "Tue, 14 Nov 2023 22:13:20 GMT");
	trackd_json_escape("a\"b\\c\n\xff\xc3\xa9", j, sizeof j);
	CU_ASSERT_STRING_EQUAL(j, "a\\\"b\\\\c\\u000a\xef\xbf\xbd\xc3\xa9");
	/* Cut whole, never in the middle of an escape. */
	trackd_json_escape("abc\"", j, 5);
	CU_ASSERT_STRING_EQUAL(j, "abc");
}

NIP_UNIT_SUITE("trackd/rules", NIP_TEST(test_paths), NIP_TEST(test_range),
	       NIP_TEST(test_etag_and_cache), NIP_TEST(test_dates_and_json));
