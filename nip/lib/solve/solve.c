/* libsolv behind nip's own relation parser. One pool per solve: the sets
 * handled here (an installed root plus local files) are small; tracks will
 * bring a cached .solv per track. */
#include <stdlib.h>
#include <string.h>

#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/repo.h>
#include <solv/solver.h>
#include <solv/transaction.h>

#include "internal.h"

struct nip_solver *nip_solver_new(const char *arch, struct nip_error *err)
{
	struct nip_solver *s = calloc(1, sizeof *s);
	if (!s || !(s->pool = pool_create())) {
		free(s);
		nip_err(err, NIP_E_NOMEM, "solver: out of memory");
		return NULL;
	}
	if (pool_setdisttype(s->pool, DISTTYPE_DEB) < 0) {
		pool_free(s->pool);
		free(s);
		nip_err(err, NIP_E_INTERNAL, "solver: this libsolv lacks Debian version semantics");
		return NULL;
	}
	pool_setarch(s->pool, arch);
	s->installed = repo_create(s->pool, "@installed");
	s->candidates = repo_create(s->pool, "@commandline");
	pool_set_installed(s->pool, s->installed);
	queue_init(&s->jobs);
	queue_init(&s->result);
	return s;
}

void nip_solver_free(struct nip_solver *s)
{
	if (!s)
		return;
	queue_free(&s->jobs);
	queue_free(&s->result);
	pool_free(s->pool);
	free(s->handles);
	for (size_t i = 0; i < s->nerase; i++)
		free(s->erase[i]);
	free(s->erase);
	free(s);
}

Id solve_op_flags(enum nip_op op)
{
	switch (op) {
	case NIP_OP_LT: return REL_LT;
	case NIP_OP_LE: return REL_LT | REL_EQ;
	case NIP_OP_EQ: return REL_EQ;
	case NIP_OP_GE: return REL_GT | REL_EQ;
	case NIP_OP_GT: return REL_GT;
	default: return 0;
	}
}

/* "a >= 1 | b" as one libsolv dependency Id. */
/* The canonical form ("a", "a >= 1", "a | b >= 2", as manifests and
 * indexes store relations) straight into Ids, with no allocation: a track's
 * index holds hundreds of thousands. 1 when text is not canonical, for the
 * full parser to judge. Ids are made in the full parser's order (last
 * alternative first), so both give the same pool and the same .solv. */
static int canonical_dep_id(Pool *pool, const char *text, enum nip_rel_kind kind, Id *out)
{
	static const char *const ops[] = {"<", "<=", "=", ">=", ">"};
	static const enum nip_op opv[] = {NIP_OP_LT, NIP_OP_LE, NIP_OP_EQ, NIP_OP_GE, NIP_OP_GT};
	struct span {
		const char *name, *ver;
		size_t nlen, vlen;
		enum nip_op op;
	} alts[32];
	const char *p = text;
	size_t n = 0;
	Id id = 0;

	for (;;) {
		struct span *a = &alts[n];
		if (n == sizeof alts / sizeof *alts)
			return 1;
		a->name = p;
		a->op = NIP_OP_NONE;
		while (*p && *p != ' ')
			p++;
		a->nlen = (size_t)(p - a->name);
		if (!nip_name_valid(a->name, a->nlen))
			return 1;
		if (*p == ' ' && p[1] != '|') {
			size_t k, olen;
			p++;
			for (olen = 0; p[olen] && p[olen] != ' '; olen++)
				;
			for (k = 0; k < 5 && !(strlen(ops[k]) == olen && strncmp(p, ops[k], olen) == 0); k++)
				;
			if (k == 5 || p[olen] != ' ')
				return 1;
			a->op = opv[k];
			p += olen + 1;
			a->ver = p;
			while (*p && *p != ' ')
				p++;
			a->vlen = (size_t)(p - a->ver);
			if (!nip_version_valid(a->ver, a->vlen))
				return 1;
		}
		if (kind == NIP_REL_PROVIDES && a->op != NIP_OP_NONE && a->op != NIP_OP_EQ)
			return 1;
		n++;
		if (!*p)
			break;
		if (strncmp(p, " | ", 3) != 0 || (kind != NIP_REL_DEPENDS && kind != NIP_REL_RECOMMENDS))
			return 1;
		p += 3;
	}
	while (n-- > 0) {
		const struct span *a = &alts[n];
		Id one = pool_strn2id(pool, a->name, (unsigned)a->nlen, 1);
		if (a->op != NIP_OP_NONE)
			one = pool_rel2id(pool, one, pool_strn2id(pool, a->ver, (unsigned)a->vlen, 1),
					  solve_op_flags(a->op), 1);
		id = id ? pool_rel2id(pool, one, id, REL_OR, 1) : one;
	}
	*out = id;
	return 0;
}

int solve_dep_id(Pool *pool, const char *text, enum nip_rel_kind kind, int reference, Id *out,
		 struct nip_error *err)
{
	struct nip_relation r;
	Id id = 0;

	if (!reference && canonical_dep_id(pool, text, kind, out) == 0)
		return 0;
	if (nip_relation_parse(text, kind, &r, err) < 0)
		return -1;
	for (size_t i = r.n; i-- > 0;) {
		const struct nip_dep *d = &r.alts[i];
		Id one = pool_str2id(pool, d->name, 1);
		if (d->op != NIP_OP_NONE)
			one = pool_rel2id(pool, one, pool_str2id(pool, d->version, 1), solve_op_flags(d->op), 1);
		id = id ? pool_rel2id(pool, one, id, REL_OR, 1) : one;
	}
	nip_relation_free(&r);
	*out = id;
	return 0;
}

int solve_add_deps(Repo *repo, Offset *field, char *const *v, size_t n, enum nip_rel_kind kind,
		   int reference, struct nip_error *err)
{
	for (size_t i = 0; i < n; i++) {
		Id id;
		if (solve_dep_id(repo->pool, v[i], kind, reference, &id, err) < 0)
			return -1;
		*field = repo_addid_dep(repo, *field, id, 0);
	}
	return 0;
}

int nip_solver_add(struct nip_solver *s, const struct nip_manifest *m, int installed, void *handle,
		   struct nip_error *err)
{
	Repo *repo = installed ? s->installed : s->candidates;
	Id p = repo_add_solvable(repo);
	Solvable *sv = pool_id2solvable(s->pool, p);
	const char *arch = m->arch;
	void **h;

	if (strcmp(arch, "noarch") == 0 || strcmp(arch, "all") == 0 || strcmp(arch, "any") == 0)
		arch = "all"; /* libsolv's arch-independent id under DISTTYPE_DEB */
	sv->name = pool_str2id(s->pool, m->name, 1);
	sv->evr = pool_str2id(s->pool, m->version, 1);
	sv->arch = pool_str2id(s->pool, arch, 1);
	sv->provides = repo_addid_dep(repo, sv->provides, solvable_selfprovidedep(sv), 0);
	if (solve_add_deps(repo, &sv->provides, m->rel[NIP_REL_PROVIDES], m->nrel[NIP_REL_PROVIDES],
		     NIP_REL_PROVIDES, 0, err) < 0 ||
	    solve_add_deps(repo, &sv->requires, m->rel[NIP_REL_DEPENDS], m->nrel[NIP_REL_DEPENDS],
		     NIP_REL_DEPENDS, 0, err) < 0 ||
	    solve_add_deps(repo, &sv->conflicts, m->rel[NIP_REL_CONFLICTS], m->nrel[NIP_REL_CONFLICTS],
		     NIP_REL_CONFLICTS, 0, err) < 0 ||
	    solve_add_deps(repo, &sv->obsoletes, m->rel[NIP_REL_OBSOLETES], m->nrel[NIP_REL_OBSOLETES],
		     NIP_REL_OBSOLETES, 0, err) < 0 ||
	    solve_add_deps(repo, &sv->recommends, m->rel[NIP_REL_RECOMMENDS], m->nrel[NIP_REL_RECOMMENDS],
		     NIP_REL_RECOMMENDS, 0, err) < 0)
		return nip_err_prefix(err, "%s-%s: ", m->name, m->version);
	if ((size_t)p >= s->nhandles) {
		size_t n = (size_t)p + 64;
		if (!(h = realloc(s->handles, n * sizeof *h)))
			return nip_err(err, NIP_E_NOMEM, "solver: out of memory");
		memset(h + s->nhandles, 0, (n - s->nhandles) * sizeof *h);
		s->handles = h;
		s->nhandles = n;
	}
	s->handles[p] = handle;
	return 0;
}

int nip_solver_install(struct nip_solver *s, void *handle, struct nip_error *err)
{
	for (size_t p = 0; p < s->nhandles; p++)
		if (s->handles[p] == handle) {
			queue_push2(&s->jobs, SOLVER_INSTALL | SOLVER_SOLVABLE, (Id)p);
			return 0;
		}
	return nip_err(err, NIP_E_INTERNAL, "solver: install of a package it was not given");
}

int nip_solver_remove(struct nip_solver *s, const char *name, int cascade, struct nip_error *err)
{
	char **v = realloc(s->erase, (s->nerase + 1) * sizeof *v);
	if (!v || !(v[s->nerase] = strdup(name))) {
		if (v)
			s->erase = v;
		return nip_err(err, NIP_E_NOMEM, "solver: out of memory");
	}
	s->erase = v;
	s->nerase++;
	s->cascade |= cascade;
	queue_push2(&s->jobs, SOLVER_ERASE | SOLVER_SOLVABLE_NAME, pool_str2id(s->pool, name, 1));
	return 0;
}

static int asked_to_erase(const struct nip_solver *s, const char *name)
{
	for (size_t i = 0; i < s->nerase; i++)
		if (strcmp(s->erase[i], name) == 0)
			return 1;
	return 0;
}

/* Every problem, each with the ways out libsolv offers, in its words:
 * "problem 2: nothing provides libfoo >= 2 needed by bar-1.0-1" then
 * "  solution 1: do not ask to install bar-1.0-1". */
static int explain(const struct nip_solver *s, Solver *solv, int nproblems, char **problems,
		   struct nip_error *err)
{
	struct nip_buf all;
	char more[48] = "";

	nip_buf_init(&all, 1 << 20, "problems");
	for (Id pr = 1; pr <= (Id)nproblems; pr++) {
		nip_buf_printf(&all, NULL, "problem %d: %s\n", (int)pr, solver_problem2str(solv, pr));
		for (Id so = 1, nso = solver_solution_count(solv, pr); so <= nso; so++) {
			Id p, rp, el = 0;
			nip_buf_printf(&all, NULL, "  solution %d:", (int)so);
			for (int first = 1; (el = solver_next_solutionelement(solv, pr, so, el, &p, &rp)) != 0;
			     first = 0)
				nip_buf_printf(&all, NULL, "%s %s", first ? "" : ";",
					       solver_solutionelement2str(solv, p, rp));
			nip_buf_printf(&all, NULL, "\n");
		}
	}
	if (nproblems > 1)
		snprintf(more, sizeof more, " (and %d more problems)", nproblems - 1);
	nip_err(err, NIP_E_RESOLVE, "%s%s%s", solver_problem2str(solv, 1), more,
		s->nerase && !s->cascade ? " (nip remove --cascade also removes what depends on it)" : "");
	if (problems && nip_buf_cstr(&all, NULL) == 0)
		*problems = (char *)all.data;
	else
		nip_buf_free(&all);
	return -1;
}

int nip_solver_solve(struct nip_solver *s, void ***out, size_t *n, char **problems,
		     struct nip_error *err)
{
	Solver *solv;
	Transaction *trans = NULL;
	Queue *result = &s->result;
	void **v = NULL;
	size_t k = 0;
	int rc = -1, np;

	pool_addfileprovides(s->pool);
	pool_createwhatprovides(s->pool);
	solv = solver_create(s->pool);
	solver_set_flag(solv, SOLVER_FLAG_ALLOW_DOWNGRADE, 1);
	solver_set_flag(solv, SOLVER_FLAG_ALLOW_UNINSTALL, s->cascade);
	queue_empty(result);
	if ((np = solver_solve(solv, &s->jobs)) > 0) {
		explain(s, solv, np, problems, err);
		goto out;
	}
	trans = solver_create_transaction(solv);
	/* Without --cascade, removing one package never takes others along. */
	if (s->nerase && !s->cascade) {
		Solvable *sv;
		Id p;
		FOR_REPO_SOLVABLES(s->installed, p, sv)
		{
			const char *name = pool_id2str(s->pool, sv->name);
			if (solver_get_decisionlevel(solv, p) < 0 && !asked_to_erase(s, name) &&
			    transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ALL) == SOLVER_TRANSACTION_ERASE) {
				nip_err(err, NIP_E_RESOLVE, "%s-%s depends on what is removed (use --cascade to remove it too)",
					name, pool_id2str(s->pool, sv->evr));
				goto out;
			}
		}
	}
	transaction_installedresult(trans, result);
	v = calloc((size_t)result->count + 1, sizeof *v);
	if (!v) {
		nip_err(err, NIP_E_NOMEM, "solver: out of memory");
		goto out;
	}
	/* Packages from tracks have no handle: nip_solver_picks names them. */
	for (int i = 0; i < result->count; i++) {
		Id p = result->elements[i];
		if ((size_t)p < s->nhandles && s->handles[p])
			v[k++] = s->handles[p];
	}
	*out = v;
	*n = k;
	rc = 0;
out:
	if (trans)
		transaction_free(trans);
	solver_free(solv);
	return rc;
}
