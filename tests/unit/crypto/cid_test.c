/* Variant-CIDs. The expected strings were computed independently with
 * Python (hashlib, base64.b32encode); the one of the empty input is also
 * the well-known IPFS CID of an empty raw block. */
#include <string.h>

#include "../unit.h"
#include "nip/crypto.h"

#define CID_EMPTY "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
#define CID_ABC "bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu"

static void test_format(void)
{
	uint8_t d[NIP_SHA256_LEN];
	char cid[NIP_CID_STRLEN];

	nip_sha256("", 0, d);
	nip_cid_format(d, cid);
	CU_ASSERT_STRING_EQUAL(cid, CID_EMPTY);
	CU_ASSERT_EQUAL(strlen(cid), NIP_CID_STRLEN - 1);
	nip_sha256("abc", 3, d);
	nip_cid_format(d, cid);
	CU_ASSERT_STRING_EQUAL(cid, CID_ABC);
}

static void test_round_trip(void)
{
	struct nip_error err;
	uint8_t d[NIP_SHA256_LEN], back[NIP_SHA256_LEN];
	char cid[NIP_CID_STRLEN];

	nip_sha256("abc", 3, d);
	CU_ASSERT_EQUAL(nip_cid_parse(CID_ABC, back, &err), 0);
	CU_ASSERT_EQUAL(memcmp(d, back, sizeof d), 0);
	/* Every byte value survives, in every position. */
	for (int i = 0; i < 256; i++) {
		for (size_t j = 0; j < sizeof d; j++)
			d[j] = (uint8_t)(i + 37 * j);
		nip_cid_format(d, cid);
		CU_ASSERT_EQUAL_FATAL(nip_cid_parse(cid, back, &err), 0);
		CU_ASSERT_EQUAL(memcmp(d, back, sizeof d), 0);
	}
}

static void test_malformed(void)
{
	static const struct {
		const char *s, *why;
	} bad[] = {
		{"", "must start with \"b\""},
		{"BAFKREIF2PALL7DYBZ7VECQKA3ZO24IRDWABWDI4WC55JZNAQ75Q7EAAVVU",
		 "must start with \"b\""},
		{"zafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu",
		 "must start with \"b\""},
		{"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "must start with \"b\""},
		{"bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavv", "too short"},
		{"bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvua", "too long"},
		{"bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu=", "too long"},
		{"bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvU",
		 "'U' at offset 58 is not lower-case base32"},
		{"bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavv1",
		 "'1' at offset 58"},
		{"bafkreif2pall7dybz7vecqka3zo24ir wabwdi4wc55jznaq75q7eaavvu", "' ' at offset 32"},
		{"bafkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvv",
		 "non-zero padding bits"},
		{"babkreif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu", "not a CIDv1"},
		{"bafybeif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu", "not raw"},
		{"bafkrgif2pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu",
		 "not sha2-256 of 32 bytes"},
		{"bafkreh52pall7dybz7vecqka3zo24irdwabwdi4wc55jznaq75q7eaavvu",
		 "not sha2-256 of 32 bytes"},
	};
	uint8_t d[NIP_SHA256_LEN] = {0};
	struct nip_error err;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		CU_ASSERT_EQUAL(nip_cid_parse(bad[i].s, d, &err), -1);
		CU_ASSERT_EQUAL(err.code, NIP_E_FORMAT);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[i].why));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Variant-CID"));
	}
	/* The digest is left alone on failure. */
	for (size_t j = 0; j < sizeof d; j++)
		CU_ASSERT_EQUAL(d[j], 0);
	/* The message names the string, made printable and cut short. */
	nip_cid_parse("bafkre\033[31m", d, &err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"bafkre?[31m\""));
	CU_ASSERT_PTR_NULL(strchr(err.msg, '\033'));
}

NIP_UNIT_SUITE("crypto/cid", NIP_TEST(test_format), NIP_TEST(test_round_trip),
	       NIP_TEST(test_malformed))
