/* TUF metadata: the form of each role's document, checked field by field
 * (unknown fields are ignored, as the spec asks), and the threshold rule.
 * Every error names the file and the field. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *const tuf_type_names[TUF_NTYPES] = {"root", "timestamp", "snapshot", "targets"};

#define BAD(...) nip_err(err, NIP_E_FORMAT, __VA_ARGS__)

/* No version, threshold or length of a real track comes near 2^53 (the
 * largest integer JavaScript clients such as tuf-js read exactly); a cap
 * keeps "version + 1" of the root chain and sums of lengths from
 * overflowing. */
#define TUF_INT_MAX (INT64_C(1) << 53)

static int get_int(const json_t *o, const char *key, int64_t min, int64_t *out, const char *what,
		   struct nip_error *err)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		return BAD("%s: field %s: missing or not an integer", what, key);
	if (json_integer_value(v) < min)
		return BAD("%s: field %s: %lld is below %lld", what, key,
			   (long long)json_integer_value(v), (long long)min);
	if (json_integer_value(v) > TUF_INT_MAX)
		return BAD("%s: field %s: %lld is above 2^53", what, key, (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

static int string_array(const json_t *a, int unique, const char ***out, size_t *n,
			const char *what, const char *field, struct nip_error *err)
{
	size_t len = json_array_size(a);
	const char **v;
	if (!json_is_array(a))
		return BAD("%s: field %s: not an array", what, field);
	if (len > NIP_TUF_KEYS_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: field %s: more than %u entries", what, field,
			       NIP_TUF_KEYS_MAX);
	v = calloc(len + 1, sizeof *v);
	if (!v)
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
	for (size_t i = 0; i < len; i++) {
		const json_t *s = json_array_get(a, i);
		if (!json_is_string(s)) {
			free(v);
			return BAD("%s: field %s: entry %zu is not a string", what, field, i);
		}
		v[i] = json_string_value(s);
		for (size_t j = 0; unique && j < i; j++)
			if (strcmp(v[i], v[j]) == 0) {
				/* A repeated key id must not count twice toward a threshold. */
				BAD("%s: field %s: %.64s is listed twice", what, field, v[i]);
				free(v);
				return -1;
			}
	}
	if (out)
		*out = v;
	else
		free(v);
	if (n)
		*n = len;
	return 0;
}

static int parse_role(const json_t *o, const char *name, int delegated, struct tuf_role *r,
		      const char *what, struct nip_error *err)
{
	char field[320];
	memset(r, 0, sizeof *r);
	r->name = name;
	snprintf(field, sizeof field, "%s role %.200s", what, name);
	if (!json_is_object(o))
		return BAD("%s: not an object", field);
	if (get_int(o, "threshold", 1, &r->threshold, field, err) < 0 ||
	    string_array(json_object_get(o, "keyids"), 1, &r->keyids, &r->nkeyids, field, "keyids",
			 err) < 0)
		return -1;
	if (!delegated)
		return 0;
	{
		const json_t *t = json_object_get(o, "terminating");
		const json_t *p = json_object_get(o, "paths"), *h = json_object_get(o, "path_hash_prefixes");
		if (!json_is_boolean(t))
			return BAD("%s: field terminating: missing or not a boolean", field);
		r->terminating = json_is_true(t);
		if ((p && h) || (!p && !h))
			return BAD("%s: needs exactly one of paths and path_hash_prefixes", field);
		if (p && string_array(p, 0, NULL, NULL, field, "paths", err) < 0)
			return -1;
		if (h && string_array(h, 0, NULL, NULL, field, "path_hash_prefixes", err) < 0)
			return -1;
		r->paths = p;
		r->prefixes = h;
	}
	return 0;
}

static void role_free(struct tuf_role *r)
{
	free(r->keyids);
	r->keyids = NULL;
}

static int parse_keys(const json_t *o, struct tuf_keyring *ring, const char *what,
		      struct nip_error *err)
{
	const char *id;
	const json_t *k;
	if (!json_is_object(o))
		return BAD("%s: field keys: missing or not an object", what);
	if (json_object_size(o) > NIP_TUF_KEYS_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: field keys: more than %u keys", what,
			       NIP_TUF_KEYS_MAX);
	ring->keys = calloc(json_object_size(o) + 1, sizeof *ring->keys);
	if (!ring->keys)
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
	json_object_foreach((json_t *)o, id, k) {
		if (tuf_key_parse(id, k, &ring->keys[ring->nkeys], err) < 0)
			return nip_err_prefix(err, "%s: field keys: ", what);
		ring->nkeys++;
	}
	return 0;
}

static void ring_free(struct tuf_keyring *ring)
{
	for (size_t i = 0; i < ring->nkeys; i++)
		tuf_key_clear(&ring->keys[i]);
	free(ring->keys);
	ring->keys = NULL;
	ring->nkeys = 0;
}

int tuf_fileinfo(const json_t *e, int is_target, struct tuf_fileinfo *out, const char *what,
		 struct nip_error *err)
{
	const json_t *len = json_object_get(e, "length"), *h = json_object_get(e, "hashes");
	const char *alg;
	const json_t *v;

	memset(out, 0, sizeof *out);
	out->length = -1;
	if (!json_is_object(e))
		return BAD("%s: not an object", what);
	if (!is_target && get_int(e, "version", 1, &out->version, what, err) < 0)
		return -1;
	if (len || is_target) {
		if (!json_is_integer(len) || json_integer_value(len) < (is_target ? 0 : 1) ||
		    json_integer_value(len) > TUF_INT_MAX)
			return BAD("%s: field length: missing, not an integer, too small or too large", what);
		out->length = json_integer_value(len);
	}
	if (h || is_target) {
		if (!json_is_object(h) || json_object_size(h) == 0)
			return BAD("%s: field hashes: missing, empty or not an object", what);
		json_object_foreach((json_t *)h, alg, v) if (!json_is_string(v)) return BAD(
			"%s: field hashes.%.32s: not a string", what, alg);
		out->hashes = h;
	}
	return 0;
}

static int parse_meta_map(const json_t *m, const char *what, struct nip_error *err)
{
	const char *name;
	const json_t *e;
	char field[512];
	if (!json_is_object(m))
		return BAD("%s: field meta: missing or not an object", what);
	json_object_foreach((json_t *)m, name, e) {
		struct tuf_fileinfo fi;
		snprintf(field, sizeof field, "%s: meta[%.200s]", what, name);
		if (tuf_fileinfo(e, 0, &fi, field, err) < 0)
			return -1;
	}
	return 0;
}

static int is_top_name(const char *n)
{
	for (int t = 0; t < TUF_NTYPES; t++)
		if (strcmp(n, tuf_type_names[t]) == 0)
			return 1;
	return 0;
}

static int parse_delegations(const json_t *d, struct tuf_delegations **out, const char *what,
			     struct nip_error *err)
{
	struct tuf_delegations *dl = calloc(1, sizeof *dl);
	const json_t *roles = json_object_get(d, "roles"), *succ = json_object_get(d, "succinct_roles");
	char field[320];

	if (!dl)
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
	*out = dl;
	snprintf(field, sizeof field, "%s: delegations", what);
	if (!json_is_object(d))
		return BAD("%s: not an object", field);
	if (parse_keys(json_object_get(d, "keys"), &dl->ring, field, err) < 0)
		return -1;
	if ((roles && succ) || (!roles && !succ))
		return BAD("%s: needs exactly one of roles and succinct_roles", field);
	if (succ) {
		const json_t *np = json_object_get(succ, "name_prefix");
		dl->succinct = 1;
		if (parse_role(succ, "succinct_roles", 0, &dl->succ, field, err) < 0 ||
		    get_int(succ, "bit_length", 1, &dl->bit_length, field, err) < 0)
			return -1;
		if (dl->bit_length > 32 || !json_is_string(np))
			return BAD("%s: succinct_roles: bad bit_length or name_prefix", field);
		dl->name_prefix = json_string_value(np);
		return 0;
	}
	if (!json_is_array(roles))
		return BAD("%s: field roles: not an array", field);
	if (json_array_size(roles) > NIP_TUF_KEYS_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: more than %u roles", field, NIP_TUF_KEYS_MAX);
	dl->roles = calloc(json_array_size(roles) + 1, sizeof *dl->roles);
	if (!dl->roles)
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
	for (size_t i = 0; i < json_array_size(roles); i++) {
		const json_t *r = json_array_get(roles, i), *n = json_object_get(r, "name");
		if (!json_is_string(n))
			return BAD("%s: roles[%zu]: field name: missing or not a string", field, i);
		if (is_top_name(json_string_value(n)))
			return BAD("%s: roles[%zu]: %s is a top-level role", field, i, json_string_value(n));
		for (size_t j = 0; j < dl->nroles; j++)
			if (strcmp(dl->roles[j].name, json_string_value(n)) == 0)
				return BAD("%s: role %.200s is delegated twice", field, json_string_value(n));
		/* Counted before it is parsed: a half-parsed role is freed too. */
		if (parse_role(r, json_string_value(n), 1, &dl->roles[dl->nroles++], field, err) < 0)
			return -1;
	}
	return 0;
}

static void delegations_free(struct tuf_delegations *d)
{
	if (!d)
		return;
	ring_free(&d->ring);
	for (size_t i = 0; i < d->nroles; i++)
		role_free(&d->roles[i]);
	free(d->roles);
	role_free(&d->succ);
	free(d);
}

void tuf_md_free(struct tuf_md *md)
{
	if (!md)
		return;
	ring_free(&md->ring);
	for (int t = 0; t < TUF_NTYPES; t++)
		role_free(&md->roles[t]);
	delegations_free(md->dele);
	nip_buf_free(&md->signed_bytes);
	json_decref(md->doc);
	free(md);
}

static int check_spec_version(const char *s)
{
	/* "MAJOR.MINOR[.PATCH]", digits only; this client speaks major 1. */
	int parts = 1;
	if (strncmp(s, "1.", 2) != 0)
		return -1;
	for (const char *p = s + 2; *p; p++) {
		if (*p == '.') {
			if (p[-1] == '.' || !p[1])
				return -1;
			parts++;
		} else if (*p < '0' || *p > '9')
			return -1;
	}
	return s[2] && parts <= 2 ? 0 : -1;
}

static int parse_signed(struct tuf_md *md, const char *what, struct nip_error *err)
{
	const json_t *s = md->signed_obj, *ty = json_object_get(s, "_type");
	const json_t *sv = json_object_get(s, "spec_version"), *ex = json_object_get(s, "expires");

	if (!json_is_string(ty) || strcmp(json_string_value(ty), tuf_type_names[md->type]) != 0)
		return nip_err(err, NIP_E_TRUST, "%s: field _type: expected \"%s\"", what,
			       tuf_type_names[md->type]);
	if (!json_is_string(sv) || check_spec_version(json_string_value(sv)) < 0)
		return BAD("%s: field spec_version: missing or not a 1.x version", what);
	if (get_int(s, "version", 1, &md->version, what, err) < 0)
		return -1;
	if (!json_is_string(ex) || tuf_time_parse(json_string_value(ex), &md->expires) < 0)
		return BAD("%s: field expires: missing or not YYYY-MM-DDTHH:MM:SSZ", what);

	switch (md->type) {
	case TUF_ROOT: {
		const json_t *cs = json_object_get(s, "consistent_snapshot"), *roles;
		if (cs && !json_is_boolean(cs))
			return BAD("%s: field consistent_snapshot: not a boolean", what);
		md->consistent_snapshot = json_is_true(cs);
		if (parse_keys(json_object_get(s, "keys"), &md->ring, what, err) < 0)
			return -1;
		roles = json_object_get(s, "roles");
		if (!json_is_object(roles) || json_object_size(roles) != TUF_NTYPES)
			return BAD("%s: field roles: must name exactly root, timestamp, snapshot, targets",
				   what);
		for (int t = 0; t < TUF_NTYPES; t++) {
			const json_t *r = json_object_get(roles, tuf_type_names[t]);
			if (!r)
				return BAD("%s: field roles: %s is missing", what, tuf_type_names[t]);
			if (parse_role(r, tuf_type_names[t], 0, &md->roles[t], what, err) < 0)
				return -1;
		}
		return 0;
	}
	case TUF_TIMESTAMP:
		md->meta = json_object_get(s, "meta");
		if (parse_meta_map(md->meta, what, err) < 0)
			return -1;
		if (!json_object_get(md->meta, "snapshot.json"))
			return BAD("%s: field meta: snapshot.json is missing", what);
		return 0;
	case TUF_SNAPSHOT:
		md->meta = json_object_get(s, "meta");
		return parse_meta_map(md->meta, what, err);
	case TUF_TARGETS: {
		const char *path;
		const json_t *e, *d;
		char field[512];
		md->targets = json_object_get(s, "targets");
		if (!json_is_object(md->targets))
			return BAD("%s: field targets: missing or not an object", what);
		json_object_foreach((json_t *)md->targets, path, e) {
			struct tuf_fileinfo fi;
			snprintf(field, sizeof field, "%s: targets[%.200s]", what, path);
			if (tuf_fileinfo(e, 1, &fi, field, err) < 0)
				return -1;
		}
		d = json_object_get(s, "delegations");
		if (d && !json_is_null(d) && parse_delegations(d, &md->dele, what, err) < 0)
			return -1;
		return 0;
	}
	default:
		return nip_err(err, NIP_E_INTERNAL, "%s: unknown role type", what);
	}
}

int tuf_md_parse(const void *p, size_t n, enum tuf_type type, const char *what,
		 struct tuf_md **out, struct nip_error *err)
{
	struct tuf_md *md = calloc(1, sizeof *md);
	const json_t *sigs;
	if (!md)
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", what);
	md->type = type;
	nip_buf_init(&md->signed_bytes, n + 64, what);
	if (!(md->doc = tuf_json_load(p, n, what, err)))
		goto fail;
	md->signed_obj = json_object_get(md->doc, "signed");
	sigs = md->signatures = json_object_get(md->doc, "signatures");
	if (!json_is_object(md->doc) || !json_is_object(md->signed_obj)) {
		BAD("%s: field signed: missing or not an object", what);
		goto fail;
	}
	if (!json_is_array(sigs)) {
		BAD("%s: field signatures: missing or not an array", what);
		goto fail;
	}
	if (json_array_size(sigs) > NIP_TUF_KEYS_MAX) {
		nip_err(err, NIP_E_LIMIT, "%s: more than %u signatures", what, NIP_TUF_KEYS_MAX);
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(sigs); i++) {
		const json_t *s = json_array_get(sigs, i), *k = json_object_get(s, "keyid");
		if (!json_is_object(s) || !json_is_string(k) || !json_is_string(json_object_get(s, "sig"))) {
			BAD("%s: signatures[%zu]: needs keyid and sig strings", what, i);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(k),
				   json_string_value(json_object_get(json_array_get(sigs, j), "keyid"))) ==
			    0) {
				/* The spec: a key id is unique in signatures. */
				nip_err(err, NIP_E_TRUST, "%s: signatures: key id %.64s signs twice", what,
					json_string_value(k));
				goto fail;
			}
	}
	if (tuf_canonical(md->signed_obj, &md->signed_bytes, err) < 0) {
		nip_err_prefix(err, "%s: field signed: ", what);
		goto fail;
	}
	if (parse_signed(md, what, err) < 0)
		goto fail;
	*out = md;
	return 0;
fail:
	tuf_md_free(md);
	return -1;
}

int tuf_verify_role(const struct tuf_md *md, const struct tuf_keyring *ring,
		    const struct tuf_role *role, const char *what, struct nip_error *err)
{
	int64_t good = 0;
	/* role->keyids is unique (checked when parsed): each key counts once. */
	for (size_t i = 0; i < role->nkeyids; i++) {
		const struct tuf_key *k = NULL;
		for (size_t j = 0; j < ring->nkeys && !k; j++)
			if (strcmp(ring->keys[j].keyid, role->keyids[i]) == 0)
				k = &ring->keys[j];
		if (!k)
			continue;
		for (size_t s = 0; s < json_array_size(md->signatures); s++) {
			const json_t *sig = json_array_get(md->signatures, s);
			if (strcmp(json_string_value(json_object_get(sig, "keyid")), k->keyid) != 0)
				continue;
			good += tuf_key_verify(k, json_string_value(json_object_get(sig, "sig")),
					       md->signed_bytes.data, md->signed_bytes.len);
			break;
		}
	}
	if (good < role->threshold)
		return nip_err(err, NIP_E_TRUST,
			       "%s: signatures: %lld of the %lld needed for role %.200s are valid", what,
			       (long long)good, (long long)role->threshold, role->name);
	return 0;
}

int tuf_expired(const struct tuf_md *md, time_t now)
{
	return now >= md->expires;
}

void tuf_path_hash(const char *path, char hex[NIP_SHA256_HEX])
{
	uint8_t d[NIP_SHA256_LEN];
	nip_sha256(path, strlen(path), d);
	nip_hex(d, sizeof d, hex);
}

int tuf_role_covers(const struct tuf_role *r, const char *path, const char *path_hash)
{
	if (r->prefixes) {
		char own[NIP_SHA256_HEX];
		const char *hex = path_hash;
		if (!hex) {
			tuf_path_hash(path, own);
			hex = own;
		}
		for (size_t i = 0; i < json_array_size(r->prefixes); i++) {
			const char *p = json_string_value(json_array_get(r->prefixes, i));
			if (strncmp(hex, p, strlen(p)) == 0)
				return 1;
		}
		return 0;
	}
	for (size_t i = 0; i < json_array_size(r->paths); i++) {
		/* Each '/'-separated part is matched by its own pattern, so "*"
		 * never crosses a directory. */
		const char *pat = json_string_value(json_array_get(r->paths, i)), *t = path;
		int ok = 1;
		while (ok) {
			const char *pe = strchr(pat, '/'), *te = strchr(t, '/');
			char pp[1024], tp[1024];
			size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
			size_t tl = te ? (size_t)(te - t) : strlen(t);
			if (!pe != !te || pl >= sizeof pp || tl >= sizeof tp) {
				ok = 0;
				break;
			}
			memcpy(pp, pat, pl), pp[pl] = 0;
			memcpy(tp, t, tl), tp[tl] = 0;
			if (fnmatch(pp, tp, 0) != 0)
				ok = 0;
			if (!pe)
				break;
			pat = pe + 1;
			t = te + 1;
		}
		if (ok)
			return 1;
	}
	return 0;
}

int tuf_succinct_bin(const struct tuf_delegations *d, const char *path, char *out, size_t n)
{
	uint8_t h[NIP_SHA256_LEN];
	uint32_t v;
	unsigned width = 0;
	uint64_t last = (1ull << d->bit_length) - 1;
	nip_sha256(path, strlen(path), h);
	v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	v = (uint32_t)((uint64_t)v >> (32 - d->bit_length));
	do
		width++;
	while (last >>= 4);
	return snprintf(out, n, "%s-%0*x", d->name_prefix, (int)width, v) < (int)n ? 0 : -1;
}
