/* Fuzz target: TUF metadata and index parts. Each input is read as every
 * role type; what parses is re-canonicalised (a second pass must give the
 * same signed bytes), its signatures are checked against its own keys
 * (roots) and its delegations walked for a path. The same bytes are also
 * checked as a decompressed index part. Beyond "no crash, no leak", the
 * parser must never accept a document whose canonical form it cannot
 * reproduce. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../nip/lib/track/internal.h"
#include "../../nip/lib/track/track_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void as_role(const uint8_t *data, size_t size, enum tuf_type type)
{
	struct tuf_md *md = NULL;
	struct nip_error err;
	struct nip_buf again;

	if (tuf_md_parse(data, size, type, "fuzz.json", &md, &err) < 0)
		return;
	nip_buf_init(&again, md->signed_bytes.len + 1, "again");
	if (tuf_canonical(md->signed_obj, &again, &err) < 0 || again.len != md->signed_bytes.len ||
	    memcmp(again.data, md->signed_bytes.data, again.len) != 0)
		abort();
	nip_buf_free(&again);
	if (type == TUF_ROOT)
		tuf_verify_role(md, &md->ring, &md->roles[TUF_ROOT], "fuzz.json", &err);
	if (md->dele) {
		char bin[300];
		for (size_t i = 0; i < md->dele->nroles; i++)
			tuf_role_covers(&md->dele->roles[i], "pkgs/a/b-1.0.nip", NULL);
		if (md->dele->succinct)
			tuf_succinct_bin(md->dele, "pkgs/a-1.nip", bin, sizeof bin);
	}
	tuf_md_free(md);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nip_error err;
	json_t *doc;
	if (size > NIP_TUF_SNAPSHOT_MAX)
		return 0;
	for (int t = 0; t < TUF_NTYPES; t++)
		as_role(data, size, (enum tuf_type)t);
	doc = tuf_json_load(data, size, "index part", &err);
	if (doc) {
		size_t n;
		index_check(doc, "index part", &n, &err);
		json_decref(doc);
	}
	return 0;
}
