/* SHA-256: the FIPS 180-2 example vectors, one-shot and incremental. */
#include <string.h>

#include "../unit.h"
#include "nip/crypto.h"

static void check_hex(const uint8_t d[NIP_SHA256_LEN], const char *want)
{
	char hex[NIP_SHA256_HEX];

	nip_hex(d, NIP_SHA256_LEN, hex);
	CU_ASSERT_STRING_EQUAL(hex, want);
}

static const struct {
	const char *msg, *hex;
} vectors[] = {
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void test_oneshot(void)
{
	uint8_t d[NIP_SHA256_LEN];

	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		nip_sha256(vectors[i].msg, strlen(vectors[i].msg), d);
		check_hex(d, vectors[i].hex);
	}
	nip_sha256(NULL, 0, d);
	check_hex(d, vectors[0].hex);
}

static void test_incremental(void)
{
	struct nip_error err;
	struct nip_sha256 *h = nip_sha256_new(&err);
	uint8_t d[NIP_SHA256_LEN];
	char chunk[997];

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	/* One million 'a' in odd-sized pieces, so that updates straddle the
	 * 64-byte blocks. */
	memset(chunk, 'a', sizeof chunk);
	for (size_t left = 1000000; left;) {
		size_t n = left < sizeof chunk ? left : sizeof chunk;
		nip_sha256_update(h, chunk, n);
		left -= n;
	}
	nip_sha256_final(h, d);
	check_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	/* Reset makes the context reusable. */
	nip_sha256_reset(h);
	nip_sha256_update(h, "a", 1);
	nip_sha256_update(h, "", 0);
	nip_sha256_update(h, "bc", 2);
	nip_sha256_final(h, d);
	check_hex(d, vectors[1].hex);
	nip_sha256_free(h);
	nip_sha256_free(NULL);
}

NIP_UNIT_SUITE("crypto/sha256", NIP_TEST(test_oneshot), NIP_TEST(test_incremental))
