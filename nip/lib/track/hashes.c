/* Length and hashes of a file named by signed metadata. Every hash listed
 * is checked; one in an algorithm nip does not know fails, since it cannot
 * be checked and a repository may rely on it alone. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

#define MAX_ALGS 8

struct tuf_hasher {
	size_t n;
	const char *alg[MAX_ALGS];
	const char *want[MAX_ALGS];
	EVP_MD_CTX *ctx[MAX_ALGS];
};

static const char *evp_name(const char *alg)
{
	static const char *const ok[][2] = {
		{"sha224", "SHA224"}, {"sha256", "SHA256"}, {"sha384", "SHA384"}, {"sha512", "SHA512"}};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (strcmp(alg, ok[i][0]) == 0)
			return ok[i][1];
	return NULL;
}

void tuf_hasher_free(struct tuf_hasher *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		EVP_MD_CTX_free(h->ctx[i]);
	free(h);
}

struct tuf_hasher *tuf_hasher_new(const json_t *hashes, const char *what, struct nip_error *err)
{
	struct tuf_hasher *h = calloc(1, sizeof *h);
	const char *alg;
	const json_t *v;
	if (!h) {
		nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
		return NULL;
	}
	json_object_foreach((json_t *)hashes, alg, v) {
		const char *name = evp_name(alg);
		if (!name) {
			nip_err(err, NIP_E_TRUST, "%s: hash algorithm %.32s is not supported", what, alg);
			goto fail;
		}
		if (h->n == MAX_ALGS) {
			nip_err(err, NIP_E_LIMIT, "%s: too many hashes", what);
			goto fail;
		}
		h->alg[h->n] = alg;
		h->want[h->n] = json_string_value(v);
		h->ctx[h->n] = EVP_MD_CTX_new();
		if (!h->ctx[h->n] || EVP_DigestInit_ex2(h->ctx[h->n], EVP_get_digestbyname(name), NULL) != 1) {
			h->n++;
			nip_err(err, NIP_E_NOMEM, "%s: cannot start %s", what, alg);
			goto fail;
		}
		h->n++;
	}
	return h;
fail:
	tuf_hasher_free(h);
	return NULL;
}

void tuf_hasher_update(struct tuf_hasher *h, const void *p, size_t n)
{
	for (size_t i = 0; i < h->n; i++)
		EVP_DigestUpdate(h->ctx[i], p, n);
}

int tuf_hasher_check(struct tuf_hasher *h, const char *what, struct nip_error *err)
{
	for (size_t i = 0; i < h->n; i++) {
		uint8_t d[EVP_MAX_MD_SIZE];
		char hex[2 * EVP_MAX_MD_SIZE + 1];
		unsigned len = 0;
		EVP_DigestFinal_ex(h->ctx[i], d, &len);
		nip_hex(d, len, hex);
		if (strcasecmp(hex, h->want[i]) != 0)
			return nip_err(err, NIP_E_TRUST, "%s: %s hash differs from the signed metadata", what,
				       h->alg[i]);
	}
	return 0;
}

int tuf_check_hashes(const struct tuf_fileinfo *fi, const void *p, size_t n, const char *what,
		     struct nip_error *err)
{
	struct tuf_hasher *h;
	int rc;
	if (fi->length >= 0 && (uint64_t)fi->length != n)
		return nip_err(err, NIP_E_TRUST, "%s: %zu bytes, the signed metadata says %lld", what, n,
			       (long long)fi->length);
	if (!fi->hashes)
		return 0;
	if (!(h = tuf_hasher_new(fi->hashes, what, err)))
		return -1;
	tuf_hasher_update(h, p, n);
	rc = tuf_hasher_check(h, what, err);
	tuf_hasher_free(h);
	return rc;
}
