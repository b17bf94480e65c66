/* Signing TUF metadata with nip's Ed25519 keys: the signature covers the
 * canonical form of `signed`, the key id is the SHA-256 of the canonical
 * key object, and the file itself is written canonically too. */
#include <string.h>

#include "internal.h"

int tuf_sign_doc(json_t *signed_obj, const struct nip_seckey *const *keys, size_t nkeys,
		 struct nip_buf *out, struct nip_error *err)
{
	struct nip_buf msg;
	json_t *doc = NULL, *sigs = json_array();
	int rc = -1;

	nip_buf_init(&msg, NIP_TUF_TARGETS_MAX, "signed metadata");
	if (!signed_obj || !sigs) {
		nip_err(err, NIP_E_NOMEM, "signing: out of memory");
		goto out;
	}
	if (tuf_canonical(signed_obj, &msg, err) < 0)
		goto out;
	for (size_t i = 0; i < nkeys; i++) {
		struct nip_pubkey pub;
		uint8_t sig[64];
		char hex[129], id[NIP_SHA256_HEX];
		nip_seckey_public(keys[i], &pub);
		if (nip_sign_raw(keys[i], msg.data, msg.len, sig, err) < 0 ||
		    nip_tuf_keyid(&pub, id, err) < 0)
			goto out;
		nip_hex(sig, sizeof sig, hex);
		{
			/* A key given twice (a rotation to the same key) signs once:
			 * a key id is unique among signatures. */
			int dup = 0;
			for (size_t j = 0; j < json_array_size(sigs); j++)
				dup |= strcmp(json_string_value(json_object_get(json_array_get(sigs, j), "keyid")),
					      id) == 0;
			if (dup)
				continue;
		}
		if (json_array_append_new(sigs, json_pack("{s:s, s:s}", "keyid", id, "sig", hex)) < 0) {
			nip_err(err, NIP_E_NOMEM, "signing: out of memory");
			goto out;
		}
	}
	doc = json_pack("{s:O, s:O}", "signatures", sigs, "signed", signed_obj);
	if (!doc) {
		nip_err(err, NIP_E_NOMEM, "signing: out of memory");
		goto out;
	}
	rc = tuf_canonical(doc, out, err);
out:
	json_decref(doc);
	json_decref(sigs);
	json_decref(signed_obj);
	nip_buf_free(&msg);
	return rc;
}
