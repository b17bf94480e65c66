/* Fuzzes a track's index part on its way into a libsolv .solv cache: any
 * bytes must give a .solv or one clean error (FORMAT, LIMIT), and a .solv
 * that was written must load into a solver. The part is written to a
 * private temporary directory, as a refresh leaves it on disk. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nip/solve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/nip-fuzz-solv.XXXXXX", *parts[] = {"part.json"};
	struct nip_error err;
	struct nip_solver *s;
	int dirfd, fd;

	if (!mkdtemp(dir) || (dirfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		abort();
	if (nip_write_atomic(dirfd, "part.json", data, size, 0644, 0, &err) < 0)
		abort();
	if (nip_solv_from_index("fuzz", dirfd, parts, 1, "fuzz.solv", &err) < 0) {
		if (err.code != NIP_E_FORMAT && err.code != NIP_E_LIMIT)
			abort();
	} else {
		if ((fd = openat(dirfd, "fuzz.solv", O_RDONLY)) < 0 || !(s = nip_solver_new("x86_64", &err)) ||
		    nip_solver_add_track(s, "fuzz", 0, fd, &err) < 0)
			abort();
		nip_solver_free(s);
		close(fd);
		unlinkat(dirfd, "fuzz.solv", 0);
	}
	unlinkat(dirfd, "part.json", 0);
	close(dirfd);
	rmdir(dir);
	return 0;
}
