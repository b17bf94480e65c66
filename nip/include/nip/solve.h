/* solve: dependency resolution with libsolv. nip parses relations itself
 * (package.h) and hands them to libsolv as Ids, with Debian's version
 * ordering; libsolvext is not used. The caller adds the installed set and
 * the candidates, states what it wants, and gets the resulting set, or
 * every problem in libsolv's plain words (NIP_E_RESOLVE, exit 4). */
#ifndef NIP_SOLVE_H
#define NIP_SOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "nip/package.h"
#include "nip/util.h"

struct nip_solver;

/* arch: the machine's (packages of another arch, but for "noarch", "all"
 * and "any", are not installable). */
struct nip_solver *nip_solver_new(const char *arch, struct nip_error *err);
void nip_solver_free(struct nip_solver *s);

/* Adds a package (installed or a candidate); `handle` is the caller's and
 * comes back in the result. m must outlive the solver. */
int nip_solver_add(struct nip_solver *s, const struct nip_manifest *m, int installed, void *handle,
		   struct nip_error *err);

/* Jobs. install: exactly that candidate, up or down from an installed
 * version of the same name. remove: every installed package of that name;
 * without cascade, a solution that removes anything else is refused,
 * naming what depends on it. */
int nip_solver_install(struct nip_solver *s, void *handle, struct nip_error *err);
int nip_solver_remove(struct nip_solver *s, const char *name, int cascade, struct nip_error *err);

/* The handles of the resulting installed set, in no particular order
 * (caller frees *out); packages from tracks are not among them (see
 * nip_solver_picks). On NIP_E_RESOLVE, err's message holds the first
 * problem; *problems (if not NULL) gets all of them with libsolv's
 * solutions ("problem N: ...", "  solution M: ..." lines). */
int nip_solver_solve(struct nip_solver *s, void ***out, size_t *n, char **problems,
		     struct nip_error *err);

/* ---- tracks ------------------------------------------------------------ */

/* A package of a track's index: what resolution needs, and what fetching
 * needs afterwards. */
struct nip_index_entry {
	const char *name, *version, *arch;
	char **rel[NIP_REL_COUNT];
	size_t nrel[NIP_REL_COUNT];
	uint8_t cid[NIP_SHA256_LEN];
	uint64_t size;
	const char *path;    /* the track's target path */
	const char *signer;  /* key id of the package's signer */
	const char *summary; /* may be NULL */
};

/* Writes a track's index as libsolv's .solv at dirfd/name, atomically: the
 * cache a refresh makes once per index, so resolving parses nothing. */
int nip_solv_write(const char *track, const struct nip_index_entry *v, size_t n, int dirfd,
		   const char *name, struct nip_error *err);
/* The same from a track's verified index parts (JSON, as track leaves them
 * under the root: {"packages": [{"name", "version", "arch", "cid", "size",
 * "path", "signer", "summary", "depends": [...], ...}]}), paths relative
 * to dirfd. */
int nip_solv_from_index(const char *track, int dirfd, char *const *parts, size_t nparts,
			const char *name, struct nip_error *err);
/* Adds a track's packages from its .solv; on equal terms a track of higher
 * priority wins over one of lower, whatever the versions. */
int nip_solver_add_track(struct nip_solver *s, const char *track, int priority, int fd,
			 struct nip_error *err);

/* Jobs by name. want: the best package satisfying a relation ("hello",
 * "hello >= 1.0", "greeter"), from the tracks or the candidates (add them
 * first: a plain name that no package has is taken as virtual). upgrade:
 * one installed package (name) or all (NULL) to the best available. pin:
 * keep NAME as it is installed (version NULL), or at exactly VERSION
 * (after every package and track has been added). */
int nip_solver_want(struct nip_solver *s, const char *spec, struct nip_error *err);
int nip_solver_upgrade(struct nip_solver *s, const char *name, struct nip_error *err);
int nip_solver_pin(struct nip_solver *s, const char *name, const char *version,
		   struct nip_error *err);

/* After a successful solve: the packages of the result that come from
 * tracks. Strings but path belong to the solver; free with nip_picks_free. */
struct nip_pick {
	const char *track, *name, *version, *arch, *signer;
	char *path;
	uint8_t cid[NIP_SHA256_LEN];
	uint64_t size;
};
/* Every package of the tracks whose name or summary contains term (any
 * case), in the pool's order; returns how many. */
struct nip_found {
	const char *track, *name, *version, *arch, *summary; /* summary may be NULL */
};
int nip_solver_search(struct nip_solver *s, const char *term,
		      void (*fn)(void *ctx, const struct nip_found *f), void *ctx);
/* Every package of the tracks called exactly `name` (a virtual name finds
 * none), newest first; relations in nip's text form, without the
 * package's own provide. Strings belong to the solver, rel to the call.
 * Returns how many, or -1. */
struct nip_track_pkg {
	const char *track, *name, *version, *arch;
	const char *summary, *signer; /* may be NULL */
	uint8_t cid[NIP_SHA256_LEN];
	int have_cid;
	uint64_t size;
	char **rel[NIP_REL_COUNT];
	size_t nrel[NIP_REL_COUNT];
};
int nip_solver_lookup(struct nip_solver *s, const char *name,
		      void (*fn)(void *ctx, const struct nip_track_pkg *p), void *ctx,
		      struct nip_error *err);
int nip_solver_picks(struct nip_solver *s, struct nip_pick **out, size_t *n, struct nip_error *err);
void nip_picks_free(struct nip_pick *v, size_t n);

#endif
