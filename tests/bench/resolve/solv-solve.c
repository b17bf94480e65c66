/* The floor for resolving: a bare libsolv program loading the same .solv
 * that nip loads, installing NAME on an empty system, counting the result.
 *   solv-solve FILE.solv NAME [ARCH]   (ARCH: the machine's by default) */
#include <stdio.h>
#include <sys/utsname.h>

#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_solv.h>
#include <solv/solver.h>
#include <solv/transaction.h>

int main(int argc, char **argv)
{
	Pool *pool = pool_create();
	Repo *repo = repo_create(pool, "track"), *installed = repo_create(pool, "@installed");
	FILE *in = fopen(argv[1], "r");
	struct utsname u;
	Solver *solv;
	Transaction *t;
	Queue job, result;

	uname(&u);
	pool_setdisttype(pool, DISTTYPE_DEB);
	pool_setarch(pool, argc > 3 ? argv[3] : u.machine);
	pool_set_installed(pool, installed);
	if (!in || repo_add_solv(repo, in, 0) != 0)
		return 1;
	fclose(in);
	pool_addfileprovides(pool);
	pool_createwhatprovides(pool);
	queue_init(&job);
	queue_init(&result);
	queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, pool_str2id(pool, argv[2], 1));
	solv = solver_create(pool);
	if (solver_solve(solv, &job) != 0) {
		fprintf(stderr, "solv-solve: %s\n", solver_problem2str(solv, 1));
		return 4;
	}
	t = solver_create_transaction(solv);
	transaction_installedresult(t, &result);
	printf("%d packages\n", result.count);
	transaction_free(t);
	solver_free(solv);
	pool_free(pool);
	return 0;
}
