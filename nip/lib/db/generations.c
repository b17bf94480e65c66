/* Generations: what each cell held at each step, with its packages. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void nip_generation_free(struct nip_generation *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->npkgs; i++) {
		free(g->pkgs[i].name);
		free(g->pkgs[i].version);
		free(g->pkgs[i].arch);
	}
	free(g->pkgs);
	free(g->reason);
	g->pkgs = NULL;
	g->npkgs = 0;
	g->reason = NULL;
}

static void free_all(struct nip_generation *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		nip_generation_free(&v[i]);
	free(v);
}

static int add_pkg(struct nip_db *db, sqlite3_stmt *st, struct nip_generation *g, size_t *cap,
		   struct nip_error *err)
{
	struct nip_gen_pkg *p = db_grow(g->pkgs, g->npkgs, cap, sizeof *g->pkgs, err);

	if (!p)
		return -1;
	g->pkgs = p;
	p = &g->pkgs[g->npkgs];
	memset(p, 0, sizeof *p);
	if (db_column_fixed(st, 1, p->cid, sizeof p->cid) < 0)
		return nip_err(err, NIP_E_FORMAT, "%s: generation %lld: a package's CID is damaged",
			       db->path, (long long)g->number);
	g->npkgs++; /* counted now so that nip_generation_free frees its strings */
	if (db_column_strdup(st, 2, &p->name, err) < 0 ||
	    db_column_strdup(st, 3, &p->version, err) < 0 ||
	    db_column_strdup(st, 4, &p->arch, err) < 0)
		return -1;
	p->explicit_ = sqlite3_column_int(st, 5) != 0;
	return 0;
}

/* Fills the packages of v[0..n) (sorted by number) from one query sorted
 * by number, then name: a merge, one pass for any number of generations. */
static int fill_pkgs(struct nip_db *db, const char *cell, struct nip_generation *v, size_t n,
		     struct nip_error *err)
{
	static const char one[] =
		"SELECT g.number, g.cid, p.name, p.version, p.arch, g.explicit"
		" FROM generation_packages g JOIN packages p ON p.cid = g.cid"
		" WHERE g.cell = ?1 AND g.number = ?2 ORDER BY p.name, g.cid";
	static const char all[] =
		"SELECT g.number, g.cid, p.name, p.version, p.arch, g.explicit"
		" FROM generation_packages g JOIN packages p ON p.cid = g.cid"
		" WHERE g.cell = ?1 ORDER BY g.number, p.name, g.cid";
	sqlite3_stmt *st = NULL;
	size_t at = 0, cap = 0;
	int rc, ret = -1;

	if (n == 0)
		return 0;
	if (db_prepare(db, n == 1 ? one : all, &st, err) < 0 || db_bind_text(db, st, 1, cell, err) < 0 ||
	    (n == 1 && db_bind_int(db, st, 2, v[0].number, err) < 0))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t number = sqlite3_column_int64(st, 0);
		while (at < n && v[at].number < number) {
			at++;
			cap = 0;
		}
		if (at == n)
			break;
		if (v[at].number == number && add_pkg(db, st, &v[at], &cap, err) < 0)
			goto out;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(db, rc, "reading the packages of generations", err);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Generations of the cell (one, or all when number is 0), oldest first. */
static int load(struct nip_db *db, const char *cell, int64_t number, struct nip_generation **out,
		size_t *nout, struct nip_error *err)
{
	static const char sql[] =
		"SELECT g.number, g.time, g.reason, g.root, g.number IS c.current"
		" FROM generations g JOIN cells c ON c.name = g.cell"
		" WHERE g.cell = ?1 AND (?2 = 0 OR g.number = ?2) ORDER BY g.number";
	struct nip_generation *v = NULL, *g;
	sqlite3_stmt *st = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = -1;

	if (db_prepare(db, sql, &st, err) < 0 || db_bind_text(db, st, 1, cell, err) < 0 ||
	    db_bind_int(db, st, 2, number, err) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(g = db_grow(v, n, &cap, sizeof *v, err)))
			goto out;
		v = g;
		g = &v[n++];
		memset(g, 0, sizeof *g);
		g->number = sqlite3_column_int64(st, 0);
		g->time = sqlite3_column_int64(st, 1);
		g->current = sqlite3_column_int(st, 4);
		if (db_column_strdup(st, 2, &g->reason, err) < 0)
			goto out;
		if (db_column_fixed(st, 3, g->root, sizeof g->root) < 0) {
			nip_err(err, NIP_E_FORMAT, "%s: generation %lld: its root tree hash is damaged",
				db->path, (long long)g->number);
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, "reading generations", err);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (fill_pkgs(db, cell, v, n, err) < 0)
		goto out;
	*out = v;
	*nout = n;
	v = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	free_all(v, n);
	return ret;
}

int nip_db_generation_get(struct nip_db *db, const char *cell, int64_t number,
			  struct nip_generation *out, struct nip_error *err)
{
	char shown[DB_NAME_SHOWN];
	struct nip_generation *v = NULL;
	size_t n = 0;

	if (number >= 1 && load(db, cell, number, &v, &n, err) < 0)
		return -1;
	if (n == 0) {
		free(v);
		return nip_err(err, NIP_E_USAGE, "cell %s has no generation %lld",
			       nip_shorten(cell, shown, sizeof shown), (long long)number);
	}
	*out = v[0];
	free(v);
	return 0;
}

int nip_db_generations(struct nip_db *db, const char *cell, struct nip_generation **out, size_t *n,
		       struct nip_error *err)
{
	return load(db, cell, 0, out, n, err);
}

static int insert_pkgs(struct nip_db *db, const char *cell, const struct nip_generation *g,
		       struct nip_error *err)
{
	sqlite3_stmt *st = NULL;
	char cidstr[NIP_CID_STRLEN];
	int rc, ret = -1;

	if (db_prepare(db,
		       "INSERT INTO generation_packages (cell, number, cid, explicit)"
		       " VALUES (?1, ?2, ?3, ?4)",
		       &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0 || db_bind_int(db, st, 2, g->number, err) < 0)
		goto out;
	for (size_t i = 0; i < g->npkgs; i++) {
		if (db_bind_blob(db, st, 3, g->pkgs[i].cid, NIP_SHA256_LEN, err) < 0 ||
		    db_bind_int(db, st, 4, g->pkgs[i].explicit_ != 0, err) < 0)
			goto out;
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			nip_cid_format(g->pkgs[i].cid, cidstr);
			if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
				nip_err(err, NIP_E_INTERNAL,
					"generation %lld: package %s was never recorded",
					(long long)g->number, cidstr);
			else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
				nip_err(err, NIP_E_INTERNAL, "generation %lld: package %s listed twice",
					(long long)g->number, cidstr);
			else
				db_fail(db, rc, "recording a generation", err);
			goto out;
		}
		sqlite3_reset(st);
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int nip_db_generation_add(struct nip_db *db, const char *cell, const struct nip_generation *g,
			  struct nip_error *err)
{
	char buf[DB_NAME_SHOWN];
	const char *shown = nip_shorten(cell, buf, sizeof buf);
	sqlite3_stmt *st = NULL;
	int64_t last;
	int exists, ret = -1;

	if (db_savepoint(db, err) < 0)
		return -1;
	/* The first generation of a cell makes the cell. */
	if (nip_db_cell_ensure(db, cell, err) < 0 || db_cell_last(db, cell, &exists, &last, err) < 0)
		goto fail;
	/* A reused number could make an old snapshot, deployment or log
	 * entry name the wrong generation. */
	if (g->number != last + 1) {
		nip_err(err, NIP_E_INTERNAL,
			"cell %s: generation %lld: the next number is %lld (numbers are never reused)",
			shown, (long long)g->number, (long long)(last + 1));
		goto fail;
	}
	if (db_prepare(db,
		       "INSERT INTO generations (cell, number, time, reason, root)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
		       &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0 || db_bind_int(db, st, 2, g->number, err) < 0 ||
	    db_bind_int(db, st, 3, g->time ? g->time : (int64_t)time(NULL), err) < 0 ||
	    db_bind_text(db, st, 4, g->reason ? g->reason : "", err) < 0 ||
	    db_bind_blob(db, st, 5, g->root, NIP_SHA256_LEN, err) < 0 ||
	    db_step_done(db, st, "recording a generation", err) < 0)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (insert_pkgs(db, cell, g, err) < 0 ||
	    db_prepare(db, "UPDATE cells SET last = ?2 WHERE name = ?1", &st, err) < 0 ||
	    db_bind_text(db, st, 1, cell, err) < 0 || db_bind_int(db, st, 2, g->number, err) < 0 ||
	    db_step_done(db, st, "recording a generation", err) < 0)
		goto fail;
	if (db_release(db, err) < 0)
		goto out;
	ret = 0;
	goto out;
fail:
	db_undo(db);
out:
	sqlite3_finalize(st);
	return ret;
}

static int drop_rows(struct nip_db *db, const char *cell, int64_t number, const char *shown,
		     struct nip_error *err)
{
	static const char *const sql[] = {
		"DELETE FROM generation_packages WHERE cell = ?1 AND number = ?2",
		"DELETE FROM generations WHERE cell = ?1 AND number = ?2",
	};
	sqlite3_stmt *st = NULL;

	if (db_savepoint(db, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
		if (db_prepare(db, sql[i], &st, err) < 0 || db_bind_text(db, st, 1, cell, err) < 0 ||
		    db_bind_int(db, st, 2, number, err) < 0 ||
		    db_step_done(db, st, "dropping a generation", err) < 0)
			goto fail;
		sqlite3_finalize(st);
		st = NULL;
	}
	/* The generations row went last: no change there means there was
	 * none (and so no packages rows either). */
	if (sqlite3_changes(db->h) != 1) {
		nip_err(err, NIP_E_USAGE, "cell %s has no generation %lld", shown, (long long)number);
		goto fail;
	}
	return db_release(db, err);
fail:
	sqlite3_finalize(st);
	db_undo(db);
	return -1;
}

int nip_db_generation_drop(struct nip_db *db, const char *cell, int64_t number,
			   struct nip_error *err)
{
	char buf[DB_NAME_SHOWN];
	const char *shown = nip_shorten(cell, buf, sizeof buf);
	int64_t current;

	if (nip_db_current(db, cell, &current, err) < 0)
		return -1;
	/* The cell's symlink points at it: dropping it would leave the cell
	 * with nothing to run or roll back to. */
	if (number == current)
		return nip_err(err, NIP_E_USAGE,
			       "generation %lld is the current one of cell %s: switch to another "
			       "first",
			       (long long)number, shown);
	return drop_rows(db, cell, number, shown, err);
}
