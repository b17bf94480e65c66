/* The store's handle: its directories, opened once, and the names of what
 * it holds. Names are made from hashes only, so no untrusted string ever
 * reaches a path in objects/ or trees/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* mkdir if missing, then open it; O_NOFOLLOW so that a symlink planted in
 * place of a store directory is refused rather than followed. */
static int open_dir(int at, const char *name, const char *what, int *out, struct nip_error *err)
{
	int fd;
	if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "%s: mkdir", what);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", what);
	*out = fd;
	return 0;
}

int nip_nexfs_open(int rootfd, struct nip_nexfs **out, struct nip_error *err)
{
	struct nip_nexfs *fs = malloc(sizeof *fs);

	if (!fs)
		return nip_err(err, NIP_E_NOMEM, "nexfs: out of memory");
	fs->nexfs_fd = fs->objects_fd = fs->trees_fd = fs->tmp_fd = fs->deploy_fd = -1;
	fs->writeback = NULL;
	/* The 256 AB/ subdirectories are made on first use (tmp_link): an
	 * open then costs five syscalls, not 512, and most opens only read. */
	if (open_dir(rootfd, "nexfs", "nexfs", &fs->nexfs_fd, err) < 0 ||
	    open_dir(fs->nexfs_fd, "objects", "nexfs/objects", &fs->objects_fd, err) < 0 ||
	    open_dir(fs->nexfs_fd, "trees", "nexfs/trees", &fs->trees_fd, err) < 0 ||
	    open_dir(fs->nexfs_fd, "tmp", "nexfs/tmp", &fs->tmp_fd, err) < 0 ||
	    open_dir(rootfd, "deploy", "deploy", &fs->deploy_fd, err) < 0) {
		nip_nexfs_close(fs);
		return -1;
	}
	*out = fs;
	return 0;
}

void nip_nexfs_close(struct nip_nexfs *fs)
{
	if (!fs)
		return;
	int fds[] = {fs->nexfs_fd, fs->objects_fd, fs->trees_fd, fs->tmp_fd, fs->deploy_fd};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fs);
}

int nip_nexfs_deploy_fd(const struct nip_nexfs *fs)
{
	return fs->deploy_fd;
}

/* One syncfs() for the whole batch instead of an fsync per object: on
 * ext4 a journal commit per file dominates an install of small files, and
 * nothing in the store is referenced before the transaction's COMMIT, which
 * comes after this call. */
int nip_nexfs_sync(struct nip_nexfs *fs, struct nip_error *err)
{
	if (syncfs(fs->nexfs_fd) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "nexfs: syncfs");
	return 0;
}

void nip_object_name(const uint8_t hash[NIP_SHA256_LEN], uint32_t mode, int is_link,
		     char out[NIP_OBJECT_NAME_MAX])
{
	char hex[NIP_SHA256_HEX];
	nip_hex(hash, NIP_SHA256_LEN, hex);
	if (is_link)
		snprintf(out, NIP_OBJECT_NAME_MAX, "%.2s/%s.link", hex, hex);
	else
		snprintf(out, NIP_OBJECT_NAME_MAX, "%.2s/%s.%04o", hex, hex, mode & 07777);
}

void tree_name(const uint8_t hash[NIP_SHA256_LEN], char out[TREE_NAME_MAX])
{
	char hex[NIP_SHA256_HEX];
	nip_hex(hash, NIP_SHA256_LEN, hex);
	snprintf(out, TREE_NAME_MAX, "%.2s/%s", hex, hex);
}

/* HASH (64 lower-case hex digits) filed under the right AB/. */
static int hash_parse(const char *sub, const char *s, uint8_t hash[NIP_SHA256_LEN])
{
	char hex[NIP_SHA256_HEX];
	if (strlen(s) < 2 * NIP_SHA256_LEN || strncmp(s, sub, 2) != 0 || strlen(sub) != 2)
		return -1;
	memcpy(hex, s, 2 * NIP_SHA256_LEN);
	hex[2 * NIP_SHA256_LEN] = '\0';
	return nip_unhex(hex, hash, NIP_SHA256_LEN);
}

int object_name_parse(const char *sub, const char *name, uint8_t hash[NIP_SHA256_LEN],
		      uint32_t *mode, int *is_link)
{
	const char *suffix = name + 2 * NIP_SHA256_LEN;
	uint32_t m = 0;

	if (hash_parse(sub, name, hash) < 0 || *suffix != '.')
		return -1;
	suffix++;
	if (strcmp(suffix, "link") == 0) {
		*mode = 0;
		*is_link = 1;
		return 0;
	}
	if (strlen(suffix) != 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (suffix[i] < '0' || suffix[i] > '7')
			return -1;
		m = m << 3 | (uint32_t)(suffix[i] - '0');
	}
	*mode = m;
	*is_link = 0;
	return 0;
}

int tree_name_parse(const char *sub, const char *name, uint8_t hash[NIP_SHA256_LEN])
{
	if (strlen(name) != 2 * NIP_SHA256_LEN)
		return -1;
	return hash_parse(sub, name, hash);
}

void random_hex(char out[17])
{
	uint8_t r[8];
	/* Uniqueness, not secrecy: the names live in directories only nip
	 * writes, and every create is exclusive. */
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != sizeof r) {
		struct timespec ts;
		uint64_t v;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint64_t)getpid() << 40 ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)ts.tv_nsec;
		memcpy(r, &v, sizeof r);
	}
	nip_hex(r, sizeof r, out);
}
