/* Detached signatures in minisign's prehashed form ("ED"): Ed25519 over the
 * BLAKE2b-512 of the message, and a second signature binding the trusted
 * comment to the first. `minisign -V` checks nip's signatures and nip checks
 * minisign's. */
#include <sodium.h>
#include <string.h>

#include "minisign.h"
#include "nip/crypto.h"
#include "nip/limits.h"

#define DEFAULT_UNTRUSTED "signature from nip secret key"

struct sig_blob {
	uint8_t sig_alg[2];
	uint8_t keyid[NIP_KEYID_LEN];
	uint8_t sig[64];
};

_Static_assert(sizeof(struct sig_blob) == 74, "minisign signature blob");

static void prehash(const void *msg, size_t len, uint8_t out[crypto_generichash_BYTES_MAX])
{
	crypto_generichash(out, crypto_generichash_BYTES_MAX, msg, len, NULL, 0);
}

/* sig || trusted comment: what the global signature covers. */
static size_t global_input(const uint8_t sig[64], const char *tc, size_t tclen,
			   uint8_t out[64 + NIP_COMMENT_MAX])
{
	memcpy(out, sig, 64);
	memcpy(out + 64, tc, tclen);
	return 64 + tclen;
}

/* A trusted comment held in struct nip_sig: NUL-terminated inside its
 * array (the struct may come from a caller that filled it by hand). */
static int trusted_len(const struct nip_sig *sig, size_t *len, struct nip_error *err)
{
	const char *nul = memchr(sig->trusted_comment, '\0', sizeof sig->trusted_comment);

	if (!nul)
		return nip_err(err, NIP_E_LIMIT, "trusted comment: longer than %u bytes",
			       NIP_COMMENT_MAX);
	*len = (size_t)(nul - sig->trusted_comment);
	return nip_ms_comment_check(sig->trusted_comment, *len, "trusted comment", err);
}

int nip_sig_sign(const struct nip_seckey *sec, const void *msg, size_t len,
		 const char *trusted_comment, struct nip_sig *out, struct nip_error *err)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], global[64 + NIP_COMMENT_MAX];
	struct nip_sig s;
	size_t tclen, glen;

	if (!trusted_comment)
		trusted_comment = "";
	tclen = strnlen(trusted_comment, NIP_COMMENT_MAX + 1);
	if (nip_ms_sodium_init(err) < 0 ||
	    nip_ms_comment_check(trusted_comment, tclen, "trusted comment", err) < 0)
		return -1;
	memset(&s, 0, sizeof s);
	memcpy(s.keyid, sec->keyid, NIP_KEYID_LEN);
	memcpy(s.trusted_comment, trusted_comment, tclen);
	prehash(msg, len, hash);
	crypto_sign_detached(s.sig, NULL, hash, sizeof hash, sec->sk);
	glen = global_input(s.sig, trusted_comment, tclen, global);
	crypto_sign_detached(s.global_sig, NULL, global, glen, sec->sk);
	*out = s;
	return 0;
}

int nip_sig_format(const struct nip_sig *sig, const char *untrusted_comment, struct nip_buf *out,
		   struct nip_error *err)
{
	struct sig_blob b;
	size_t tclen, start = out->len;

	if (!untrusted_comment)
		untrusted_comment = DEFAULT_UNTRUSTED;
	if (nip_ms_comment_check(untrusted_comment, strnlen(untrusted_comment, NIP_COMMENT_MAX + 1),
				 "untrusted comment", err) < 0 ||
	    trusted_len(sig, &tclen, err) < 0)
		return -1;
	memcpy(b.sig_alg, "ED", 2);
	memcpy(b.keyid, sig->keyid, NIP_KEYID_LEN);
	memcpy(b.sig, sig->sig, sizeof b.sig);
	if (nip_buf_printf(out, err, "%s%s\n", NIP_MS_UNTRUSTED, untrusted_comment) < 0 ||
	    nip_ms_b64_append(out, &b, sizeof b, err) < 0 ||
	    nip_buf_printf(out, err, "%s%s\n", NIP_MS_TRUSTED, sig->trusted_comment) < 0 ||
	    nip_ms_b64_append(out, sig->global_sig, sizeof sig->global_sig, err) < 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

int nip_sig_parse(const char *text, size_t len, struct nip_sig *out, const char **untrusted,
		  size_t *untrusted_len, struct nip_error *err)
{
	struct nip_ms_line lines[4];
	struct sig_blob b;
	struct nip_sig s;
	const char *uc, *tc;
	size_t n, uclen, tclen;

	if (nip_ms_split(text, len, NIP_SIG_MAX, lines, 4, 4, &n, "signature", err) < 0 ||
	    nip_ms_comment_line(&lines[0], NIP_MS_UNTRUSTED, &uc, &uclen, "signature: line 1",
				err) < 0 ||
	    nip_ms_b64_decode(&lines[1], &b, sizeof b, "signature: line 2", err) < 0)
		return -1;
	/* The algorithm before anything else is read: the legacy form signs
	 * the whole message unhashed, which nip never verifies. */
	if (memcmp(b.sig_alg, "Ed", 2) == 0)
		return nip_err(err, NIP_E_FORMAT,
			       "signature: legacy unhashed minisign signature (Ed) is not accepted; "
			       "re-sign with minisign >= 0.8 or nip");
	if (memcmp(b.sig_alg, "ED", 2) != 0)
		return nip_err(err, NIP_E_FORMAT,
			       "signature: algorithm 0x%02x%02x is not prehashed Ed25519 (\"ED\")",
			       b.sig_alg[0], b.sig_alg[1]);
	if (nip_ms_comment_line(&lines[2], NIP_MS_TRUSTED, &tc, &tclen, "signature: line 3",
				err) < 0)
		return -1;
	memset(&s, 0, sizeof s);
	if (nip_ms_b64_decode(&lines[3], s.global_sig, sizeof s.global_sig, "signature: line 4",
			      err) < 0)
		return -1;
	memcpy(s.keyid, b.keyid, NIP_KEYID_LEN);
	memcpy(s.sig, b.sig, sizeof s.sig);
	memcpy(s.trusted_comment, tc, tclen);
	*out = s;
	if (untrusted)
		*untrusted = uc;
	if (untrusted_len)
		*untrusted_len = uclen;
	return 0;
}

int nip_sig_verify(const struct nip_sig *sig, const struct nip_pubkey *pub, const void *msg,
		   size_t len, struct nip_error *err)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], global[64 + NIP_COMMENT_MAX];
	char have[NIP_KEYID_HEX], want[NIP_KEYID_HEX];
	size_t tclen, glen;

	/* Key ids are public: a plain comparison leaks nothing. Checked first
	 * so that the wrong key is named as such, not as a bad signature. */
	nip_keyid_format(sig->keyid, have);
	nip_keyid_format(pub->keyid, want);
	if (memcmp(sig->keyid, pub->keyid, NIP_KEYID_LEN) != 0)
		return nip_err(err, NIP_E_TRUST, "signed by key %s, not by the trusted key %s", have,
			       want);
	if (nip_ms_sodium_init(err) < 0)
		return -1;
	if (trusted_len(sig, &tclen, NULL) < 0)
		return nip_err(err, NIP_E_TRUST, "signature by key %s: malformed trusted comment",
			       have);
	prehash(msg, len, hash);
	if (crypto_sign_verify_detached(sig->sig, hash, sizeof hash, pub->pk) != 0)
		return nip_err(err, NIP_E_TRUST,
			       "signature by key %s does not match the signed data", have);
	glen = global_input(sig->sig, sig->trusted_comment, tclen, global);
	if (crypto_sign_verify_detached(sig->global_sig, global, glen, pub->pk) != 0)
		return nip_err(err, NIP_E_TRUST,
			       "signature by key %s: the trusted comment is not the one signed",
			       have);
	return 0;
}
