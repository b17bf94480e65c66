/* Fuzzes a track's index part on its way into a libsolv .solv cache, and
 * differentially: the fast readers (the index scanner and the canonical
 * relation path) must give the very bytes that the reference readers
 * (Jansson and the full relation parser) give, or fail exactly when they
 * fail; any bytes give a .solv that loads, or one clean error. The part is
 * written to a private temporary directory, as a refresh leaves it. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../nip/lib/solve/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int build(int dirfd, const char *out, int reference, struct nip_buf *solv)
{
	char *parts[] = {"part.json"};
	struct nip_error err;

	if (solv_from_index("fuzz", dirfd, parts, 1, out, reference, &err) < 0) {
		if (err.code != NIP_E_FORMAT && err.code != NIP_E_LIMIT)
			abort();
		return -1;
	}
	if (nip_read_file(dirfd, out, 1u << 30, 1, solv, &err) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/nip-fuzz-solv.XXXXXX";
	struct nip_buf fast, ref;
	struct nip_error err;
	struct nip_solver *s;
	int dirfd, fd, rf, rr;

	if (!mkdtemp(dir) || (dirfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		abort();
	if (nip_write_atomic(dirfd, "part.json", data, size, 0644, 0, &err) < 0)
		abort();
	rf = build(dirfd, "fast.solv", 0, &fast);
	rr = build(dirfd, "ref.solv", 1, &ref);
	if (rf != rr)
		abort();
	if (rf == 0) {
		if (fast.len != ref.len || memcmp(fast.data, ref.data, fast.len) != 0)
			abort();
		nip_buf_free(&fast);
		nip_buf_free(&ref);
		if ((fd = openat(dirfd, "fast.solv", O_RDONLY)) < 0 || !(s = nip_solver_new("x86_64", &err)) ||
		    nip_solver_add_track(s, "fuzz", 0, fd, &err) < 0)
			abort();
		nip_solver_free(s);
		close(fd);
		unlinkat(dirfd, "fast.solv", 0);
		unlinkat(dirfd, "ref.solv", 0);
	}
	unlinkat(dirfd, "part.json", 0);
	close(dirfd);
	rmdir(dir);
	return 0;
}
