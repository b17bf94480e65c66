/* Ed25519 keys in minisign's file format, so that keys move freely between
 * nip and minisign. Every secret byte is wiped wherever it passes: decoded
 * blobs, scrypt streams, file text, formatted output. */
#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "minisign.h"
#include "nip/crypto.h"
#include "nip/limits.h"

/* minisign writes this comment on every secret key, encrypted or not. */
#define SECKEY_COMMENT "minisign encrypted secret key"

struct pubkey_blob {
	uint8_t sig_alg[2];
	uint8_t keyid[NIP_KEYID_LEN];
	uint8_t pk[32];
};

struct seckey_blob {
	uint8_t sig_alg[2];
	uint8_t kdf_alg[2];
	uint8_t chk_alg[2];
	uint8_t salt[crypto_pwhash_scryptsalsa208sha256_SALTBYTES];
	uint8_t opslimit[8]; /* little-endian */
	uint8_t memlimit[8];
	/* From here on XORed with the scrypt stream when encrypted. */
	uint8_t keyid[NIP_KEYID_LEN];
	uint8_t sk[64];
	uint8_t chk[32]; /* BLAKE2b-256(sig_alg || keyid || sk) */
};

_Static_assert(sizeof(struct pubkey_blob) == 42, "minisign public key blob");
_Static_assert(sizeof(struct seckey_blob) == 158, "minisign secret key blob");

#define SECRET_OFF offsetof(struct seckey_blob, keyid)
#define SECRET_LEN (sizeof(struct seckey_blob) - SECRET_OFF)

static uint64_t le64_load(const uint8_t p[8])
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void le64_store(uint8_t p[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void nip_keyid_format(const uint8_t keyid[NIP_KEYID_LEN], char out[NIP_KEYID_HEX])
{
	snprintf(out, NIP_KEYID_HEX, "%016llX", (unsigned long long)le64_load(keyid));
}

int nip_key_generate(struct nip_pubkey *pub, struct nip_seckey *sec, struct nip_error *err)
{
	struct nip_seckey s;
	uint8_t pk[32];

	if (nip_ms_sodium_init(err) < 0)
		return -1;
	randombytes_buf(s.keyid, sizeof s.keyid);
	crypto_sign_keypair(pk, s.sk);
	*sec = s;
	nip_seckey_public(sec, pub);
	sodium_memzero(&s, sizeof s);
	return 0;
}

void nip_seckey_wipe(struct nip_seckey *sec)
{
	sodium_memzero(sec, sizeof *sec);
}

void nip_seckey_public(const struct nip_seckey *sec, struct nip_pubkey *pub)
{
	memcpy(pub->keyid, sec->keyid, NIP_KEYID_LEN);
	memcpy(pub->pk, sec->sk + 32, sizeof pub->pk);
}

/* ---- public keys ------------------------------------------------------ */

int nip_pubkey_parse(const char *text, size_t len, struct nip_pubkey *out, struct nip_error *err)
{
	struct nip_ms_line lines[2];
	struct pubkey_blob b;
	const char *comment;
	size_t n, clen;

	if (nip_ms_sodium_init(err) < 0 ||
	    nip_ms_split(text, len, NIP_KEYFILE_MAX, lines, 1, 2, &n, "public key", err) < 0)
		return -1;
	if (n == 2 && nip_ms_comment_line(&lines[0], NIP_MS_UNTRUSTED, &comment, &clen,
					  "public key: line 1", err) < 0)
		return -1;
	if (nip_ms_b64_decode(&lines[n - 1], &b, sizeof b,
			      n == 2 ? "public key: line 2" : "public key", err) < 0)
		return -1;
	if (memcmp(b.sig_alg, "Ed", 2) != 0)
		return nip_err(err, NIP_E_FORMAT,
			       "public key: algorithm 0x%02x%02x is not Ed25519 (\"Ed\")",
			       b.sig_alg[0], b.sig_alg[1]);
	/* Small-order or non-canonical points verify nothing, or too much:
	 * say so now rather than at the first signature. */
	if (!crypto_core_ed25519_is_valid_point(b.pk))
		return nip_err(err, NIP_E_FORMAT, "public key: not a valid Ed25519 public key");
	memcpy(out->keyid, b.keyid, NIP_KEYID_LEN);
	memcpy(out->pk, b.pk, sizeof out->pk);
	return 0;
}

int nip_pubkey_format(const struct nip_pubkey *pub, struct nip_buf *out, struct nip_error *err)
{
	struct pubkey_blob b;
	char id[NIP_KEYID_HEX];
	size_t start = out->len;

	memcpy(b.sig_alg, "Ed", 2);
	memcpy(b.keyid, pub->keyid, NIP_KEYID_LEN);
	memcpy(b.pk, pub->pk, sizeof b.pk);
	nip_keyid_format(pub->keyid, id);
	if (nip_buf_printf(out, err, "%sminisign public key %s\n", NIP_MS_UNTRUSTED, id) < 0 ||
	    nip_ms_b64_append(out, &b, sizeof b, err) < 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

/* ---- secret keys ------------------------------------------------------ */

static void checksum(const struct seckey_blob *b, uint8_t chk[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, b->sig_alg, sizeof b->sig_alg);
	crypto_generichash_update(&st, b->keyid, sizeof b->keyid);
	crypto_generichash_update(&st, b->sk, sizeof b->sk);
	crypto_generichash_final(&st, chk, 32);
	sodium_memzero(&st, sizeof st);
}

/* Encrypts or decrypts (the same XOR) the secret part of b. */
static int kdf_xor(struct seckey_blob *b, const char *passphrase, uint64_t ops, uint64_t mem,
		   struct nip_error *err)
{
	uint8_t stream[SECRET_LEN], *p = (uint8_t *)b + SECRET_OFF;

	if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof stream, passphrase, strlen(passphrase),
					       b->salt, ops, (size_t)mem) != 0) {
		sodium_memzero(stream, sizeof stream);
		return nip_err_sys(err, errno == ENOMEM ? NIP_E_NOMEM : NIP_E_INTERNAL, errno,
				   "secret key: scrypt with %llu MiB", (unsigned long long)(mem >> 20));
	}
	for (size_t i = 0; i < sizeof stream; i++)
		p[i] ^= stream[i];
	sodium_memzero(stream, sizeof stream);
	return 0;
}

/* The file's structure and algorithm tags; no secret is checked yet. On
 * failure b may hold part of the key: the caller wipes it. */
static int seckey_decode(const char *text, size_t len, struct seckey_blob *b,
			 struct nip_error *err)
{
	struct nip_ms_line lines[2];
	const char *comment;
	size_t n, clen;

	if (nip_ms_split(text, len, NIP_KEYFILE_MAX, lines, 2, 2, &n, "secret key", err) < 0 ||
	    nip_ms_comment_line(&lines[0], NIP_MS_UNTRUSTED, &comment, &clen,
				"secret key: line 1", err) < 0 ||
	    nip_ms_b64_decode(&lines[1], b, sizeof *b, "secret key: line 2", err) < 0)
		return -1;
	if (memcmp(b->sig_alg, "Ed", 2) != 0)
		return nip_err(err, NIP_E_FORMAT,
			       "secret key: algorithm 0x%02x%02x is not Ed25519 (\"Ed\")",
			       b->sig_alg[0], b->sig_alg[1]);
	if (memcmp(b->chk_alg, "B2", 2) != 0)
		return nip_err(err, NIP_E_FORMAT,
			       "secret key: checksum algorithm 0x%02x%02x is not BLAKE2b (\"B2\")",
			       b->chk_alg[0], b->chk_alg[1]);
	if (memcmp(b->kdf_alg, "Sc", 2) != 0 && memcmp(b->kdf_alg, "\0\0", 2) != 0)
		return nip_err(err, NIP_E_FORMAT,
			       "secret key: key derivation 0x%02x%02x is neither scrypt (\"Sc\") "
			       "nor none",
			       b->kdf_alg[0], b->kdf_alg[1]);
	return 0;
}

int nip_seckey_encrypted(const char *text, size_t len, int *encrypted, struct nip_error *err)
{
	struct seckey_blob b;
	int rc = seckey_decode(text, len, &b, err);

	if (rc == 0)
		*encrypted = memcmp(b.kdf_alg, "Sc", 2) == 0;
	sodium_memzero(&b, sizeof b);
	return rc;
}

static int decrypt(struct seckey_blob *b, const char *passphrase, struct nip_error *err)
{
	uint64_t ops = le64_load(b->opslimit), mem = le64_load(b->memlimit);
	uint8_t chk[32];
	int rc = -1;

	if (!passphrase)
		return nip_err(err, NIP_E_USAGE, "secret key is encrypted: a passphrase is needed");
	/* The cost comes from the file: a planted key must not make nip
	 * allocate or compute without bound. */
	if (ops > NIP_SCRYPT_OPSLIMIT_MAX || mem > NIP_SCRYPT_MEMLIMIT_MAX)
		return nip_err(err, NIP_E_LIMIT,
			       "secret key: scrypt cost (opslimit %llu, memlimit %llu) is above "
			       "nip's limit (opslimit %llu, memlimit %llu)",
			       (unsigned long long)ops, (unsigned long long)mem,
			       (unsigned long long)NIP_SCRYPT_OPSLIMIT_MAX,
			       (unsigned long long)NIP_SCRYPT_MEMLIMIT_MAX);
	if (kdf_xor(b, passphrase, ops, mem, err) < 0)
		return -1;
	checksum(b, chk);
	if (sodium_memcmp(chk, b->chk, sizeof chk) != 0) {
		nip_err(err, NIP_E_DENIED, "secret key: wrong passphrase or corrupted key");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(chk, sizeof chk);
	return rc;
}

int nip_seckey_parse(const char *text, size_t len, const char *passphrase,
		     struct nip_seckey *out, struct nip_error *err)
{
	struct seckey_blob b;
	uint8_t chk[32], pk[32], sk[64];
	int rc = -1;

	if (nip_ms_sodium_init(err) < 0 || seckey_decode(text, len, &b, err) < 0)
		goto out;
	if (memcmp(b.kdf_alg, "Sc", 2) == 0) {
		if (decrypt(&b, passphrase, err) < 0)
			goto out;
	} else {
		checksum(&b, chk);
		/* minisign -W leaves the checksum of an unencrypted key zero. */
		if (!sodium_is_zero(b.chk, sizeof b.chk) && sodium_memcmp(chk, b.chk, sizeof chk)) {
			nip_err(err, NIP_E_FORMAT, "secret key: checksum mismatch: corrupted key");
			goto out;
		}
	}
	/* The seed fixes the public half. A mismatch is damage the (possibly
	 * zero) checksum missed, and would sign what no public key verifies. */
	crypto_sign_seed_keypair(pk, sk, b.sk);
	if (sodium_memcmp(sk, b.sk, sizeof sk) != 0) {
		nip_err(err, NIP_E_FORMAT,
			"secret key: corrupted key: its public half does not match its seed");
		goto out;
	}
	memcpy(out->keyid, b.keyid, NIP_KEYID_LEN);
	memcpy(out->sk, b.sk, sizeof out->sk);
	rc = 0;
out:
	sodium_memzero(&b, sizeof b);
	sodium_memzero(chk, sizeof chk);
	sodium_memzero(sk, sizeof sk);
	return rc;
}

int nip_seckey_format(const struct nip_seckey *sec, const char *passphrase, struct nip_buf *out,
		      struct nip_error *err)
{
	const uint64_t ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE;
	const uint64_t mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE;
	struct seckey_blob b;
	size_t start = out->len;
	int rc = -1;

	if (passphrase && !*passphrase)
		return nip_err(err, NIP_E_USAGE,
			       "an empty passphrase protects nothing; give none for an "
			       "unencrypted key");
	if (nip_ms_sodium_init(err) < 0)
		return -1;
	memset(&b, 0, sizeof b);
	memcpy(b.sig_alg, "Ed", 2);
	memcpy(b.kdf_alg, passphrase ? "Sc" : "\0\0", 2);
	memcpy(b.chk_alg, "B2", 2);
	memcpy(b.keyid, sec->keyid, NIP_KEYID_LEN);
	memcpy(b.sk, sec->sk, sizeof b.sk);
	checksum(&b, b.chk);
	if (passphrase) {
		randombytes_buf(b.salt, sizeof b.salt);
		le64_store(b.opslimit, ops);
		le64_store(b.memlimit, mem);
		if (kdf_xor(&b, passphrase, ops, mem, err) < 0)
			goto out;
	}
	/* All the room at once: growing the buffer later would leave a copy
	 * of the key in freed memory. */
	if (nip_buf_reserve(out,
			    sizeof NIP_MS_UNTRUSTED SECKEY_COMMENT +
				    sodium_base64_ENCODED_LEN(sizeof b, sodium_base64_VARIANT_ORIGINAL),
			    err) < 0 ||
	    nip_buf_printf(out, err, "%s%s\n", NIP_MS_UNTRUSTED, SECKEY_COMMENT) < 0 ||
	    nip_ms_b64_append(out, &b, sizeof b, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && out->len > start) {
		sodium_memzero(out->data + start, out->len - start);
		out->len = start;
	}
	sodium_memzero(&b, sizeof b);
	return rc;
}
