/* Fuzz target: minisign signatures, public and secret keys, Variant-CIDs.
 * Beyond "no crash, no leak", what parses must format back to the same
 * bytes (signatures) and a parsed secret key must sign what its public half
 * verifies. Encrypted keys are only recognised, never decrypted: one scrypt
 * costs a second and a gigabyte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nip/crypto.h"
#include "nip/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sig_round_trip(const char *text, size_t len)
{
	struct nip_error err;
	struct nip_sig sig;
	struct nip_buf out;
	char uc[NIP_COMMENT_MAX + 1];
	const char *ucp;
	size_t uclen;

	if (nip_sig_parse(text, len, &sig, &ucp, &uclen, &err) < 0)
		return;
	if (uclen > NIP_COMMENT_MAX || memchr(ucp, '\0', uclen))
		abort();
	memcpy(uc, ucp, uclen);
	uc[uclen] = '\0';
	nip_buf_init(&out, NIP_SIG_MAX, "signature");
	if (nip_sig_format(&sig, uc, &out, &err) < 0)
		abort();
	/* The input may lack only the final newline. */
	if (!(out.len == len || (out.len == len + 1 && out.data[len] == '\n')) ||
	    memcmp(out.data, text, len) != 0)
		abort();
	nip_buf_free(&out);
}

static void pubkey(const char *text, size_t len)
{
	struct nip_error err;
	struct nip_pubkey pub, back;
	struct nip_buf out;

	if (nip_pubkey_parse(text, len, &pub, &err) < 0)
		return;
	nip_buf_init(&out, NIP_KEYFILE_MAX, "public key");
	if (nip_pubkey_format(&pub, &out, &err) < 0 ||
	    nip_pubkey_parse((const char *)out.data, out.len, &back, &err) < 0 ||
	    memcmp(&pub, &back, sizeof pub) != 0)
		abort();
	nip_buf_free(&out);
}

static void seckey(const char *text, size_t len)
{
	struct nip_error err;
	struct nip_seckey sec;
	struct nip_pubkey pub;
	struct nip_sig sig;
	int encrypted;

	if (nip_seckey_encrypted(text, len, &encrypted, &err) < 0 || encrypted)
		return;
	if (nip_seckey_parse(text, len, "x", &sec, &err) < 0)
		return;
	nip_seckey_public(&sec, &pub);
	if (nip_sig_sign(&sec, text, len, "fuzz", &sig, &err) < 0 ||
	    nip_sig_verify(&sig, &pub, text, len, &err) < 0)
		abort();
	nip_seckey_wipe(&sec);
}

static void cid(const char *text, size_t len)
{
	struct nip_error err;
	uint8_t digest[NIP_SHA256_LEN];
	char s[128], back[NIP_CID_STRLEN];

	if (len >= sizeof s)
		return;
	memcpy(s, text, len);
	s[len] = '\0';
	if (nip_cid_parse(s, digest, &err) < 0)
		return;
	nip_cid_format(digest, back);
	if (strcmp(s, back) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	sig_round_trip(text, size);
	pubkey(text, size);
	seckey(text, size);
	cid(text, size);
	return 0;
}
