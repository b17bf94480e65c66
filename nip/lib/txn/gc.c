/* Garbage collection: drop generations past the keep policy (never the
 * current one), then everything in the store that no kept generation uses.
 * The rows go first, in one logged transaction; files are removed after
 * the COMMIT, so a kill in between leaves only more garbage. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "txn_internal.h"

/* Objects as sorted 36-byte keys: hash, then mode (or ~0 for links). */
struct keyset {
	uint8_t (*v)[NIP_SHA256_LEN + 4];
	size_t n, cap;
};

static int keyset_add(struct keyset *k, const uint8_t hash[NIP_SHA256_LEN], uint32_t tag)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 1024;
		void *v = realloc(k->v, cap * sizeof *k->v);
		if (!v)
			return -1;
		k->v = v;
		k->cap = cap;
	}
	memcpy(k->v[k->n], hash, NIP_SHA256_LEN);
	memcpy(k->v[k->n] + NIP_SHA256_LEN, &tag, 4);
	k->n++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, NIP_SHA256_LEN + 4);
}

static int keyset_has(const struct keyset *k, const uint8_t hash[NIP_SHA256_LEN], uint32_t tag)
{
	uint8_t key[NIP_SHA256_LEN + 4];
	if (!k->n)
		return 0;
	memcpy(key, hash, NIP_SHA256_LEN);
	memcpy(key + NIP_SHA256_LEN, &tag, 4);
	return bsearch(key, k->v, k->n, sizeof *k->v, key_cmp) != NULL;
}

struct keep {
	struct nip_root *r;
	struct keyset objects, pkgs;
	struct txn_hmap trees; /* tree hash -> k itself: a set */
	const char *cell;
	int64_t *gens;
	size_t ngens;
};

static int keep_object(void *ctx, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode, int is_link)
{
	return keyset_has(&((struct keep *)ctx)->objects, hash, is_link ? ~0u : mode);
}

static int keep_tree(void *ctx, const uint8_t hash[NIP_SHA256_LEN])
{
	return txn_hmap_get(&((struct keep *)ctx)->trees, hash) != NULL;
}

static int keep_deploy(void *ctx, const char *name)
{
	struct keep *k = ctx;
	size_t cl = strlen(k->cell);
	int64_t g;
	/* Other cells' deployments are theirs to collect. */
	if (strncmp(name, k->cell, cl) != 0 || name[cl] != '-' || nip_parse_i64(name + cl + 1, 1, INT64_MAX, &g) < 0)
		return 1;
	for (size_t i = 0; i < k->ngens; i++)
		if (k->gens[i] == g)
			return 1;
	return 0;
}

/* 1 if the tree was marked before, 0 if marked now, -1 when out of memory. */
static int tree_seen(void *ctx, const uint8_t hash[NIP_SHA256_LEN])
{
	struct keep *k = ctx;
	if (txn_hmap_get(&k->trees, hash))
		return 1;
	return txn_hmap_put(&k->trees, hash, k) < 0 ? -1 : 0;
}

static int note_tree(void *ctx, const uint8_t hash[NIP_SHA256_LEN], const void *bytes, size_t len,
		     struct nip_error *err)
{
	return tree_seen(ctx, hash) < 0 ? nip_err(err, NIP_E_NOMEM, "out of memory") : 0;
}

/* Generation gen's trees, walked from its root in the store: a subtree
 * that an earlier generation shares is not read twice. Its packages' CIDs
 * are noted, so that their objects are marked once (mark_objects). Where
 * the stored tree is damaged, it is computed again from the packages. */
static int mark(struct nip_root *r, const char *cell, int64_t gen, struct keep *k, struct nip_error *err)
{
	struct nip_generation g = {0};
	struct txn_set set = {0};
	struct nip_file *files = NULL;
	struct nip_error ignored;
	size_t n = 0;
	uint8_t h[NIP_SHA256_LEN];
	int rc = -1;

	if (nip_db_generation_get(r->db, cell, gen, &g, err) < 0)
		return -1;
	for (size_t i = 0; i < g.npkgs; i++)
		if (keyset_add(&k->pkgs, g.pkgs[i].cid, 0) < 0) {
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
	if (nip_tree_walk(r->fs, g.root, tree_seen, k, &ignored) == 0) {
		rc = 0;
		goto out;
	}
	if (txn_generation_set(r, cell, gen, &set, err) < 0 || txn_compose(&set, &files, &n, err) < 0)
		goto out;
	rc = nip_files_root(files, n, note_tree, k, h, err);
out:
	free(files);
	txn_set_free(&set);
	nip_generation_free(&g);
	return rc;
}

static int mark_objects(struct keep *k, struct nip_error *err)
{
	uint8_t h[NIP_SHA256_LEN];

	if (k->pkgs.n)
		qsort(k->pkgs.v, k->pkgs.n, sizeof *k->pkgs.v, key_cmp);
	for (size_t i = 0; i < k->pkgs.n; i++) {
		struct nip_manifest *m;
		if (i && key_cmp(k->pkgs.v[i], k->pkgs.v[i - 1]) == 0)
			continue;
		if (txn_manifest(k->r, k->pkgs.v[i], &m, err) < 0)
			return -1;
		/* Its objects cannot be told: better no collection at all. */
		if (!m) {
			char cid[NIP_CID_STRLEN];
			nip_cid_format(k->pkgs.v[i], cid);
			return nip_err(err, NIP_E_FORMAT, "%s: a kept generation lists package %s, which the database lacks",
				       k->r->path, cid);
		}
		for (size_t j = 0; j < m->nfiles; j++) {
			const struct nip_file *f = &m->files[j];
			int bad = 0;
			if (f->type == NIP_FT_FILE)
				bad = keyset_add(&k->objects, f->sha256, f->mode) < 0;
			else if (f->type == NIP_FT_SYMLINK) {
				nip_sha256(f->target, strlen(f->target), h);
				bad = keyset_add(&k->objects, h, ~0u) < 0;
			}
			if (bad)
				return nip_err(err, NIP_E_NOMEM, "out of memory");
		}
	}
	return 0;
}

/* Every generation of every other cell is kept whole: only the cell acted
 * on loses generations, and the store is shared by all. */
static int mark_cell(void *ctx, const char *cell, struct nip_error *err)
{
	struct keep *k = ctx;
	struct nip_generation *gens = NULL;
	size_t n = 0;
	int rc;

	if (strcmp(cell, k->cell) == 0)
		return 0;
	rc = nip_db_generations(k->r->db, cell, &gens, &n, err);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = mark(k->r, cell, gens[i].number, k, err);
		nip_generation_free(&gens[i]);
	}
	free(gens);
	return rc;
}

int txn_gc(struct nip_root *r, const char *cell, int keep, struct nip_gc_stats *stats,
	   struct nip_error *err)
{
	struct nip_generation *gens = NULL;
	struct keep k = {.r = r, .cell = cell};
	struct nip_gc_stats local;
	size_t n = 0, dropped = 0;
	int64_t cur;
	char details[96];
	int rc = -1;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (nip_cell_name_check(cell, err) < 0 || nip_db_current(r->db, cell, &cur, err) < 0 ||
	    nip_db_generations(r->db, cell, &gens, &n, err) < 0)
		return -1;
	if (!(k.gens = calloc(n + 1, sizeof *k.gens))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	if (nip_db_begin(r->db, err) < 0)
		goto out;
	/* Oldest first: the newest `keep` and the current one stay. */
	for (size_t i = 0; i < n; i++) {
		if (gens[i].number == cur || i + (size_t)keep >= n) {
			k.gens[k.ngens++] = gens[i].number;
			continue;
		}
		if (nip_db_generation_drop(r->db, cell, gens[i].number, err) < 0) {
			nip_db_rollback(r->db);
			goto out;
		}
		dropped++;
	}
	if (dropped) {
		char subject[64];
		snprintf(subject, sizeof subject, "cell=%s", cell);
		snprintf(details, sizeof details, "dropped %zu generations, kept %zu", dropped, k.ngens);
		if (nip_provchain_append(r->db, &r->node, "gc", subject, details, err) < 0) {
			nip_db_rollback(r->db);
			goto out;
		}
	}
	if (nip_db_commit(r->db, err) < 0) {
		nip_db_rollback(r->db);
		goto out;
	}
	if (dropped && txn_anchor_save(r, err) < 0)
		goto out;
	for (size_t j = 0; j < k.ngens; j++)
		if (mark(r, cell, k.gens[j], &k, err) < 0)
			goto out;
	if (txn_each_cell(r, mark_cell, &k, err) < 0 || mark_objects(&k, err) < 0)
		goto out;
	if (k.objects.n) /* qsort may not see the NULL of an empty set */
		qsort(k.objects.v, k.objects.n, sizeof *k.objects.v, key_cmp);
	{
		const struct nip_gc_ops ops = {keep_object, keep_tree, keep_deploy};
		rc = nip_nexfs_gc(r->fs, &ops, &k, stats, err);
	}
out:
	for (size_t i = 0; i < n; i++)
		nip_generation_free(&gens[i]);
	free(gens);
	free(k.gens);
	free(k.objects.v);
	txn_hmap_free(&k.trees, NULL);
	free(k.pkgs.v);
	return rc;
}
