/* Private to the solve component. */
#ifndef NIP_SOLVE_INTERNAL_H
#define NIP_SOLVE_INTERNAL_H

#include <solv/pool.h>
#include <solv/repo.h>

#include "nip/solve.h"

struct nip_solver {
	Pool *pool;
	Repo *installed, *candidates;
	Queue jobs;
	void **handles; /* by solvable Id */
	size_t nhandles;
	char **erase; /* names asked to be removed (for the cascade check) */
	size_t nerase;
	int cascade;
	Queue result; /* the last solve's installed set, by solvable Id */
};

/* libsolv's relation flags for nip's operator. */
Id solve_op_flags(enum nip_op op);
/* "a >= 1 | b" as one libsolv dependency Id. */
int solve_dep_id(Pool *pool, const char *text, enum nip_rel_kind kind, Id *out, struct nip_error *err);
/* Appends each relation of v to a solvable's dependency field. */
int solve_add_deps(Repo *repo, Offset *field, char *const *v, size_t n, enum nip_rel_kind kind,
		   struct nip_error *err);

#endif
