/* Installing by name from the root's tracks: resolve against the installed
 * set and every track's libsolv cache, fetch what is missing into cache/
 * (each download checked against the track's signed length and hashes),
 * read each package's head with only its track's authorised publishers as
 * keys (and the publisher's name glob checked), then one transaction as
 * for local files. Nothing from a track is trusted before its refresh
 * verified it; nothing is installed that its track's root does not allow. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nip/limits.h"
#include "nip/track.h"
#include "txn_internal.h"

/* ---- the tracks of a root, as one install sees them ---------------------- */

struct track {
	char name[NIP_NAME_MAX + 1];
	char url[NIP_URL_MAX + 1];
	struct nip_track_publisher *pubs;
	struct nip_pubkey *keys; /* the publishers' keys, for the package reader */
	size_t npubs;
};

struct tracks {
	struct track *v;
	size_t n;
};

static void tracks_free(struct tracks *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].pubs);
		free(t->v[i].keys);
	}
	free(t->v);
}

/* config "priority.NAME": a track of higher priority wins over one of
 * lower whatever the versions (default 0). */
static int track_priority(struct nip_root *r, const char *name, int *out, struct nip_error *err)
{
	char key[NIP_NAME_MAX + 16], *v = NULL;
	int64_t p = 0;

	snprintf(key, sizeof key, "priority.%s", name);
	if (nip_db_config_get(r->db, key, &v, err) < 0)
		return -1;
	if (v && nip_parse_i64(v, -1000, 1000, &p) < 0) {
		free(v);
		return nip_err(err, NIP_E_FORMAT, "%s: config %s: not a number from -1000 to 1000", r->path, key);
	}
	free(v);
	*out = (int)p;
	return 0;
}

/* Every pinned track with an index goes into the solver. */
static int tracks_load(struct nip_root *r, struct nip_solver *s, struct tracks *t, struct nip_error *err)
{
	struct nip_track_info *info = NULL;
	size_t n = 0;
	int rc = -1;

	if (nip_track_list(r->fd, &info, &n, err) < 0)
		return -1;
	if (!n) {
		nip_err(err, NIP_E_USAGE, "no track is pinned in %s (nip track add NAME URL --pubkey ROOT.pub)",
			r->path);
		goto out;
	}
	if (!(t->v = calloc(n, sizeof *t->v))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct track *k = &t->v[t->n];
		int fd, prio;
		snprintf(k->name, sizeof k->name, "%s", info[i].name);
		snprintf(k->url, sizeof k->url, "%s", info[i].url);
		t->n++;
		if (nip_txn_track_cache(r, k->name, &fd, err) < 0 || track_priority(r, k->name, &prio, err) < 0)
			goto out;
		rc = nip_solver_add_track(s, k->name, prio, fd, err);
		close(fd);
		if (rc < 0 || nip_track_publishers(r->fd, k->name, &k->pubs, &k->npubs, err) < 0)
			goto out;
		rc = -1;
		if (!(k->keys = calloc(k->npubs + 1, sizeof *k->keys))) {
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
		for (size_t j = 0; j < k->npubs; j++)
			k->keys[j] = k->pubs[j].key;
	}
	rc = 0;
out:
	free(info);
	return rc;
}

static const struct track *track_named(const struct tracks *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

/* ---- fetching and checking one chosen package --------------------------- */

static void txn_pkg_clear(struct txn_pkg *p)
{
	if (!p->borrowed)
		nip_manifest_free(p->m);
	free(p->path_owned);
	memset(p, 0, sizeof *p);
}

/* cache/CID.nip: where a chosen package is kept. */
static void cache_name(const struct nip_pick *p, char *out, size_t outsz)
{
	char cid[NIP_CID_STRLEN];
	nip_cid_format(p->cid, cid);
	snprintf(out, outsz, "%s.nip", cid);
}

/* A track's base URLs: its own, then its mirrors (config "mirrors.NAME",
 * separated by spaces). Each mirror is as untrusted as the track's server:
 * what it sends is checked against the signed metadata all the same. */
static int track_bases(struct nip_root *r, const struct track *t, char **mirrors,
		       const char **bases, size_t max, size_t *n, struct nip_error *err)
{
	char key[NIP_NAME_MAX + 16], *save;

	*n = 0;
	bases[(*n)++] = t->url;
	snprintf(key, sizeof key, "mirrors.%s", t->name);
	if (nip_db_config_get(r->db, key, mirrors, err) < 0)
		return -1;
	save = NULL;
	for (char *u = *mirrors ? strtok_r(*mirrors, " ", &save) : NULL; u; u = strtok_r(NULL, " ", &save))
		if (*n < max)
			bases[(*n)++] = u;
	return 0;
}

/* One fetch of a transaction's picks: what the download callbacks need. */
struct fetch_run {
	const struct nip_txn_track_opts *o;
	const struct tracks *tracks;
	const struct nip_pick *picks;
	struct txn_pkg *heads; /* one per pick, set once its head is checked */
	const char *root;      /* the root's path, for the cache's */
	pthread_mutex_t mu;    /* the caller's event callback, one at a time */
	/* The track being fetched from: its targets looked up one at a time
	 * (lmu) as the download threads take them; tt[i] is jobs[i]'s. */
	struct nip_track_lookup *look;
	pthread_mutex_t lmu;
	struct nip_download *jobs;
	struct nip_track_target *tt;
};

static void txn_event(struct fetch_run *f, const struct nip_txn_event *ev)
{
	if (!f->o->event)
		return;
	pthread_mutex_lock(&f->mu);
	f->o->event(f->o->event_ctx, ev);
	pthread_mutex_unlock(&f->mu);
}

static void on_download(void *ctx, const struct nip_download_event *dl)
{
	struct nip_txn_event ev = {.kind = NIP_TXN_FETCH, .pick = dl->job->user, .dl = dl};
	txn_event(ctx, &ev);
}

/* The package's head, read with its track's publishers as the only keys:
 * its signer must be one of them, allowed to publish that name, and its
 * CID the one the index named. */
static int check_pick(const struct nip_pick *p, const struct track *t, int fd, const char *path,
		      struct txn_pkg *out, struct nip_error *err)
{
	struct nip_package *pkg = NULL;
	char id[NIP_KEYID_HEX];
	int rc = -1;

	if (!t->npubs)
		return nip_err(err, NIP_E_TRUST, "track %s authorises no publisher", t->name);
	if (nip_package_read_head(fd, t->keys, t->npubs, &pkg, err) < 0) {
		nip_err_prefix(err, "track %s: %s-%s: ", t->name, p->name, p->version);
		goto out;
	}
	nip_keyid_format(pkg->sig.keyid, id);
	if (memcmp(pkg->cid, p->cid, NIP_SHA256_LEN) != 0 || strcmp(pkg->manifest->name, p->name) != 0 ||
	    strcmp(pkg->manifest->version, p->version) != 0) {
		nip_err(err, NIP_E_TRUST, "track %s: %s-%s: the package is not the one its index names",
			t->name, p->name, p->version);
		goto out;
	}
	if (!nip_track_publisher_allowed(t->pubs, t->npubs, pkg->sig.keyid, p->name)) {
		nip_err(err, NIP_E_TRUST, "track %s: %s is signed by key %s, which may not publish %s",
			t->name, p->name, id, p->name);
		goto out;
	}
	memcpy(out->cid, pkg->cid, NIP_SHA256_LEN);
	memcpy(out->signer, pkg->sig.keyid, NIP_KEYID_LEN);
	out->m = pkg->manifest;
	pkg->manifest = NULL;
	out->keys = t->keys;
	out->nkeys = t->npubs;
	if (!(out->path_owned = strdup(path))) {
		txn_pkg_clear(out);
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	out->path = out->path_owned;
	rc = 0;
out:
	nip_package_free(pkg);
	return rc;
}

/* Checks pick i (in fd, named `name` in the cache) into heads[i]. */
static int check_head(struct fetch_run *f, const struct nip_pick *p, int fd, const char *name,
		      int cached, struct nip_error *err)
{
	const struct track *t = track_named(f->tracks, p->track);
	struct txn_pkg *out = &f->heads[p - f->picks];
	struct nip_txn_event ev = {.kind = NIP_TXN_VERIFY, .pick = p, .cached = cached};
	char path[4096];

	if (!t)
		return nip_err(err, NIP_E_INTERNAL, "track %s: not loaded", p->track);
	if (snprintf(path, sizeof path, "%s/cache/%s", f->root, name) >= (int)sizeof path)
		return nip_err(err, NIP_E_LIMIT, "%s/cache/%s: path too long", f->root, name);
	if (check_pick(p, t, fd, path, out, err) < 0)
		return -1;
	ev.signer = out->signer;
	txn_event(f, &ev);
	return 0;
}

/* A download matched its signed length and hash: its head is checked
 * here, on the transfer's thread while the others go on (checked after
 * all the downloads, the heads cost a quarter of a fetch's time), and a
 * package that fails never gets a name in the cache. */
static int on_landed(void *ctx, struct nip_download *job, int fd, struct nip_error *err)
{
	return check_head(ctx, job->user, fd, job->name, 0, err);
}

/* A pick already in the cache is checked as a download would be (its
 * length the index's, then its head); one that fails, torn by a crash
 * (cache entries are not synced) or damaged, is never trusted: it is
 * removed and fetched again, or refused offline. 0 with f->heads set when
 * the cached copy is good, 0 without when it must be fetched. */
static int cached(struct fetch_run *f, int cfd, const struct nip_pick *p, const char *name,
		  struct nip_error *err)
{
	struct nip_error why;
	struct stat st;
	int fd = openat(cfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), good;

	if (fd < 0 && errno != ENOENT)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/cache/%s", f->root, name);
	if (fd < 0) {
		if (f->o->offline)
			return nip_err(err, NIP_E_NETWORK,
				       "%s-%s is not in the cache and --offline forbids fetching it", p->name,
				       p->version);
		return 0;
	}
	good = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == p->size &&
	       check_head(f, p, fd, name, 1, &why) == 0;
	close(fd);
	if (good)
		return 0;
	if (unlinkat(cfd, name, 0) < 0 && errno != ENOENT)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/cache/%s", f->root, name);
	if (f->o->offline)
		return nip_err(err, NIP_E_NETWORK,
			       "%s-%s: the cached copy was damaged (removed) and --offline forbids fetching it",
			       p->name, p->version);
	return 0;
}

/* A job's path and SHA-256 from the track's signed targets, just before
 * it is fetched; its length, from the index, must be the same. */
static int on_prepare(void *ctx, struct nip_download *job, struct nip_error *err)
{
	struct fetch_run *f = ctx;
	const struct nip_pick *p = job->user;
	struct nip_track_target *t = &f->tt[job - f->jobs];
	int rc;

	pthread_mutex_lock(&f->lmu);
	rc = nip_track_lookup_target(f->look, p->path, t, err);
	pthread_mutex_unlock(&f->lmu);
	if (rc < 0)
		return -1;
	if (t->length != job->length)
		return nip_err(err, NIP_E_TRUST,
			       "track %s: %s: %llu bytes in the index, %llu in the signed targets", p->track,
			       p->path, (unsigned long long)job->length, (unsigned long long)t->length);
	job->path = t->path;
	memcpy(job->sha256, t->sha256, NIP_SHA256_LEN);
	return 0;
}

/* Every chosen package not in the cache yet (or whose cached copy fails
 * its check), fetched: per track, one load of its trusted metadata, each
 * target's length and hash looked up in it as a download thread takes
 * the job; every pick's head checked into f->heads. */
static int fetch_picks(struct nip_root *r, struct fetch_run *f, size_t np, struct nip_error *err)
{
	const struct nip_txn_track_opts *o = f->o;
	const struct nip_pick *p = f->picks;
	struct nip_track_target *tt = calloc(np + 1, sizeof *tt);
	struct nip_download *jobs = calloc(np + 1, sizeof *jobs);
	size_t *first = calloc(f->tracks->n + 1, sizeof *first), njobs = 0;
	char (*names)[NIP_CID_STRLEN + 8] = calloc(np + 1, sizeof *names);
	struct nip_txn_event plan = {.kind = NIP_TXN_FETCH_PLAN};
	int cfd = -1, rc = -1;

	if (!tt || !jobs || !names || !first) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	if (mkdirat(r->fd, "cache", 0755) < 0 && errno != EEXIST) {
		nip_err_sys(err, NIP_E_IO, errno, "%s/cache", r->path);
		goto out;
	}
	if ((cfd = openat(r->fd, "cache", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s/cache", r->path);
		goto out;
	}
	for (size_t i = 0; i < np; i++)
		cache_name(&p[i], names[i], sizeof names[i]);
	/* Something to fetch: libcurl loads (3-5 ms) while the cached
	 * packages are checked and the metadata is loaded. */
	for (size_t i = 0; i < np && !o->offline; i++)
		if (faccessat(cfd, names[i], F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
			nip_download_warm();
			break;
		}
	for (size_t i = 0; i < np; i++)
		if (cached(f, cfd, &p[i], names[i], err) < 0)
			goto out;
	/* What is missing, per track: jobs[first[t] .. first[t + 1]), each
	 * of the length the index gives (the signed targets must agree). */
	for (size_t t = 0; t < f->tracks->n; t++) {
		first[t] = njobs;
		for (size_t i = 0; i < np; i++) {
			if (strcmp(p[i].track, f->tracks->v[t].name) != 0 || f->heads[i].m)
				continue;
			jobs[njobs++] = (struct nip_download){
				.name = names[i], .length = p[i].size, .user = (void *)&p[i]};
			plan.bytes += p[i].size;
		}
	}
	first[f->tracks->n] = njobs;
	f->jobs = jobs;
	f->tt = tt;
	plan.count = njobs;
	txn_event(f, &plan);
	for (size_t t = 0; t < f->tracks->n; t++) {
		const struct track *k = &f->tracks->v[t];
		const char *bases[16];
		char *mirrors = NULL;
		size_t nbases;
		char prefix[NIP_NAME_MAX + 16];
		if (first[t] == first[t + 1])
			continue;
		if (!(f->look = nip_track_lookup_open(r->fd, k->name, err)))
			goto out;
		if (track_bases(r, k, &mirrors, bases, sizeof bases / sizeof *bases, &nbases, err) == 0) {
			struct nip_download_opts d = {.bases = bases, .nbases = nbases, .dirfd = cfd,
						      .parallel = o->parallel,
						      .low_speed_time = o->low_speed_time,
						      .event = o->event ? on_download : NULL,
						      .landed = on_landed, .prepare = on_prepare, .ctx = f};
			rc = nip_download_all(jobs + first[t], first[t + 1] - first[t], &d, err);
			/* Errors of the track's metadata name it already. */
			snprintf(prefix, sizeof prefix, "track %s: ", k->name);
			if (rc < 0 && strncmp(err->msg, prefix, strlen(prefix)) != 0)
				nip_err_prefix(err, "%s", prefix);
		}
		nip_track_lookup_close(f->look);
		f->look = NULL;
		free(mirrors);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	if (cfd >= 0)
		close(cfd);
	nip_track_targets_free(tt, njobs);
	free(tt);
	free(jobs);
	free(names);
	free(first);
	return rc;
}

/* ---- pins ------------------------------------------------------------------ */

/* config "pin.NAME": the version to hold, or "" for the installed one. */
#define PIN_PREFIX "pin."

static int load_pins(struct nip_root *r, struct nip_solver *s, struct nip_error *err)
{
	struct nip_config_entry *v = NULL;
	size_t n = 0;
	int rc = 0;

	if (nip_db_config_list(r->db, PIN_PREFIX, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = nip_solver_pin(s, v[i].key + strlen(PIN_PREFIX), *v[i].value ? v[i].value : NULL, err);
	nip_config_free(v, n);
	return rc;
}

static int pin_set(struct nip_root *r, const char *name, const char *value, struct nip_error *err)
{
	char key[NIP_PKGNAME_MAX + 8], details[NIP_PKGNAME_MAX + NIP_VERSION_MAX + 16];

	if (!nip_name_valid(name, strlen(name)))
		return nip_err(err, NIP_E_USAGE, "pin: \"%.80s\" is not a package name", name);
	if (value && *value && !nip_version_valid(value, strlen(value)))
		return nip_err(err, NIP_E_USAGE, "pin: \"%.80s\" is not a version", value);
	snprintf(key, sizeof key, PIN_PREFIX "%s", name);
	if (value)
		snprintf(details, sizeof details, "%s=%s", name, value);
	else
		snprintf(details, sizeof details, "%s", name);
	if (nip_db_begin(r->db, err) < 0)
		return -1;
	if (nip_db_config_set(r->db, key, value, err) < 0) {
		nip_db_rollback(r->db);
		return -1;
	}
	return txn_logged_commit(r, value ? "pin" : "unpin", name, details, err);
}

int nip_txn_pin(struct nip_root *r, const char *name, const char *version, struct nip_error *err)
{
	return pin_set(r, name, version ? version : "", err);
}

int nip_txn_unpin(struct nip_root *r, const char *name, struct nip_error *err)
{
	return pin_set(r, name, NULL, err);
}

/* ---- the request ------------------------------------------------------------ */

/* The name a spec asks for ("hello >= 1" -> "hello"), to mark it explicit. */
static int asked(char *const *specs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(specs[i], " <>=!|");
		if (strlen(name) == len && strncmp(specs[i], name, len) == 0)
			return 1;
	}
	return 0;
}

static void plan_line(struct nip_buf *plan, const char *fmt, const char *a, const char *b,
		      const char *c, const char *d)
{
	struct nip_error ignored;
	nip_buf_printf(plan, &ignored, fmt, a, b, c, d);
}

/* What the plan changes, as lines "+ NAME VERSION (TRACK)", "~ NAME OLD ->
 * NEW (TRACK)", "- NAME VERSION"; counts into res. */
static int make_plan(const struct txn_set *cur, void **kept, size_t nkept, const struct nip_pick *p,
		     size_t np, struct nip_txn_result *res, struct nip_error *err)
{
	struct nip_buf plan;

	nip_buf_init(&plan, 16 << 20, "plan");
	for (size_t i = 0; i < np; i++) {
		const struct txn_pkg *was = NULL;
		for (size_t j = 0; j < cur->n && !was; j++)
			if (strcmp(cur->v[j].m->name, p[i].name) == 0)
				was = &cur->v[j];
		if (was) {
			res->changed++;
			plan_line(&plan, "~ %s %s -> %s (%s)\n", p[i].name, was->m->version, p[i].version,
				  p[i].track);
		} else {
			res->added++;
			plan_line(&plan, "+ %s %s (%s)%s\n", p[i].name, p[i].version, p[i].track, "");
		}
	}
	for (size_t j = 0; j < cur->n; j++) {
		int stays = 0;
		for (size_t k = 0; k < nkept && !stays; k++)
			stays = kept[k] == &cur->v[j];
		for (size_t i = 0; i < np && !stays; i++)
			stays = strcmp(p[i].name, cur->v[j].m->name) == 0;
		if (!stays) {
			res->removed++;
			plan_line(&plan, "- %s %s%s%s\n", cur->v[j].m->name, cur->v[j].m->version, "", "");
		}
	}
	if (nip_buf_cstr(&plan, err) < 0) {
		nip_buf_free(&plan);
		return -1;
	}
	res->plan = (char *)plan.data;
	return 0;
}

int nip_txn_install_names(struct nip_root *r, const char *cell, char *const *specs, size_t n,
			  const struct nip_txn_track_opts *o, struct nip_txn_result *res,
			  struct nip_error *err)
{
	struct txn_set cur = {0}, next = {0};
	struct tracks tracks = {0};
	struct nip_solver *s = NULL;
	struct nip_pick *picks = NULL;
	struct txn_pkg *heads = NULL;
	struct fetch_run run;
	int mu_live = 0;
	struct utsname u;
	void **kept = NULL;
	size_t nkept = 0, npicks = 0;
	char reason[512];
	int rc = -1;

	memset(res, 0, sizeof *res);
	uname(&u);
	if (nip_cell_name_check(cell, err) < 0 || txn_current_set(r, cell, &cur, err) < 0 ||
	    !(s = nip_solver_new(u.machine, err)))
		goto out;
	for (size_t i = 0; i < cur.n; i++)
		if (nip_solver_add(s, cur.v[i].m, 1, &cur.v[i], err) < 0)
			goto out;
	if (tracks_load(r, s, &tracks, err) < 0)
		goto out;
	if (load_pins(r, s, err) < 0)
		goto out;
	snprintf(reason, sizeof reason, "%s", o->upgrade ? "upgrade" : "install");
	if (o->upgrade && !n && nip_solver_upgrade(s, NULL, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(reason);
		if ((o->upgrade ? nip_solver_upgrade(s, specs[i], err) : nip_solver_want(s, specs[i], err)) < 0)
			goto out;
		if (len + 1 < sizeof reason)
			snprintf(reason + len, sizeof reason - len, " %s", specs[i]);
	}
	if (nip_solver_solve(s, &kept, &nkept, &res->problems, err) < 0 ||
	    nip_solver_picks(s, &picks, &npicks, err) < 0 ||
	    make_plan(&cur, kept, nkept, picks, npicks, res, err) < 0)
		goto out;
	if (o->dry_run) {
		rc = 0;
		goto out;
	}
	if (!(next.v = calloc(nkept + npicks + 1, sizeof *next.v))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nkept; i++) {
		struct txn_pkg *p = kept[i];
		next.v[next.n] = *p;
		next.v[next.n].explicit_ |= !o->upgrade && asked(specs, n, p->m->name);
		next.n++;
		p->m = NULL;
	}
	if (!(heads = calloc(npicks + 1, sizeof *heads))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	run = (struct fetch_run){.o = o, .tracks = &tracks, .picks = picks, .heads = heads, .root = r->path};
	pthread_mutex_init(&run.mu, NULL);
	pthread_mutex_init(&run.lmu, NULL);
	mu_live = 1;
	if (fetch_picks(r, &run, npicks, err) < 0)
		goto out;
	for (size_t i = 0; i < npicks && !o->fetch_only; i++) {
		next.v[next.n] = heads[i];
		memset(&heads[i], 0, sizeof heads[i]);
		next.v[next.n].explicit_ = !o->upgrade && asked(specs, n, picks[i].name);
		/* An upgrade keeps what was asked for by name so. */
		for (size_t j = 0; j < cur.n; j++)
			if (cur.v[j].m && strcmp(cur.v[j].m->name, picks[i].name) == 0)
				next.v[next.n].explicit_ |= cur.v[j].explicit_;
		next.n++;
	}
	if (o->fetch_only) {
		rc = 0;
		goto out;
	}
	{
		char *plan = res->plan;
		struct nip_txn_event ev = {.kind = NIP_TXN_INSTALL, .count = npicks};
		txn_event(&run, &ev);
		res->plan = NULL;
		rc = txn_apply(r, cell, &next, o->upgrade ? "upgrade" : "install", reason, 0, res, err);
		res->plan = plan;
	}
out:
	for (size_t i = 0; heads && i < npicks; i++)
		txn_pkg_clear(&heads[i]);
	free(heads);
	if (mu_live) {
		pthread_mutex_destroy(&run.mu);
		pthread_mutex_destroy(&run.lmu);
	}
	nip_picks_free(picks, npicks);
	free(kept);
	nip_solver_free(s);
	txn_set_free(&next);
	txn_set_free(&cur);
	tracks_free(&tracks);
	return rc;
}

/* The pinned tracks in a solver of their own, for a read-only query. */
static int tracks_query(struct nip_root *r, int (*q)(struct nip_solver *s, void *arg), void *arg,
			struct nip_error *err)
{
	struct tracks tracks = {0};
	struct nip_solver *s;
	struct utsname u;
	int rc = -1;

	uname(&u);
	if (!(s = nip_solver_new(u.machine, err)))
		return -1;
	if (tracks_load(r, s, &tracks, err) == 0)
		rc = q(s, arg);
	nip_solver_free(s);
	tracks_free(&tracks);
	return rc;
}

struct query {
	const char *what;
	void (*found_fn)(void *ctx, const struct nip_found *f);
	void (*pkg_fn)(void *ctx, const struct nip_track_pkg *p);
	void *ctx;
	size_t *found;
	struct nip_error *err;
};

static int do_search(struct nip_solver *s, void *arg)
{
	struct query *q = arg;
	*q->found = (size_t)nip_solver_search(s, q->what, q->found_fn, q->ctx);
	return 0;
}

static int do_lookup(struct nip_solver *s, void *arg)
{
	struct query *q = arg;
	int n = nip_solver_lookup(s, q->what, q->pkg_fn, q->ctx, q->err);
	if (n < 0)
		return -1;
	*q->found = (size_t)n;
	return 0;
}

int nip_txn_search(struct nip_root *r, const char *term,
		   void (*fn)(void *ctx, const struct nip_found *f), void *ctx, size_t *found,
		   struct nip_error *err)
{
	struct query q = {.what = term, .found_fn = fn, .ctx = ctx, .found = found, .err = err};
	return tracks_query(r, do_search, &q, err);
}

int nip_txn_lookup(struct nip_root *r, const char *name,
		   void (*fn)(void *ctx, const struct nip_track_pkg *p), void *ctx, size_t *found,
		   struct nip_error *err)
{
	struct query q = {.what = name, .pkg_fn = fn, .ctx = ctx, .found = found, .err = err};
	return tracks_query(r, do_lookup, &q, err);
}
