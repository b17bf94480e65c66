/* Fuzzes the policy parser (policies come with packages: untrusted). A
 * policy that parses must explain itself, narrow by itself to itself (the
 * intersection of a set with itself), and take its implied rules; a
 * refusal is only ever NIP_E_FORMAT or NIP_E_LIMIT. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nip/cell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nip_policy *p = NULL, *q = NULL;
	struct nip_error err;
	FILE *devnull;
	uint64_t before;

	if (nip_policy_parse((const char *)data, size, "fuzz", &p, &err) < 0) {
		if (err.code != NIP_E_FORMAT && err.code != NIP_E_LIMIT)
			abort();
		return 0;
	}
	if (nip_policy_parse((const char *)data, size, "fuzz", &q, &err) < 0)
		abort(); /* parsing is a function of the bytes */
	before = p->promises;
	if ((devnull = fopen("/dev/null", "w"))) {
		nip_policy_explain(p, 0, devnull);
		nip_policy_explain(p, 1, devnull);
		fclose(devnull);
	}
	if (nip_policy_narrow(p, q, &err) == 0) {
		if (p->promises != before || p->nlayers != 2 * q->nlayers)
			abort();
		if (nip_policy_add_implied(p, &err) < 0 && err.code != NIP_E_LIMIT)
			abort();
	} else if (err.code != NIP_E_LIMIT) {
		abort();
	}
	nip_policy_free(p);
	nip_policy_free(q);
	return 0;
}
