/* solve: dependency resolution with libsolv. nip parses relations itself
 * (package.h) and hands them to libsolv as Ids, with Debian's version
 * ordering; libsolvext is not used. The caller adds the installed set and
 * the candidates, states what it wants, and gets the resulting set, or
 * every problem in libsolv's plain words (NIP_E_RESOLVE, exit 4). */
#ifndef NIP_SOLVE_H
#define NIP_SOLVE_H

#include <stddef.h>

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
 * (caller frees *out). On NIP_E_RESOLVE, err's message holds the first
 * problem; *problems (if not NULL) gets all of them with libsolv's
 * solutions ("problem N: ...", "  solution M: ..." lines). */
int nip_solver_solve(struct nip_solver *s, void ***out, size_t *n, char **problems,
		     struct nip_error *err);

#endif
