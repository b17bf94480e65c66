/* Helpers shared by the crypto unit tests. */
#ifndef NIP_TEST_CRYPTO_H
#define NIP_TEST_CRYPTO_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit.h"
#include "nip/util.h"

/* The runner runs from the top of the tree. */
#define DATA "tests/unit/crypto/data/"

/* Offsets in minisign's 158-byte secret key blob. */
enum { SK_SIGALG = 0, SK_KDFALG = 2, SK_CHKALG = 4, SK_OPS = 38, SK_MEM = 46, SK_KEYID = 54,
       SK_SK = 62, SK_CHK = 126, SK_LEN = 158 };

/* err must be `code` and its message must contain `what`. */
#define CU_ASSERT_ERR(err, want_code, what)                             \
	do {                                                            \
		CU_ASSERT_EQUAL((err).code, want_code);                 \
		CU_ASSERT_PTR_NOT_NULL(strstr((err).msg, what));        \
		if (!strstr((err).msg, what))                           \
			fprintf(stderr, "\nmessage: %s\n", (err).msg);  \
	} while (0)

static inline char *slurp(const char *path, size_t *len)
{
	struct nip_error err;
	struct nip_buf b;

	if (nip_read_file(AT_FDCWD, path, 1 << 20, 0, &b, &err) < 0) {
		CU_FAIL_FATAL(err.msg);
		return NULL;
	}
	*len = b.len;
	return (char *)b.data;
}

static inline void put(int dirfd, const char *name, const char *text, mode_t mode)
{
	struct nip_error err;
	unlinkat(dirfd, name, 0);
	CU_ASSERT_EQUAL_FATAL(nip_write_atomic(dirfd, name, text, strlen(text), mode, 0, &err), 0);
}

static inline int tmpdirfd(void)
{
	int fd = open(nip_unit_tmpdir(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	return fd;
}

#endif
