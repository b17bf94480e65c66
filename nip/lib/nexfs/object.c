/* Objects: file contents with their mode, written once under their hash.
 * The package reader streams a member into a writer while it hashes it and
 * commits only once the hash matched, so nothing unverified gets a name. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct nip_object_writer {
	struct nip_nexfs *fs;
	struct tmp_file t;
	uint64_t size;
};

int nip_object_has(struct nip_nexfs *fs, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode,
		   int is_link)
{
	char name[NIP_OBJECT_NAME_MAX];
	struct stat st;
	nip_object_name(hash, mode, is_link, name);
	if (fstatat(fs->objects_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return is_link ? S_ISLNK(st.st_mode) : S_ISREG(st.st_mode);
}

int nip_object_begin(struct nip_nexfs *fs, struct nip_object_writer **out, struct nip_error *err)
{
	struct nip_object_writer *w = malloc(sizeof *w);
	if (!w)
		return nip_err(err, NIP_E_NOMEM, "nexfs: out of memory");
	w->fs = fs;
	w->size = 0;
	if (!writeback_tmp(fs, &w->t) && tmp_open(fs, &w->t, err) < 0) {
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int nip_object_write(struct nip_object_writer *w, const void *p, size_t n, struct nip_error *err)
{
	w->size += n;
	return nip_write_full(w->t.fd, p, n, "nexfs/tmp: object", err);
}

void nip_object_abort(struct nip_object_writer *w)
{
	if (!w)
		return;
	tmp_discard(w->fs, &w->t);
	free(w);
}

int object_name_file(struct nip_nexfs *fs, struct tmp_file *t, const char *name, uint32_t mode,
		     struct nip_error *err)
{
	/* Read-only, so that no deployment can change what every other
	 * generation shares; the chmod comes after the writes because a
	 * write clears setuid and setgid. */
	if (fchmod(t->fd, (mode_t)(mode & 07777 & ~0222u)) < 0) {
		int rc = nip_err_sys(err, NIP_E_IO, errno, "nexfs/objects/%s: chmod", name);
		tmp_discard(fs, t);
		return rc;
	}
	return tmp_link(fs, t, fs->objects_fd, name, err);
}

int nip_object_commit(struct nip_object_writer *w, const uint8_t hash[NIP_SHA256_LEN],
		      uint32_t mode, struct nip_error *err)
{
	char name[NIP_OBJECT_NAME_MAX];
	int rc;

	nip_object_name(hash, mode, 0, name);
	rc = writeback_commit(w->fs, &w->t, name, mode, w->size, err);
	if (rc == 0)
		rc = object_name_file(w->fs, &w->t, name, mode, err);
	free(w);
	return rc < 0 ? -1 : 0;
}

int link_object_make(struct nip_nexfs *fs, const char *target, const char *name,
		     struct nip_error *err)
{
	for (int attempt = 0;; attempt++) {
		if (symlinkat(target, fs->objects_fd, name) == 0 || errno == EEXIST)
			return 0;
		if (errno != ENOENT || attempt)
			return nip_err_sys(err, NIP_E_IO, errno, "nexfs/objects/%s: symlink", name);
		if (make_sub(fs->objects_fd, name) < 0)
			return nip_err_sys(err, NIP_E_IO, errno, "nexfs/objects/%.2s: mkdir", name);
	}
}

int nip_object_put_link(struct nip_nexfs *fs, const char *target, struct nip_error *err)
{
	char name[NIP_OBJECT_NAME_MAX];
	uint8_t hash[NIP_SHA256_LEN];

	/* Linux has no empty symlink; the manifest refuses one too. */
	if (!*target)
		return nip_err(err, NIP_E_FORMAT, "symlink object: empty target");
	nip_sha256(target, strlen(target), hash);
	nip_object_name(hash, 0, 1, name);
	return link_object_make(fs, target, name, err);
}

int nip_object_open(struct nip_nexfs *fs, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode,
		    struct nip_error *err)
{
	char name[NIP_OBJECT_NAME_MAX];
	int fd;
	nip_object_name(hash, mode, 0, name);
	fd = openat(fs->objects_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "object %s", name);
	return fd;
}
