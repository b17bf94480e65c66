/* The baseline for building a solver cache: libsolv's own Debian reader
 * (libsolvext) turning Packages text into a .solv. */
#include <stdio.h>

#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/repo_write.h>

int main(int argc, char **argv)
{
	Pool *pool = pool_create();
	Repo *repo = repo_create(pool, "debian");
	FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "w");

	pool_setdisttype(pool, DISTTYPE_DEB);
	if (!in || !out || repo_add_debpackages(repo, in, 0) != 0 || repo_write(repo, out) != 0) {
		fprintf(stderr, "solv-deb: %s\n", pool_errstr(pool));
		return 1;
	}
	fclose(in);
	fclose(out);
	printf("%d packages\n", repo->nsolvables);
	pool_free(pool);
	return 0;
}
