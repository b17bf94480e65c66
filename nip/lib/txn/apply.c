/* Making a package set a generation: import, compose, deploy, commit,
 * switch. Every step before the COMMIT only adds files nothing refers to
 * yet, so a failure or a kill at any point leaves the previous generation
 * current and intact; what it left behind is garbage for gc. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "txn_internal.h"

void txn_set_free(struct txn_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!s->v[i].borrowed)
			nip_manifest_free(s->v[i].m);
		free(s->v[i].path_owned);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int txn_current_set(struct nip_root *r, const char *cell, struct txn_set *out, struct nip_error *err)
{
	int64_t cur;

	out->v = NULL;
	out->n = 0;
	if (nip_db_current(r->db, cell, &cur, err) < 0)
		return -1;
	return cur ? txn_generation_set(r, cell, cur, out, err) : 0;
}

int txn_generation_set(struct nip_root *r, const char *cell, int64_t cur, struct txn_set *out,
		       struct nip_error *err)
{
	struct nip_generation g = {0};
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	if (nip_db_generation_get(r->db, cell, cur, &g, err) < 0)
		return -1;
	if (!(out->v = calloc(g.npkgs + 1, sizeof *out->v))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < g.npkgs; i++) {
		struct txn_pkg *p = &out->v[out->n];
		memcpy(p->cid, g.pkgs[i].cid, NIP_SHA256_LEN);
		p->explicit_ = g.pkgs[i].explicit_;
		p->borrowed = 1;
		if (txn_manifest(r, p->cid, &p->m, err) < 0)
			goto out;
		if (!p->m) {
			nip_err(err, NIP_E_FORMAT, "%s: generation %lld lists a package the database lacks",
				r->path, (long long)cur);
			goto out;
		}
		out->n++;
	}
	rc = 0;
out:
	nip_generation_free(&g);
	if (rc < 0)
		txn_set_free(out);
	return rc;
}

/* ---- import: one pass over each new package, objects written as the
 * reader confirms them ------------------------------------------------ */

struct importer {
	struct nip_nexfs *fs;
	struct nip_object_writer *w;
};

static int imp_begin(void *ctx, const struct nip_file *f, struct nip_error *err)
{
	struct importer *im = ctx;
	if (f->type != NIP_FT_FILE || nip_object_has(im->fs, f->sha256, f->mode, 0))
		return 0; /* stored already: its bytes are hashed but not written */
	return nip_object_begin(im->fs, &im->w, err);
}

static int imp_data(void *ctx, const void *p, size_t n, struct nip_error *err)
{
	struct importer *im = ctx;
	return im->w ? nip_object_write(im->w, p, n, err) : 0;
}

static int imp_end(void *ctx, const struct nip_file *f, struct nip_error *err)
{
	struct importer *im = ctx;
	struct nip_object_writer *w = im->w;
	im->w = NULL;
	return w ? nip_object_commit(w, f->sha256, f->mode, err) : 0;
}

static int import(struct nip_root *r, const struct txn_pkg *p, const struct nip_pubkey *keys,
		  size_t nkeys, struct nip_error *err)
{
	static const struct nip_read_ops ops = {NULL, imp_begin, imp_data, imp_end};
	struct importer im = {r->fs, NULL};
	struct nip_package *got = NULL;
	int fd = open(p->path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", p->path);
	rc = nip_package_read(fd, keys, nkeys, &ops, &im, &got, err);
	if (im.w)
		nip_object_abort(im.w);
	/* The file must still be the package whose head was checked. */
	if (rc == 0 && memcmp(got->cid, p->cid, NIP_SHA256_LEN) != 0)
		rc = nip_err(err, NIP_E_TRUST, "%s changed while it was installed", p->path);
	nip_package_free(got);
	close(fd);
	return rc < 0 ? nip_err_prefix(err, "%s: ", p->path) : 0;
}

/* A package whose every file is in the store already (reinstalled after a
 * rollback, or sharing all content) costs no payload I/O: its head was
 * verified, and the objects were verified when they were written. */
static int stored(struct nip_root *r, const struct nip_manifest *m)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].type == NIP_FT_FILE &&
		    !nip_object_has(r->fs, m->files[i].sha256, m->files[i].mode, 0))
			return 0;
	return 1;
}

/* After fsck --repair removed bad objects, installing the same package
 * file again re-imports them into a fresh generation. */
static int repairs(struct nip_root *r, const struct txn_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].path && !stored(r, set->v[i].m))
			return 1;
	return 0;
}

/* ---- compose: the union of the packages' files ----------------------- */

struct owned {
	const struct nip_file *f;
	size_t pkg;
};

static int by_path_then_pkg(const void *a, const void *b)
{
	const struct owned *x = a, *y = b;
	int c = nip_path_cmp(x->f->path, y->f->path);
	return c ? c : (x->pkg > y->pkg) - (x->pkg < y->pkg);
}

static int same_entry(const struct nip_file *a, const struct nip_file *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == NIP_FT_DIR)
		return 1; /* directories merge */
	if (a->mode != b->mode)
		return 0;
	if (a->type == NIP_FT_FILE)
		return memcmp(a->sha256, b->sha256, NIP_SHA256_LEN) == 0;
	if (a->type == NIP_FT_SYMLINK)
		return strcmp(a->target, b->target) == 0;
	return 0;
}

int txn_compose(const struct txn_set *set, struct nip_file **out, size_t *n, struct nip_error *err)
{
	struct owned *all;
	struct nip_file *files;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < set->n; i++)
		total += set->v[i].m->nfiles;
	all = malloc((total + 1) * sizeof *all);
	files = malloc((total + 1) * sizeof *files);
	if (!all || !files) {
		free(all);
		free(files);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = 0; j < set->v[i].m->nfiles; j++)
			all[k++] = (struct owned){&set->v[i].m->files[j], i};
	qsort(all, total, sizeof *all, by_path_then_pkg);
	k = 0;
	for (size_t i = 0; i < total; i++) {
		if (k && strcmp(files[k - 1].path, all[i].f->path) == 0) {
			const struct nip_manifest *a = set->v[all[i - 1].pkg].m, *b = set->v[all[i].pkg].m;
			if (same_entry(&files[k - 1], all[i].f))
				continue;
			nip_err(err, NIP_E_RESOLVE, "%s is in both %s-%s and %s-%s", all[i].f->path, a->name,
				a->version, b->name, b->version);
			free(all);
			free(files);
			return -1;
		}
		files[k++] = *all[i].f; /* shallow: strings stay the manifests' */
	}
	free(all);
	*out = files;
	*n = k;
	return 0;
}

/* ---- commit ------------------------------------------------------------- */

static int same_set(const struct txn_set *a, const struct txn_set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		size_t j;
		for (j = 0; j < b->n && memcmp(a->v[i].cid, b->v[j].cid, NIP_SHA256_LEN) != 0; j++)
			;
		if (j == b->n || a->v[i].explicit_ != b->v[j].explicit_)
			return 0;
	}
	return 1;
}

static void count_changes(const struct txn_set *old, const struct txn_set *new, struct nip_txn_result *res)
{
	for (size_t i = 0; i < new->n; i++) {
		size_t j;
		for (j = 0; j < old->n && strcmp(old->v[j].m->name, new->v[i].m->name) != 0; j++)
			;
		if (j == old->n)
			res->added++;
		else if (memcmp(old->v[j].cid, new->v[i].cid, NIP_SHA256_LEN) != 0)
			res->changed++;
	}
	for (size_t j = 0; j < old->n; j++) {
		size_t i;
		for (i = 0; i < new->n && strcmp(old->v[j].m->name, new->v[i].m->name) != 0; i++)
			;
		if (i == new->n)
			res->removed++;
	}
}

static int record(struct nip_root *r, const char *cell, const struct txn_set *set, int64_t gen,
		  const uint8_t root[NIP_SHA256_LEN], const char *event, const char *reason,
		  struct nip_error *err)
{
	int64_t old_current;
	struct nip_generation g = {.number = gen, .time = (int64_t)time(NULL), .reason = (char *)reason, .current = 1};
	struct nip_buf subject;
	int rc = -1;

	nip_buf_init(&subject, 1 << 20, "log subject");
	memcpy(g.root, root, NIP_SHA256_LEN);
	if (nip_db_current(r->db, cell, &old_current, err) < 0)
		return -1;
	if (!(g.pkgs = calloc(set->n + 1, sizeof *g.pkgs)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	g.npkgs = set->n;
	if (nip_buf_printf(&subject, err, "cell=%s generation=%lld", cell, (long long)gen) < 0)
		goto out;
	for (size_t i = 0; i < set->n; i++) {
		char cid[NIP_CID_STRLEN];
		const struct txn_pkg *p = &set->v[i];
		struct nip_buf man;
		memcpy(g.pkgs[i].cid, p->cid, NIP_SHA256_LEN);
		g.pkgs[i].explicit_ = p->explicit_;
		nip_cid_format(p->cid, cid);
		if (nip_buf_printf(&subject, err, " %s", cid) < 0)
			goto out;
		if (!p->path)
			continue;
		nip_buf_init(&man, NIP_MANIFEST_MAX, "manifest");
		rc = nip_manifest_serialize(p->m, &man, err) < 0 ||
			     nip_db_package_put(r->db, p->cid, man.data, man.len, p->signer, err) < 0
		     ? -1
		     : 0;
		nip_buf_free(&man);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (nip_buf_cstr(&subject, err) < 0 || nip_db_generation_add(r->db, cell, &g, err) < 0 ||
	    txn_set_previous(r, cell, old_current, err) < 0 || nip_db_set_current(r->db, cell, gen, err) < 0 ||
	    nip_provchain_append(r->db, &r->node, event, (char *)subject.data, reason, err) < 0)
		goto out;
	rc = 0;
out:
	free(g.pkgs);
	nip_buf_free(&subject);
	return rc;
}

int txn_apply(struct nip_root *r, const char *cell, struct txn_set *set, const char *event,
	      const char *reason, int dry_run, struct nip_txn_result *res, struct nip_error *err)
{
	struct txn_set old = {0};
	struct nip_nexfs_syncer *syncer = NULL;
	struct nip_pubkey *keys = NULL;
	struct nip_file *files = NULL, *oldfiles = NULL;
	size_t nkeys = 0, nfiles = 0, noldfiles = 0;
	uint8_t root[NIP_SHA256_LEN];
	char name[128];
	int64_t gen;
	int rc = -1, began = 0, synced;

	memset(res, 0, sizeof *res);
	if (nip_cell_name_check(cell, err) < 0 || txn_current_set(r, cell, &old, err) < 0)
		return -1;
	if (same_set(&old, set) && !repairs(r, set)) {
		rc = 0; /* nothing to do, and no generation for it */
		goto out;
	}
	count_changes(&old, set, res);
	if (txn_compose(set, &files, &nfiles, err) < 0 || dry_run) {
		rc = dry_run && files ? 0 : -1;
		goto out;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct txn_pkg *p = &set->v[i];
		if (!p->path || stored(r, p->m))
			continue;
		if (!p->keys && !keys && txn_trusted_keys(r, &keys, &nkeys, err) < 0)
			goto out;
		if (!syncer && nip_nexfs_sync_start(r->fs, &syncer, err) < 0)
			goto out;
		if (import(r, p, p->keys ? p->keys : keys, p->keys ? p->nkeys : nkeys, err) < 0)
			goto out;
	}
	/* The imported objects flush while the tree and checkout are built. */
	if (nip_nexfs_sync_finish(syncer, err) < 0 || txn_compose(&old, &oldfiles, &noldfiles, err) < 0 ||
	    txn_merge_etc(r, cell, oldfiles, noldfiles, files, nfiles, res, err) < 0)
		goto out;
	if ((gen = nip_db_generation_next(r->db, cell, err)) < 0 ||
	    nip_tree_store(r->fs, files, nfiles, root, err) < 0)
		goto out;
	txn_deploy_name(cell, gen, name, sizeof name);
	/* A deployment under this name was left by a transaction that never
	 * committed (generation numbers are only used once committed). */
	if (faccessat(nip_nexfs_deploy_fd(r->fs), name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    nip_deploy_remove(r->fs, name, err) < 0)
		goto out;
	if (txn_checkout(r, cell, gen, files, nfiles, err) < 0 || txn_triggers(r, cell, set, gen, err) < 0 ||
	    txn_run_index_write(r, cell, name, set, err) < 0)
		goto out;
	synced = nip_nexfs_sync_wait(syncer, err);
	syncer = NULL;
	if (synced < 0 || nip_nexfs_sync(r->fs, err) < 0)
		goto out;
	if (nip_db_begin(r->db, err) < 0)
		goto out;
	began = 1;
	if (record(r, cell, set, gen, root, event, reason, err) < 0 || nip_db_commit(r->db, err) < 0)
		goto out;
	began = 0;
	/* Committed: from here on a failure is repaired by reconcile. */
	res->generation = gen;
	if (txn_anchor_save(r, err) < 0 || txn_switch(r, cell, gen, err) < 0)
		goto out;
	rc = txn_gc(r, cell, r->keep, NULL, err);
out:
	if (syncer) {
		struct nip_error ignored;
		nip_nexfs_sync_wait(syncer, &ignored);
	}
	if (began)
		nip_db_rollback(r->db);
	free(files);
	free(oldfiles);
	free(keys);
	txn_set_free(&old);
	return rc;
}
