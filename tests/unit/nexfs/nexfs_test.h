/* Helpers shared by the nexfs unit tests: a fresh store per test, objects
 * from strings, and file lists built by hand. */
#ifndef NIP_TEST_NEXFS_H
#define NIP_TEST_NEXFS_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit.h"
#include "nip/nexfs.h"

/* err must be `code` and its message must contain `what`. */
#define CU_ASSERT_ERR(err, want_code, what)                            \
	do {                                                           \
		CU_ASSERT_EQUAL((err).code, want_code);                \
		CU_ASSERT_PTR_NOT_NULL(strstr((err).msg, what));       \
		if ((err).code != (want_code) || !strstr((err).msg, what)) \
			fprintf(stderr, "\nmessage: %s\n", (err).msg); \
	} while (0)

/* Number of entries in rootfd/path, "." and ".." aside. */
static inline int count_entries(int rootfd, const char *path)
{
	int fd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	DIR *d;
	struct dirent *e;
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

struct tstore {
	int rootfd;
	struct nip_nexfs *fs;
};

static inline void tstore_open(struct tstore *t)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	t->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_FATAL(t->rootfd >= 0);
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_open(t->rootfd, &t->fs, &err), 0);
}

static inline int keep_no_deploy(void *ctx, const char *name)
{
	return 0;
}

/* Deployments are read-only: without CAP_DAC_OVERRIDE the runner could
 * not remove them, so they go here. */
static inline void tstore_close(struct tstore *t)
{
	static const struct nip_gc_ops drop_deploys = {.keep_deploy = keep_no_deploy};
	struct nip_error err;
	CU_ASSERT_EQUAL(nip_nexfs_gc(t->fs, &drop_deploys, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(count_entries(t->rootfd, "deploy"), 0);
	nip_nexfs_close(t->fs);
	close(t->rootfd);
}

/* Stores `text` as an object of `mode`; hash out if not NULL. */
static inline void put_text(struct nip_nexfs *fs, const char *text, uint32_t mode,
			    uint8_t hash[NIP_SHA256_LEN])
{
	struct nip_object_writer *w;
	struct nip_error err;
	uint8_t h[NIP_SHA256_LEN];
	size_t len = strlen(text);

	nip_sha256(text, len, h);
	CU_ASSERT_EQUAL_FATAL(nip_object_begin(fs, &w, &err), 0);
	/* Two writes, to see that they append. */
	CU_ASSERT_EQUAL_FATAL(nip_object_write(w, text, len / 2, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_object_write(w, text + len / 2, len - len / 2, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_object_commit(w, h, mode, &err), 0);
	if (hash)
		memcpy(hash, h, sizeof h);
}

/* A file list entry; strings are borrowed (the lists live in the test). */
static inline struct nip_file tfile(const char *path, enum nip_ftype type, uint32_t mode,
				    const char *content, const char *target)
{
	struct nip_file f = {.path = (char *)path, .type = type, .mode = mode,
			     .target = (char *)target};
	if (content) {
		f.size = strlen(content);
		nip_sha256(content, f.size, f.sha256);
	}
	return f;
}

static inline int exists_at(int rootfd, const char *path)
{
	struct stat st;
	return fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* "nexfs/objects/" + nip_object_name(...) */
static inline void object_path(const uint8_t hash[NIP_SHA256_LEN], uint32_t mode, int is_link,
			       char out[128])
{
	char name[NIP_OBJECT_NAME_MAX];
	nip_object_name(hash, mode, is_link, name);
	snprintf(out, 128, "nexfs/objects/%s", name);
}

#endif
