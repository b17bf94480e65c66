/* The publishers a track's root.json authorises, in its "nip" field:
 * [{"keyid": minisign id, "public": hex, "glob": names}]. Trust in a
 * package flows from the pinned root through this list. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int tuf_publishers_parse(const json_t *nip, const char *what, struct nip_track_publisher **out,
			 size_t *n, struct nip_error *err)
{
	const json_t *pubs = json_object_get(nip, "publishers");
	size_t cnt = json_array_size(pubs), globs = 0;
	struct nip_track_publisher *v;
	char *gp;

	*out = NULL;
	*n = 0;
	if (!json_is_array(pubs))
		return nip_err(err, NIP_E_FORMAT, "%s: field nip.publishers: missing (not a nip track?)", what);
	if (cnt > NIP_TUF_KEYS_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: field nip.publishers: more than %u", what,
			       NIP_TUF_KEYS_MAX);
	for (size_t i = 0; i < cnt; i++) {
		const json_t *g = json_object_get(json_array_get(pubs, i), "glob");
		if (!json_is_string(g) || json_string_length(g) > NIP_NAME_MAX)
			return nip_err(err, NIP_E_FORMAT, "%s: field nip.publishers[%zu].glob: malformed",
				       what, i);
		globs += json_string_length(g) + 1;
	}
	/* One block: the array, then the globs it points into. */
	if (!(v = calloc(1, (cnt + 1) * sizeof *v + globs)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	gp = (char *)(v + cnt + 1);
	for (size_t i = 0; i < cnt; i++) {
		const json_t *e = json_array_get(pubs, i), *g = json_object_get(e, "glob");
		const char *pk = json_string_value(json_object_get(e, "public"));
		const char *id = json_string_value(json_object_get(e, "keyid"));
		uint64_t k = 0;
		char *end = NULL;
		if (pk && id && strlen(id) == 16)
			k = strtoull(id, &end, 16);
		if (!end || *end || nip_unhex(pk, v[i].key.pk, 32) < 0) {
			free(v);
			return nip_err(err, NIP_E_FORMAT, "%s: field nip.publishers[%zu]: malformed key",
				       what, i);
		}
		for (int j = 0; j < NIP_KEYID_LEN; j++)
			v[i].key.keyid[j] = (uint8_t)(k >> (8 * j)); /* minisign: little-endian */
		memcpy(gp, json_string_value(g), json_string_length(g) + 1);
		v[i].glob = gp;
		gp += json_string_length(g) + 1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int nip_track_publisher_allowed(const struct nip_track_publisher *p, size_t n,
				const uint8_t keyid[NIP_KEYID_LEN], const char *pkgname)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(p[i].key.keyid, keyid, NIP_KEYID_LEN) == 0 &&
		    fnmatch(p[i].glob ? p[i].glob : "*", pkgname, 0) == 0)
			return 1;
	return 0;
}
