/* Shared by the graft adapters' fuzz targets: the input is written as a
 * file with the adapter's suffix and grafted with a fixed key into a
 * private directory; whatever happens must be a clean result or a clean
 * error, and a failure must leave nothing behind. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "nip/graft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char graft_fuzz_dir[64];

static void graft_fuzz_cleanup(void)
{
	rmdir(graft_fuzz_dir);
}

static int graft_fuzz(const uint8_t *data, size_t size, const char *name)
{
	char *dir = graft_fuzz_dir;
	unsigned char seed[32] = "nip fuzzing key, never trust it", pk[32];
	struct nip_seckey sec;
	struct nip_graft_opts opts = {.key = &sec, .threads = 1, .level = 1};
	struct nip_error err;
	uint8_t cid[NIP_SHA256_LEN];
	int dfd, fd, rc;

	if (!dir[0]) {
		snprintf(dir, sizeof graft_fuzz_dir, "/tmp/nip-fuzz-graft.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(graft_fuzz_cleanup);
	}
	memset(sec.keyid, 0x42, sizeof sec.keyid);
	crypto_sign_seed_keypair(pk, sec.sk, seed);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	rc = nip_graft_file(dfd, name, &opts, dfd, "out.nip", NULL, cid, &err);
	if (rc < 0 && (err.code == NIP_E_OK || !err.msg[0]))
		abort(); /* a failure must say why */
	if (rc < 0 && faccessat(dfd, "out.nip", F_OK, 0) == 0)
		abort(); /* and write nothing */
	unlinkat(dfd, "out.nip", 0);
	unlinkat(dfd, name, 0);
	close(dfd);
	return 0;
}
