/* The TUF client workflow (specification 1.0, section 5, as python-tuf
 * reads it): trusted root, root chain, timestamp, snapshot, targets, and
 * delegated targets on demand. Metadata is persisted only once it verified,
 * each file replaced atomically; a local copy that no longer verifies (its
 * keys rotated) is ignored, which is what lets a client recover from a
 * fast-forward attack. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

time_t tuf_now(const struct nip_tuf_client *c)
{
	return c->o.now ? c->o.now : time(NULL);
}

/* nip_read_file starts its buffer afresh: a buffer read into is emptied
 * this way before it is used again. */
static void buf_reset(struct nip_buf *b, size_t max, const char *what)
{
	nip_buf_free(b);
	nip_buf_init(b, max, what);
}

static int buf_sink(void *ctx, const void *p, size_t n, struct nip_error *err)
{
	return nip_buf_append(ctx, p, n, err);
}

/* Local file of a role: its URL-quoted name, so no role name can leave the
 * directory. 0 read, 1 absent, -1 error. */
static int role_file(const char *role, struct nip_buf *out, struct nip_error *err)
{
	if (tuf_quote(role, out, err) < 0 || nip_buf_printf(out, err, ".json") < 0)
		return -1;
	return nip_buf_cstr(out, err);
}

static int read_local(struct nip_tuf_client *c, const char *role, size_t max, struct nip_buf *out,
		      struct nip_error *err)
{
	struct nip_buf name;
	int rc;
	nip_buf_init(&name, NIP_NAME_MAX * 3 + 8, "role name");
	if (role_file(role, &name, err) < 0) {
		nip_buf_free(&name);
		return -1;
	}
	rc = nip_read_file(c->o.metadata_dirfd, (char *)name.data, max, 1, out, err);
	if (rc == 0)
		out->what = "trusted metadata"; /* name.data goes below */
	if (rc < 0 && err && (err->errnum == ENOENT))
		rc = 1;
	nip_buf_free(&name);
	return rc;
}

static int persist(struct nip_tuf_client *c, const char *role, const struct nip_buf *data,
		   struct nip_error *err)
{
	struct nip_buf name;
	int rc;
	nip_buf_init(&name, NIP_NAME_MAX * 3 + 8, "role name");
	rc = role_file(role, &name, err);
	if (rc == 0)
		rc = nip_write_atomic(c->o.metadata_dirfd, (char *)name.data, data->data, data->len,
				      0644, 0, err);
	if (rc == 0)
		c->changed = 1;
	nip_buf_free(&name);
	return rc < 0 ? nip_err_prefix(err, "%s: saving %s.json: ", c->label, role) : 0;
}

/* GET base/[VERSION.]FILE with at most max bytes. */
static int fetch_md(struct nip_tuf_client *c, const char *file, int64_t version, uint64_t max,
		    struct nip_buf *out, struct nip_error *err)
{
	char url[NIP_URL_MAX + 512];
	int rc, n;
	if (version > 0)
		n = snprintf(url, sizeof url, "%s/%lld.%s", c->murl, (long long)version, file);
	else
		n = snprintf(url, sizeof url, "%s/%s", c->murl, file);
	if (n < 0 || (size_t)n >= sizeof url)
		return nip_err(err, NIP_E_LIMIT, "%s: the URL of %.100s is too long", c->label, file);
	rc = c->o.fetcher.ops->get(c->o.fetcher.self, url, max, buf_sink, out, err);
	if (rc < 0)
		nip_err_prefix(err, "%s: ", c->label);
	return rc;
}

static void loaded_free(struct nip_tuf_client *c)
{
	for (size_t i = 0; i < c->nroles; i++) {
		free(c->roles[i].role);
		free(c->roles[i].delegator);
		tuf_md_free(c->roles[i].md);
	}
	free(c->roles);
	c->roles = NULL;
	c->nroles = 0;
}

void nip_tuf_client_free(struct nip_tuf_client *c)
{
	if (!c)
		return;
	tuf_md_free(c->root);
	tuf_md_free(c->timestamp);
	tuf_md_free(c->snapshot);
	loaded_free(c);
	free(c->murl);
	free(c->turl);
	free(c->label);
	free(c);
}

static char *strip_slash(const char *s)
{
	char *d = s ? strdup(s) : NULL;
	size_t n = d ? strlen(d) : 0;
	while (n && d[n - 1] == '/')
		d[--n] = 0;
	return d;
}

/* A root verifies with its own root role (on load, and as the second
 * signature check of a rotation). */
static int self_signed(const struct tuf_md *r, const char *what, struct nip_error *err)
{
	return tuf_verify_role(r, &r->ring, &r->roles[TUF_ROOT], what, err);
}

int nip_tuf_init(int dirfd, const void *root_json, size_t len, struct nip_error *err)
{
	struct tuf_md *r = NULL;
	int rc;
	if (len > NIP_TUF_ROOT_MAX)
		return nip_err(err, NIP_E_LIMIT, "root.json: larger than %u bytes", NIP_TUF_ROOT_MAX);
	if (tuf_md_parse(root_json, len, TUF_ROOT, "root.json", &r, err) < 0)
		return -1;
	rc = self_signed(r, "root.json", err);
	tuf_md_free(r);
	if (rc < 0)
		return -1;
	return nip_write_atomic(dirfd, "root.json", root_json, len, 0644, 0, err);
}

struct nip_tuf_client *nip_tuf_client_new(const struct nip_tuf_opts *o, struct nip_error *err)
{
	struct nip_tuf_client *c = calloc(1, sizeof *c);
	if (!c) {
		nip_err(err, NIP_E_NOMEM, "TUF client: out of memory");
		return NULL;
	}
	c->o = *o;
	c->murl = strip_slash(o->metadata_url);
	c->turl = strip_slash(o->targets_url);
	c->label = strdup(o->label ? o->label : "repository");
	if (!c->murl || !c->label || (o->targets_url && !c->turl)) {
		nip_tuf_client_free(c);
		nip_err(err, NIP_E_NOMEM, "TUF client: out of memory");
		return NULL;
	}
	return c;
}

int nip_tuf_changed(const struct nip_tuf_client *c)
{
	return c->changed;
}

static int load_trusted_root(struct nip_tuf_client *c, struct nip_error *err)
{
	struct nip_buf b;
	int rc;
	nip_buf_init(&b, NIP_TUF_ROOT_MAX, "root.json");
	rc = read_local(c, "root", NIP_TUF_ROOT_MAX, &b, err);
	if (rc == 1)
		rc = nip_err(err, NIP_E_TRUST, "%s: no trusted root.json", c->label);
	if (rc == 0)
		rc = tuf_md_parse(b.data, b.len, TUF_ROOT, "trusted root.json", &c->root, err);
	if (rc == 0)
		rc = self_signed(c->root, "trusted root.json", err);
	if (rc < 0)
		nip_err_prefix(err, "%s: ", c->label);
	nip_buf_free(&b);
	return rc;
}

static int same_keys(const struct tuf_role *a, const struct tuf_role *b)
{
	if (a->nkeyids != b->nkeyids || a->threshold != b->threshold)
		return 0;
	for (size_t i = 0; i < a->nkeyids; i++)
		if (strcmp(a->keyids[i], b->keyids[i]) != 0)
			return 0;
	return 1;
}

static int update_root(struct nip_tuf_client *c, struct nip_error *err)
{
	int64_t first = c->root->version + 1;
	int rotated_online = 0;
	for (int64_t v = first; v < first + NIP_TUF_MAX_ROOT_ROTATIONS; v++) {
		struct nip_buf b;
		struct tuf_md *n = NULL;
		char what[64];
		int rc;
		snprintf(what, sizeof what, "%lld.root.json", (long long)v);
		nip_buf_init(&b, NIP_TUF_ROOT_MAX, what);
		rc = fetch_md(c, "root.json", v, NIP_TUF_ROOT_MAX, &b, err);
		if (rc == NIP_FETCH_NOTFOUND) {
			nip_buf_free(&b);
			break;
		}
		if (rc == 0)
			rc = tuf_md_parse(b.data, b.len, TUF_ROOT, what, &n, err);
		/* Signed by the root we trust, then by itself: a rotation needs
		 * both the old and the new keys. */
		if (rc == 0)
			rc = tuf_verify_role(n, &c->root->ring, &c->root->roles[TUF_ROOT], what, err);
		if (rc == 0 && n->version != v)
			rc = nip_err(err, NIP_E_TRUST, "%s: field version: %lld, expected %lld", what,
				     (long long)n->version, (long long)v);
		if (rc == 0)
			rc = self_signed(n, what, err);
		if (rc == 0 && (!same_keys(&n->roles[TUF_TIMESTAMP], &c->root->roles[TUF_TIMESTAMP]) ||
				!same_keys(&n->roles[TUF_SNAPSHOT], &c->root->roles[TUF_SNAPSHOT])))
			rotated_online = 1;
		if (rc == 0)
			rc = persist(c, "root", &b, err);
		nip_buf_free(&b);
		if (rc < 0) {
			tuf_md_free(n);
			return err && !strstr(err->msg, c->label) ? nip_err_prefix(err, "%s: ", c->label)
								   : -1;
		}
		tuf_md_free(c->root);
		c->root = n;
	}
	if (rotated_online) {
		/* §5.3.11: timestamp or snapshot keys rotated: their old files
		 * can no longer protect against rollback and must not block the
		 * new ones (fast-forward recovery). */
		unlinkat(c->o.metadata_dirfd, "timestamp.json", 0);
		unlinkat(c->o.metadata_dirfd, "snapshot.json", 0);
	}
	return 0;
}

static int64_t snapshot_version_of(const struct tuf_md *ts)
{
	const json_t *m = json_object_get(ts->meta, "snapshot.json");
	return json_integer_value(json_object_get(m, "version"));
}

/* Accepts a timestamp into the trusted set (rollback rules); 1 when it
 * equals the trusted version (then it is dropped). */
static int accept_timestamp(struct nip_tuf_client *c, const void *p, size_t n, const char *what,
			    struct nip_error *err)
{
	struct tuf_md *ts = NULL;
	if (tuf_md_parse(p, n, TUF_TIMESTAMP, what, &ts, err) < 0 ||
	    tuf_verify_role(ts, &c->root->ring, &c->root->roles[TUF_TIMESTAMP], what, err) < 0)
		goto fail;
	if (c->timestamp) {
		if (ts->version < c->timestamp->version) {
			nip_err(err, NIP_E_TRUST, "%s: field version: %lld is older than the trusted %lld (rollback)",
				what, (long long)ts->version, (long long)c->timestamp->version);
			goto fail;
		}
		if (ts->version == c->timestamp->version) {
			tuf_md_free(ts);
			return 1;
		}
		if (snapshot_version_of(ts) < snapshot_version_of(c->timestamp)) {
			nip_err(err, NIP_E_TRUST,
				"%s: field meta.snapshot.json.version: %lld is older than the trusted %lld (rollback)",
				what, (long long)snapshot_version_of(ts),
				(long long)snapshot_version_of(c->timestamp));
			goto fail;
		}
	}
	tuf_md_free(c->timestamp);
	c->timestamp = ts;
	return 0;
fail:
	tuf_md_free(ts);
	return -1;
}

static int expired_err(struct nip_tuf_client *c, const struct tuf_md *md, const char *what,
		       struct nip_error *err)
{
	char t[21];
	tuf_time_format(md->expires, t);
	return nip_err(err, NIP_E_TRUST, "%s: %s: field expires: expired at %s (freeze attack?)",
		       c->label, what, t);
}

static int update_timestamp(struct nip_tuf_client *c, struct nip_error *err)
{
	struct nip_buf b;
	struct nip_error ignored;
	int rc;

	nip_buf_init(&b, NIP_TUF_TIMESTAMP_MAX, "timestamp.json");
	/* The local copy, expired or not, is the floor for rollback checks;
	 * one that no longer verifies (keys rotated) is ignored. */
	if (read_local(c, "timestamp", NIP_TUF_TIMESTAMP_MAX, &b, &ignored) == 0)
		accept_timestamp(c, b.data, b.len, "trusted timestamp.json", &ignored);
	buf_reset(&b, NIP_TUF_TIMESTAMP_MAX, "timestamp.json");
	rc = fetch_md(c, "timestamp.json", 0, NIP_TUF_TIMESTAMP_MAX, &b, err);
	if (rc == NIP_FETCH_NOTFOUND)
		rc = nip_err(err, NIP_E_NETWORK, "%s: timestamp.json: not found on the server", c->label);
	if (rc < 0)
		goto out;
	if (tuf_expired(c->root, tuf_now(c))) {
		rc = expired_err(c, c->root, "root.json", err);
		goto out;
	}
	rc = accept_timestamp(c, b.data, b.len, "timestamp.json", err);
	if (rc < 0) {
		nip_err_prefix(err, "%s: ", c->label);
		goto out;
	}
	if (rc == 1) {
		rc = 0;
		goto out;
	}
	if (tuf_expired(c->timestamp, tuf_now(c))) {
		rc = expired_err(c, c->timestamp, "timestamp.json", err);
		goto out;
	}
	rc = persist(c, "timestamp", &b, err);
out:
	nip_buf_free(&b);
	return rc;
}

static int check_final_timestamp(struct nip_tuf_client *c, struct nip_error *err)
{
	if (tuf_expired(c->timestamp, tuf_now(c)))
		return expired_err(c, c->timestamp, "timestamp.json", err);
	return 0;
}

static int check_final_snapshot(struct nip_tuf_client *c, struct nip_error *err)
{
	if (tuf_expired(c->snapshot, tuf_now(c)))
		return expired_err(c, c->snapshot, "snapshot.json", err);
	if (c->snapshot->version != snapshot_version_of(c->timestamp))
		return nip_err(err, NIP_E_TRUST,
			       "%s: snapshot.json: field version: %lld, timestamp.json names %lld", c->label,
			       (long long)c->snapshot->version, (long long)snapshot_version_of(c->timestamp));
	return 0;
}

static int accept_snapshot(struct nip_tuf_client *c, const struct nip_buf *b, int trusted,
			   const char *what, struct nip_error *err)
{
	struct tuf_md *s = NULL;
	struct tuf_fileinfo fi;
	const char *name;
	const json_t *old;

	if (check_final_timestamp(c, err) < 0)
		return -1;
	if (!trusted &&
	    (tuf_fileinfo(json_object_get(c->timestamp->meta, "snapshot.json"), 0, &fi, what, err) < 0 ||
	     tuf_check_hashes(&fi, b->data, b->len, what, err) < 0))
		goto fail;
	if (tuf_md_parse(b->data, b->len, TUF_SNAPSHOT, what, &s, err) < 0 ||
	    tuf_verify_role(s, &c->root->ring, &c->root->roles[TUF_SNAPSHOT], what, err) < 0)
		goto fail;
	if (c->snapshot)
		json_object_foreach((json_t *)c->snapshot->meta, name, old) {
			const json_t *nw = json_object_get(s->meta, name);
			int64_t ov = json_integer_value(json_object_get(old, "version"));
			if (!nw) {
				nip_err(err, NIP_E_TRUST, "%s: field meta: %.200s is missing (it was listed before)",
					what, name);
				goto fail;
			}
			if (json_integer_value(json_object_get(nw, "version")) < ov) {
				nip_err(err, NIP_E_TRUST, "%s: field meta[%.200s].version: older than the trusted %lld (rollback)",
					what, name, (long long)ov);
				goto fail;
			}
		}
	tuf_md_free(c->snapshot);
	c->snapshot = s;
	return check_final_snapshot(c, err);
fail:
	tuf_md_free(s);
	return nip_err_prefix(err, "%s: ", c->label);
}

static int update_snapshot(struct nip_tuf_client *c, struct nip_error *err)
{
	struct nip_buf b;
	struct nip_error ignored;
	struct tuf_fileinfo fi;
	int rc;

	nip_buf_init(&b, NIP_TUF_SNAPSHOT_MAX, "snapshot.json");
	if (read_local(c, "snapshot", NIP_TUF_SNAPSHOT_MAX, &b, &ignored) == 0 &&
	    accept_snapshot(c, &b, 1, "trusted snapshot.json", &ignored) == 0) {
		nip_buf_free(&b);
		return 0;
	}
	buf_reset(&b, NIP_TUF_SNAPSHOT_MAX, "snapshot.json");
	if (tuf_fileinfo(json_object_get(c->timestamp->meta, "snapshot.json"), 0, &fi,
			 "timestamp.json: meta[snapshot.json]", err) < 0) {
		rc = -1;
		goto out;
	}
	if (fi.length > 0)
		b.max = (size_t)fi.length;
	rc = fetch_md(c, "snapshot.json", c->root->consistent_snapshot ? fi.version : 0, b.max, &b,
		      err);
	if (rc == NIP_FETCH_NOTFOUND)
		rc = nip_err(err, NIP_E_NETWORK, "%s: snapshot.json: not found on the server", c->label);
	if (rc == 0)
		rc = accept_snapshot(c, &b, 0, "snapshot.json", err);
	if (rc == 0)
		rc = persist(c, "snapshot", &b, err);
out:
	nip_buf_free(&b);
	return rc;
}

static struct loaded *find_loaded(struct nip_tuf_client *c, const char *role, const char *delegator)
{
	for (size_t i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].role, role) == 0 && strcmp(c->roles[i].delegator, delegator) == 0)
			return &c->roles[i];
	return NULL;
}

/* The role entry and keys with which `delegator` delegates to `role`. */
static int delegation_of(struct nip_tuf_client *c, const char *role, const char *delegator,
			 const struct tuf_keyring **ring, struct tuf_role *out, struct nip_error *err)
{
	struct loaded *d;
	if (strcmp(delegator, "root") == 0) {
		*ring = &c->root->ring;
		*out = c->root->roles[TUF_TARGETS];
		return 0;
	}
	/* The delegator's own metadata: the same file whichever path loaded it. */
	d = NULL;
	for (size_t i = 0; i < c->nroles && !d; i++)
		if (strcmp(c->roles[i].role, delegator) == 0)
			d = &c->roles[i];
	if (!d || !d->md->dele)
		return nip_err(err, NIP_E_INTERNAL, "%s: %s does not delegate", c->label, delegator);
	*ring = &d->md->dele->ring;
	if (d->md->dele->succinct) {
		*out = d->md->dele->succ;
		out->name = role;
		return 0;
	}
	for (size_t i = 0; i < d->md->dele->nroles; i++)
		if (strcmp(d->md->dele->roles[i].name, role) == 0) {
			*out = d->md->dele->roles[i];
			return 0;
		}
	return nip_err(err, NIP_E_TRUST, "%s: %.200s does not delegate to %.200s", c->label, delegator,
		       role);
}

static int accept_targets(struct nip_tuf_client *c, const struct nip_buf *b, const char *role,
			  const char *delegator, const char *what, struct tuf_md **out,
			  struct nip_error *err)
{
	char key[NIP_NAME_MAX * 3 + 8];
	const json_t *m;
	struct tuf_fileinfo fi;
	struct tuf_md *t = NULL;
	const struct tuf_keyring *ring = NULL;
	struct tuf_role r;

	if (check_final_snapshot(c, err) < 0)
		return -1;
	snprintf(key, sizeof key, "%s.json", role);
	m = json_object_get(c->snapshot->meta, key);
	if (!m)
		return nip_err(err, NIP_E_TRUST, "%s: snapshot.json: field meta: %.200s is not listed",
			       c->label, key);
	if (tuf_fileinfo(m, 0, &fi, what, err) < 0 || tuf_check_hashes(&fi, b->data, b->len, what, err) < 0 ||
	    tuf_md_parse(b->data, b->len, TUF_TARGETS, what, &t, err) < 0 ||
	    delegation_of(c, role, delegator, &ring, &r, err) < 0 ||
	    tuf_verify_role(t, ring, &r, what, err) < 0)
		goto fail;
	if (t->version != fi.version) {
		nip_err(err, NIP_E_TRUST, "%s: field version: %lld, snapshot.json names %lld", what,
			(long long)t->version, (long long)fi.version);
		goto fail;
	}
	if (tuf_expired(t, tuf_now(c))) {
		tuf_md_free(t);
		return expired_err(c, t, what, err);
	}
	*out = t;
	return 0;
fail:
	tuf_md_free(t);
	return nip_err_prefix(err, "%s: ", c->label);
}

int tuf_load_targets(struct nip_tuf_client *c, const char *role, const char *delegator,
			struct tuf_md **out, struct nip_error *err)
{
	struct loaded *l = find_loaded(c, role, delegator), *grown;
	struct nip_buf b, qname;
	struct nip_error ignored;
	struct tuf_md *md = NULL;
	struct tuf_fileinfo fi;
	char what[NIP_NAME_MAX * 3 + 16], key[NIP_NAME_MAX * 3 + 8];
	int rc = -1;

	if (l) {
		*out = l->md;
		return 0;
	}
	nip_buf_init(&b, NIP_TUF_TARGETS_MAX, "targets");
	nip_buf_init(&qname, NIP_NAME_MAX * 3 + 8, "role name");
	snprintf(what, sizeof what, "%.200s.json", role);
	rc = read_local(c, role, NIP_TUF_TARGETS_MAX, &b, &ignored);
	if (rc == 0 && accept_targets(c, &b, role, delegator, what, &md, &ignored) == 0)
		goto keep;
	if (c->local_only) {
		/* Without the network the trusted copy is all there is. */
		if (rc == 1)
			nip_err(err, NIP_E_USAGE, "%s: %s is not in the trusted metadata (refresh first)",
				c->label, what);
		else if (err)
			*err = ignored;
		rc = -1;
		goto out;
	}
	rc = -1;
	buf_reset(&b, NIP_TUF_TARGETS_MAX, "targets");
	if (check_final_snapshot(c, err) < 0)
		goto out;
	snprintf(key, sizeof key, "%s.json", role);
	if (!json_object_get(c->snapshot->meta, key)) {
		nip_err(err, NIP_E_TRUST, "%s: snapshot.json: field meta: %.200s is not listed", c->label,
			key);
		goto out;
	}
	if (tuf_fileinfo(json_object_get(c->snapshot->meta, key), 0, &fi, what, err) < 0)
		goto out;
	if (fi.length > 0)
		b.max = (size_t)fi.length;
	if (tuf_quote(role, &qname, err) < 0 || nip_buf_printf(&qname, err, ".json") < 0)
		goto out;
	rc = fetch_md(c, (char *)qname.data, c->root->consistent_snapshot ? fi.version : 0, b.max, &b,
		      err);
	if (rc == NIP_FETCH_NOTFOUND)
		rc = nip_err(err, NIP_E_NETWORK, "%s: %s: not found on the server", c->label, what);
	if (rc < 0)
		goto out;
	rc = -1;
	if (accept_targets(c, &b, role, delegator, what, &md, err) < 0 ||
	    persist(c, role, &b, err) < 0)
		goto out;
keep:
	grown = realloc(c->roles, (c->nroles + 1) * sizeof *c->roles);
	if (!grown) {
		nip_err(err, NIP_E_NOMEM, "%s: out of memory", c->label);
		goto out;
	}
	c->roles = grown;
	l = &c->roles[c->nroles];
	l->role = strdup(role);
	l->delegator = strdup(strcmp(role, "targets") == 0 ? "root" : delegator);
	l->md = md;
	if (!l->role || !l->delegator) {
		free(l->role);
		free(l->delegator);
		nip_err(err, NIP_E_NOMEM, "%s: out of memory", c->label);
		goto out;
	}
	c->nroles++;
	md = NULL;
	*out = l->md;
	rc = 0;
out:
	tuf_md_free(md);
	nip_buf_free(&b);
	nip_buf_free(&qname);
	return rc;
}

/* Each workflow starts from the files alone: nothing earlier is trusted. */
static void reset(struct nip_tuf_client *c, int local_only)
{
	c->changed = 0;
	c->local_only = local_only;
	tuf_md_free(c->root);
	tuf_md_free(c->timestamp);
	tuf_md_free(c->snapshot);
	c->root = c->timestamp = c->snapshot = NULL;
	loaded_free(c);
}

int nip_tuf_refresh(struct nip_tuf_client *c, struct nip_error *err)
{
	struct tuf_md *t;
	reset(c, 0);
	if (load_trusted_root(c, err) < 0 || update_root(c, err) < 0 ||
	    update_timestamp(c, err) < 0 || update_snapshot(c, err) < 0)
		return -1;
	return tuf_load_targets(c, "targets", "root", &t, err);
}

int nip_tuf_load_trusted(struct nip_tuf_client *c, struct nip_error *err)
{
	struct nip_buf b;
	struct tuf_md *t;
	int rc;

	reset(c, 1);
	if (load_trusted_root(c, err) < 0)
		return -1;
	if (tuf_expired(c->root, tuf_now(c)))
		return expired_err(c, c->root, "root.json", err);
	nip_buf_init(&b, NIP_TUF_SNAPSHOT_MAX, "trusted metadata");
	rc = read_local(c, "timestamp", NIP_TUF_TIMESTAMP_MAX, &b, err);
	if (rc == 0)
		rc = accept_timestamp(c, b.data, b.len, "trusted timestamp.json", err) < 0 ? -1 : 0;
	if (rc == 0 && tuf_expired(c->timestamp, tuf_now(c)))
		rc = expired_err(c, c->timestamp, "timestamp.json", err);
	buf_reset(&b, NIP_TUF_SNAPSHOT_MAX, "trusted metadata");
	if (rc == 0)
		rc = read_local(c, "snapshot", NIP_TUF_SNAPSHOT_MAX, &b, err);
	if (rc == 0)
		rc = accept_snapshot(c, &b, 1, "trusted snapshot.json", err);
	nip_buf_free(&b);
	if (rc == 1)
		return nip_err(err, NIP_E_USAGE, "%s: no trusted timestamp or snapshot (refresh first)",
			       c->label);
	if (rc < 0)
		return err && !strstr(err->msg, c->label) ? nip_err_prefix(err, "%s: ", c->label) : -1;
	return tuf_load_targets(c, "targets", "root", &t, err);
}

int nip_tuf_load_delegated(struct nip_tuf_client *c, struct nip_error *err)
{
	struct tuf_md *top, *md;
	if (tuf_load_targets(c, "targets", "root", &top, err) < 0)
		return -1;
	if (!top->dele || top->dele->succinct)
		return 0;
	for (size_t i = 0; i < top->dele->nroles; i++)
		if (tuf_load_targets(c, top->dele->roles[i].name, "targets", &md, err) < 0)
			return -1;
	return 0;
}
