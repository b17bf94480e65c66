/* Fuzz target: manifest parsing. Whatever parses must re-serialise to the
 * same bytes (one manifest, one encoding, one CID). */
#include <stdlib.h>
#include <string.h>

#include "nip/package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nip_manifest *m = NULL;
	struct nip_buf out;
	struct nip_error err;

	if (nip_manifest_parse(data, size, &m, &err) < 0)
		return 0;
	nip_buf_init(&out, size + 1, "manifest");
	if (nip_manifest_serialize(m, &out, &err) < 0 || out.len != size ||
	    memcmp(out.data, data, size) != 0)
		abort();
	nip_buf_free(&out);
	nip_manifest_free(m);
	return 0;
}
