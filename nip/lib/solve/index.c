/* A track's index parts into its .solv. The parts were verified by the
 * track's refresh (their hashes are signed), so this reads trusted JSON;
 * it still checks the form of what it uses, since a damaged cache on disk
 * must fail cleanly, never crash. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "nip/crypto.h"
#include "nip/limits.h"

static const char *const rel_fields[NIP_REL_COUNT] = {
	[NIP_REL_DEPENDS] = "depends",	   [NIP_REL_PROVIDES] = "provides",
	[NIP_REL_CONFLICTS] = "conflicts", [NIP_REL_OBSOLETES] = "obsoletes",
	[NIP_REL_RECOMMENDS] = "recommends",
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Relations as borrowed strings; *buf holds the array. */
static int rels(const json_t *o, const char *key, char ***out, size_t *n, char **buf)
{
	const json_t *a = json_object_get(o, key);
	size_t k = json_array_size(a);
	char **v;

	*out = NULL;
	*n = 0;
	if (!k)
		return a && !json_is_array(a) ? -1 : 0;
	if (!(v = malloc(k * sizeof *v)))
		return -1;
	for (size_t i = 0; i < k; i++)
		if (!(v[i] = (char *)json_string_value(json_array_get(a, i)))) {
			free(v);
			return -1;
		}
	*out = v;
	*n = k;
	*buf = (char *)v;
	return 0;
}

static int add_part(struct solv_build *b, const char *part, const json_t *doc, struct nip_error *err)
{
	const json_t *pkgs = json_object_get(doc, "packages");

	if (!json_is_array(pkgs))
		return nip_err(err, NIP_E_FORMAT, "%s: field packages: missing or not an array", part);
	for (size_t i = 0; i < json_array_size(pkgs); i++) {
		const json_t *o = json_array_get(pkgs, i);
		struct nip_index_entry e = {0};
		char *bufs[NIP_REL_COUNT] = {0};
		const char *cid = str(o, "cid");
		json_int_t size = json_integer_value(json_object_get(o, "size"));
		int rc = 0;

		e.name = str(o, "name");
		e.version = str(o, "version");
		e.arch = str(o, "arch");
		e.path = str(o, "path");
		e.signer = str(o, "signer");
		e.summary = str(o, "summary");
		e.size = size > 0 ? (uint64_t)size : 0;
		if (!e.name || !e.version || !e.arch || !e.path || !e.signer || !cid ||
		    nip_cid_parse(cid, e.cid, err) < 0)
			return nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: a field is missing or malformed",
				       part, i);
		for (int k = 0; k < NIP_REL_COUNT && rc == 0; k++)
			if (rels(o, rel_fields[k], &e.rel[k], &e.nrel[k], &bufs[k]) < 0)
				rc = nip_err(err, NIP_E_FORMAT, "%s: packages[%zu]: field %s: malformed",
					     part, i, rel_fields[k]);
		if (rc == 0)
			rc = solv_add(b, &e, err);
		for (int k = 0; k < NIP_REL_COUNT; k++)
			free(bufs[k]);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int nip_solv_from_index(const char *track, int dirfd, char *const *parts, size_t nparts,
			const char *name, struct nip_error *err)
{
	return solv_from_index(track, dirfd, parts, nparts, name, 0, err);
}

int solv_from_index(const char *track, int dirfd, char *const *parts, size_t nparts,
		    const char *name, int reference, struct nip_error *err)
{
	struct solv_build b = {0};
	size_t i;
	int rc = -1;

again:
	if (solv_start(&b, track, err) < 0)
		goto out;
	b.reference = reference;
	for (i = 0; i < nparts; i++) {
		struct nip_buf text;
		json_error_t je;
		json_t *doc = NULL;
		int r;

		if (nip_read_file(dirfd, parts[i], NIP_INDEX_PART_MAX, 1, &text, err) < 0)
			goto fail;
		r = reference ? 1 : index_scan(&b, parts[i], (const char *)text.data, text.len, err);
		if (r == 1 && !reference) {
			/* Not the publisher's form: start again, every part by
			 * the reference reader (so at most once). */
			nip_buf_free(&text);
			reference = 1;
			solv_abandon(&b);
			goto again;
		}
		if (r == 1)
			doc = json_loadb((const char *)text.data, text.len, JSON_REJECT_DUPLICATES, &je);
		nip_buf_free(&text);
		if (r < 0)
			goto fail;
		if (r == 1 && !doc) {
			nip_err(err, NIP_E_FORMAT, "track %s: %s: line %d: %s", track, parts[i], je.line,
				je.text);
			goto abandon;
		}
		r = r == 1 ? add_part(&b, parts[i], doc, err) : 0;
		json_decref(doc);
		if (r < 0)
			goto fail;
	}
	rc = solv_finish(&b, dirfd, name, err);
	goto out;
fail:
	nip_err_prefix(err, "track %s: ", track);
abandon:
	solv_abandon(&b);
out:
	return rc;
}
