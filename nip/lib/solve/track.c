/* Tracks in the solver: a track's index becomes a libsolv repo, written
 * once per index as a .solv file (libsolv's own binary format, which it
 * loads without parsing relations again), and loaded with the track's
 * priority. Each solvable carries what fetching needs afterwards: the
 * package's CID (as its SHA-256 checksum), size and path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/repodata.h>
#include <solv/selection.h>
#include <solv/solver.h>

#include "internal.h"

/* libsolv's arch-independent id under DISTTYPE_DEB is "all". */
static const char *solv_arch(const char *arch)
{
	return strcmp(arch, "noarch") == 0 || strcmp(arch, "any") == 0 ? "all" : arch;
}

static int add_entry(Repo *repo, Repodata *data, const struct nip_index_entry *e, int reference,
		     struct nip_error *err)
{
	Pool *pool = repo->pool;
	Id p = repo_add_solvable(repo);
	Solvable *sv = pool_id2solvable(pool, p);
	static const struct {
		enum nip_rel_kind kind;
		size_t off;
	} fields[] = {
		{NIP_REL_PROVIDES, offsetof(Solvable, provides)},
		{NIP_REL_DEPENDS, offsetof(Solvable, requires)},
		{NIP_REL_CONFLICTS, offsetof(Solvable, conflicts)},
		{NIP_REL_OBSOLETES, offsetof(Solvable, obsoletes)},
		{NIP_REL_RECOMMENDS, offsetof(Solvable, recommends)},
	};

	sv->name = pool_str2id(pool, e->name, 1);
	sv->evr = pool_str2id(pool, e->version, 1);
	sv->arch = pool_str2id(pool, solv_arch(e->arch), 1);
	sv->provides = repo_addid_dep(repo, sv->provides, solvable_selfprovidedep(sv), 0);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		Offset *field = (Offset *)((char *)sv + fields[i].off);
		if (solve_add_deps(repo, field, e->rel[fields[i].kind], e->nrel[fields[i].kind],
				   fields[i].kind, reference, err) < 0)
			return nip_err_prefix(err, "%s-%s: ", e->name, e->version);
	}
	repodata_set_bin_checksum(data, p, SOLVABLE_CHECKSUM, REPOKEY_TYPE_SHA256, e->cid);
	repodata_set_num(data, p, SOLVABLE_DOWNLOADSIZE, e->size);
	repodata_set_location(data, p, 0, NULL, e->path);
	/* The signer rides in libsolv's packager field: an installer checks
	 * it against the publishers the track's root authorises. */
	if (e->signer)
		repodata_set_str(data, p, SOLVABLE_PACKAGER, e->signer);
	if (e->summary && *e->summary)
		repodata_set_str(data, p, SOLVABLE_SUMMARY, e->summary);
	return 0;
}

int solv_start(struct solv_build *b, const char *track, struct nip_error *err)
{
	if (!(b->pool = pool_create()))
		return nip_err(err, NIP_E_NOMEM, "solver: out of memory");
	pool_setdisttype(b->pool, DISTTYPE_DEB);
	b->repo = repo_create(b->pool, track);
	b->data = repo_add_repodata(b->repo, 0);
	b->reference = 0;
	return 0;
}

int solv_add(struct solv_build *b, const struct nip_index_entry *e, struct nip_error *err)
{
	return add_entry(b->repo, b->data, e, b->reference, err);
}

int solv_finish(struct solv_build *b, int dirfd, const char *name, struct nip_error *err)
{
	FILE *f = NULL;
	int fd = -1, rc = -1;

	repodata_internalize(b->data);
	if ((fd = nip_tmpfile(dirfd, 0644, err)) < 0)
		goto out;
	if (!(f = fdopen(fd, "w"))) {
		nip_err_sys(err, NIP_E_IO, errno, "%s", name);
		goto out;
	}
	if (repo_write(b->repo, f) != 0 || fflush(f) != 0) {
		nip_err(err, NIP_E_IO, "%s: writing the solver cache failed", name);
		goto out;
	}
	rc = nip_tmpfile_link(fd, dirfd, name, 0, err);
out:
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	solv_abandon(b);
	return rc;
}

void solv_abandon(struct solv_build *b)
{
	if (b->pool)
		pool_free(b->pool);
	b->pool = NULL;
}

int nip_solv_write(const char *track, const struct nip_index_entry *v, size_t n, int dirfd,
		   const char *name, struct nip_error *err)
{
	struct solv_build b;

	if (solv_start(&b, track, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (solv_add(&b, &v[i], err) < 0) {
			solv_abandon(&b);
			return -1;
		}
	return solv_finish(&b, dirfd, name, err);
}

int nip_solver_add_track(struct nip_solver *s, const char *track, int priority, int fd,
			 struct nip_error *err)
{
	Repo *repo = repo_create(s->pool, track);
	/* From the start, whoever read it before: a dup shares the offset. */
	int dupfd = lseek(fd, 0, SEEK_SET) == 0 ? dup(fd) : -1;
	FILE *f = dupfd < 0 ? NULL : fdopen(dupfd, "r");

	if (!f) {
		if (dupfd >= 0)
			close(dupfd);
		return nip_err_sys(err, NIP_E_IO, errno, "track %s: solver cache", track);
	}
	repo->priority = priority;
	if (repo_add_solv(repo, f, 0) != 0) {
		nip_err(err, NIP_E_FORMAT, "track %s: solver cache: %s (nip refresh rebuilds it)", track,
			pool_errstr(s->pool));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* Is there a package of that name (not merely something providing it)? */
static int named(Pool *pool, Id name)
{
	Solvable *sv;
	Id p;

	FOR_POOL_SOLVABLES(p)
	{
		sv = pool_id2solvable(pool, p);
		if (sv->name == name)
			return 1;
	}
	return 0;
}

int nip_solver_want(struct nip_solver *s, const char *spec, struct nip_error *err)
{
	struct nip_relation r;
	int plain;
	Id id;

	if (nip_relation_parse(spec, NIP_REL_DEPENDS, &r, err) < 0)
		return -1;
	/* A plain name asks for the package of that name, or else (a virtual
	 * name) for what provides it; a constraint asks for whatever
	 * satisfies it, as a dependency would. */
	plain = r.n == 1 && r.alts[0].op == NIP_OP_NONE;
	id = plain ? pool_str2id(s->pool, r.alts[0].name, 1) : 0;
	nip_relation_free(&r);
	if (!plain && solve_dep_id(s->pool, spec, NIP_REL_DEPENDS, 0, &id, err) < 0)
		return -1;
	queue_push2(&s->jobs,
		    SOLVER_INSTALL | (plain && named(s->pool, id) ? SOLVER_SOLVABLE_NAME : SOLVER_SOLVABLE_PROVIDES),
		    id);
	return 0;
}

int nip_solver_upgrade(struct nip_solver *s, const char *name, struct nip_error *err)
{
	if (name)
		queue_push2(&s->jobs, SOLVER_UPDATE | SOLVER_SOLVABLE_NAME, pool_str2id(s->pool, name, 1));
	else
		queue_push2(&s->jobs, SOLVER_UPDATE | SOLVER_SOLVABLE_ALL, 0);
	return 0;
}

int nip_solver_pin(struct nip_solver *s, const char *name, const char *version,
		   struct nip_error *err)
{
	Pool *pool = s->pool;
	Id n = pool_str2id(pool, name, 1), evr, p;
	Solvable *sv;

	if (!version) {
		queue_push2(&s->jobs, SOLVER_LOCK | SOLVER_SOLVABLE_NAME, n);
		return 0;
	}
	/* Exactly that version: every other package of the name is locked
	 * out (a lock on what is not installed keeps it uninstalled). */
	evr = pool_str2id(pool, version, 1);
	FOR_POOL_SOLVABLES(p)
	{
		sv = pool_id2solvable(pool, p);
		if (sv->name == n && sv->evr != evr)
			queue_push2(&s->jobs, SOLVER_LOCK | SOLVER_SOLVABLE, p);
	}
	return 0;
}

int nip_solver_picks(struct nip_solver *s, struct nip_pick **out, size_t *n, struct nip_error *err)
{
	struct nip_pick *v = calloc((size_t)s->result.count + 1, sizeof *v);
	size_t k = 0;

	if (!v)
		return nip_err(err, NIP_E_NOMEM, "solver: out of memory");
	for (int i = 0; i < s->result.count; i++) {
		Solvable *sv = pool_id2solvable(s->pool, s->result.elements[i]);
		const unsigned char *cid;
		Id type = 0;
		if (sv->repo == s->installed || sv->repo == s->candidates)
			continue;
		cid = solvable_lookup_bin_checksum(sv, SOLVABLE_CHECKSUM, &type);
		if (!cid || type != REPOKEY_TYPE_SHA256) {
			nip_picks_free(v, k);
			return nip_err(err, NIP_E_FORMAT, "track %s: %s has no CID in the solver cache",
				       sv->repo->name, pool_solvable2str(s->pool, sv));
		}
		v[k].track = sv->repo->name;
		v[k].name = pool_id2str(s->pool, sv->name);
		v[k].version = pool_id2str(s->pool, sv->evr);
		v[k].arch = pool_id2str(s->pool, sv->arch);
		v[k].signer = solvable_lookup_str(sv, SOLVABLE_PACKAGER);
		/* libsolv builds the location in its temporary space. */
		if (!(v[k].path = strdup(solvable_lookup_location(sv, NULL)))) {
			nip_picks_free(v, k);
			return nip_err(err, NIP_E_NOMEM, "solver: out of memory");
		}
		v[k].size = solvable_lookup_num(sv, SOLVABLE_DOWNLOADSIZE, 0);
		memcpy(v[k].cid, cid, NIP_SHA256_LEN);
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

void nip_picks_free(struct nip_pick *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

int nip_solver_search(struct nip_solver *s, const char *term,
		      void (*fn)(void *ctx, const struct nip_found *f), void *ctx)
{
	Pool *pool = s->pool;
	Solvable *sv;
	Id p;
	int n = 0;

	FOR_POOL_SOLVABLES(p)
	{
		struct nip_found f;
		sv = pool_id2solvable(pool, p);
		if (sv->repo == s->installed || sv->repo == s->candidates)
			continue;
		f.track = sv->repo->name;
		f.name = pool_id2str(pool, sv->name);
		f.version = pool_id2str(pool, sv->evr);
		f.arch = pool_id2str(pool, sv->arch);
		f.summary = solvable_lookup_str(sv, SOLVABLE_SUMMARY);
		if (!strcasestr(f.name, term) && !(f.summary && strcasestr(f.summary, term)))
			continue;
		fn(ctx, &f);
		n++;
	}
	return n;
}
