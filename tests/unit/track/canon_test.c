/* Canonical JSON (what TUF signatures cover), key ids, URL quoting of role
 * names and the strict time format. */
#include "track_test.h"

static void canon_of(const char *in, const char *want)
{
	struct nip_error err;
	struct nip_buf b;
	json_t *v = tuf_json_load(in, strlen(in), "test", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	nip_buf_init(&b, 1 << 16, "canon");
	CU_ASSERT_EQUAL_FATAL(tuf_canonical(v, &b, &err), 0);
	CU_ASSERT_EQUAL(b.len, strlen(want));
	CU_ASSERT_EQUAL(memcmp(b.data, want, b.len), 0);
	if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
		fprintf(stderr, "\ngot: %.*s\n", (int)b.len, (char *)b.data);
	nip_buf_free(&b);
	json_decref(v);
}

static void test_canonical(void)
{
	/* Keys sorted bytewise, no whitespace, only '"' and '\\' escaped:
	 * a newline and a non-ASCII letter go out as raw bytes. */
	canon_of("{ \"b\" : 1, \"a\" : [true, false, null, \"x\\\"\\\\y\\n\"] }",
		 "{\"a\":[true,false,null,\"x\\\"\\\\y\n\"],\"b\":1}");
	canon_of("{\"\\u00e9\":1,\"z\":{\"b\":[],\"a\":{}},\"A\":-7}",
		 "{\"A\":-7,\"z\":{\"a\":{},\"b\":[]},\"\xc3\xa9\":1}");
	canon_of("[]", "[]");
}

static void test_no_floats_or_duplicates(void)
{
	struct nip_error err;
	struct nip_buf b;
	json_t *v = tuf_json_load("{\"a\":1.5}", 9, "test", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	nip_buf_init(&b, 1024, "canon");
	CU_ASSERT_EQUAL(tuf_canonical(v, &b, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_FORMAT, "not an integer");
	CU_ASSERT_EQUAL(b.len, 0);
	nip_buf_free(&b);
	json_decref(v);
	/* Two values for one key: which one was signed? Refused. */
	CU_ASSERT_PTR_NULL(tuf_json_load("{\"a\":1,\"a\":2}", 13, "dup.json", &err));
	CU_ASSERT_TERR(err, NIP_E_FORMAT, "dup.json");
	/* A number past int64: not read as some other number. */
	CU_ASSERT_PTR_NULL(tuf_json_load("{\"a\":99999999999999999999}", 26, "big.json", &err));
	CU_ASSERT_TERR(err, NIP_E_FORMAT, "big.json");
}

static void test_keyid(void)
{
	/* The key id is SHA-256 of the canonical key object, spelled out here
	 * independently of the canonicaliser. */
	static const char canon[] =
		"{\"keytype\":\"ed25519\",\"keyval\":{\"public\":"
		"\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"},"
		"\"scheme\":\"ed25519\"}";
	struct nip_pubkey pub;
	struct nip_error err;
	uint8_t d[NIP_SHA256_LEN];
	char want[NIP_SHA256_HEX], got[NIP_SHA256_HEX];
	for (int i = 0; i < 32; i++)
		pub.pk[i] = (uint8_t)((i % 16) * 0x11);
	nip_sha256(canon, strlen(canon), d);
	nip_hex(d, sizeof d, want);
	CU_ASSERT_EQUAL_FATAL(nip_tuf_keyid(&pub, got, &err), 0);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_quote_and_time(void)
{
	struct nip_error err;
	struct nip_buf b;
	time_t t;
	char s[21];
	nip_buf_init(&b, 256, "quote");
	CU_ASSERT_EQUAL(tuf_quote("../a b/?#~_.-Z9", &b, &err), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "..%2Fa%20b%2F%3F%23~_.-Z9");
	nip_buf_free(&b);

	CU_ASSERT_EQUAL(tuf_time_parse("2030-01-02T03:04:05Z", &t), 0);
	CU_ASSERT_EQUAL(t, 1893553445);
	tuf_time_format(t, s);
	CU_ASSERT_STRING_EQUAL(s, "2030-01-02T03:04:05Z");
	CU_ASSERT_EQUAL(tuf_time_parse("2030-01-02T03:04:05+00:00", &t), -1);
	CU_ASSERT_EQUAL(tuf_time_parse("2030-01-02 03:04:05Z", &t), -1);
	CU_ASSERT_EQUAL(tuf_time_parse("2030-13-02T03:04:05Z", &t), -1);
}

NIP_UNIT_SUITE("track/canon", NIP_TEST(test_canonical), NIP_TEST(test_no_floats_or_duplicates),
	       NIP_TEST(test_keyid), NIP_TEST(test_quote_and_time))
