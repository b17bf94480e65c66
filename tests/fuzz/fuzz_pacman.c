/* Fuzz target: the pacman adapter of nip graft (nip/lib/graft), end to end. */
#include "graft_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return graft_fuzz(data, size, "in.pkg.tar.zst");
}
