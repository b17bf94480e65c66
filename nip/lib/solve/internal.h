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
/* "a >= 1 | b" as one libsolv dependency Id: the canonical form read
 * directly, anything else (or everything, with reference set) by the full
 * relation parser. */
int solve_dep_id(Pool *pool, const char *text, enum nip_rel_kind kind, int reference, Id *out,
		 struct nip_error *err);
/* Appends each relation of v to a solvable's dependency field. */
int solve_add_deps(Repo *repo, Offset *field, char *const *v, size_t n, enum nip_rel_kind kind,
		   int reference, struct nip_error *err);

/* Building a track's .solv (track.c), entry by entry. */
struct solv_build {
	Pool *pool;
	Repo *repo;
	Repodata *data;
	int reference; /* Jansson and the full relation parser only (fuzzing) */
};
int solv_start(struct solv_build *b, const char *track, struct nip_error *err);
int solv_add(struct solv_build *b, const struct nip_index_entry *e, struct nip_error *err);
/* Writes dirfd/name atomically; frees the build in every case. */
int solv_finish(struct solv_build *b, int dirfd, const char *name, struct nip_error *err);
void solv_abandon(struct solv_build *b);
/* The fast reader of an index part (iscan.c): 0 added, 1 not of the form
 * it reads (some may have been added: build again by the reference
 * reader), -1 error. */
int index_scan(struct solv_build *b, const char *part, const char *text, size_t len,
	       struct nip_error *err);
/* nip_solv_from_index by the fast readers, or by the reference ones: the
 * differential fuzz target compares the two .solv files byte for byte. */
int solv_from_index(const char *track, int dirfd, char *const *parts, size_t nparts,
		    const char *name, int reference, struct nip_error *err);

#endif
