/* fsck: every object and tree re-hashed against its name, streaming (an
 * object can be gigabytes), and every object's mode against the mode in
 * its name. A bad entry is reported and, with repair, removed: a package
 * that holds the right bytes restores it on its next import. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "nip/limits.h"

#define READ_CHUNK (256u << 10)

struct fsck {
	int repair;
	nip_fsck_bad_fn *bad;
	void *ctx;
	struct nip_fsck_stats st;
	struct nip_sha256 *h;
	unsigned char *buf;
};

static int report(struct fsck *k, int subfd, const char *kind, const char *sub, const char *name,
		  const char *why, struct nip_error *err)
{
	char full[3 + 256];

	snprintf(full, sizeof full, "%s/%s", sub, name);
	k->st.bad++;
	if (k->bad)
		k->bad(k->ctx, kind, full, why);
	if (k->repair && remove_tree(subfd, name, err) < 0)
		return nip_err_prefix(err, "fsck: repairing %s %s: ", kind, full);
	return 0;
}

static int hash_fd(struct fsck *k, int fd, const char *what, uint8_t out[NIP_SHA256_LEN],
		   struct nip_error *err)
{
	ssize_t r;

	nip_sha256_reset(k->h);
	while ((r = nip_read_some(fd, k->buf, READ_CHUNK, what, err)) > 0)
		nip_sha256_update(k->h, k->buf, (size_t)r);
	if (r < 0)
		return -1;
	nip_sha256_final(k->h, out);
	return 0;
}

/* Checks one entry; *why is NULL when it is good. mode < 0: not checked. */
static int check_entry(struct fsck *k, int subfd, const char *kind, const char *name,
		       const uint8_t want[NIP_SHA256_LEN], long mode, char *why, size_t whylen,
		       struct nip_error *err)
{
	uint8_t got[NIP_SHA256_LEN];
	char hex[NIP_SHA256_HEX];
	struct stat st;
	/* O_NONBLOCK: a FIFO planted in the store must not hang fsck. */
	int fd = openat(subfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc = -1;

	why[0] = '\0';
	if (fd < 0) {
		if (errno == ELOOP) {
			snprintf(why, whylen, "a symlink, not a file");
			return 0;
		}
		return nip_err_sys(err, NIP_E_IO, errno, "fsck: %s %s", kind, name);
	}
	if (fstat(fd, &st) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "fsck: %s %s", kind, name);
		goto out;
	}
	rc = 0;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
	} else if (mode >= 0 && (st.st_mode & 07777) != (mode_t)mode) {
		snprintf(why, whylen, "mode %04o, expected %04o", (unsigned)(st.st_mode & 07777),
			 (unsigned)mode);
	} else if ((rc = hash_fd(k, fd, name, got, err)) == 0 &&
		   memcmp(got, want, NIP_SHA256_LEN) != 0) {
		nip_hex(got, NIP_SHA256_LEN, hex);
		snprintf(why, whylen, "content's SHA-256 is %s", hex);
	}
out:
	close(fd);
	return rc;
}

/* A symlink object: a symlink whose target text hashes to its name. */
static int check_link(int subfd, const char *name, const uint8_t want[NIP_SHA256_LEN], char *why,
		      size_t whylen, struct nip_error *err)
{
	char target[NIP_PATH_MAX + 1], hex[NIP_SHA256_HEX];
	uint8_t got[NIP_SHA256_LEN];
	struct stat st;
	ssize_t n;

	why[0] = '\0';
	if (fstatat(subfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "fsck: object %s", name);
	if (!S_ISLNK(st.st_mode)) {
		snprintf(why, whylen, "not a symlink");
		return 0;
	}
	if ((n = readlinkat(subfd, name, target, sizeof target)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "fsck: object %s: readlink", name);
	nip_sha256(target, (size_t)n, got);
	if (memcmp(got, want, NIP_SHA256_LEN) != 0) {
		nip_hex(got, NIP_SHA256_LEN, hex);
		snprintf(why, whylen, "target's SHA-256 is %s", hex);
	}
	return 0;
}

static int check_object(void *ctx, int subfd, const char *sub, const char *name,
			struct nip_error *err)
{
	struct fsck *k = ctx;
	uint8_t hash[NIP_SHA256_LEN];
	uint32_t mode;
	int is_link, rc;
	char why[128];

	k->st.objects++;
	if (object_name_parse(sub, name, hash, &mode, &is_link) < 0)
		return report(k, subfd, "object", sub, name, "not an object name", err);
	/* Objects are read-only with the rest of the named mode. */
	rc = is_link ? check_link(subfd, name, hash, why, sizeof why, err)
		     : check_entry(k, subfd, "object", name, hash, (long)(mode & ~0222u), why,
				   sizeof why, err);
	if (rc < 0)
		return -1;
	return why[0] ? report(k, subfd, "object", sub, name, why, err) : 0;
}

static int check_tree(void *ctx, int subfd, const char *sub, const char *name,
		      struct nip_error *err)
{
	struct fsck *k = ctx;
	uint8_t hash[NIP_SHA256_LEN];
	char why[128];

	k->st.trees++;
	if (tree_name_parse(sub, name, hash) < 0)
		return report(k, subfd, "tree", sub, name, "not a tree name", err);
	if (check_entry(k, subfd, "tree", name, hash, -1, why, sizeof why, err) < 0)
		return -1;
	return why[0] ? report(k, subfd, "tree", sub, name, why, err) : 0;
}

int nip_nexfs_fsck(struct nip_nexfs *fs, int repair, nip_fsck_bad_fn *bad, void *ctx,
		   struct nip_fsck_stats *stats, struct nip_error *err)
{
	struct fsck k = {.repair = repair, .bad = bad, .ctx = ctx};
	int rc = -1;

	if (!(k.h = nip_sha256_new(err)))
		return -1;
	if (!(k.buf = malloc(READ_CHUNK))) {
		nip_err(err, NIP_E_NOMEM, "fsck: out of memory");
		goto out;
	}
	if (store_walk(fs->objects_fd, "nexfs/objects", check_object, &k, err) < 0 ||
	    store_walk(fs->trees_fd, "nexfs/trees", check_tree, &k, err) < 0)
		goto out;
	if (stats)
		*stats = k.st;
	rc = 0;
out:
	free(k.buf);
	nip_sha256_free(k.h);
	return rc;
}
