/* What identifies a track's verified index as a whole: the SHA-256 of its
 * summary, which names every part by its signed hash. A cache built from
 * the index (the solver's .solv) is current while this stays the same,
 * so checking it costs one small read, not a hash of every part. */
#include <stdio.h>
#include <string.h>

#include "nip/limits.h"
#include "nip/track.h"

int nip_track_index_key(int rootfd, const char *name, uint8_t out[NIP_SHA256_LEN],
			struct nip_error *err)
{
	struct nip_buf sum;
	char path[NIP_TRACK_NAME_MAX + 64];

	if (!nip_track_name_valid(name))
		return nip_err(err, NIP_E_USAGE, "track %.80s: not a track name", name);
	snprintf(path, sizeof path, "tracks/%s/current/index/summary.json", name);
	if (nip_read_file(rootfd, path, 1 << 20, 1, &sum, err) < 0)
		return nip_err(err, NIP_E_USAGE, "track %s: no index yet (run nip refresh)", name);
	nip_sha256(sum.data, sum.len, out);
	nip_buf_free(&sum);
	return 0;
}
