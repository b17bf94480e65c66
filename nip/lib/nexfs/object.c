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
};

int nip_object_has(struct nip_nexfs *fs, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode,
		   int is_link)
{
	char name[NIP_OBJECT_NAME_MAX];
	struct stat st;
	nip_object_name(hash, mode, is_link, name);
	return fstatat(fs->objects_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int nip_object_begin(struct nip_nexfs *fs, struct nip_object_writer **out, struct nip_error *err)
{
	struct nip_object_writer *w = malloc(sizeof *w);
	if (!w)
		return nip_err(err, NIP_E_NOMEM, "nexfs: out of memory");
	w->fs = fs;
	if (tmp_open(fs, &w->t, err) < 0) {
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int nip_object_write(struct nip_object_writer *w, const void *p, size_t n, struct nip_error *err)
{
	return nip_write_full(w->t.fd, p, n, "nexfs/tmp: object", err);
}

void nip_object_abort(struct nip_object_writer *w)
{
	if (!w)
		return;
	tmp_discard(w->fs, &w->t);
	free(w);
}

static int commit_as(struct nip_object_writer *w, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode,
		     int is_link, struct nip_error *err)
{
	char name[NIP_OBJECT_NAME_MAX];
	/* Read-only, so that no deployment can change what every other
	 * generation shares; the chmod comes after the writes because a
	 * write clears setuid and setgid. */
	mode_t m = is_link ? 0444 : (mode_t)(mode & 07777 & ~0222u);
	int rc;

	nip_object_name(hash, mode, is_link, name);
	if (fchmod(w->t.fd, m) < 0) {
		rc = nip_err_sys(err, NIP_E_IO, errno, "nexfs/objects/%s: chmod", name);
		nip_object_abort(w);
		return rc;
	}
	rc = tmp_link(w->fs, &w->t, w->fs->objects_fd, name, err);
	free(w);
	return rc;
}

int nip_object_commit(struct nip_object_writer *w, const uint8_t hash[NIP_SHA256_LEN],
		      uint32_t mode, struct nip_error *err)
{
	return commit_as(w, hash, mode, 0, err);
}

int nip_object_put_link(struct nip_nexfs *fs, const char *target, struct nip_error *err)
{
	struct nip_object_writer *w;
	uint8_t hash[NIP_SHA256_LEN];
	size_t len = strlen(target);

	nip_sha256(target, len, hash);
	if (nip_object_has(fs, hash, 0, 1))
		return 0;
	if (nip_object_begin(fs, &w, err) < 0)
		return -1;
	if (nip_object_write(w, target, len, err) < 0) {
		nip_object_abort(w);
		return -1;
	}
	return commit_as(w, hash, 0, 1, err);
}
