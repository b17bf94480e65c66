/* nip/lib/nexfs/link.c: the generation switch. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "nexfs_test.h"

static void test_replace(void)
{
	const char *dir = nip_unit_tmpdir();
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	struct nip_error err;
	char buf[64];
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0);
	/* Creates the link when there is none, replaces it when there is. */
	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "current", "../deploy/gen1", &err), 0);
	n = readlinkat(fd, "current", buf, sizeof buf);
	CU_ASSERT(n == 14 && memcmp(buf, "../deploy/gen1", 14) == 0);
	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "current", "../deploy/gen2", &err), 0);
	n = readlinkat(fd, "current", buf, sizeof buf);
	CU_ASSERT(n == 14 && memcmp(buf, "../deploy/gen2", 14) == 0);
	CU_ASSERT_EQUAL(count_entries(fd, "."), 1);

	/* A link below dirfd: the temporary is made beside it. */
	CU_ASSERT_EQUAL_FATAL(mkdirat(fd, "cells", 0755), 0);
	CU_ASSERT_EQUAL_FATAL(mkdirat(fd, "cells/system", 0755), 0);
	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "cells/system/current", "gen3", &err), 0);
	n = readlinkat(fd, "cells/system/current", buf, sizeof buf);
	CU_ASSERT(n == 4 && memcmp(buf, "gen3", 4) == 0);
	CU_ASSERT_EQUAL(count_entries(fd, "cells/system"), 1);

	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "missing/current", "x", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "missing");
	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "", "x", &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_USAGE);
	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "/tmp/current", "x", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "/tmp/current");
	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "cells/", "x", &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_USAGE);
	/* Replacing a directory is refused, and leaves no temporary. */
	CU_ASSERT_EQUAL(nip_symlink_replace(fd, "cells", "x", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "cells");
	CU_ASSERT_EQUAL(count_entries(fd, "."), 2);
	close(fd);
}

struct reader {
	int fd;
	atomic_int stop;
	long reads, misses;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	char buf[64];
	while (!atomic_load(&r->stop)) {
		ssize_t n = readlinkat(r->fd, "current", buf, sizeof buf);
		r->reads++;
		if (n != 4 || (memcmp(buf, "genA", 4) != 0 && memcmp(buf, "genB", 4) != 0))
			r->misses++;
		/* Valgrind runs one thread at a time: a pure spin starves the
		 * switching thread there. */
		sched_yield();
	}
	return NULL;
}

/* While the link is switched back and forth, a reader always finds it,
 * pointing at one generation or the other. */
static void test_atomic(void)
{
	const char *dir = nip_unit_tmpdir();
	struct reader r = {.fd = open(dir, O_RDONLY | O_DIRECTORY)};
	struct nip_error err;
	pthread_t th;
	int ok = 1;

	CU_ASSERT_FATAL(r.fd >= 0);
	CU_ASSERT_EQUAL_FATAL(nip_symlink_replace(r.fd, "current", "genA", &err), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, read_loop, &r), 0);
	for (int i = 0; i < 300; i++)
		ok &= nip_symlink_replace(r.fd, "current", i % 2 ? "genA" : "genB", &err) == 0;
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	CU_ASSERT(ok);
	CU_ASSERT(r.reads > 0);
	CU_ASSERT_EQUAL(r.misses, 0);
	close(r.fd);
}

NIP_UNIT_SUITE("nexfs/link", NIP_TEST(test_replace), NIP_TEST(test_atomic))
