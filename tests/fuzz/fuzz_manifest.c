/* Fuzz target: manifest parsing, differentially. The fast canonical reader
 * (mread.c) and the Jansson reference parser must accept exactly the same
 * inputs, read them alike, and whatever is accepted must re-serialise to
 * the same bytes (one manifest, one encoding, one CID). */
#include <stdlib.h>
#include <string.h>

#include "../../nip/lib/package/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(const struct nip_manifest *m, const uint8_t *data, size_t size)
{
	struct nip_buf out;
	nip_buf_init(&out, size + 1, "manifest");
	if (nip_manifest_serialize(m, &out, NULL) < 0 || out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	nip_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nip_manifest *fast = NULL, *ref = NULL;
	struct nip_error err;
	int fast_ok = manifest_read_canonical(data, size, &fast) == 0 && nip_manifest_check(fast, &err) == 0;
	int ref_ok = manifest_parse_reference(data, size, &ref, &err) == 0;

	if (fast_ok != ref_ok)
		abort();
	if (fast_ok) {
		same_bytes(fast, data, size);
		same_bytes(ref, data, size);
	}
	nip_manifest_free(fast);
	nip_manifest_free(ref);
	return 0;
}
