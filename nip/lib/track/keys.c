/* TUF keys and signatures: Ed25519 through libsodium; ECDSA (P-256, P-384)
 * and RSA (PSS, PKCS#1 v1.5) through libcrypto's EVP, so nip can read any
 * TUF repository, not only its own. */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "internal.h"

struct scheme {
	const char *keytype, *scheme;
	int evp_type; /* 0: Ed25519 */
	const char *md;
	int padding;
};

static const struct scheme schemes[] = {
	{"ed25519", "ed25519", 0, NULL, 0},
	{"ecdsa", "ecdsa-sha2-nistp256", EVP_PKEY_EC, "SHA256", 0},
	{"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", EVP_PKEY_EC, "SHA256", 0},
	{"ecdsa", "ecdsa-sha2-nistp384", EVP_PKEY_EC, "SHA384", 0},
	{"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", EVP_PKEY_EC, "SHA384", 0},
	{"rsa", "rsassa-pss-sha256", EVP_PKEY_RSA, "SHA256", RSA_PKCS1_PSS_PADDING},
	{"rsa", "rsassa-pss-sha384", EVP_PKEY_RSA, "SHA384", RSA_PKCS1_PSS_PADDING},
	{"rsa", "rsassa-pss-sha512", EVP_PKEY_RSA, "SHA512", RSA_PKCS1_PSS_PADDING},
	{"rsa", "rsa-pkcs1v15-sha256", EVP_PKEY_RSA, "SHA256", RSA_PKCS1_PADDING},
	{"rsa", "rsa-pkcs1v15-sha384", EVP_PKEY_RSA, "SHA384", RSA_PKCS1_PADDING},
	{"rsa", "rsa-pkcs1v15-sha512", EVP_PKEY_RSA, "SHA512", RSA_PKCS1_PADDING},
};

static const struct scheme *find_scheme(const char *keytype, const char *scheme)
{
	for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
		if (strcmp(schemes[i].keytype, keytype) == 0 && strcmp(schemes[i].scheme, scheme) == 0)
			return &schemes[i];
	return NULL;
}

int tuf_key_parse(const char *keyid, const json_t *obj, struct tuf_key *out, struct nip_error *err)
{
	const json_t *kt = json_object_get(obj, "keytype"), *sc = json_object_get(obj, "scheme");
	const json_t *kv = json_object_get(obj, "keyval"), *pub = json_object_get(kv, "public");
	const struct scheme *s;
	const char *p;

	memset(out, 0, sizeof *out);
	out->keyid = keyid;
	if (!json_is_object(obj) || !json_is_string(kt) || !json_is_string(sc) ||
	    !json_is_object(kv) || !json_is_string(pub))
		return nip_err(err, NIP_E_FORMAT,
			       "key %.64s: needs keytype, scheme and keyval.public strings", keyid);
	out->scheme = json_string_value(sc);
	s = find_scheme(json_string_value(kt), out->scheme);
	if (!s)
		return 0; /* well-formed but not ours: never counts */
	p = json_string_value(pub);
	if (!s->evp_type) {
		if (nip_unhex(p, out->ed, 32) < 0)
			return 0;
		out->kind = TUF_KEY_ED25519;
		return 0;
	}
	{
		BIO *bio = BIO_new_mem_buf(p, (int)json_string_length(pub));
		EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (!pk)
			return 0;
		if (EVP_PKEY_get_base_id(pk) != s->evp_type) {
			EVP_PKEY_free(pk);
			return 0;
		}
		out->pkey = pk;
		out->kind = TUF_KEY_EVP;
	}
	return 0;
}

void tuf_key_clear(struct tuf_key *k)
{
	if (k->pkey)
		EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}

static int unhex_any(const char *hex, uint8_t *out, size_t max, size_t *n)
{
	size_t len = strlen(hex);
	if (len % 2 || len / 2 > max)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = hex[2 * i + j];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

int tuf_key_verify(const struct tuf_key *k, const char *sighex, const void *msg, size_t len)
{
	uint8_t sig[1024];
	size_t n;
	const struct scheme *s = NULL;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (k->kind == TUF_KEY_UNKNOWN || unhex_any(sighex, sig, sizeof sig, &n) < 0)
		return 0;
	if (k->kind == TUF_KEY_ED25519)
		return n == crypto_sign_BYTES && crypto_sign_verify_detached(sig, msg, len, k->ed) == 0;
	for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
		if (strcmp(schemes[i].scheme, k->scheme) == 0)
			s = &schemes[i];
	if (!s || !(ctx = EVP_MD_CTX_new()))
		return 0;
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, s->md, NULL, NULL, k->pkey, NULL) != 1)
		goto out;
	if (s->padding) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, s->padding) != 1)
			goto out;
		/* PSS signers pick their salt length (securesystemslib uses the
		 * digest length, others the maximum): accept what the signature
		 * says, as the spec's reference does. */
		if (s->padding == RSA_PKCS1_PSS_PADDING &&
		    (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1 ||
		     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, s->md, NULL) != 1))
			goto out;
	}
	ok = EVP_DigestVerify(ctx, sig, n, msg, len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

json_t *tuf_ed25519_key_json(const uint8_t pk[32])
{
	char hex[65];
	nip_hex(pk, 32, hex);
	return json_pack("{s:s, s:s, s:{s:s}}", "keytype", "ed25519", "scheme", "ed25519", "keyval",
			 "public", hex);
}

int tuf_keyid_of(const json_t *key, char out[NIP_SHA256_HEX], struct nip_error *err)
{
	struct nip_buf b;
	uint8_t d[NIP_SHA256_LEN];
	nip_buf_init(&b, 64 << 10, "TUF key");
	if (tuf_canonical(key, &b, err) < 0) {
		nip_buf_free(&b);
		return -1;
	}
	nip_sha256(b.data, b.len, d);
	nip_hex(d, sizeof d, out);
	nip_buf_free(&b);
	return 0;
}

int nip_tuf_keyid(const struct nip_pubkey *pub, char out[NIP_SHA256_HEX], struct nip_error *err)
{
	json_t *k = tuf_ed25519_key_json(pub->pk);
	int rc;
	if (!k)
		return nip_err(err, NIP_E_NOMEM, "TUF key: out of memory");
	rc = tuf_keyid_of(k, out, err);
	json_decref(k);
	return rc;
}
