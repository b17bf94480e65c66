/* Target lookup and download: the delegation walk over the roles the
 * client loads (verified) on demand, and a download checked against the
 * signed length and every hash before it gets its name. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void nip_tuf_target_clear(struct nip_tuf_target *t)
{
	free(t->path);
	json_decref(t->hashes_);
	memset(t, 0, sizeof *t);
}

static int make_target(const char *path, const json_t *e, struct nip_tuf_target *out,
		       struct nip_error *err)
{
	const json_t *s256 = json_object_get(json_object_get(e, "hashes"), "sha256");
	memset(out, 0, sizeof *out);
	if (!(out->path = strdup(path)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	out->length = (uint64_t)json_integer_value(json_object_get(e, "length"));
	out->hashes_ = json_incref(json_object_get(e, "hashes"));
	if (json_is_string(s256) && nip_unhex(json_string_value(s256), out->sha256, NIP_SHA256_LEN) == 0)
		out->have_sha256 = 1;
	return 0;
}

struct walk {
	char **name, **parent;
	size_t n, cap;
};

static int walk_push(struct walk *w, const char *name, const char *parent)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		char **a = realloc(w->name, cap * sizeof *a), **b;
		if (!a)
			return -1;
		w->name = a;
		if (!(b = realloc(w->parent, cap * sizeof *b)))
			return -1;
		w->parent = b;
		w->cap = cap;
	}
	w->name[w->n] = strdup(name);
	w->parent[w->n] = strdup(parent);
	if (!w->name[w->n] || !w->parent[w->n]) {
		free(w->name[w->n]);
		free(w->parent[w->n]);
		return -1;
	}
	w->n++;
	return 0;
}

static void walk_clear(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->name[i]);
		free(w->parent[i]);
	}
	w->n = 0;
}

int nip_tuf_find_target(struct nip_tuf_client *c, const char *path, struct nip_tuf_target *out,
			struct nip_error *err)
{
	struct walk todo = {0}, seen = {0};
	char path_hash[NIP_SHA256_HEX];
	int rc = -1, hashed = 0;

	if (!c->snapshot)
		return nip_err(err, NIP_E_INTERNAL, "%s: find target before refresh", c->label);
	if (walk_push(&todo, "targets", "root") < 0)
		goto nomem;
	/* Preorder depth first: a role is searched before its children, and
	 * children in the order their parent lists them. */
	while (todo.n && seen.n <= NIP_TUF_MAX_DELEGATIONS) {
		char *name = todo.name[todo.n - 1], *parent = todo.parent[todo.n - 1];
		struct tuf_md *md;
		const json_t *e;
		size_t before;
		int dup = 0;
		todo.n--;
		for (size_t i = 0; i < seen.n && !dup; i++)
			dup = strcmp(seen.name[i], name) == 0;
		if (dup) {
			free(name);
			free(parent);
			continue;
		}
		rc = tuf_load_targets(c, name, parent, &md, err);
		if (rc == 0 && walk_push(&seen, name, parent) < 0)
			rc = nip_err(err, NIP_E_NOMEM, "out of memory");
		free(name);
		free(parent);
		if (rc < 0)
			goto out;
		rc = -1;
		if ((e = json_object_get(md->targets, path))) {
			rc = make_target(path, e, out, err);
			goto out;
		}
		if (!md->dele)
			continue;
		before = todo.n;
		if (md->dele->succinct) {
			char bin[NIP_NAME_MAX + 1];
			if (tuf_succinct_bin(md->dele, path, bin, sizeof bin) == 0 &&
			    walk_push(&todo, bin, seen.name[seen.n - 1]) < 0)
				goto nomem;
			continue;
		}
		if (!hashed) {
			tuf_path_hash(path, path_hash);
			hashed = 1;
		}
		for (size_t i = 0; i < md->dele->nroles; i++) {
			const struct tuf_role *r = &md->dele->roles[i];
			if (!tuf_role_covers(r, path, path_hash))
				continue;
			if (walk_push(&todo, r->name, seen.name[seen.n - 1]) < 0)
				goto nomem;
			if (r->terminating) {
				/* What was waiting from higher up is dropped: after this
				 * role's siblings listed before it, only this role may
				 * answer for the path. */
				size_t keep = todo.n - before;
				for (size_t k = 0; k < before; k++) {
					free(todo.name[k]);
					free(todo.parent[k]);
				}
				memmove(todo.name, todo.name + before, keep * sizeof *todo.name);
				memmove(todo.parent, todo.parent + before, keep * sizeof *todo.parent);
				todo.n = keep;
				before = 0;
				break;
			}
		}
		/* Push in reverse so the first listed is searched first. */
		for (size_t i = before, j = todo.n ? todo.n - 1 : 0; i < j; i++, j--) {
			char *t = todo.name[i];
			todo.name[i] = todo.name[j], todo.name[j] = t;
			t = todo.parent[i];
			todo.parent[i] = todo.parent[j], todo.parent[j] = t;
		}
	}
	nip_err(err, NIP_E_TRUST, "%s: target %.200s: no role delegated to sign it lists it",
		c->label, path);
	rc = NIP_TUF_NOTFOUND;
	goto out;
nomem:
	rc = nip_err(err, NIP_E_NOMEM, "out of memory");
out:
	walk_clear(&todo);
	walk_clear(&seen);
	free(todo.name);
	free(todo.parent);
	free(seen.name);
	free(seen.parent);
	return rc;
}

struct dl {
	int fd;
	struct tuf_hasher *h;
	uint64_t got;
	const char *what;
};

static int dl_sink(void *ctx, const void *p, size_t n, struct nip_error *err)
{
	struct dl *d = ctx;
	tuf_hasher_update(d->h, p, n);
	d->got += n;
	return nip_write_full(d->fd, p, n, d->what, err);
}

/* Is dirfd/name already exactly this target? */
static int have_target(int dirfd, const char *name, const struct nip_tuf_target *t)
{
	struct nip_error e;
	struct dl d = {.what = name, .fd = -1};
	char buf[65536];
	ssize_t r;
	int fd = nip_open_beneath(dirfd, name, O_RDONLY, 0, &e), ok = 0;
	if (fd < 0)
		return 0;
	if (!(d.h = tuf_hasher_new(t->hashes_, name, &e)))
		goto out;
	while ((r = nip_read_some(fd, buf, sizeof buf, name, &e)) > 0) {
		d.got += (uint64_t)r;
		if (d.got > t->length)
			goto out;
		tuf_hasher_update(d.h, buf, (size_t)r);
	}
	ok = r == 0 && d.got == t->length && tuf_hasher_check(d.h, name, &e) == 0;
out:
	tuf_hasher_free(d.h);
	close(fd);
	return ok;
}

int tuf_target_name(const struct nip_tuf_client *c, const struct nip_tuf_target *t, char *out,
		    size_t outsz, struct nip_error *err)
{
	const char *slash = strrchr(t->path, '/');
	int n;

	if (c->root->consistent_snapshot) {
		/* HASH.basename, with the first hash the metadata lists. */
		const char *alg;
		const json_t *v, *first = NULL;
		json_object_foreach((json_t *)t->hashes_, alg, v) if (!first) first = v;
		(void)alg;
		if (slash)
			n = snprintf(out, outsz, "%s/%.*s/%s.%s", c->turl, (int)(slash - t->path), t->path,
				     json_string_value(first), slash + 1);
		else
			n = snprintf(out, outsz, "%s/%s.%s", c->turl, json_string_value(first), t->path);
	} else {
		n = snprintf(out, outsz, "%s/%s", c->turl, t->path);
	}
	if (n < 0 || (size_t)n >= outsz)
		return nip_err(err, NIP_E_LIMIT, "%s: target %.100s: its URL is too long", c->label,
			       t->path);
	return 0;
}

int nip_tuf_download(struct nip_tuf_client *c, const struct nip_tuf_target *t, int dirfd,
		     const char *name, struct nip_error *err)
{
	char url[NIP_URL_MAX + 1024];
	struct dl d = {.fd = -1, .what = t->path};
	int rc = -1;

	if (have_target(dirfd, name, t))
		return 0;
	if (!c->turl)
		return nip_err(err, NIP_E_USAGE, "%s: no targets URL", c->label);
	if (t->length > NIP_TUF_TARGET_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: target %.200s: length %llu is over the cap", c->label,
			       t->path, (unsigned long long)t->length);
	if (tuf_target_name(c, t, url, sizeof url, err) < 0)
		return -1;
	if (!(d.h = tuf_hasher_new(t->hashes_, t->path, err)))
		goto out;
	if ((d.fd = nip_tmpfile(dirfd, 0644, err)) < 0)
		goto out;
	if (fchmod(d.fd, 0644) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: chmod", name);
		goto out;
	}
	rc = c->o.fetcher.ops->get(c->o.fetcher.self, url, t->length, dl_sink, &d, err);
	if (rc == NIP_FETCH_NOTFOUND)
		rc = nip_err(err, NIP_E_NETWORK, "%s: target %.200s: not found on the server", c->label,
			     t->path);
	if (rc < 0)
		goto out;
	rc = -1;
	if (d.got != t->length) {
		nip_err(err, NIP_E_TRUST, "%s: target %.200s: %llu bytes, the signed metadata says %llu",
			c->label, t->path, (unsigned long long)d.got, (unsigned long long)t->length);
		goto out;
	}
	if (tuf_hasher_check(d.h, t->path, err) < 0)
		goto out;
	rc = nip_tmpfile_link(d.fd, dirfd, name, 0, err);
out:
	if (rc < 0 && err && !strstr(err->msg, c->label))
		nip_err_prefix(err, "%s: ", c->label);
	tuf_hasher_free(d.h);
	if (d.fd >= 0)
		close(d.fd);
	return rc;
}
