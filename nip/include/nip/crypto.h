/* crypto: SHA-256 (OpenSSL libcrypto, which uses the CPU's SHA instructions),
 * Variant-CIDs, Ed25519 keys and detached signatures in minisign's format
 * (libsodium). */
#ifndef NIP_CRYPTO_H
#define NIP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "nip/limits.h"
#include "nip/util.h"

#define NIP_SHA256_LEN 32
#define NIP_SHA256_HEX (2 * NIP_SHA256_LEN + 1)

struct nip_sha256; /* opaque; wraps an EVP_MD_CTX */

struct nip_sha256 *nip_sha256_new(struct nip_error *err);
void nip_sha256_free(struct nip_sha256 *h);
void nip_sha256_reset(struct nip_sha256 *h);
void nip_sha256_update(struct nip_sha256 *h, const void *p, size_t n);
/* After final, reset before the next update. */
void nip_sha256_final(struct nip_sha256 *h, uint8_t out[NIP_SHA256_LEN]);
void nip_sha256(const void *p, size_t n, uint8_t out[NIP_SHA256_LEN]);

/* Variant-CID: CIDv1, multicodec raw (0x55), multihash sha2-256, multibase
 * base32 lower-case without padding: "b" + 58 characters. */
#define NIP_CID_STRLEN 60 /* with the NUL */
void nip_cid_format(const uint8_t digest[NIP_SHA256_LEN], char out[NIP_CID_STRLEN]);
int nip_cid_parse(const char *s, uint8_t digest[NIP_SHA256_LEN], struct nip_error *err);

/* ---- keys (minisign format) ----------------------------------------- */

/* The *_format functions append to out, which the caller set up with
 * nip_buf_init (its max caps the text); on failure out is as it was. */

#define NIP_KEYID_LEN 8
#define NIP_KEYID_HEX 17 /* minisign prints the id as a 16-digit upper-case number */

struct nip_pubkey {
	uint8_t keyid[NIP_KEYID_LEN];
	uint8_t pk[32];
};

struct nip_seckey {
	uint8_t keyid[NIP_KEYID_LEN];
	uint8_t sk[64]; /* libsodium's seed || public key */
};

/* minisign's notation: the 8 id bytes read as a little-endian integer. */
void nip_keyid_format(const uint8_t keyid[NIP_KEYID_LEN], char out[NIP_KEYID_HEX]);

int nip_key_generate(struct nip_pubkey *pub, struct nip_seckey *sec, struct nip_error *err);
void nip_seckey_wipe(struct nip_seckey *sec);
void nip_seckey_public(const struct nip_seckey *sec, struct nip_pubkey *pub);

/* Public key file: "untrusted comment: ..." line, then the base64 line. A
 * lone base64 line is accepted too (minisign -P). */
int nip_pubkey_parse(const char *text, size_t len, struct nip_pubkey *out, struct nip_error *err);
int nip_pubkey_format(const struct nip_pubkey *pub, struct nip_buf *out, struct nip_error *err);

/* Secret key file. Encrypted keys (scrypt + XOR, as minisign) need a
 * passphrase; nip_seckey_encrypted tells whether the text needs one (no
 * scrypt runs). An unencrypted key ignores the passphrase. A wrong one is
 * NIP_E_DENIED, a missing one NIP_E_USAGE. */
int nip_seckey_encrypted(const char *text, size_t len, int *encrypted, struct nip_error *err);
int nip_seckey_parse(const char *text, size_t len, const char *passphrase,
		     struct nip_seckey *out, struct nip_error *err);
/* passphrase NULL: unencrypted (kdf "\0\0"), as `minisign -G -W`. */
int nip_seckey_format(const struct nip_seckey *sec, const char *passphrase,
		      struct nip_buf *out, struct nip_error *err);

/* Files. Loading a secret key refuses one that group or others can read,
 * and never follows a symlink. path is relative to dirfd (AT_FDCWD ok). */
int nip_pubkey_load(int dirfd, const char *path, struct nip_pubkey *out, struct nip_error *err);
int nip_seckey_load(int dirfd, const char *path, const char *passphrase,
		    struct nip_seckey *out, struct nip_error *err);
/* Writes PATH (0600, O_EXCL) and PATH.pub; fails if either exists. */
int nip_key_save(int dirfd, const char *path, const struct nip_seckey *sec,
		 const char *passphrase, struct nip_error *err);

/* ---- detached signatures (minisign format, prehashed "ED" only) ------ */

struct nip_sig {
	uint8_t keyid[NIP_KEYID_LEN];
	uint8_t sig[64];       /* over BLAKE2b-512(message) */
	char trusted_comment[NIP_COMMENT_MAX + 1];
	uint8_t global_sig[64]; /* over sig || trusted_comment */
};

int nip_sig_sign(const struct nip_seckey *sec, const void *msg, size_t len,
		 const char *trusted_comment, struct nip_sig *out, struct nip_error *err);
/* The four lines of a minisign signature file. */
int nip_sig_format(const struct nip_sig *sig, const char *untrusted_comment,
		   struct nip_buf *out, struct nip_error *err);
/* Strict: exact line structure, sizes, and the "ED" algorithm; the legacy
 * unhashed "Ed" form is refused. The untrusted comment is returned in
 * *untrusted (may be NULL) pointing into text. */
int nip_sig_parse(const char *text, size_t len, struct nip_sig *out,
		  const char **untrusted, size_t *untrusted_len, struct nip_error *err);
/* Checks the key id first, then both signatures. NIP_E_TRUST on failure. */
int nip_sig_verify(const struct nip_sig *sig, const struct nip_pubkey *pub,
		   const void *msg, size_t len, struct nip_error *err);

/* Plain Ed25519 over a message (ProvChain entries), no minisign framing. */
int nip_sign_raw(const struct nip_seckey *sec, const void *msg, size_t len, uint8_t sig[64],
		 struct nip_error *err);
int nip_verify_raw(const struct nip_pubkey *pub, const void *msg, size_t len, const uint8_t sig[64]);

/* Secrets are passed as C strings read from a file or a terminal. */
int nip_passphrase_read_file(const char *path, char *out, size_t outsz, struct nip_error *err);

#endif
