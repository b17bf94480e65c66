/* Tracks pinned in a nip root: ROOT/tracks/NAME/ holds config.json (the
 * URL) and current -> gen.N/, which holds metadata/ (the TUF client's
 * trusted files) and index/ (the verified, decompressed index parts). A
 * refresh builds gen.N+1 aside (hard links of what did not change) and
 * switches the symlink with one rename: a failure anywhere leaves gen.N as
 * it was, and readers see the old track or the new one, never a mix. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "track_index.h"

int nip_track_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NIP_TRACK_NAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int check_name(const char *name, struct nip_error *err)
{
	if (!nip_track_name_valid(name))
		return nip_err(err, NIP_E_USAGE,
			       "track name '%.80s': must be [a-z0-9][a-z0-9._-]*, at most %u bytes", name,
			       NIP_TRACK_NAME_MAX);
	return 0;
}

/* Removes at/name and everything below it. */
static void rm_tree(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	if (fd < 0) {
		unlinkat(at, name, 0);
		return;
	}
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			if (e->d_type == DT_DIR)
				rm_tree(dirfd(d), e->d_name);
			else
				unlinkat(dirfd(d), e->d_name, 0);
		}
	closedir(d);
	unlinkat(at, name, AT_REMOVEDIR);
}

static int open_dir(int at, const char *name, int create, struct nip_error *err)
{
	int fd;
	if (create && mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, errno == ENOENT ? NIP_E_USAGE : NIP_E_IO, errno, "%s", name);
	return fd;
}

static int open_track(int rootfd, const char *name, struct nip_error *err)
{
	char path[NIP_TRACK_NAME_MAX + 16];
	int fd;
	if (check_name(name, err) < 0)
		return -1;
	snprintf(path, sizeof path, "tracks/%s", name);
	fd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, errno == ENOENT ? NIP_E_USAGE : NIP_E_IO, errno,
				   "track %s: not added (nip track add)", name);
	return fd;
}

static json_t *read_json(int at, const char *name, size_t max, struct nip_error *err)
{
	struct nip_buf b;
	json_t *v = NULL;
	nip_buf_init(&b, max, name);
	if (nip_read_file(at, name, max, 1, &b, err) == 0)
		v = tuf_json_load(b.data, b.len, name, err);
	nip_buf_free(&b);
	return v;
}

static int url_valid(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > NIP_URL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return 0;
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0 ||
	       strncmp(u, "file://", 7) == 0 || u[0] == '/';
}

static int buf_sink(void *ctx, const void *p, size_t n, struct nip_error *err)
{
	return nip_buf_append(ctx, p, n, err);
}

/* The pinned key must be one the root role names, with a valid signature:
 * the root a user pins is the one its publisher signed. */
static int check_pinned(const struct tuf_md *r, const struct nip_pubkey *pub, const char *label,
			struct nip_error *err)
{
	char id[NIP_SHA256_HEX];
	const char *ids[1] = {id};
	struct tuf_role one = {.name = "root", .keyids = ids, .nkeyids = 1, .threshold = 1};
	int found = 0;
	if (nip_tuf_keyid(pub, id, err) < 0)
		return -1;
	for (size_t i = 0; i < r->ring.nkeys; i++)
		if (strcmp(r->ring.keys[i].keyid, id) == 0)
			found = r->ring.keys[i].kind == TUF_KEY_ED25519 &&
				memcmp(r->ring.keys[i].ed, pub->pk, 32) == 0;
	if (!found)
		return nip_err(err, NIP_E_TRUST, "%s: 1.root.json: the pinned root key is not its root key",
			       label);
	return tuf_verify_role(r, &r->ring, &one, label, err);
}

int nip_track_add(int rootfd, const char *name, const char *url, const struct nip_pubkey *root_pub,
		  const void *root_json, size_t root_len, const struct nip_fetcher *f,
		  struct nip_error *err)
{
	char tmp[NIP_TRACK_NAME_MAX + 32], final[NIP_TRACK_NAME_MAX + 16], label[NIP_TRACK_NAME_MAX + 16];
	struct nip_buf b;
	struct tuf_md *r = NULL;
	json_t *cfg = NULL;
	char *cfgtext = NULL;
	int tfd = -1, tdir = -1, mdir = -1, rc = -1;
	struct stat st;

	nip_buf_init(&b, NIP_TUF_ROOT_MAX, "1.root.json");
	if (check_name(name, err) < 0)
		return -1;
	snprintf(label, sizeof label, "track %s", name);
	if (!url_valid(url))
		return nip_err(err, NIP_E_USAGE, "%s: URL '%.200s': not an http, https or file URL", label,
			       url);
	snprintf(final, sizeof final, "tracks/%s", name);
	if (fstatat(rootfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return nip_err(err, NIP_E_USAGE, "%s: already added (nip track remove it first)", label);
	if (root_json) {
		if (nip_buf_append(&b, root_json, root_len, err) < 0)
			goto out;
	} else {
		char u[NIP_URL_MAX + 64];
		int g;
		snprintf(u, sizeof u, "%s/metadata/1.root.json", url);
		g = f->ops->get(f->self, u, NIP_TUF_ROOT_MAX, buf_sink, &b, err);
		if (g == NIP_FETCH_NOTFOUND)
			nip_err(err, NIP_E_NETWORK, "%s: not found", u);
		if (g != 0) {
			nip_err_prefix(err, "%s: ", label);
			goto out;
		}
	}
	if (tuf_md_parse(b.data, b.len, TUF_ROOT, "root.json", &r, err) < 0 ||
	    tuf_verify_role(r, &r->ring, &r->roles[TUF_ROOT], "root.json", err) < 0 ||
	    (root_pub && check_pinned(r, root_pub, "root.json", err) < 0)) {
		nip_err_prefix(err, "%s: ", label);
		goto out;
	}
	if ((tfd = open_dir(rootfd, "tracks", 1, err)) < 0)
		goto out;
	/* Built aside, then renamed into place: a half-added track never shows. */
	snprintf(tmp, sizeof tmp, ".%s.new", name);
	rm_tree(tfd, tmp);
	if ((tdir = open_dir(tfd, tmp, 1, err)) < 0 || mkdirat(tdir, "gen.1", 0755) < 0 ||
	    (mdir = open_dir(tdir, "gen.1/metadata", 1, err)) < 0 || symlinkat("gen.1", tdir, "current") < 0) {
		if (err && !err->code)
			nip_err_sys(err, NIP_E_IO, errno, "%s: creating its directory", label);
		goto out;
	}
	cfg = json_pack("{s:s, s:s}", "name", name, "url", url);
	cfgtext = cfg ? json_dumps(cfg, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	if (!cfgtext) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	if (nip_write_atomic(mdir, "root.json", b.data, b.len, 0644, 0, err) < 0 ||
	    nip_write_atomic(tdir, "config.json", cfgtext, strlen(cfgtext), 0644, 0, err) < 0)
		goto out;
	if (renameat(tfd, tmp, tfd, name) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: rename into place", label);
		goto out;
	}
	rc = nip_fsync_dir(tfd, "tracks", err);
out:
	if (rc < 0 && tfd >= 0)
		rm_tree(tfd, tmp);
	free(cfgtext);
	json_decref(cfg);
	tuf_md_free(r);
	nip_buf_free(&b);
	if (mdir >= 0)
		close(mdir);
	if (tdir >= 0)
		close(tdir);
	if (tfd >= 0)
		close(tfd);
	return rc;
}

int nip_track_remove(int rootfd, const char *name, struct nip_error *err)
{
	char tmp[NIP_TRACK_NAME_MAX + 32];
	int tfd, fd = open_track(rootfd, name, err);
	if (fd < 0)
		return -1;
	close(fd);
	if ((tfd = open_dir(rootfd, "tracks", 0, err)) < 0)
		return -1;
	/* One rename retires it; the files go after. */
	snprintf(tmp, sizeof tmp, ".%s.removed", name);
	rm_tree(tfd, tmp);
	if (renameat(tfd, name, tfd, tmp) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "track %s: remove", name);
		close(tfd);
		return -1;
	}
	nip_fsync_dir(tfd, "tracks", err);
	rm_tree(tfd, tmp);
	close(tfd);
	return 0;
}

static int64_t md_version(int mdir, const char *file)
{
	struct nip_error e;
	json_t *v = read_json(mdir, file, NIP_TUF_ROOT_MAX, &e);
	int64_t n = json_integer_value(json_object_get(json_object_get(v, "signed"), "version"));
	json_decref(v);
	return n;
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct nip_track_info *)a)->name, ((const struct nip_track_info *)b)->name);
}

int nip_track_list(int rootfd, struct nip_track_info **out, size_t *n, struct nip_error *err)
{
	int tfd = openat(rootfd, "tracks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct nip_track_info *v = NULL;
	size_t cnt = 0;
	DIR *d;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (tfd < 0)
		return errno == ENOENT ? 0 : nip_err_sys(err, NIP_E_IO, errno, "tracks");
	if (!(d = fdopendir(tfd))) {
		close(tfd);
		return nip_err_sys(err, NIP_E_IO, errno, "tracks");
	}
	while ((e = readdir(d))) {
		struct nip_track_info *g, *t;
		json_t *cfg, *sum;
		int fd, mdir;
		if (!nip_track_name_valid(e->d_name))
			continue;
		if ((fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		if (!(g = realloc(v, (cnt + 1) * sizeof *v))) {
			close(fd);
			closedir(d);
			free(v);
			return nip_err(err, NIP_E_NOMEM, "out of memory");
		}
		v = g;
		t = &v[cnt++];
		memset(t, 0, sizeof *t);
		snprintf(t->name, sizeof t->name, "%s", e->d_name);
		cfg = read_json(fd, "config.json", 64 << 10, err);
		snprintf(t->url, sizeof t->url, "%s", json_string_value(json_object_get(cfg, "url")) ?: "");
		json_decref(cfg);
		sum = read_json(fd, "current/index/summary.json", 64 << 10, err);
		t->packages = (size_t)json_integer_value(json_object_get(sum, "packages"));
		json_decref(sum);
		if ((mdir = openat(fd, "current/metadata", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			t->root_version = md_version(mdir, "root.json");
			t->timestamp_version = md_version(mdir, "timestamp.json");
			close(mdir);
		}
		close(fd);
	}
	closedir(d);
	nip_err_clear(err);
	if (cnt)
		qsort(v, cnt, sizeof *v, cmp_info);
	*out = v;
	*n = cnt;
	return 0;
}

static struct nip_tuf_client *client_for(int tdir, int mdir, const char *name,
					 const struct nip_fetcher *f, char *label, size_t nlabel,
					 struct nip_error *err)
{
	char murl[NIP_URL_MAX + 16], turl[NIP_URL_MAX + 16];
	json_t *cfg = read_json(tdir, "config.json", 64 << 10, err);
	const char *url = json_string_value(json_object_get(cfg, "url"));
	struct nip_tuf_client *c = NULL;
	snprintf(label, nlabel, "track %s", name);
	if (!url || !url_valid(url)) {
		if (cfg)
			nip_err(err, NIP_E_FORMAT, "%s: config.json: field url: missing or malformed", label);
		json_decref(cfg);
		return NULL;
	}
	snprintf(murl, sizeof murl, "%s/metadata", url);
	snprintf(turl, sizeof turl, "%s/targets", url);
	{
		struct nip_tuf_opts o = {.metadata_dirfd = mdir, .metadata_url = murl, .targets_url = turl,
					 .label = label, .fetcher = *f};
		c = nip_tuf_client_new(&o, err);
	}
	json_decref(cfg);
	return c;
}

/* One index part into the new index directory: reused if its compressed
 * hash is unchanged, else downloaded (verified by TUF), decompressed with a
 * cap and checked. */
static int refresh_part(struct nip_tuf_client *c, const char *bin, int newfd, int oldfd,
			const json_t *oldsum, json_t *newparts, size_t *count, const char *label,
			struct nip_error *err)
{
	char ppath[32], json_name[32], zname[40], hex[NIP_SHA256_HEX];
	struct nip_tuf_target t;
	struct nip_buf z, raw;
	json_t *doc = NULL;
	const char *was;
	int rc;
	size_t n = 0;

	index_part_path(bin, ppath);
	rc = nip_tuf_find_target(c, ppath, &t, err);
	if (rc == NIP_TUF_NOTFOUND) {
		nip_err_clear(err);
		return 0; /* an empty bin has no part */
	}
	if (rc < 0)
		return -1;
	nip_hex(t.sha256, NIP_SHA256_LEN, hex);
	snprintf(json_name, sizeof json_name, "%s.json", bin);
	snprintf(zname, sizeof zname, ".%s.json.zst", bin);
	was = json_string_value(json_object_get(json_object_get(oldsum, "parts"), bin));
	nip_buf_init(&z, NIP_INDEX_PART_MAX, ppath);
	nip_buf_init(&raw, NIP_INDEX_PART_MAX, ppath);
	rc = -1;
	if (!t.have_sha256) {
		nip_err(err, NIP_E_TRUST, "%s: %s: no sha256 hash", label, ppath);
		goto out;
	}
	if (oldfd >= 0 && was && strcmp(was, hex) == 0 &&
	    linkat(oldfd, json_name, newfd, json_name, 0) == 0) {
		json_t *sumcount = json_object_get(json_object_get(oldsum, "counts"), bin);
		n = (size_t)json_integer_value(sumcount);
	} else {
		if (nip_tuf_download(c, &t, newfd, zname, err) < 0 ||
		    nip_read_file(newfd, zname, NIP_INDEX_PART_MAX, 1, &z, err) < 0 ||
		    index_decompress(z.data, z.len, &raw, ppath, err) < 0 ||
		    !(doc = tuf_json_load(raw.data, raw.len, ppath, err)) ||
		    index_check(doc, ppath, &n, err) < 0 ||
		    nip_write_atomic(newfd, json_name, raw.data, raw.len, 0644, 0, err) < 0) {
			if (!strstr(err->msg, label))
				nip_err_prefix(err, "%s: ", label);
			goto out;
		}
		unlinkat(newfd, zname, 0);
	}
	json_object_set_new(json_object_get(newparts, "parts"), bin, json_string(hex));
	json_object_set_new(json_object_get(newparts, "counts"), bin, json_integer((json_int_t)n));
	*count += n;
	rc = 0;
out:
	json_decref(doc);
	nip_buf_free(&z);
	nip_buf_free(&raw);
	nip_tuf_target_clear(&t);
	return rc;
}

/* gen.N+1/metadata as hard links of gen.N/metadata: the TUF client
 * replaces files by rename, so the old generation never changes. */
static int link_all(int from, int to, const char *label, struct nip_error *err)
{
	int fd = dup(from);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return nip_err_sys(err, NIP_E_IO, errno, "%s: metadata", label);
	}
	rewinddir(d);
	while ((e = readdir(d)))
		if (e->d_type == DT_REG && linkat(from, e->d_name, to, e->d_name, 0) < 0) {
			closedir(d);
			return nip_err_sys(err, NIP_E_IO, errno, "%s: linking %s", label, e->d_name);
		}
	closedir(d);
	return 0;
}

int nip_track_refresh(int rootfd, const char *name, const struct nip_fetcher *f,
		      struct nip_track_refresh_result *res, struct nip_error *err)
{
	char label[NIP_TRACK_NAME_MAX + 16], cur[64] = "", newname[64], tmplink[64], path[96];
	struct nip_tuf_client *c = NULL;
	json_t *oldsum = NULL, *sum = NULL, *root = NULL;
	int tdir = -1, curfd = -1, newfd = -1, mdir = -1, oldmd = -1, ifd = -1, oldidx = -1, rc = -1;
	int64_t gen;
	unsigned nbins, digits;
	char *text = NULL;
	ssize_t l;

	memset(res, 0, sizeof *res);
	if ((tdir = open_track(rootfd, name, err)) < 0)
		goto out;
	snprintf(label, sizeof label, "track %s", name);
	l = readlinkat(tdir, "current", cur, sizeof cur - 1);
	if (l < 5 || strncmp(cur, "gen.", 4) != 0) {
		nip_err(err, NIP_E_FORMAT, "%s: current: not a link to a generation", label);
		goto out;
	}
	cur[l] = 0;
	gen = strtoll(cur + 4, NULL, 10) + 1;
	snprintf(newname, sizeof newname, "gen.%lld", (long long)gen);
	if ((curfd = open_dir(tdir, cur, 0, err)) < 0 || (oldmd = open_dir(curfd, "metadata", 0, err)) < 0)
		goto out;
	{
		struct nip_error e;
		oldsum = read_json(curfd, "index/summary.json", 1 << 20, &e);
		oldidx = openat(curfd, "index", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	rm_tree(tdir, newname); /* left by a crash */
	if ((newfd = open_dir(tdir, newname, 1, err)) < 0 || (mdir = open_dir(newfd, "metadata", 1, err)) < 0 ||
	    link_all(oldmd, mdir, label, err) < 0)
		goto out;
	if (!(c = client_for(tdir, mdir, name, f, label, sizeof label, err)) || nip_tuf_refresh(c, err) < 0)
		goto out;
	res->changed = nip_tuf_changed(c);
	if (!res->changed && oldsum) {
		/* Nothing new was signed: the verified index stands (the fast
		 * path of a second refresh: a timestamp fetch and compare). */
		res->packages = (size_t)json_integer_value(json_object_get(oldsum, "packages"));
		res->parts = json_object_size(json_object_get(oldsum, "parts"));
		rm_tree(tdir, newname);
		rc = 0;
		goto out;
	}
	if (!(root = read_json(mdir, "root.json", NIP_TUF_ROOT_MAX, err)))
		goto out;
	nbins = (unsigned)json_integer_value(
		json_object_get(json_object_get(json_object_get(root, "signed"), "nip"), "bins"));
	if (nbins != 16 && nbins != 256 && nbins != 4096) {
		nip_err(err, NIP_E_FORMAT, "%s: root.json: field nip.bins: not 16, 256 or 4096 (not a nip track?)",
			label);
		goto out;
	}
	digits = nbins == 16 ? 1 : nbins == 256 ? 2 : 3;
	if (nip_tuf_load_delegated(c, err) < 0 || (ifd = open_dir(newfd, "index", 1, err)) < 0)
		goto out;
	sum = json_pack("{s:{}, s:{}}", "parts", "counts");
	if (!sum) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	for (unsigned b = 0; b < nbins; b++) {
		char bin[16];
		snprintf(bin, sizeof bin, "%0*x", (int)digits, b);
		if (refresh_part(c, bin, ifd, oldidx, oldsum, sum, &res->packages, label, err) < 0)
			goto out;
	}
	res->parts = json_object_size(json_object_get(sum, "parts"));
	json_object_set_new(sum, "packages", json_integer((json_int_t)res->packages));
	if (!(text = json_dumps(sum, JSON_SORT_KEYS | JSON_COMPACT))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	if (nip_write_atomic(ifd, "summary.json", text, strlen(text), 0644, 0, err) < 0 ||
	    nip_fsync_dir(ifd, "index", err) < 0 || nip_fsync_dir(mdir, "metadata", err) < 0 ||
	    nip_fsync_dir(newfd, newname, err) < 0)
		goto out;
	/* The switch: one rename of a symlink. */
	snprintf(tmplink, sizeof tmplink, ".current.%lld", (long long)gen);
	unlinkat(tdir, tmplink, 0);
	if (symlinkat(newname, tdir, tmplink) < 0 || renameat(tdir, tmplink, tdir, "current") < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: switching to the new generation", label);
		unlinkat(tdir, tmplink, 0);
		goto out;
	}
	if (nip_fsync_dir(tdir, label, err) < 0)
		goto out;
	snprintf(path, sizeof path, "%s", cur);
	rm_tree(tdir, path);
	rc = 0;
out:
	if (rc < 0 && newfd >= 0)
		rm_tree(tdir, newname);
	free(text);
	json_decref(sum);
	json_decref(oldsum);
	json_decref(root);
	nip_tuf_client_free(c);
	{
		const int fds[] = {newfd, mdir, oldmd, curfd, ifd, oldidx, tdir};
		for (size_t k = 0; k < sizeof fds / sizeof *fds; k++)
			if (fds[k] >= 0)
				close(fds[k]);
	}
	return rc;
}

int nip_track_index_paths(int rootfd, const char *name, char ***paths, size_t *n,
			  struct nip_error *err)
{
	int tdir = open_track(rootfd, name, err), oom = 0;
	json_t *sum;
	const char *bin;
	const json_t *v;
	char **out = NULL;
	size_t cnt = 0;

	*paths = NULL;
	*n = 0;
	if (tdir < 0)
		return -1;
	sum = read_json(tdir, "current/index/summary.json", 1 << 20, err);
	close(tdir);
	if (!sum)
		return nip_err(err, NIP_E_USAGE, "track %s: no index yet (run nip refresh)", name);
	out = calloc(json_object_size(json_object_get(sum, "parts")) + 1, sizeof *out);
	if (!out) {
		json_decref(sum);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	json_object_foreach(json_object_get(sum, "parts"), bin, v) {
		char p[512];
		(void)v;
		if (strlen(bin) > 3 || strspn(bin, "0123456789abcdef") != strlen(bin))
			continue; /* not a bin this code wrote */
		snprintf(p, sizeof p, "tracks/%s/current/index/%s.json", name, bin);
		if (!(out[cnt] = strdup(p))) {
			oom = 1;
			break;
		}
		cnt++;
	}
	json_decref(sum);
	if (oom) {
		for (size_t i = 0; i < cnt; i++)
			free(out[i]);
		free(out);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	*paths = out;
	*n = cnt;
	return 0;
}

int nip_track_fetch_target(int rootfd, const char *name, const char *target,
			   const struct nip_fetcher *f, int dirfd, const char *outname,
			   struct nip_error *err)
{
	char label[NIP_TRACK_NAME_MAX + 16];
	struct nip_tuf_client *c = NULL;
	struct nip_tuf_target t = {0};
	int tdir = -1, mdir = -1, rc = -1, r;
	if ((tdir = open_track(rootfd, name, err)) < 0 ||
	    (mdir = open_dir(tdir, "current/metadata", 0, err)) < 0)
		goto out;
	if (!(c = client_for(tdir, mdir, name, f, label, sizeof label, err)) ||
	    nip_tuf_load_trusted(c, err) < 0)
		goto out;
	r = nip_tuf_find_target(c, target, &t, err);
	if (r == 0)
		rc = nip_tuf_download(c, &t, dirfd, outname, err);
out:
	nip_tuf_target_clear(&t);
	nip_tuf_client_free(c);
	if (mdir >= 0)
		close(mdir);
	if (tdir >= 0)
		close(tdir);
	return rc;
}

int nip_track_publishers(int rootfd, const char *name, struct nip_track_publisher **out,
			 size_t *n, struct nip_error *err)
{
	int tdir = open_track(rootfd, name, err), rc;
	json_t *root;

	*out = NULL;
	*n = 0;
	if (tdir < 0)
		return -1;
	/* The trusted root, verified when it was pinned or walked to. */
	root = read_json(tdir, "current/metadata/root.json", NIP_TUF_ROOT_MAX, err);
	close(tdir);
	if (!root)
		return nip_err_prefix(err, "track %s: ", name);
	rc = tuf_publishers_parse(json_object_get(json_object_get(root, "signed"), "nip"), "root.json",
				  out, n, err);
	json_decref(root);
	return rc < 0 ? nip_err_prefix(err, "track %s: ", name) : 0;
}

struct nip_track_lookup {
	struct nip_tuf_client *c;
	int tdir, mdir;
	size_t base; /* where the target path starts in the client's URLs */
	char label[NIP_TRACK_NAME_MAX + 16];
};

void nip_track_lookup_close(struct nip_track_lookup *l)
{
	if (!l)
		return;
	nip_tuf_client_free(l->c);
	if (l->mdir >= 0)
		close(l->mdir);
	if (l->tdir >= 0)
		close(l->tdir);
	free(l);
}

struct nip_track_lookup *nip_track_lookup_open(int rootfd, const char *name, struct nip_error *err)
{
	struct nip_track_lookup *l = calloc(1, sizeof *l);
	struct nip_fetcher none = {0};

	if (!l) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		return NULL;
	}
	l->tdir = l->mdir = -1;
	if ((l->tdir = open_track(rootfd, name, err)) < 0 ||
	    (l->mdir = open_dir(l->tdir, "current/metadata", 0, err)) < 0)
		goto fail;
	/* Trusted files only: nothing is fetched, so no fetcher is needed
	 * (the client keeps a copy of this empty one). */
	if (!(l->c = client_for(l->tdir, l->mdir, name, &none, l->label, sizeof l->label, err)) ||
	    nip_tuf_load_trusted(l->c, err) < 0)
		goto fail;
	l->base = strlen(l->c->turl) - strlen("targets");
	return l;
fail:
	nip_track_lookup_close(l);
	return NULL;
}

int nip_track_lookup_target(struct nip_track_lookup *l, const char *target,
			    struct nip_track_target *out, struct nip_error *err)
{
	char url[NIP_URL_MAX + 1024];
	struct nip_tuf_target t = {0};
	int r = nip_tuf_find_target(l->c, target, &t, err);

	memset(out, 0, sizeof *out);
	if (r == 0 && !t.have_sha256)
		r = nip_err(err, NIP_E_TRUST, "%s: %s: no sha256 hash", l->label, target);
	if (r == 0)
		r = tuf_target_name(l->c, &t, url, sizeof url, err);
	if (r == 0 && !(out->path = strdup(url + l->base)))
		r = nip_err(err, NIP_E_NOMEM, "out of memory");
	if (r == 0) {
		out->length = t.length;
		memcpy(out->sha256, t.sha256, NIP_SHA256_LEN);
	}
	nip_tuf_target_clear(&t);
	return r == 0 ? 0 : -1;
}

int nip_track_targets(int rootfd, const char *name, const char *const *targets, size_t n,
		      struct nip_track_target *out, struct nip_error *err)
{
	struct nip_track_lookup *l = nip_track_lookup_open(rootfd, name, err);
	size_t done = 0;

	memset(out, 0, n * sizeof *out);
	if (!l)
		return -1;
	for (; done < n; done++)
		if (nip_track_lookup_target(l, targets[done], &out[done], err) < 0)
			break;
	nip_track_lookup_close(l);
	if (done < n) {
		nip_track_targets_free(out, done);
		return -1;
	}
	return 0;
}

void nip_track_targets_free(struct nip_track_target *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].path);
		v[i].path = NULL;
	}
}
