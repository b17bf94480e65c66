/* The operations on a root: each resolves, then hands a package set to
 * txn_apply, or switches, in one transaction. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "txn_internal.h"

int txn_trusted_keys(struct nip_root *r, struct nip_pubkey **keys, size_t *n, struct nip_error *err)
{
	struct nip_trusted *t = NULL;
	size_t nt = 0;

	if (nip_db_trust_list(r->db, &t, &nt, err) < 0)
		return -1;
	if (!nt) {
		nip_trusted_free(t, nt);
		return nip_err(err, NIP_E_TRUST, "no signer is trusted in %s (nip trust add KEY.pub)", r->path);
	}
	if (!(*keys = calloc(nt, sizeof **keys))) {
		nip_trusted_free(t, nt);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < nt; i++)
		(*keys)[i] = t[i].key;
	*n = nt;
	nip_trusted_free(t, nt);
	return 0;
}

static const char *machine_arch(struct utsname *u)
{
	uname(u);
	return u->machine;
}

/* The solver's answer as a set: entries move out of cur and cand. */
static int take_result(void **handles, size_t n, struct txn_set *out, struct nip_error *err)
{
	out->n = 0;
	if (!(out->v = calloc(n + 1, sizeof *out->v)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct txn_pkg *p = handles[i];
		out->v[out->n++] = *p;
		p->m = NULL;
	}
	return 0;
}

/* "remove a b", "install hello-1.1-1": the generation's reason. */
static void reason_add(char *out, size_t outsz, const char *word)
{
	size_t len = strlen(out);
	if (len + 1 < outsz)
		snprintf(out + len, outsz - len, "%s%s", len ? " " : "", word);
}

int nip_txn_install_files(struct nip_root *r, const char *cell, char *const *paths, size_t n,
			  int dry_run, struct nip_txn_result *res, struct nip_error *err)
{
	struct txn_set cur = {0}, cand = {0}, next = {0};
	struct nip_pubkey *keys = NULL;
	struct nip_solver *s = NULL;
	struct utsname u;
	void **result = NULL;
	size_t nkeys = 0, nres = 0;
	char reason[512] = "install";
	int rc = -1;

	memset(res, 0, sizeof *res);

	if (txn_trusted_keys(r, &keys, &nkeys, err) < 0 || txn_current_set(r, cell, &cur, err) < 0)
		goto out;
	if (!(cand.v = calloc(n + 1, sizeof *cand.v))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	/* Heads first: every signature and manifest is checked before the
	 * plan, so a bad file costs no payload I/O and writes nothing. */
	for (size_t i = 0; i < n; i++) {
		struct nip_package *pkg = NULL;
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "%s", paths[i]);
			goto out;
		}
		rc = nip_package_read_head(fd, keys, nkeys, &pkg, err);
		close(fd);
		if (rc < 0) {
			nip_err_prefix(err, "%s: ", paths[i]);
			goto out;
		}
		rc = -1;
		memcpy(cand.v[i].cid, pkg->cid, NIP_SHA256_LEN);
		memcpy(cand.v[i].signer, pkg->sig.keyid, NIP_KEYID_LEN);
		cand.v[i].m = pkg->manifest;
		cand.v[i].explicit_ = 1;
		cand.v[i].path = paths[i];
		{
			char nv[300];
			snprintf(nv, sizeof nv, "%s-%s", pkg->manifest->name, pkg->manifest->version);
			reason_add(reason, sizeof reason, nv);
		}
		pkg->manifest = NULL;
		nip_package_free(pkg);
		cand.n++;
	}
	if (!(s = nip_solver_new(machine_arch(&u), err)))
		goto out;
	for (size_t i = 0; i < cur.n; i++)
		if (nip_solver_add(s, cur.v[i].m, 1, &cur.v[i], err) < 0)
			goto out;
	for (size_t i = 0; i < cand.n; i++) {
		size_t j;
		for (j = 0; j < cur.n && memcmp(cur.v[j].cid, cand.v[i].cid, NIP_SHA256_LEN) != 0; j++)
			;
		if (j < cur.n) {
			cur.v[j].explicit_ = 1; /* installed already: now asked for by name */
			cur.v[j].path = paths[i]; /* to re-import what fsck --repair removed */
			continue;
		}
		if (nip_solver_add(s, cand.v[i].m, 0, &cand.v[i], err) < 0 ||
		    nip_solver_install(s, &cand.v[i], err) < 0)
			goto out;
	}
	if (nip_solver_solve(s, &result, &nres, &res->problems, err) < 0 ||
	    take_result(result, nres, &next, err) < 0)
		goto out;
	rc = txn_apply(r, cell, &next, "install", reason, dry_run, res, err);
out:
	free(result);
	nip_solver_free(s);
	txn_set_free(&next);
	txn_set_free(&cand);
	txn_set_free(&cur);
	free(keys);
	return rc;
}

int nip_txn_remove(struct nip_root *r, const char *cell, char *const *names, size_t n, int cascade,
		   int dry_run, struct nip_txn_result *res, struct nip_error *err)
{
	struct txn_set cur = {0}, next = {0};
	struct nip_solver *s = NULL;
	struct utsname u;
	void **result = NULL;
	size_t nres = 0;
	char reason[512];
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (txn_current_set(r, cell, &cur, err) < 0 || !(s = nip_solver_new(machine_arch(&u), err)))
		goto out;
	for (size_t i = 0; i < cur.n; i++)
		if (nip_solver_add(s, cur.v[i].m, 1, &cur.v[i], err) < 0)
			goto out;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < cur.n && strcmp(cur.v[j].m->name, names[i]) != 0; j++)
			;
		if (j == cur.n) {
			nip_err(err, NIP_E_RESOLVE, "%s is not installed in cell %s", names[i], cell);
			goto out;
		}
		if (nip_solver_remove(s, names[i], cascade, err) < 0)
			goto out;
	}
	if (nip_solver_solve(s, &result, &nres, &res->problems, err) < 0 ||
	    take_result(result, nres, &next, err) < 0)
		goto out;
	reason[0] = '\0';
	reason_add(reason, sizeof reason, "remove");
	for (size_t i = 0; i < n; i++)
		reason_add(reason, sizeof reason, names[i]);
	rc = txn_apply(r, cell, &next, "remove", reason, dry_run, res, err);
out:
	free(result);
	nip_solver_free(s);
	txn_set_free(&next);
	txn_set_free(&cur);
	return rc;
}

int txn_logged_commit(struct nip_root *r, const char *event, const char *subject,
		      const char *details, struct nip_error *err)
{
	if (nip_provchain_append(r->db, &r->node, event, subject, details, err) < 0 ||
	    nip_db_commit(r->db, err) < 0) {
		nip_db_rollback(r->db);
		return -1;
	}
	return txn_anchor_save(r, err);
}

int nip_txn_rollback(struct nip_root *r, const char *cell, int64_t gen, int64_t *now_current,
		     struct nip_error *err)
{
	struct nip_generation *gens = NULL;
	size_t n = 0;
	int64_t cur, want = gen;
	char subject[128], details[64];
	int rc = -1, found = 0;

	if (nip_cell_name_check(cell, err) < 0 || nip_db_current(r->db, cell, &cur, err) < 0 ||
	    nip_db_generations(r->db, cell, &gens, &n, err) < 0)
		return -1;
	if (want == 0) {
		/* The one current before this, if gc has kept it. */
		int64_t prev = 0;
		if (txn_previous(r, cell, &prev, err) < 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (gens[i].number == prev && prev != cur)
				want = prev;
	}
	/* Oldest first: for the default, the last one below the current wins. */
	for (size_t i = 0; i < n; i++)
		if (want == 0 ? gens[i].number < cur : gens[i].number == want) {
			found = 1;
			gen = gens[i].number;
		}
	if (!found) {
		nip_err(err, NIP_E_USAGE, want ? "cell %s has no generation %lld (see nip generations)"
						: "cell %s has no generation older than the current one",
			cell, (long long)want);
		goto out;
	}
	if (gen == cur) {
		rc = 0;
		*now_current = cur;
		goto out;
	}
	snprintf(subject, sizeof subject, "cell=%s from=%lld to=%lld", cell, (long long)cur, (long long)gen);
	snprintf(details, sizeof details, "rollback to %lld", (long long)gen);
	if (nip_db_begin(r->db, err) < 0)
		goto out;
	if (txn_set_previous(r, cell, cur, err) < 0 || nip_db_set_current(r->db, cell, gen, err) < 0) {
		nip_db_rollback(r->db);
		goto out;
	}
	if (txn_logged_commit(r, "rollback", subject, details, err) < 0 || txn_switch(r, cell, gen, err) < 0)
		goto out;
	/* The cell's ld.so.cache follows the generation it runs. */
	{
		struct txn_set set = {0};
		int trc = txn_generation_set(r, cell, gen, &set, err) < 0 ? -1 : txn_triggers(r, cell, &set, gen, err);
		txn_set_free(&set);
		if (trc < 0)
			goto out;
	}
	*now_current = gen;
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		nip_generation_free(&gens[i]);
	free(gens);
	return rc;
}

int nip_txn_trust_add(struct nip_root *r, const char *name, const struct nip_pubkey *key, struct nip_error *err)
{
	char id[NIP_KEYID_HEX], subject[128];
	nip_keyid_format(key->keyid, id);
	snprintf(subject, sizeof subject, "key=%s name=%s", id, name);
	if (nip_db_begin(r->db, err) < 0)
		return -1;
	if (nip_db_trust_add(r->db, name, key, err) < 0) {
		nip_db_rollback(r->db);
		return -1;
	}
	return txn_logged_commit(r, "trust-add", subject, "trust a signer of local packages", err);
}

int nip_txn_trust_remove(struct nip_root *r, const char *name_or_id, struct nip_error *err)
{
	char subject[300];
	snprintf(subject, sizeof subject, "key=%s", name_or_id);
	if (nip_db_begin(r->db, err) < 0)
		return -1;
	if (nip_db_trust_remove(r->db, name_or_id, err) < 0) {
		nip_db_rollback(r->db);
		return -1;
	}
	return txn_logged_commit(r, "trust-remove", subject, "stop trusting a signer", err);
}

int nip_txn_log_verify(struct nip_root *r, int64_t *bad_seq, struct nip_error *err)
{
	struct nip_provchain_anchor a;
	int have;
	if (txn_anchor_load(r, &a, &have, err) < 0)
		return -1;
	return nip_provchain_verify(r->db, &r->node_pub, have ? &a : NULL, bad_seq, err);
}

int nip_txn_gc(struct nip_root *r, const char *cell, int keep, struct nip_gc_stats *stats,
	       struct nip_error *err)
{
	return txn_gc(r, cell, keep, stats, err);
}
