/* fsck of a whole root: the database, the store, every kept generation's
 * deployment, ProvChain. The store comes before the deployments so that a
 * repair which removed a bad object shows as that object missing, rather
 * than as a good-looking file that still shares its damaged inode. */
#include <stdio.h>
#include <stdlib.h>

#include "txn_internal.h"

struct fsck_run {
	struct nip_root *r;
	int repair;
	nip_fsck_bad_fn *bad;
	void *ctx;
	struct nip_fsck_stats *st;
};

static int check_generation(struct fsck_run *f, const char *cell, int64_t gen, struct nip_error *err)
{
	struct txn_set set = {0};
	struct nip_file *files = NULL;
	uint64_t missing = 0;
	size_t n = 0;
	char name[128];
	long bad;
	int rc = -1;

	txn_deploy_name(cell, gen, name, sizeof name);
	if (txn_generation_set(f->r, cell, gen, &set, err) < 0 || txn_compose(&set, &files, &n, err) < 0)
		goto out;
	f->st->deployments++;
	if ((bad = nip_deploy_check(f->r->fs, files, n, name, f->bad, f->ctx, &missing, err)) < 0)
		goto out;
	f->st->bad += (uint64_t)bad;
	rc = 0;
	if (!bad || !f->repair)
		goto out;
	if (missing) {
		f->st->unrepaired++;
	} else if ((rc = nip_deploy_redo(f->r->fs, files, n, name, err)) == 0) {
		f->st->repaired++;
	}
out:
	free(files);
	txn_set_free(&set);
	return rc;
}

static int check_cell(void *ctx, const char *cell, struct nip_error *err)
{
	struct fsck_run *f = ctx;
	struct nip_generation *gens = NULL;
	size_t n = 0;
	int rc = nip_db_generations(f->r->db, cell, &gens, &n, err);

	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = check_generation(f, cell, gens[i].number, err);
		nip_generation_free(&gens[i]);
	}
	free(gens);
	return rc;
}

int nip_txn_fsck(struct nip_root *r, int repair, nip_fsck_bad_fn *bad, void *ctx,
		 struct nip_fsck_stats *stats, struct nip_error *err)
{
	struct fsck_run f = {r, repair, bad, ctx, stats};
	uint64_t store_bad;
	char details[160];
	int64_t bad_seq;

	/* The database first: a damaged page is otherwise found only when a
	 * query happens to touch it. */
	if (nip_db_check(r->db, err) < 0 || nip_nexfs_fsck(r->fs, repair, bad, ctx, stats, err) < 0)
		return -1;
	store_bad = stats->bad;
	if (txn_each_cell(r, check_cell, &f, err) < 0 || nip_txn_log_verify(r, &bad_seq, err) < 0)
		return -1;
	if (!repair || !stats->bad)
		return 0;
	snprintf(details, sizeof details,
		 "removed %llu bad objects or trees; checked out %llu deployments again",
		 (unsigned long long)store_bad, (unsigned long long)stats->repaired);
	if (nip_db_begin(r->db, err) < 0)
		return -1;
	return txn_logged_commit(r, "fsck-repair", "store", details, err);
}
