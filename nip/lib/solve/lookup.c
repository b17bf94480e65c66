/* Looking a name up in the tracks' packages, for `nip info` on what is
 * not installed: each version with its relations turned back into nip's
 * text form from the Ids the .solv holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/repo.h>
#include <solv/evr.h>
#include <solv/solvable.h>

#include "internal.h"

/* Long enough for any relation nip writes (a name and a version of at
 * most NIP_PKGNAME_MAX and NIP_VERSION_MAX each, a few alternatives);
 * what would not fit is cut, which only a display sees. */
#define DEP_TEXT_MAX 4096

static const char *op_text(int flags)
{
	switch (flags) {
	case REL_LT: return "<";
	case REL_LT | REL_EQ: return "<=";
	case REL_EQ: return "=";
	case REL_GT | REL_EQ: return ">=";
	case REL_GT: return ">";
	default: return NULL;
	}
}

/* "a >= 1 | b": alternatives are chained to the right (solve.c). */
static void dep_text(Pool *pool, Id id, char *out, size_t n, size_t *len)
{
	if (ISRELDEP(id)) {
		Reldep *rd = GETRELDEP(pool, id);
		const char *op = op_text(rd->flags);
		if (rd->flags == REL_OR) {
			dep_text(pool, rd->name, out, n, len);
			if (*len < n)
				*len += (size_t)snprintf(out + *len, n - *len, " | ");
			dep_text(pool, rd->evr, out, n, len);
			return;
		}
		if (op) {
			if (*len < n)
				*len += (size_t)snprintf(out + *len, n - *len, "%s %s %s",
							 pool_id2str(pool, rd->name), op,
							 pool_id2str(pool, rd->evr));
			return;
		}
	}
	if (*len < n)
		*len += (size_t)snprintf(out + *len, n - *len, "%s", pool_dep2str(pool, id));
}

static void rels_free(struct nip_track_pkg *p)
{
	for (int k = 0; k < NIP_REL_COUNT; k++) {
		for (size_t i = 0; i < p->nrel[k]; i++)
			free(p->rel[k][i]);
		free(p->rel[k]);
		p->rel[k] = NULL;
		p->nrel[k] = 0;
	}
}

/* One dependency field as text; the package's own "name = version"
 * (which every solvable provides) is left out. */
static int rels(Solvable *sv, Offset field, enum nip_rel_kind kind, struct nip_track_pkg *p,
		struct nip_error *err)
{
	Pool *pool = sv->repo->pool;
	Id self = kind == NIP_REL_PROVIDES ? solvable_selfprovidedep(sv) : 0;
	Id *ids = field ? sv->repo->idarraydata + field : NULL;
	size_t n = 0;

	for (Id *d = ids; d && *d; d++)
		n++;
	if (!n)
		return 0;
	if (!(p->rel[kind] = calloc(n, sizeof *p->rel[kind])))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	for (Id *d = ids; *d; d++) {
		char text[DEP_TEXT_MAX];
		size_t len = 0;
		/* libsolv marks where pre-requires start in requires. */
		if (*d == self || *d == SOLVABLE_PREREQMARKER)
			continue;
		text[0] = '\0';
		dep_text(pool, *d, text, sizeof text, &len);
		if (!(p->rel[kind][p->nrel[kind]] = strdup(text)))
			return nip_err(err, NIP_E_NOMEM, "out of memory");
		p->nrel[kind]++;
	}
	return 0;
}

int nip_solver_lookup(struct nip_solver *s, const char *name,
		      void (*fn)(void *ctx, const struct nip_track_pkg *p), void *ctx,
		      struct nip_error *err)
{
	Pool *pool = s->pool;
	Id want = pool_str2id(pool, name, 0), p, *v = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	if (!want)
		return 0;
	FOR_POOL_SOLVABLES(p)
	{
		Solvable *sv = pool_id2solvable(pool, p);
		if (sv->repo == s->installed || sv->repo == s->candidates || sv->name != want)
			continue;
		if (n == cap) {
			Id *nv = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
			if (!nv) {
				nip_err(err, NIP_E_NOMEM, "out of memory");
				goto out;
			}
			v = nv;
		}
		v[n++] = p;
	}
	/* Newest first (Debian's order), then by the tracks' order. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			Solvable *a = pool_id2solvable(pool, v[j - 1]), *b = pool_id2solvable(pool, v[j]);
			Id t;
			if (pool_evrcmp(pool, a->evr, b->evr, EVRCMP_COMPARE) >= 0)
				break;
			t = v[j - 1], v[j - 1] = v[j], v[j] = t;
		}
	for (size_t i = 0; i < n; i++) {
		Solvable *sv = pool_id2solvable(pool, v[i]);
		struct nip_track_pkg e = {0};
		const unsigned char *cid;
		Id type = 0;
		e.track = sv->repo->name;
		e.name = pool_id2str(pool, sv->name);
		e.version = pool_id2str(pool, sv->evr);
		e.arch = pool_id2str(pool, sv->arch);
		e.summary = solvable_lookup_str(sv, SOLVABLE_SUMMARY);
		e.signer = solvable_lookup_str(sv, SOLVABLE_PACKAGER);
		e.size = solvable_lookup_num(sv, SOLVABLE_DOWNLOADSIZE, 0);
		if ((cid = solvable_lookup_bin_checksum(sv, SOLVABLE_CHECKSUM, &type)) &&
		    type == REPOKEY_TYPE_SHA256) {
			memcpy(e.cid, cid, NIP_SHA256_LEN);
			e.have_cid = 1;
		}
		if (rels(sv, sv->requires, NIP_REL_DEPENDS, &e, err) < 0 ||
		    rels(sv, sv->provides, NIP_REL_PROVIDES, &e, err) < 0 ||
		    rels(sv, sv->conflicts, NIP_REL_CONFLICTS, &e, err) < 0 ||
		    rels(sv, sv->obsoletes, NIP_REL_OBSOLETES, &e, err) < 0 ||
		    rels(sv, sv->recommends, NIP_REL_RECOMMENDS, &e, err) < 0) {
			rels_free(&e);
			goto out;
		}
		fn(ctx, &e);
		rels_free(&e);
	}
	rc = (int)n;
out:
	free(v);
	return rc;
}
