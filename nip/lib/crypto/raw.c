/* Plain Ed25519 signatures, for records nip signs for itself (ProvChain)
 * rather than for minisign users. */
#include <sodium.h>

#include "nip/crypto.h"

int nip_sign_raw(const struct nip_seckey *sec, const void *msg, size_t len, uint8_t sig[64],
		 struct nip_error *err)
{
	if (sodium_init() < 0)
		return nip_err(err, NIP_E_INTERNAL, "libsodium failed to initialise");
	crypto_sign_detached(sig, NULL, msg, len, sec->sk);
	return 0;
}

int nip_verify_raw(const struct nip_pubkey *pub, const void *msg, size_t len, const uint8_t sig[64])
{
	if (sodium_init() < 0)
		return 0;
	return crypto_sign_verify_detached(sig, msg, len, pub->pk) == 0;
}
