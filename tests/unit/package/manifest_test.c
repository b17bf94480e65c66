/* nip/lib/package/manifest.c, check.c, merkle.c, tar.c: the manifest's
 * strictness and the canonical encodings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../nip/lib/package/internal.h"
#include "unit.h"

static const char good[] =
	"{\"arch\":\"x86_64\",\"files\":[{\"mode\":493,\"path\":\"bin\",\"type\":\"dir\"},"
	"{\"mode\":493,\"path\":\"bin/a\",\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0,\"type\":\"file\"},"
	"{\"mode\":511,\"path\":\"bin/b\",\"target\":\"a\",\"type\":\"symlink\"}],"
	"\"format\":1,\"kind\":\"app\",\"license\":\"\",\"name\":\"t\",\"payload_root\":\"%s\","
	"\"policy\":null,\"provenance\":{\"builder_key\":null,\"recipe\":null,\"source_date_epoch\":0,\"sources\":[]},"
	"\"relations\":{\"conflicts\":[],\"depends\":[\"libc >= 2.36\"],\"obsoletes\":[],\"provides\":[],\"recommends\":[]},"
	"\"summary\":\"\",\"variant\":[],\"version\":\"1\"}";

/* The good manifest with its payload root filled in. */
static char *good_manifest(void)
{
	struct nip_manifest *m;
	struct nip_error err;
	char tmp[4096], hex[NIP_SHA256_HEX];
	uint8_t root[NIP_SHA256_LEN];
	char *s = malloc(4096);

	snprintf(tmp, sizeof tmp, good, "0000000000000000000000000000000000000000000000000000000000000000");
	/* Parse fails on the root only; compute it from the parsed files. */
	CU_ASSERT_EQUAL(nip_manifest_parse(tmp, strlen(tmp), &m, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "payload_root"));
	{
		struct nip_manifest fake = {0};
		struct nip_file files[3] = {
			{.path = "bin", .type = NIP_FT_DIR, .mode = 0755},
			{.path = "bin/a", .type = NIP_FT_FILE, .mode = 0755},
			{.path = "bin/b", .type = NIP_FT_SYMLINK, .mode = 0777, .target = "a"},
		};
		nip_sha256("", 0, files[1].sha256);
		fake.files = files;
		fake.nfiles = 3;
		CU_ASSERT_EQUAL(nip_payload_root(&fake, root, &err), 0);
	}
	nip_hex(root, sizeof root, hex);
	snprintf(s, 4096, good, hex);
	return s;
}

static int parse(const char *s, struct nip_error *err)
{
	struct nip_manifest *m = NULL;
	int rc = nip_manifest_parse(s, strlen(s), &m, err);
	nip_manifest_free(m);
	return rc;
}

/* Replace the first `from` in the good manifest by `to`, then parse. */
static int parse_edit(const char *from, const char *to, struct nip_error *err)
{
	char *s = good_manifest(), out[8192], *at = strstr(s, from);
	int rc;
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	snprintf(out, sizeof out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	rc = parse(out, err);
	free(s);
	return rc;
}

static void test_good(void)
{
	struct nip_error err;
	char *s = good_manifest();
	CU_ASSERT_EQUAL(parse(s, &err), 0);
	free(s);
}

static void expect_bad(const char *from, const char *to, const char *needle)
{
	struct nip_error err = {0};
	CU_ASSERT_EQUAL(parse_edit(from, to, &err), -1);
	CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);
	if (!strstr(err.msg, needle))
		fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", err.msg, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
}

static void test_strictness(void)
{
	expect_bad("\"format\":1,", "\"format\":1,\"extra\":2,", "unknown field");
	expect_bad("\"format\":1,", "\"format\":1,\"format\":1,", "duplicate");
	expect_bad("\"mode\":493,\"path\":\"bin\"", "\"mode\":\"493\",\"path\":\"bin\"", "mode");
	expect_bad("\"format\":1,", "\"format\": 1,", "canonical");
	expect_bad("\"kind\":\"app\"", "\"kind\":\"game\"", "kind");
	expect_bad("\"name\":\"t\"", "\"name\":\"T\"", "name");
	expect_bad("\"version\":\"1\"", "\"version\":\"1:\"", "version");
	expect_bad("libc >= 2.36", "libc>=2.36", "canonical");
	expect_bad("libc >= 2.36", "libc >>>= 2", "depends");
	expect_bad("\"path\":\"bin/a\"", "\"path\":\"../a\"", "..");
	expect_bad("\"path\":\"bin/a\"", "\"path\":\"/bin/a\"", "absolute");
	expect_bad("\"path\":\"bin/b\"", "\"path\":\"bin/a\"", "twice");
	expect_bad("\"target\":\"a\"", "\"target\":\"../../etc/passwd\"", "leaves the package");
	expect_bad("\"target\":\"a\"", "\"target\":\"/etc/passwd\"", "absolute symlink");
	expect_bad("\"target\":\"a\"", "\"target\":\"x/../../..\"", "after its start");
	expect_bad("\"mode\":493,\"path\":\"bin/a\"", "\"mode\":2541,\"path\":\"bin/a\"", "setuid");
	expect_bad("{\"mode\":493,\"path\":\"bin\",\"type\":\"dir\"},", "", "parent directory");
	expect_bad("\"size\":0", "\"size\":-1", "size");
	expect_bad("\"type\":\"symlink\"", "\"type\":\"socket\"", "unknown type");
	expect_bad("\"format\":1", "\"format\":2", "not supported");
}

static void test_path_order(void)
{
	CU_ASSERT(nip_path_cmp("a", "a/b") < 0);
	CU_ASSERT(nip_path_cmp("a/b", "a-b") < 0);
	CU_ASSERT(nip_path_cmp("a-b", "a/b") > 0);
	CU_ASSERT(nip_path_cmp("a/z", "a0") < 0);
	CU_ASSERT(nip_path_cmp("abc", "abc") == 0);
	CU_ASSERT(nip_path_cmp("ab", "abc") < 0);
}

static void test_policy_allows(void)
{
	const char *pol = "pledge stdio\n  allow setuid /usr/bin/su\nallow device /dev/null\n";
	CU_ASSERT(nip_policy_allows(pol, "setuid", "usr/bin/su"));
	CU_ASSERT(!nip_policy_allows(pol, "setuid", "usr/bin/s"));
	CU_ASSERT(!nip_policy_allows(pol, "setgid", "usr/bin/su"));
	CU_ASSERT(nip_policy_allows(pol, "device", "dev/null"));
	CU_ASSERT(!nip_policy_allows("allow setuid /usr/bin/su2", "setuid", "usr/bin/su"));
}

static void test_tar_header(void)
{
	struct nip_buf b;
	struct nip_error err;
	char longpath[200];
	struct tar_member m = {.path = "bin/a", .type = '0', .mode = 0755, .size = 5, .mtime = 1700000000};
	uint64_t size;

	nip_buf_init(&b, TAR_HEADER_MAX, "h");
	CU_ASSERT_EQUAL(tar_header(&m, &b, &err), 0);
	CU_ASSERT_EQUAL(b.len, TAR_BLOCK);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "bin/a");
	CU_ASSERT_EQUAL(memcmp(b.data + 257, "ustar\0" "00", 8), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data + 124, "00000000005");
	/* A long path takes a pax header first. */
	memset(longpath, 'x', 150);
	longpath[150] = '\0';
	m.path = longpath;
	b.len = 0;
	CU_ASSERT_EQUAL(tar_header(&m, &b, &err), 0);
	CU_ASSERT_EQUAL(b.len, 3 * TAR_BLOCK);
	CU_ASSERT_EQUAL(b.data[156], 'x');
	CU_ASSERT_PTR_NOT_NULL(memmem(b.data + TAR_BLOCK, TAR_BLOCK, "160 path=xxx", 12));
	/* Big sizes go to pax too. */
	m.path = "big";
	m.size = 9ull << 30;
	b.len = 0;
	CU_ASSERT_EQUAL(tar_header(&m, &b, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(memmem(b.data + TAR_BLOCK, TAR_BLOCK, " size=9663676416\n", 17));
	/* Reading a metadata header back. */
	m = (struct tar_member){.path = NIPINFO_NAME, .type = '0', .mode = 0644, .size = 77};
	b.len = 0;
	CU_ASSERT_EQUAL(tar_header(&m, &b, &err), 0);
	CU_ASSERT_EQUAL(tar_meta_size(b.data, NIPINFO_NAME, 100, &size, &err), 0);
	CU_ASSERT_EQUAL(size, 77);
	CU_ASSERT_EQUAL(tar_meta_size(b.data, NIPINFO_NAME, 10, &size, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
	CU_ASSERT_EQUAL(tar_meta_size(b.data, NIPSIG_NAME, 100, &size, &err), -1);
	nip_buf_free(&b);
}

NIP_UNIT_SUITE("package/manifest", NIP_TEST(test_good), NIP_TEST(test_strictness),
	       NIP_TEST(test_path_order), NIP_TEST(test_policy_allows), NIP_TEST(test_tar_header))
