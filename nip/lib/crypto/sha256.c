/* SHA-256 through OpenSSL's EVP layer, which picks the CPU's SHA
 * instructions (SHA-NI, ARMv8 SHA2): about four times libsodium's speed on
 * the big payloads nip hashes. */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>

#include "nip/crypto.h"

struct nip_sha256 {
	EVP_MD_CTX *ctx;
};

/* Once a SHA-256 context is initialised, EVP neither allocates nor fails in
 * update, final or re-init; the void API relies on that. Should it ever
 * break, a hash carrying on silently would yield a wrong content identity,
 * which is worse than stopping, so this aborts. */
static void must(int ok)
{
	if (ok != 1)
		abort();
}

struct nip_sha256 *nip_sha256_new(struct nip_error *err)
{
	struct nip_sha256 *h = malloc(sizeof *h);

	if (!h) {
		nip_err(err, NIP_E_NOMEM, "SHA-256: out of memory");
		return NULL;
	}
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx) {
		free(h);
		nip_err(err, NIP_E_NOMEM, "SHA-256: out of memory");
		return NULL;
	}
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		nip_sha256_free(h);
		nip_err(err, NIP_E_INTERNAL, "SHA-256: OpenSSL could not initialise the digest");
		return NULL;
	}
	return h;
}

void nip_sha256_free(struct nip_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void nip_sha256_reset(struct nip_sha256 *h)
{
	must(EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL));
}

void nip_sha256_update(struct nip_sha256 *h, const void *p, size_t n)
{
	must(EVP_DigestUpdate(h->ctx, p, n));
}

/* Leaves h ready for nip_sha256_reset (or free). */
void nip_sha256_final(struct nip_sha256 *h, uint8_t out[NIP_SHA256_LEN])
{
	unsigned int len = 0;

	must(EVP_DigestFinal_ex(h->ctx, out, &len));
	if (len != NIP_SHA256_LEN)
		abort();
}

void nip_sha256(const void *p, size_t n, uint8_t out[NIP_SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == NIP_SHA256_LEN)
		return;
	/* EVP_Digest allocates a context, so it can fail when memory runs
	 * out; libsodium's portable SHA-256 needs none and gives the same
	 * digest, so the one-shot form never fails. */
	crypto_hash_sha256(out, p, n);
}
