/* The publisher side of a nip track, a static directory:
 *   metadata/  root.json + N.root.json, timestamp.json, N.snapshot.json,
 *              N.targets.json, N.bin-XX.json (consistent snapshots)
 *   targets/   index/HASH.XX.json.zst, pkgs/HASH.NAME-VERSION-ARCH.nip
 * A publish writes every new file under a new name first and replaces
 * timestamp.json last, so a client sees the old track or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "nip/package.h"
#include "track_index.h"


void bin_of_path(const char *path, unsigned digits, char out[8])
{
	uint8_t d[NIP_SHA256_LEN];
	char hex[NIP_SHA256_HEX];
	nip_sha256(path, strlen(path), d);
	nip_hex(d, sizeof d, hex);
	memcpy(out, hex, digits);
	out[digits] = 0;
}

void index_part_path(const char *bin, char out[32])
{
	snprintf(out, 32, "index/%s.json.zst", bin);
}

json_t *tuf_signed_base(const char *type, int64_t version, time_t expires)
{
	char t[21];
	tuf_time_format(expires, t);
	return json_pack("{s:s, s:s, s:I, s:s}", "_type", type, "spec_version", SPEC_VERSION,
			 "version", (json_int_t)version, "expires", t);
}

static json_t *signed_base(const char *type, int64_t version, unsigned days)
{
	return tuf_signed_base(type, version, time(NULL) + (time_t)days * DAY);
}

static int write_md(int mfd, const char *name, json_t *signed_obj, const struct nip_seckey *const *keys,
		    size_t nkeys, int excl, struct nip_buf *keep, struct nip_error *err)
{
	struct nip_buf b;
	int rc;
	nip_buf_init(&b, NIP_TUF_TARGETS_MAX, name);
	rc = tuf_sign_doc(signed_obj, keys, nkeys, &b, err);
	if (rc == 0)
		rc = nip_write_atomic(mfd, name, b.data, b.len, 0644, excl ? NIP_WRITE_EXCL : 0, err);
	if (rc == 0 && keep) {
		nip_buf_free(keep);
		*keep = b;
		return 0;
	}
	nip_buf_free(&b);
	return rc < 0 ? nip_err_prefix(err, "metadata/%s: ", name) : 0;
}

static int mkdirs(int dirfd, struct nip_error *err)
{
	const char *dirs[] = {"metadata", "targets", "targets/index", "targets/pkgs"};
	for (size_t i = 0; i < 4; i++)
		if (mkdirat(dirfd, dirs[i], 0755) < 0 && errno != EEXIST)
			return nip_err_sys(err, NIP_E_IO, errno, "%s", dirs[i]);
	return 0;
}

json_t *tuf_publishers_json(const struct nip_track_publisher *p, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		char id[NIP_KEYID_HEX], pk[65];
		nip_keyid_format(p[i].key.keyid, id);
		nip_hex(p[i].key.pk, 32, pk);
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "keyid", id, "public", pk,
						       "glob", p[i].glob ? p[i].glob : "*")) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int nip_track_init(int dirfd, const struct nip_track_init_opts *o, struct nip_error *err)
{
	struct nip_pubkey rootpub;
	char rid[NIP_SHA256_HEX], oid[NIP_SHA256_HEX];
	unsigned bins = o->bins ? o->bins : 256;
	json_t *s = NULL, *pubs = NULL;
	struct nip_buf b;
	const struct nip_seckey *keys[1] = {o->root_key};
	int mfd = -1, rc = -1;
	struct stat st;

	nip_buf_init(&b, NIP_TUF_ROOT_MAX, "root.json");
	if (bins != 16 && bins != 256 && bins != 4096)
		return nip_err(err, NIP_E_USAGE, "bins: %u is not 16, 256 or 4096", bins);
	if (!o->name || !nip_track_name_valid(o->name))
		return nip_err(err, NIP_E_USAGE, "track name: must be [a-z0-9][a-z0-9._-]*, at most %u bytes",
			       NIP_TRACK_NAME_MAX);
	if (fstatat(dirfd, "metadata/root.json", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return nip_err(err, NIP_E_USAGE, "metadata/root.json: a track is already there");
	if (mkdirs(dirfd, err) < 0)
		return -1;
	if ((mfd = openat(dirfd, "metadata", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "metadata");
	nip_seckey_public(o->root_key, &rootpub);
	if (nip_tuf_keyid(&rootpub, rid, err) < 0 || nip_tuf_keyid(o->online_key, oid, err) < 0)
		goto out;
	pubs = tuf_publishers_json(o->publishers, o->npublishers);
	s = signed_base("root", 1, o->expires_days ? o->expires_days : 365);
	if (!s || !pubs) {
		nip_err(err, NIP_E_NOMEM, "root.json: out of memory");
		goto out;
	}
	json_object_set_new(s, "consistent_snapshot", json_true());
	json_object_set_new(s, "keys", json_pack("{s:o, s:o}", rid, tuf_ed25519_key_json(rootpub.pk),
						 oid, tuf_ed25519_key_json(o->online_key->pk)));
	json_object_set_new(s, "roles",
			    json_pack("{s:{s:[s], s:i}, s:{s:[s], s:i}, s:{s:[s], s:i}, s:{s:[s], s:i}}",
				      "root", "keyids", rid, "threshold", 1, "timestamp", "keyids",
				      oid, "threshold", 1, "snapshot", "keyids", oid, "threshold", 1,
				      "targets", "keyids", oid, "threshold", 1));
	/* Who may publish what: trust in a package flows from this root. */
	json_object_set_new(s, "nip", json_pack("{s:s, s:i, s:O}", "name", o->name, "bins", bins,
						"publishers", pubs));
	rc = tuf_sign_doc(s, keys, 1, &b, err);
	s = NULL;
	if (rc == 0)
		rc = nip_write_atomic(mfd, "1.root.json", b.data, b.len, 0644, NIP_WRITE_EXCL, err);
	if (rc == 0)
		rc = nip_write_atomic(mfd, "root.json", b.data, b.len, 0644, 0, err);
out:
	json_decref(s);
	json_decref(pubs);
	nip_buf_free(&b);
	if (mfd >= 0)
		close(mfd);
	return rc;
}

/* ---- the current state of a track directory ----------------------- */

struct bin {
	char name[16]; /* "bin-XX" */
	int64_t version;
	json_t *targets; /* owned; the bin's targets as they will be */
	int touched;
};

struct track {
	int dirfd, mfd, ifd, pfd;
	struct tuf_md *root, *ts, *snap, *top;
	const json_t *nip;
	unsigned digits, nbins;
	struct bin *bins;
	char oid[NIP_SHA256_HEX];
	int fresh, rekey;
};

int tuf_md_load(int mfd, const char *name, enum tuf_type type, size_t max, struct tuf_md **out,
		struct nip_error *err)
{
	struct nip_buf b;
	int rc;
	nip_buf_init(&b, max, name);
	rc = nip_read_file(mfd, name, max, 1, &b, err);
	if (rc == 0)
		rc = tuf_md_parse(b.data, b.len, type, name, out, err);
	nip_buf_free(&b);
	return rc < 0 ? nip_err_prefix(err, "metadata/: ") : 0;
}

int tuf_root_latest(int mfd, struct tuf_md **out, struct nip_error *err)
{
	struct tuf_md *r = NULL;
	if (tuf_md_load(mfd, "root.json", TUF_ROOT, NIP_TUF_ROOT_MAX, &r, err) < 0)
		return -1;
	/* N+1.root.json without root.json following it: a rotation killed
	 * between its two writes. Clients already walk to it, so it is the
	 * current root; root.json is put right. */
	for (;;) {
		char name[64];
		struct tuf_md *n = NULL;
		struct nip_buf b;
		struct nip_error e;
		snprintf(name, sizeof name, "%lld.root.json", (long long)r->version + 1);
		nip_buf_init(&b, NIP_TUF_ROOT_MAX, name);
		if (nip_read_file(mfd, name, b.max, 1, &b, &e) < 0) {
			nip_buf_free(&b);
			break;
		}
		if (tuf_md_parse(b.data, b.len, TUF_ROOT, name, &n, err) < 0 ||
		    nip_write_atomic(mfd, "root.json", b.data, b.len, 0644, 0, err) < 0) {
			tuf_md_free(n);
			tuf_md_free(r);
			nip_buf_free(&b);
			return nip_err_prefix(err, "metadata/: ");
		}
		nip_buf_free(&b);
		tuf_md_free(r);
		r = n;
	}
	*out = r;
	return 0;
}

static void track_close(struct track *t)
{
	for (unsigned i = 0; t->bins && i < t->nbins; i++)
		json_decref(t->bins[i].targets);
	free(t->bins);
	tuf_md_free(t->root);
	tuf_md_free(t->ts);
	tuf_md_free(t->snap);
	tuf_md_free(t->top);
	if (t->mfd >= 0)
		close(t->mfd);
	if (t->ifd >= 0)
		close(t->ifd);
	if (t->pfd >= 0)
		close(t->pfd);
}

int tuf_role_has_key(const struct tuf_role *r, const char *id)
{
	for (size_t i = 0; i < r->nkeyids; i++)
		if (strcmp(r->keyids[i], id) == 0)
			return 1;
	return 0;
}

static int track_open(int dirfd, const struct nip_seckey *online, struct track *t,
		      struct nip_error *err)
{
	struct nip_pubkey opub;
	const json_t *bins;
	memset(t, 0, sizeof *t);
	t->dirfd = dirfd;
	t->mfd = t->ifd = t->pfd = -1;
	if (mkdirs(dirfd, err) < 0)
		return -1;
	if ((t->mfd = openat(dirfd, "metadata", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (t->ifd = openat(dirfd, "targets/index", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (t->pfd = openat(dirfd, "targets/pkgs", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "track directory");
	/* One writer at a time: two publishes would both sign version N+1. */
	if (flock(t->mfd, LOCK_EX) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "metadata: lock");
	if (tuf_root_latest(t->mfd, &t->root, err) < 0)
		return err && err->errnum == ENOENT ? nip_err_prefix(err, "not a track (run nip track init): ")
						    : -1;
	t->nip = json_object_get(t->root->signed_obj, "nip");
	bins = json_object_get(t->nip, "bins");
	t->nbins = (unsigned)json_integer_value(bins);
	if (!json_is_array(json_object_get(t->nip, "publishers")) ||
	    (t->nbins != 16 && t->nbins != 256 && t->nbins != 4096))
		return nip_err(err, NIP_E_FORMAT, "metadata/root.json: field nip: no bins or publishers");
	t->digits = t->nbins == 16 ? 1 : t->nbins == 256 ? 2 : 3;
	nip_seckey_public(online, &opub);
	if (nip_tuf_keyid(&opub, t->oid, err) < 0)
		return -1;
	for (int r = TUF_TIMESTAMP; r < TUF_NTYPES; r++)
		if (!tuf_role_has_key(&t->root->roles[r], t->oid))
			return nip_err(err, NIP_E_TRUST,
				       "online key: root.json does not name it for role %s", tuf_type_names[r]);
	if (!(t->bins = calloc(t->nbins, sizeof *t->bins)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	for (unsigned i = 0; i < t->nbins; i++)
		snprintf(t->bins[i].name, sizeof t->bins[i].name, "bin-%0*x", (int)t->digits, i);
	{
		struct stat st;
		if (fstatat(t->mfd, "timestamp.json", &st, AT_SYMLINK_NOFOLLOW) < 0) {
			t->fresh = 1;
			return 0;
		}
	}
	{
		char name[64];
		const json_t *m;
		if (tuf_md_load(t->mfd, "timestamp.json", TUF_TIMESTAMP, NIP_TUF_TIMESTAMP_MAX, &t->ts, err) < 0)
			return -1;
		m = json_object_get(t->ts->meta, "snapshot.json");
		snprintf(name, sizeof name, "%lld.snapshot.json",
			 (long long)json_integer_value(json_object_get(m, "version")));
		if (tuf_md_load(t->mfd, name, TUF_SNAPSHOT, NIP_TUF_SNAPSHOT_MAX, &t->snap, err) < 0)
			return -1;
		m = json_object_get(t->snap->meta, "targets.json");
		snprintf(name, sizeof name, "%lld.targets.json",
			 (long long)json_integer_value(json_object_get(m, "version")));
		if (tuf_md_load(t->mfd, name, TUF_TARGETS, NIP_TUF_TARGETS_MAX, &t->top, err) < 0)
			return -1;
		/* A rotated online key: the bins' delegation names the old one. */
		t->rekey = !t->top->dele || t->top->dele->nroles != t->nbins ||
			   !tuf_role_has_key(&t->top->dele->roles[0], t->oid);
	}
	return 0;
}

/* The bin's current targets, loaded on first use. */
static struct bin *get_bin(struct track *t, unsigned i, struct nip_error *err)
{
	struct bin *b = &t->bins[i];
	char key[32], name[64];
	const json_t *m;
	struct tuf_md *md = NULL;
	if (b->targets)
		return b;
	if (t->fresh) {
		b->targets = json_object();
		return b->targets ? b : NULL;
	}
	snprintf(key, sizeof key, "%s.json", b->name);
	m = json_object_get(t->snap->meta, key);
	if (!m) {
		nip_err(err, NIP_E_FORMAT, "metadata/snapshot.json: %s is not listed", key);
		return NULL;
	}
	b->version = json_integer_value(json_object_get(m, "version"));
	snprintf(name, sizeof name, "%lld.%s", (long long)b->version, key);
	if (tuf_md_load(t->mfd, name, TUF_TARGETS, NIP_TUF_TARGETS_MAX, &md, err) < 0)
		return NULL;
	b->targets = json_deep_copy(md->targets);
	tuf_md_free(md);
	if (!b->targets)
		nip_err(err, NIP_E_NOMEM, "out of memory");
	return b->targets ? b : NULL;
}

static unsigned bin_index(const struct track *t, const char *path)
{
	char hex[8];
	bin_of_path(path, t->digits, hex);
	return (unsigned)strtoul(hex, NULL, 16);
}

static json_t *fileinfo_json(uint64_t len, const uint8_t sha[NIP_SHA256_LEN])
{
	char hex[NIP_SHA256_HEX];
	nip_hex(sha, NIP_SHA256_LEN, hex);
	return json_pack("{s:I, s:{s:s}}", "length", (json_int_t)len, "hashes", "sha256", hex);
}

/* A new version of a targets role, snapshot or timestamp is named by no
 * published snapshot until timestamp.json is replaced: a leftover of a
 * killed publish under the same name is garbage, and is overwritten. */

/* ---- adding one package ------------------------------------------- */

struct added {
	json_t *entry; /* index entry */
	unsigned bin;
};

static int copy_package(struct track *t, int fd, const char *fname, uint8_t sha[NIP_SHA256_LEN],
			uint64_t *size, char *stored, size_t nstored, struct nip_error *err)
{
	struct nip_sha256 *h = nip_sha256_new(err);
	char buf[1 << 16], hex[NIP_SHA256_HEX];
	int out = -1, rc = -1;
	ssize_t r;
	*size = 0;
	if (!h)
		return -1;
	if (lseek(fd, 0, SEEK_SET) < 0 || (out = nip_tmpfile(t->pfd, 0644, err)) < 0) {
		if (out < 0 && err && err->code)
			goto out;
		nip_err_sys(err, NIP_E_IO, errno, "seek");
		goto out;
	}
	if (fchmod(out, 0644) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "chmod");
		goto out;
	}
	while ((r = nip_read_some(fd, buf, sizeof buf, fname, err)) > 0) {
		nip_sha256_update(h, buf, (size_t)r);
		*size += (uint64_t)r;
		if (nip_write_full(out, buf, (size_t)r, "targets/pkgs", err) < 0)
			goto out;
	}
	if (r < 0)
		goto out;
	nip_sha256_final(h, sha);
	nip_hex(sha, NIP_SHA256_LEN, hex);
	snprintf(stored, nstored, "%s.%s", hex, fname);
	rc = nip_tmpfile_link(out, t->pfd, stored, NIP_WRITE_EXCL, err);
	if (rc < 0 && err && err->errnum == EEXIST) {
		rc = 0; /* content-addressed: the same bytes are there already */
		nip_err_clear(err);
	}
out:
	nip_sha256_free(h);
	if (out >= 0)
		close(out);
	return rc;
}

static int add_package(struct track *t, const char *file, const struct nip_track_publisher *pubs,
		       const struct nip_pubkey *keys, size_t nkeys, struct added *out,
		       struct nip_error *err)
{
	struct nip_package *p = NULL;
	struct nip_buf fname;
	char id[NIP_KEYID_HEX], stored[NIP_NAME_MAX + 80], path[NIP_NAME_MAX + 16];
	uint8_t sha[NIP_SHA256_LEN];
	uint64_t size;
	struct bin *b;
	const json_t *old;
	int fd = open(file, O_RDONLY | O_CLOEXEC), rc = -1;

	nip_buf_init(&fname, NIP_NAME_MAX, "package file name");
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", file);
	/* The whole package, every payload byte, before it is published. */
	if (nip_package_read(fd, keys, nkeys, NULL, NULL, &p, err) < 0)
		goto out;
	nip_keyid_format(p->sig.keyid, id);
	if (!nip_track_publisher_allowed(pubs, nkeys, p->sig.keyid, p->manifest->name)) {
		nip_err(err, NIP_E_TRUST, "%s: signer %s may not publish this name on this track",
			p->manifest->name, id);
		goto out;
	}
	if (nip_manifest_filename(p->manifest, &fname, err) < 0 ||
	    nip_buf_cstr(&fname, err) < 0 ||
	    copy_package(t, fd, (char *)fname.data, sha, &size, stored, sizeof stored, err) < 0)
		goto out;
	snprintf(path, sizeof path, "pkgs/%s", (char *)fname.data);
	out->bin = bin_index(t, path);
	if (!(b = get_bin(t, out->bin, err)))
		goto out;
	old = json_object_get(json_object_get(b->targets, path), "hashes");
	if (old) {
		char hex[NIP_SHA256_HEX];
		nip_hex(sha, sizeof sha, hex);
		if (strcmp(json_string_value(json_object_get(old, "sha256")), hex) != 0) {
			nip_err(err, NIP_E_USAGE, "%s is already published with other content; "
						  "publish a new version",
				path);
			goto out;
		}
	}
	json_object_set_new(b->targets, path, fileinfo_json(size, sha));
	b->touched = 1;
	out->entry = index_entry(p->manifest, p->cid, id, size, path);
	if (!out->entry) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		nip_err_prefix(err, "%s: ", file);
	nip_package_free(p);
	nip_buf_free(&fname);
	close(fd);
	return rc;
}

static int cmp_entries(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "name")),
		       json_string_value(json_object_get(y, "name")));
	if (!c)
		c = nip_version_cmp(json_string_value(json_object_get(x, "version")),
				    json_string_value(json_object_get(y, "version")));
	if (!c)
		c = strcmp(json_string_value(json_object_get(x, "arch")),
			   json_string_value(json_object_get(y, "arch")));
	return c;
}

/* Rewrites the index part of bin i with `adds` merged in. */
static int write_part(struct track *t, unsigned i, struct added *adds, size_t nadds,
		      struct nip_error *err)
{
	char ppath[32], stored[128], hex[NIP_SHA256_HEX];
	const json_t *cur;
	json_t *doc = NULL, *pk, **v = NULL;
	struct nip_buf raw, z;
	struct bin *holder;
	uint8_t sha[NIP_SHA256_LEN];
	size_t n = 0;
	int rc = -1;

	nip_buf_init(&raw, NIP_INDEX_PART_MAX, "index part");
	nip_buf_init(&z, NIP_INDEX_PART_MAX, "index part");
	index_part_path(t->bins[i].name + 4, ppath);
	if (!(holder = get_bin(t, bin_index(t, ppath), err)))
		goto out;
	cur = json_object_get(holder->targets, ppath);
	if (cur) {
		/* The current part, read back from the track and checked. */
		struct nip_buf f;
		const char *h = json_string_value(json_object_get(json_object_get(cur, "hashes"), "sha256"));
		nip_buf_init(&f, NIP_INDEX_PART_MAX, ppath);
		snprintf(stored, sizeof stored, "%s.%s.json.zst", h ? h : "", t->bins[i].name + 4);
		rc = nip_read_file(t->ifd, stored, f.max, 1, &f, err);
		if (rc == 0)
			rc = index_decompress(f.data, f.len, &raw, stored, err);
		nip_buf_free(&f);
		if (rc < 0 || !(doc = tuf_json_load(raw.data, raw.len, stored, err)) ||
		    index_check(doc, stored, NULL, err) < 0) {
			rc = -1;
			goto out;
		}
		rc = -1;
		raw.len = 0;
	} else if (!(doc = json_pack("{s:s, s:[]}", "bin", t->bins[i].name + 4, "packages"))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	pk = json_object_get(doc, "packages");
	for (size_t a = 0; a < nadds; a++) {
		if (adds[a].bin != i)
			continue;
		for (size_t j = 0; j < json_array_size(pk); j++)
			if (strcmp(json_string_value(json_object_get(json_array_get(pk, j), "path")),
				   json_string_value(json_object_get(adds[a].entry, "path"))) == 0) {
				json_array_remove(pk, j);
				break;
			}
		json_array_append(pk, adds[a].entry);
	}
	n = json_array_size(pk);
	if (!(v = malloc((n + 1) * sizeof *v))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t j = 0; j < n; j++)
		v[j] = json_incref(json_array_get(pk, j));
	qsort(v, n, sizeof *v, cmp_entries);
	json_array_clear(pk);
	for (size_t j = 0; j < n; j++)
		json_array_append_new(pk, v[j]);
	if (tuf_canonical(doc, &raw, err) < 0 || index_compress(&raw, &z, err) < 0)
		goto out;
	nip_sha256(z.data, z.len, sha);
	nip_hex(sha, sizeof sha, hex);
	snprintf(stored, sizeof stored, "%s.%s.json.zst", hex, t->bins[i].name + 4);
	if (nip_write_atomic(t->ifd, stored, z.data, z.len, 0644, 0, err) < 0)
		goto out;
	json_object_set_new(holder->targets, ppath, fileinfo_json(z.len, sha));
	holder->touched = 1;
	rc = 0;
out:
	free(v);
	json_decref(doc);
	nip_buf_free(&raw);
	nip_buf_free(&z);
	return rc;
}

static json_t *delegations_json(const struct track *t, const struct nip_pubkey *opub)
{
	json_t *roles = json_array(), *d;
	for (unsigned i = 0; roles && i < t->nbins; i++)
		json_array_append_new(roles, json_pack("{s:s, s:[s], s:i, s:b, s:[s]}", "name",
						       t->bins[i].name, "keyids", t->oid, "threshold", 1,
						       "terminating", 1, "path_hash_prefixes",
						       t->bins[i].name + 4));
	d = json_pack("{s:{s:o}, s:o}", "keys", t->oid, tuf_ed25519_key_json(opub->pk), "roles", roles);
	return d;
}

static int publish(int dirfd, const struct nip_seckey *online, const char *const *files,
		   size_t nfiles,
		   void (*report)(void *ctx, const char *name, const char *version, const char *arch,
				  const char *target),
		   void *ctx, int resign_targets, struct nip_error *err);

int nip_track_publish(int dirfd, const struct nip_seckey *online, const char *const *files,
		      size_t nfiles,
		      void (*report)(void *ctx, const char *name, const char *version,
				     const char *arch, const char *target),
		      void *ctx, struct nip_error *err)
{
	return publish(dirfd, online, files, nfiles, report, ctx, 0, err);
}

int tuf_track_resign_targets(int dirfd, const struct nip_seckey *online, struct nip_error *err)
{
	return publish(dirfd, online, NULL, 0, NULL, NULL, 1, err);
}

/* resign_targets: every targets role is signed anew (as after a rotation
 * of the online key), so that none runs out on a track nobody publishes
 * to. */
static int publish(int dirfd, const struct nip_seckey *online, const char *const *files,
		   size_t nfiles,
		   void (*report)(void *ctx, const char *name, const char *version, const char *arch,
				  const char *target),
		   void *ctx, int resign_targets, struct nip_error *err)
{
	struct track t;
	struct added *adds = calloc(nfiles + 1, sizeof *adds);
	struct nip_pubkey *keys = NULL, opub;
	struct nip_track_publisher *pubs = NULL;
	const struct nip_seckey *sk[1] = {online};
	size_t nkeys = 0;
	int64_t top_version, snap_version, ts_version;
	json_t *meta = NULL, *s;
	struct nip_buf snapbuf;
	char name[64];
	int rc = -1;

	nip_buf_init(&snapbuf, NIP_TUF_SNAPSHOT_MAX, "snapshot");
	if (!adds)
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	if (track_open(dirfd, online, &t, err) < 0 ||
	    tuf_publishers_parse(t.nip, "metadata/root.json", &pubs, &nkeys, err) < 0)
		goto out;
	if (resign_targets && !t.fresh)
		t.rekey = 1;
	if (nfiles && !nkeys) {
		nip_err(err, NIP_E_TRUST, "%s: root.json authorises no publisher (nip track authorize)",
			files[0]);
		goto out;
	}
	if (!(keys = calloc(nkeys + 1, sizeof *keys)))
		goto nomem;
	for (size_t i = 0; i < nkeys; i++)
		keys[i] = pubs[i].key;
	nip_seckey_public(online, &opub);
	for (size_t i = 0; i < nfiles; i++)
		if (add_package(&t, files[i], pubs, keys, nkeys, &adds[i], err) < 0)
			goto out;
	for (unsigned b = 0; b < t.nbins; b++) {
		int any = 0;
		for (size_t i = 0; i < nfiles && !any; i++)
			any = adds[i].bin == b;
		if (any && write_part(&t, b, adds, nfiles, err) < 0)
			goto out;
	}
	/* Bins: new versions under new names; nothing a client reads yet. */
	for (unsigned b = 0; b < t.nbins; b++) {
		struct bin *bn = &t.bins[b];
		if (!(t.fresh || t.rekey || bn->touched))
			continue;
		if (!get_bin(&t, b, err))
			goto out;
		bn->version++;
		s = signed_base("targets", bn->version, TARGETS_DAYS);
		if (!s || json_object_set(s, "targets", bn->targets) < 0) {
			json_decref(s);
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(name, sizeof name, "%lld.%s.json", (long long)bn->version, bn->name);
		if (write_md(t.mfd, name, s, sk, 1, 0, NULL, err) < 0)
			goto out;
		bn->touched = 1;
	}
	top_version = t.top ? t.top->version : 0;
	if (t.fresh || t.rekey) {
		top_version++;
		s = signed_base("targets", top_version, TARGETS_DAYS);
		if (!s || json_object_set_new(s, "targets", json_object()) < 0 ||
		    json_object_set_new(s, "delegations", delegations_json(&t, &opub)) < 0) {
			json_decref(s);
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(name, sizeof name, "%lld.targets.json", (long long)top_version);
		if (write_md(t.mfd, name, s, sk, 1, 0, NULL, err) < 0)
			goto out;
	}
	/* Snapshot: every targets role and its version. */
	meta = t.snap ? json_deep_copy(t.snap->meta) : json_object();
	if (!meta)
		goto nomem;
	json_object_set_new(meta, "targets.json", json_pack("{s:I}", "version", (json_int_t)top_version));
	for (unsigned b = 0; b < t.nbins; b++)
		if (t.bins[b].touched) {
			snprintf(name, sizeof name, "%s.json", t.bins[b].name);
			json_object_set_new(meta, name,
					    json_pack("{s:I}", "version", (json_int_t)t.bins[b].version));
		}
	snap_version = (t.snap ? t.snap->version : 0) + 1;
	s = signed_base("snapshot", snap_version, SNAPSHOT_DAYS);
	if (!s || json_object_set(s, "meta", meta) < 0) {
		json_decref(s);
		goto nomem;
	}
	snprintf(name, sizeof name, "%lld.snapshot.json", (long long)snap_version);
	if (write_md(t.mfd, name, s, sk, 1, 0, &snapbuf, err) < 0)
		goto out;
	/* The timestamp last: one rename makes the whole publish visible. */
	{
		uint8_t sha[NIP_SHA256_LEN];
		char hex[NIP_SHA256_HEX];
		nip_sha256(snapbuf.data, snapbuf.len, sha);
		nip_hex(sha, sizeof sha, hex);
		ts_version = (t.ts ? t.ts->version : 0) + 1;
		s = signed_base("timestamp", ts_version, TIMESTAMP_DAYS);
		if (!s || json_object_set_new(s, "meta",
					      json_pack("{s:{s:I, s:I, s:{s:s}}}", "snapshot.json", "version",
							(json_int_t)snap_version, "length",
							(json_int_t)snapbuf.len, "hashes", "sha256", hex)) < 0) {
			json_decref(s);
			goto nomem;
		}
		if (write_md(t.mfd, "timestamp.json", s, sk, 1, 0, NULL, err) < 0)
			goto out;
	}
	if (report)
		for (size_t i = 0; i < nfiles; i++)
			report(ctx, json_string_value(json_object_get(adds[i].entry, "name")),
			       json_string_value(json_object_get(adds[i].entry, "version")),
			       json_string_value(json_object_get(adds[i].entry, "arch")),
			       json_string_value(json_object_get(adds[i].entry, "path")));
	rc = 0;
	goto out;
nomem:
	nip_err(err, NIP_E_NOMEM, "out of memory");
out:
	for (size_t i = 0; i < nfiles; i++)
		json_decref(adds[i].entry);
	free(adds);
	free(keys);
	free(pubs);
	json_decref(meta);
	nip_buf_free(&snapbuf);
	track_close(&t);
	return rc;
}
