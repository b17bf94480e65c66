/* Checking out a new generation, by recycling the deployment of the one
 * that the gc after this transaction would drop anyway (the oldest beyond
 * the keep policy) when that is cheaper than a fresh checkout.
 *
 * The order keeps every crash safe. The candidate is checked whole against
 * its file list first (as fsck does), so recycling carries on nothing that
 * a fresh checkout would not make. Its generation is then dropped in a
 * logged commit of its own, before its deployment is touched: a kill from
 * there on leaves the current generation intact and the half-recycled
 * tree as garbage for gc. The price is that a transaction which then fails
 * has still dropped that one generation, as the gc after its success would
 * have. The current generation is never recycled. */
#include <stdio.h>
#include <stdlib.h>

#include "txn_internal.h"

/* The oldest generation that the gc after this transaction drops, never
 * the current one; 0 when there is none. */
static int64_t victim(struct nip_root *r, const char *cell, struct nip_error *err)
{
	struct nip_generation *gens = NULL;
	size_t n = 0;
	int64_t cur, v = 0;

	if (nip_db_current(r->db, cell, &cur, err) < 0 || nip_db_generations(r->db, cell, &gens, &n, err) < 0)
		return -1;
	/* With the new one there are n + 1; gc keeps the newest `keep`. */
	for (size_t i = 0; !v && i + (size_t)r->keep < n + 1; i++)
		if (gens[i].number != cur)
			v = gens[i].number;
	for (size_t i = 0; i < n; i++)
		nip_generation_free(&gens[i]);
	free(gens);
	return v;
}

/* The plan for turning generation v's deployment into `files`, if that
 * deployment is whole and recycling it beats a checkout; else NULL. */
static struct nip_deploy_plan *plan_for(struct nip_root *r, const char *cell, int64_t v,
					const struct nip_file *files, size_t nfiles,
					struct txn_set *vset, struct nip_file **vfiles,
					struct nip_error *err)
{
	struct nip_deploy_plan *plan = NULL;
	size_t nv = 0;
	uint64_t missing;
	char name[128];

	if (txn_generation_set(r, cell, v, vset, err) < 0 || txn_compose(vset, vfiles, &nv, err) < 0 ||
	    nip_deploy_plan(*vfiles, nv, files, nfiles, &plan, err) < 0)
		return NULL;
	/* A checkout makes every entry and gc removes every old one;
	 * recycling makes and removes the changed ones only. */
	txn_deploy_name(cell, v, name, sizeof name);
	if (nip_deploy_plan_changes(plan) >= nfiles + nv ||
	    nip_deploy_check(r->fs, *vfiles, nv, name, NULL, NULL, &missing, err) != 0 || missing) {
		nip_deploy_plan_free(plan);
		return NULL;
	}
	return plan;
}

int txn_checkout(struct nip_root *r, const char *cell, int64_t gen, const struct nip_file *files,
		 size_t nfiles, struct nip_error *err)
{
	struct txn_set vset = {0};
	struct nip_file *vfiles = NULL;
	struct nip_deploy_plan *plan = NULL;
	struct nip_error ignored;
	char from[128], to[128], subject[160], details[96];
	int64_t v = victim(r, cell, err);
	int rc = -1;

	if (v < 0)
		return -1;
	txn_deploy_name(cell, gen, to, sizeof to);
	if (v && (plan = plan_for(r, cell, v, files, nfiles, &vset, &vfiles, &ignored))) {
		txn_deploy_name(cell, v, from, sizeof from);
		snprintf(subject, sizeof subject, "cell=%s", cell);
		snprintf(details, sizeof details, "dropped generation %lld, its deployment recycled for %lld",
			 (long long)v, (long long)gen);
		if (nip_db_begin(r->db, err) < 0)
			goto out;
		if (nip_db_generation_drop(r->db, cell, v, err) < 0) {
			nip_db_rollback(r->db);
			goto out;
		}
		if (txn_logged_commit(r, "gc", subject, details, err) < 0)
			goto out;
		/* Whatever went wrong, a fresh checkout can still succeed. */
		if (nip_deploy_recycle(r->fs, from, to, plan, &ignored) == 0) {
			rc = 0;
			goto out;
		}
	}
	rc = nip_deploy_checkout(r->fs, files, nfiles, to, err);
out:
	nip_deploy_plan_free(plan);
	free(vfiles);
	txn_set_free(&vset);
	return rc;
}
