/* New root versions of a track: rotation of the root (and online) keys,
 * publishers authorised and revoked. Each is N+1.root.json, signed by the
 * current root key (and the new one, for a rotation) as a client walking
 * the chain requires; root.json is replaced last. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"

#define ROOT_DAYS 365

typedef int (*root_edit)(json_t *signed_obj, const struct tuf_md *cur, void *ctx,
			 struct nip_error *err);

static int next_root(int dirfd, const struct nip_seckey *const *keys, size_t nkeys, root_edit edit,
		     void *ctx, struct nip_error *err)
{
	struct tuf_md *cur = NULL;
	struct nip_pubkey pub;
	char id[NIP_SHA256_HEX], name[64], t[21];
	json_t *s = NULL;
	struct nip_buf b;
	int mfd = openat(dirfd, "metadata", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	nip_buf_init(&b, NIP_TUF_ROOT_MAX, "root.json");
	if (mfd < 0)
		return nip_err_sys(err, NIP_E_USAGE, errno, "metadata: not a track");
	if (flock(mfd, LOCK_EX) < 0) { /* as publish: one writer at a time */
		nip_err_sys(err, NIP_E_IO, errno, "metadata: lock");
		goto out;
	}
	if (tuf_root_latest(mfd, &cur, err) < 0)
		goto out;
	nip_seckey_public(keys[0], &pub);
	if (nip_tuf_keyid(&pub, id, err) < 0)
		goto out;
	if (!tuf_role_has_key(&cur->roles[TUF_ROOT], id)) {
		nip_err(err, NIP_E_TRUST, "root key: not the track's current root key");
		goto out;
	}
	if (!(s = json_deep_copy(cur->signed_obj))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	tuf_time_format(time(NULL) + (time_t)ROOT_DAYS * 86400, t);
	json_object_set_new(s, "version", json_integer(cur->version + 1));
	json_object_set_new(s, "expires", json_string(t));
	if (edit(s, cur, ctx, err) < 0)
		goto out;
	rc = tuf_sign_doc(s, keys, nkeys, &b, err);
	s = NULL;
	snprintf(name, sizeof name, "%lld.root.json", (long long)cur->version + 1);
	if (rc == 0) {
		/* Check it as a client will, before anyone can fetch it: signed
		 * by the current root's threshold and by its own. */
		struct tuf_md *n = NULL;
		rc = tuf_md_parse(b.data, b.len, TUF_ROOT, name, &n, err);
		if (rc == 0)
			rc = tuf_verify_role(n, &cur->ring, &cur->roles[TUF_ROOT], name, err);
		if (rc == 0)
			rc = tuf_verify_role(n, &n->ring, &n->roles[TUF_ROOT], name, err);
		tuf_md_free(n);
		if (rc < 0)
			nip_err_prefix(err, "the new root would not verify: ");
	}
	if (rc == 0)
		rc = nip_write_atomic(mfd, name, b.data, b.len, 0644, NIP_WRITE_EXCL, err);
	if (rc == 0)
		rc = nip_write_atomic(mfd, "root.json", b.data, b.len, 0644, 0, err);
out:
	json_decref(s);
	tuf_md_free(cur);
	nip_buf_free(&b);
	close(mfd);
	return rc;
}

struct rotate {
	const struct nip_seckey *old_root, *new_root;
	const struct nip_pubkey *new_online;
};

static int edit_rotate(json_t *s, const struct tuf_md *cur, void *ctx, struct nip_error *err)
{
	const struct rotate *r = ctx;
	struct nip_pubkey oldpub, newpub;
	char oldid[NIP_SHA256_HEX], newid[NIP_SHA256_HEX];
	json_t *keys = json_object_get(s, "keys"), *roles = json_object_get(s, "roles");

	nip_seckey_public(r->old_root, &oldpub);
	nip_seckey_public(r->new_root, &newpub);
	if (nip_tuf_keyid(&oldpub, oldid, err) < 0 || nip_tuf_keyid(&newpub, newid, err) < 0)
		return -1;
	json_object_del(keys, oldid);
	json_object_set_new(keys, newid, tuf_ed25519_key_json(newpub.pk));
	json_object_set_new(json_object_get(roles, "root"), "keyids", json_pack("[s]", newid));
	if (r->new_online) {
		char oid[NIP_SHA256_HEX];
		const char *online_old = cur->roles[TUF_TIMESTAMP].keyids[0];
		if (nip_tuf_keyid(r->new_online, oid, err) < 0)
			return -1;
		if (strcmp(online_old, newid) != 0 && strcmp(online_old, oid) != 0)
			json_object_del(keys, online_old);
		json_object_set_new(keys, oid, tuf_ed25519_key_json(r->new_online->pk));
		for (int t = TUF_TIMESTAMP; t < TUF_NTYPES; t++)
			json_object_set_new(json_object_get(roles, tuf_type_names[t]), "keyids",
					    json_pack("[s]", oid));
	}
	return 0;
}

int nip_track_rotate(int dirfd, const struct nip_seckey *old_root, const struct nip_seckey *new_root,
		     const struct nip_pubkey *new_online, struct nip_error *err)
{
	struct rotate r = {old_root, new_root, new_online};
	const struct nip_seckey *keys[2] = {old_root, new_root};
	return next_root(dirfd, keys, 2, edit_rotate, &r, err);
}

struct publisher_edit {
	const struct nip_track_publisher *pub; /* glob NULL: revoke */
};

static int edit_publishers(json_t *s, const struct tuf_md *cur, void *ctx, struct nip_error *err)
{
	const struct publisher_edit *e = ctx;
	json_t *nip = json_object_get(s, "nip"), *pubs = json_object_get(nip, "publishers"), *add;
	char id[NIP_KEYID_HEX];
	int found = 0;

	(void)cur;
	if (!json_is_array(pubs))
		return nip_err(err, NIP_E_FORMAT, "metadata/root.json: field nip.publishers: missing");
	nip_keyid_format(e->pub->key.keyid, id);
	for (size_t i = 0; i < json_array_size(pubs);) {
		if (strcmp(json_string_value(json_object_get(json_array_get(pubs, i), "keyid")) ?: "", id) == 0) {
			json_array_remove(pubs, i);
			found = 1;
		} else {
			i++;
		}
	}
	if (!e->pub->glob) {
		if (!found)
			return nip_err(err, NIP_E_USAGE, "publisher %s: not authorised on this track", id);
		return 0;
	}
	add = tuf_publishers_json(e->pub, 1);
	if (!add || json_array_extend(pubs, add) < 0) {
		json_decref(add);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	json_decref(add);
	return 0;
}

int nip_track_authorize(int dirfd, const struct nip_seckey *root_key,
			const struct nip_track_publisher *pub, struct nip_error *err)
{
	struct nip_track_publisher p = *pub;
	struct publisher_edit e = {&p};
	if (!p.glob)
		p.glob = "*";
	return next_root(dirfd, &root_key, 1, edit_publishers, &e, err);
}

int nip_track_revoke(int dirfd, const struct nip_seckey *root_key, const struct nip_pubkey *pub,
		     struct nip_error *err)
{
	struct nip_track_publisher p = {*pub, NULL};
	struct publisher_edit e = {&p};
	return next_root(dirfd, &root_key, 1, edit_publishers, &e, err);
}
