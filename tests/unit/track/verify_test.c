/* Signatures and thresholds: Ed25519, ECDSA P-256, RSA-PSS and RSA
 * PKCS#1 keys each verify; a threshold counts each key once; duplicate key
 * ids are refused; bad fields are named. The keys are made here with
 * libsodium and libcrypto, independently of the code under test. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "track_test.h"

struct tkey {
	char id[8];
	json_t *pub; /* TUF key object */
	EVP_PKEY *pkey;
	uint8_t ed_sk[64];
	const char *scheme;
};

static void make_ed(struct tkey *k, const char *id)
{
	uint8_t pk[32];
	snprintf(k->id, sizeof k->id, "%s", id);
	crypto_sign_keypair(pk, k->ed_sk);
	k->pub = tuf_ed25519_key_json(pk);
	k->pkey = NULL;
	k->scheme = "ed25519";
}

static void make_evp(struct tkey *k, const char *id, const char *alg, const char *keytype,
		     const char *scheme)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;
	snprintf(k->id, sizeof k->id, "%s", id);
	k->pkey = strcmp(alg, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
					 : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k->pkey);
	PEM_write_bio_PUBKEY(bio, k->pkey);
	n = BIO_get_mem_data(bio, &pem);
	k->pub = json_pack("{s:s, s:s, s:{s:s%}}", "keytype", keytype, "scheme", scheme, "keyval",
			   "public", pem, (size_t)n);
	k->scheme = scheme;
	BIO_free(bio);
}

static json_t *sign(const struct tkey *k, const struct nip_buf *msg)
{
	uint8_t sig[1024];
	char hex[2049];
	size_t n = sizeof sig;
	if (!k->pkey) {
		crypto_sign_detached(sig, NULL, msg->data, msg->len, k->ed_sk);
		n = 64;
	} else {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx;
		CU_ASSERT_EQUAL(EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, k->pkey, NULL), 1);
		if (strcmp(k->scheme, "rsassa-pss-sha256") == 0) {
			EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
		}
		CU_ASSERT_EQUAL(EVP_DigestSign(ctx, sig, &n, msg->data, msg->len), 1);
		EVP_MD_CTX_free(ctx);
	}
	nip_hex(sig, n, hex);
	return json_pack("{s:s, s:s}", "keyid", k->id, "sig", hex);
}

/* A root whose root role is `keyids` (threshold t), signed by `signers`. */
static char *root_doc(struct tkey *keys, size_t nkeys, const char *const *keyids, size_t nids,
		      int t, struct tkey *const *signers, size_t nsig, json_t *extra)
{
	json_t *k = json_object(), *ids = json_array(), *s, *sigs = json_array(), *doc;
	struct nip_buf msg;
	struct nip_error err;
	char *text;
	for (size_t i = 0; i < nkeys; i++)
		json_object_set(k, keys[i].id, keys[i].pub);
	for (size_t i = 0; i < nids; i++)
		json_array_append_new(ids, json_string(keyids[i]));
	s = json_pack("{s:s, s:s, s:i, s:s, s:b, s:o, s:{s:{s:o, s:i}, s:{s:[s], s:i}, s:{s:[s], s:i}, s:{s:[s], s:i}}}",
		      "_type", "root", "spec_version", "1.0.31", "version", 1, "expires",
		      "2099-01-01T00:00:00Z", "consistent_snapshot", 1, "keys", k, "roles", "root",
		      "keyids", ids, "threshold", t, "timestamp", "keyids", keys[0].id, "threshold", 1,
		      "snapshot", "keyids", keys[0].id, "threshold", 1, "targets", "keyids", keys[0].id,
		      "threshold", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	if (extra)
		json_object_update(s, extra);
	nip_buf_init(&msg, 1 << 20, "msg");
	CU_ASSERT_EQUAL_FATAL(tuf_canonical(s, &msg, &err), 0);
	for (size_t i = 0; i < nsig; i++)
		json_array_append_new(sigs, sign(signers[i], &msg));
	doc = json_pack("{s:o, s:o, s:s}", "signed", s, "signatures", sigs, "unknown", "ignored");
	text = json_dumps(doc, JSON_INDENT(1));
	json_decref(doc);
	nip_buf_free(&msg);
	return text;
}

/* Parses a root and checks its own threshold: 0, or the error. */
static int check(const char *text, struct nip_error *err)
{
	struct tuf_md *md = NULL;
	int rc = tuf_md_parse(text, strlen(text), TUF_ROOT, "root.json", &md, err);
	if (rc == 0)
		rc = tuf_verify_role(md, &md->ring, &md->roles[TUF_ROOT], "root.json", err);
	tuf_md_free(md);
	return rc;
}

static void free_keys(struct tkey *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(k[i].pub);
		EVP_PKEY_free(k[i].pkey);
	}
}

static void test_key_types(void)
{
	struct tkey k[4];
	struct nip_error err;
	const char *ids[] = {"ed", "ec", "pss", "pkcs"};
	make_ed(&k[0], "ed");
	make_evp(&k[1], "ec", "EC", "ecdsa", "ecdsa-sha2-nistp256");
	make_evp(&k[2], "pss", "RSA", "rsa", "rsassa-pss-sha256");
	make_evp(&k[3], "pkcs", "RSA", "rsa", "rsa-pkcs1v15-sha256");
	for (int i = 0; i < 4; i++) {
		/* Each key type alone meets a threshold of one. */
		struct tkey *s[1] = {&k[i]};
		char *t = root_doc(k, 4, &ids[i], 1, 1, s, 1, NULL);
		int rc = check(t, &err);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			fprintf(stderr, "\n%s: %s\n", ids[i], err.msg);
		free(t);
	}
	{
		/* All four of four. */
		struct tkey *s[4] = {&k[0], &k[1], &k[2], &k[3]};
		char *t = root_doc(k, 4, ids, 4, 4, s, 4, NULL);
		CU_ASSERT_EQUAL(check(t, &err), 0);
		free(t);
		/* Three of four signed: not enough for 4. */
		t = root_doc(k, 4, ids, 4, 4, s, 3, NULL);
		CU_ASSERT_EQUAL(check(t, &err), -1);
		CU_ASSERT_TERR(err, NIP_E_TRUST, "3 of the 4 needed");
		free(t);
	}
	{
		/* A signature by one key under another's id does not count. */
		struct tkey fake = k[1];
		struct tkey *s[1] = {&fake};
		char *t;
		snprintf(fake.id, sizeof fake.id, "pss");
		t = root_doc(k, 4, &ids[2], 1, 1, s, 1, NULL);
		CU_ASSERT_EQUAL(check(t, &err), -1);
		CU_ASSERT_TERR(err, NIP_E_TRUST, "0 of the 1 needed");
		free(t);
	}
	free_keys(k, 4);
}

static void test_thresholds_count_keys_once(void)
{
	struct tkey k[2];
	struct nip_error err;
	const char *twice[] = {"a", "a"}, *both[] = {"a", "b"};
	struct tkey *s[2] = {&k[0], &k[0]};
	char *t;
	make_ed(&k[0], "a");
	make_ed(&k[1], "b");
	/* A role listing one key twice is refused outright. */
	t = root_doc(k, 2, twice, 2, 2, s, 1, NULL);
	CU_ASSERT_EQUAL(check(t, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_FORMAT, "listed twice");
	free(t);
	/* One key signing twice is refused too. */
	t = root_doc(k, 2, both, 2, 2, s, 2, NULL);
	CU_ASSERT_EQUAL(check(t, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "signs twice");
	free(t);
	/* One of two signed: threshold 2 is not met, threshold 1 is. */
	t = root_doc(k, 2, both, 2, 2, s, 1, NULL);
	CU_ASSERT_EQUAL(check(t, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "1 of the 2 needed");
	free(t);
	t = root_doc(k, 2, both, 2, 1, s, 1, NULL);
	CU_ASSERT_EQUAL(check(t, &err), 0);
	free(t);
	free_keys(k, 2);
}

static void bad_field(json_t *extra, int code, const char *what)
{
	struct tkey k;
	struct nip_error err;
	const char *ids[] = {"a"};
	struct tkey *s[1] = {&k};
	char *t;
	make_ed(&k, "a");
	t = root_doc(&k, 1, ids, 1, 1, s, 1, extra);
	CU_ASSERT_EQUAL(check(t, &err), -1);
	CU_ASSERT_TERR(err, code, what);
	free(t);
	json_decref(extra);
	free_keys(&k, 1);
}

static void test_fields(void)
{
	struct tkey k;
	struct nip_error err;
	const char *ids[] = {"a"};
	struct tkey *s[1] = {&k};
	json_t *extra;
	char *t;
	/* Unknown fields are ignored (and signed over). */
	make_ed(&k, "a");
	extra = json_pack("{s:{s:i}}", "x-custom", "n", 1);
	t = root_doc(&k, 1, ids, 1, 1, s, 1, extra);
	CU_ASSERT_EQUAL(check(t, &err), 0);
	free(t);
	json_decref(extra);
	free_keys(&k, 1);

	bad_field(json_pack("{s:s}", "_type", "targets"), NIP_E_TRUST, "field _type");
	bad_field(json_pack("{s:s}", "spec_version", "2.0.0"), NIP_E_FORMAT, "field spec_version");
	bad_field(json_pack("{s:s}", "spec_version", "1.x"), NIP_E_FORMAT, "field spec_version");
	bad_field(json_pack("{s:i}", "version", 0), NIP_E_FORMAT, "field version");
	bad_field(json_pack("{s:s}", "version", "1"), NIP_E_FORMAT, "field version");
	bad_field(json_pack("{s:s}", "expires", "2099-01-01"), NIP_E_FORMAT, "field expires");
	bad_field(json_pack("{s:s}", "consistent_snapshot", "yes"), NIP_E_FORMAT, "consistent_snapshot");
	bad_field(json_pack("{s:{}}", "roles"), NIP_E_FORMAT, "field roles");
	/* version + 1 of the root chain must not overflow. */
	bad_field(json_pack("{s:I}", "version", (json_int_t)INT64_MAX), NIP_E_FORMAT, "above 2^53");
	bad_field(json_pack("{s:I}", "version", (json_int_t)1 << 54), NIP_E_FORMAT, "field version");
}

NIP_UNIT_SUITE("track/verify", NIP_TEST(test_key_types), NIP_TEST(test_thresholds_count_keys_once),
	       NIP_TEST(test_fields))
