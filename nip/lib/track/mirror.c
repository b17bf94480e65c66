/* A verified mirror of a nip track (trackd --mirror). The upstream is a
 * track pinned in a private nip root (statefd: tracks/upstream), refreshed
 * with the full client; the mirror's served directory only ever receives
 * the upstream's own bytes after they verified: packages and index parts
 * (checked against their signed hashes) first, then targets and bins,
 * snapshot, the root chain, and timestamp.json last, so a client of the
 * mirror sees its old state or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "track_index.h"

#define UPSTREAM "upstream"
#define META "tracks/" UPSTREAM "/current/metadata"

/* ---- capturing the root chain --------------------------------------- */

/* The client keeps only the newest root, but a mirror's clients walk the
 * chain from their own version: every N.root.json the refresh fetched (and
 * so verified, or the refresh fails) is kept in statefd/roots/. */
struct tee {
	struct nip_fetcher inner;
	int rootsfd;
	struct nip_buf cur;
	int64_t version;
};

struct tee_sink {
	struct tee *t;
	nip_fetch_sink sink;
	void *ctx;
};

static int tee_data(void *ctx, const void *p, size_t n, struct nip_error *err)
{
	struct tee_sink *s = ctx;
	if (s->t->version && nip_buf_append(&s->t->cur, p, n, err) < 0)
		return -1;
	return s->sink(s->ctx, p, n, err);
}

static int tee_get(void *self, const char *url, uint64_t max, nip_fetch_sink sink, void *ctx,
		   struct nip_error *err)
{
	struct tee *t = self;
	struct tee_sink s = {t, sink, ctx};
	const char *base = strrchr(url, '/');
	char *end = NULL;
	long long v = base ? strtoll(base + 1, &end, 10) : 0;
	int rc;

	t->version = end && v > 1 && strcmp(end, ".root.json") == 0 ? v : 0;
	nip_buf_free(&t->cur);
	nip_buf_init(&t->cur, NIP_TUF_ROOT_MAX, "root");
	rc = t->inner.ops->get(t->inner.self, url, max, tee_data, &s, err);
	if (rc == 0 && t->version) {
		char name[64];
		snprintf(name, sizeof name, "%lld.root.json", (long long)t->version);
		/* Not yet known good: roots/ only feeds a placement after the
		 * whole refresh verified, and then only up to its root. */
		if (nip_write_atomic(t->rootsfd, name, t->cur.data, t->cur.len, 0644, 0, err) < 0)
			rc = -1;
	}
	t->version = 0;
	return rc;
}

static void tee_free(void *self)
{
	(void)self;
}

static const struct nip_fetch_ops tee_ops = {tee_get, tee_free};

/* ---- small helpers ---------------------------------------------------- */

static int buf_sink(void *ctx, const void *p, size_t n, struct nip_error *err)
{
	return nip_buf_append(ctx, p, n, err);
}

static int open_dir(int at, const char *name, struct nip_error *err)
{
	int fd;
	if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	return fd;
}

static int same_file(int afd, const char *a, int bfd, const char *b, size_t max)
{
	struct nip_buf x, y;
	struct nip_error e;
	int same;
	nip_buf_init(&x, max, a);
	nip_buf_init(&y, max, b);
	same = nip_read_file(afd, a, max, 1, &x, &e) == 0 && nip_read_file(bfd, b, max, 1, &y, &e) == 0 &&
	       x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	nip_buf_free(&x);
	nip_buf_free(&y);
	return same;
}

/* Copies a trusted metadata file into the mirror under `to`, unless a
 * file of that name is there already (versioned names never change). */
static int place(int from, const char *name, int mfd, const char *to, int replace, size_t max,
		 struct nip_error *err)
{
	struct nip_buf b;
	struct stat st;
	int rc;
	if (!replace && fstatat(mfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	nip_buf_init(&b, max, name);
	rc = nip_read_file(from, name, max, 1, &b, err);
	if (rc == 0)
		rc = nip_write_atomic(mfd, to, b.data, b.len, 0644, 0, err);
	nip_buf_free(&b);
	return rc < 0 ? nip_err_prefix(err, "mirror: metadata/%s: ", to) : 0;
}

static int64_t file_version(int fd, const char *name, enum tuf_type type, size_t max,
			    struct nip_error *err)
{
	struct tuf_md *md = NULL;
	int64_t v;
	if (tuf_md_load(fd, name, type, max, &md, err) < 0)
		return -1;
	v = md->version;
	tuf_md_free(md);
	return v;
}

/* ---- the targets: index parts and packages ------------------------ */

struct want {
	char **paths; /* target paths as the metadata names them */
	size_t n, cap;
};

static int want_add(struct want *w, const char *p, struct nip_error *err)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		char **v = realloc(w->paths, cap * sizeof *v);
		if (!v)
			return nip_err(err, NIP_E_NOMEM, "out of memory");
		w->paths = v;
		w->cap = cap;
	}
	if (!(w->paths[w->n] = strdup(p)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	w->n++;
	return 0;
}

static void want_free(struct want *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->paths[i]);
	free(w->paths);
}

/* Every index part and every package the verified index names. */
static int collect(int statefd, struct want *w, struct nip_error *err)
{
	char **parts = NULL;
	size_t nparts = 0;
	int rc = -1;
	if (nip_track_index_paths(statefd, UPSTREAM, &parts, &nparts, err) < 0)
		return -1;
	for (size_t i = 0; i < nparts; i++) {
		struct nip_buf b;
		json_t *doc = NULL, *e;
		const char *bin = strrchr(parts[i], '/') + 1;
		char ppath[32], binname[8];
		size_t k;
		snprintf(binname, sizeof binname, "%.*s", (int)strcspn(bin, "."), bin);
		index_part_path(binname, ppath);
		nip_buf_init(&b, NIP_INDEX_PART_MAX, parts[i]);
		if (want_add(w, ppath, err) < 0 || nip_read_file(statefd, parts[i], b.max, 1, &b, err) < 0 ||
		    !(doc = tuf_json_load(b.data, b.len, parts[i], err))) {
			nip_buf_free(&b);
			goto out;
		}
		nip_buf_free(&b);
		json_array_foreach(json_object_get(doc, "packages"), k, e) {
			const char *p = json_string_value(json_object_get(e, "path"));
			if (p && want_add(w, p, err) < 0) {
				json_decref(doc);
				goto out;
			}
		}
		json_decref(doc);
	}
	rc = 0;
out:
	for (size_t i = 0; i < nparts; i++)
		free(parts[i]);
	free(parts);
	return rc;
}

/* Downloads what the mirror lacks into targets/index or targets/pkgs,
 * each checked against its signed length and SHA-256 before it is named,
 * then made durable: metadata will soon point at it. */
static int fetch_targets(const struct nip_track_mirror_opts *o, int statefd,
			 struct nip_track_mirror_result *res, struct nip_error *err)
{
	struct want w = {0};
	struct nip_track_target *t = NULL;
	struct nip_download *jobs = NULL;
	size_t nj[2] = {0, 0};
	int dirs[2] = {-1, -1}, rc = -1;
	const char *sub[2] = {"targets/index", "targets/pkgs"};

	if (collect(statefd, &w, err) < 0)
		goto out;
	if (!(t = calloc(w.n + 1, sizeof *t)) || !(jobs = calloc(2 * (w.n + 1), sizeof *jobs))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	if (nip_track_targets(statefd, UPSTREAM, (const char *const *)w.paths, w.n, t, err) < 0)
		goto out;
	for (int d = 0; d < 2; d++)
		if ((dirs[d] = openat(o->dirfd, sub[d], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "mirror: %s", sub[d]);
			goto out;
		}
	for (size_t i = 0; i < w.n; i++) {
		int d = strncmp(t[i].path, "targets/index/", 14) == 0 ? 0
			: strncmp(t[i].path, "targets/pkgs/", 13) == 0 ? 1 : -1;
		const char *base = strrchr(t[i].path, '/') + 1;
		struct nip_download *j;
		struct stat st;
		if (d < 0 || base[0] == '.' || strchr(base, '/')) {
			nip_err(err, NIP_E_TRUST, "mirror: %.200s: not a path a nip track uses", t[i].path);
			goto out;
		}
		if (fstatat(dirs[d], base, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* named by its hash: already verified here */
		j = &jobs[d * (w.n + 1) + nj[d]++];
		j->path = t[i].path;
		j->length = t[i].length;
		memcpy(j->sha256, t[i].sha256, NIP_SHA256_LEN);
		j->name = base;
	}
	for (int d = 0; d < 2; d++) {
		const char *bases[1] = {o->url};
		struct nip_download_opts dopt = {.bases = bases, .nbases = 1, .dirfd = dirs[d]};
		struct nip_download *v = &jobs[d * (w.n + 1)];
		if (!nj[d])
			continue;
		if (nip_download_all(v, nj[d], &dopt, err) < 0)
			goto out;
		for (size_t i = 0; i < nj[d]; i++) {
			int fd = openat(dirs[d], v[i].name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || fsync(fd) < 0) {
				nip_err_sys(err, NIP_E_IO, errno, "mirror: %s/%s", sub[d], v[i].name);
				if (fd >= 0)
					close(fd);
				goto out;
			}
			close(fd);
		}
		if (nip_fsync_dir(dirs[d], sub[d], err) < 0)
			goto out;
		res->fetched += nj[d];
	}
	rc = 0;
out:
	for (int d = 0; d < 2; d++)
		if (dirs[d] >= 0)
			close(dirs[d]);
	if (t)
		nip_track_targets_free(t, w.n);
	free(t);
	free(jobs);
	want_free(&w);
	return rc;
}

/* ---- the metadata, in the order a client may meet it ------------- */

static int place_metadata(int trusted, int rootsfd, int mfd, struct nip_error *err)
{
	struct tuf_md *ts = NULL, *snap = NULL;
	const char *key;
	const json_t *v;
	char name[NIP_NAME_MAX + 32];
	int64_t rootv, k;
	int rc = -1;

	if (tuf_md_load(trusted, "timestamp.json", TUF_TIMESTAMP, NIP_TUF_TIMESTAMP_MAX, &ts, err) < 0 ||
	    tuf_md_load(trusted, "snapshot.json", TUF_SNAPSHOT, NIP_TUF_SNAPSHOT_MAX, &snap, err) < 0)
		goto out;
	/* Targets and bins at the versions the snapshot names. */
	json_object_foreach((json_t *)snap->meta, key, v) {
		char local[NIP_NAME_MAX + 8];
		int64_t want = json_integer_value(json_object_get(v, "version")), have;
		size_t kl = strlen(key);
		if (kl < 6 || kl > NIP_NAME_MAX || strcmp(key + kl - 5, ".json") != 0 || strchr(key, '/') ||
		    key[0] == '.') {
			nip_err(err, NIP_E_TRUST, "mirror: snapshot names %.100s", key);
			goto out;
		}
		/* The client's file of a role is its quoted name: nip's role
		 * names (targets, bin-XX) need no quoting. */
		snprintf(local, sizeof local, "%s", key);
		have = file_version(trusted, local, TUF_TARGETS, NIP_TUF_TARGETS_MAX, err);
		if (have < 0)
			goto out;
		if (have != want) {
			nip_err(err, NIP_E_TRUST, "mirror: %s: version %lld, the snapshot says %lld", key,
				(long long)have, (long long)want);
			goto out;
		}
		snprintf(name, sizeof name, "%lld.%s", (long long)want, key);
		if (place(trusted, local, mfd, name, 0, NIP_TUF_TARGETS_MAX, err) < 0)
			goto out;
	}
	snprintf(name, sizeof name, "%lld.snapshot.json", (long long)snap->version);
	if (place(trusted, "snapshot.json", mfd, name, 0, NIP_TUF_SNAPSHOT_MAX, err) < 0)
		goto out;
	/* The root chain up to the trusted root, then root.json. */
	if ((rootv = file_version(trusted, "root.json", TUF_ROOT, NIP_TUF_ROOT_MAX, err)) < 0)
		goto out;
	for (k = 1; k < rootv; k++) {
		snprintf(name, sizeof name, "%lld.root.json", (long long)k);
		if (place(rootsfd, name, mfd, name, 0, NIP_TUF_ROOT_MAX, err) < 0)
			goto out;
	}
	snprintf(name, sizeof name, "%lld.root.json", (long long)rootv);
	if (place(trusted, "root.json", mfd, name, 0, NIP_TUF_ROOT_MAX, err) < 0 ||
	    place(trusted, "root.json", mfd, "root.json", 1, NIP_TUF_ROOT_MAX, err) < 0)
		goto out;
	if (nip_fsync_dir(mfd, "metadata", err) < 0)
		goto out;
	/* The commit point: one rename. */
	rc = place(trusted, "timestamp.json", mfd, "timestamp.json", 1, NIP_TUF_TIMESTAMP_MAX, err);
out:
	tuf_md_free(ts);
	tuf_md_free(snap);
	return rc;
}

/* First run: fetch 1.root.json, check it carries the pinned key, pin it. */
static int pin_upstream(const struct nip_track_mirror_opts *o, int rootsfd, struct nip_error *err)
{
	char url[NIP_URL_MAX + 64];
	struct nip_buf b;
	struct stat st;
	int rc;
	if (fstatat(o->statefd, "tracks/" UPSTREAM, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	snprintf(url, sizeof url, "%s/metadata/1.root.json", o->url);
	nip_buf_init(&b, NIP_TUF_ROOT_MAX, "1.root.json");
	rc = o->fetcher->ops->get(o->fetcher->self, url, NIP_TUF_ROOT_MAX,
				  buf_sink, &b, err);
	if (rc == NIP_FETCH_NOTFOUND)
		rc = nip_err(err, NIP_E_NETWORK, "%s: not found", url);
	if (rc == 0)
		rc = nip_track_add(o->statefd, UPSTREAM, o->url, o->root_pub, b.data, b.len, o->fetcher,
				   err);
	if (rc == 0)
		rc = nip_write_atomic(rootsfd, "1.root.json", b.data, b.len, 0644, 0, err);
	nip_buf_free(&b);
	return rc < 0 ? nip_err_prefix(err, "mirror: upstream %.200s: ", o->url) : 0;
}

int nip_track_mirror(const struct nip_track_mirror_opts *o, struct nip_track_mirror_result *res,
		     struct nip_error *err)
{
	struct tee tee = {.inner = *o->fetcher, .rootsfd = -1};
	struct nip_fetcher f = {&tee_ops, &tee};
	struct nip_track_refresh_result rr;
	int rootsfd = -1, trusted = -1, mfd = -1, rc = -1;
	const char *dirs[] = {"metadata", "targets", "targets/index", "targets/pkgs"};

	memset(res, 0, sizeof *res);
	nip_buf_init(&tee.cur, NIP_TUF_ROOT_MAX, "root");
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		int fd = open_dir(o->dirfd, dirs[i], err);
		if (fd < 0)
			goto out;
		if (i == 0)
			mfd = fd;
		else
			close(fd);
	}
	if ((rootsfd = open_dir(o->statefd, "roots", err)) < 0 || (tee.rootsfd = rootsfd) < 0 ||
	    pin_upstream(o, rootsfd, err) < 0)
		goto out;
	if (nip_track_refresh(o->statefd, UPSTREAM, &f, &rr, err) < 0) {
		nip_err_prefix(err, "mirror: ");
		goto out;
	}
	res->packages = rr.packages;
	if ((trusted = openat(o->statefd, META, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "mirror: %s", META);
		goto out;
	}
	res->timestamp_version =
		file_version(trusted, "timestamp.json", TUF_TIMESTAMP, NIP_TUF_TIMESTAMP_MAX, err);
	/* Placed already: the same signed timestamp and root are served. (A refresh that
	 * verified but whose placement failed is placed now.) */
	if (same_file(trusted, "timestamp.json", mfd, "timestamp.json", NIP_TUF_TIMESTAMP_MAX) &&
	    same_file(trusted, "root.json", mfd, "root.json", NIP_TUF_ROOT_MAX)) {
		rc = 0;
		goto out;
	}
	if (fetch_targets(o, o->statefd, res, err) < 0 || place_metadata(trusted, rootsfd, mfd, err) < 0)
		goto out;
	res->changed = 1;
	rc = 0;
out:
	nip_buf_free(&tee.cur);
	if (trusted >= 0)
		close(trusted);
	if (rootsfd >= 0)
		close(rootsfd);
	if (mfd >= 0)
		close(mfd);
	return rc;
}
