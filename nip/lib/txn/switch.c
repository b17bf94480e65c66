/* Generation switches and recovery. The database says which generation is
 * current; the symlink follows it. After a crash between the COMMIT and
 * the rename, reconcile rolls the symlink forward. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txn_internal.h"

void txn_deploy_name(const char *cell, int64_t gen, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s-%lld", cell, (long long)gen);
}

int txn_cell_dir(struct nip_root *r, const char *cell, struct nip_error *err)
{
	int cells, fd;

	if (nip_cell_name_check(cell, err) < 0)
		return -1;
	cells = openat(r->fd, "cells", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (cells < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/cells", r->path);
	if (mkdirat(cells, cell, 0755) < 0 && errno != EEXIST) {
		close(cells);
		return nip_err_sys(err, NIP_E_IO, errno, "%s/cells/%s", r->path, cell);
	}
	fd = openat(cells, cell, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	close(cells);
	/* The cell's own writable state (local /etc changes and the like)
	 * survives every upgrade and rollback. */
	if (fd >= 0 && mkdirat(fd, "state", 0755) < 0 && errno != EEXIST) {
		int e = errno;
		close(fd);
		return nip_err_sys(err, NIP_E_IO, e, "%s/cells/%s/state", r->path, cell);
	}
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/cells/%s", r->path, cell);
	return fd;
}

int txn_each_cell(struct nip_root *r, int (*fn)(void *ctx, const char *cell, struct nip_error *err),
		  void *ctx, struct nip_error *err)
{
	int fd = openat(r->fd, "cells", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return nip_err_sys(err, NIP_E_IO, errno, "%s/cells: cannot list the cells", r->path);
	}
	while (rc == 0 && (e = readdir(d)))
		if (e->d_name[0] != '.')
			rc = fn(ctx, e->d_name, err);
	closedir(d);
	return rc;
}

int txn_switch(struct nip_root *r, const char *cell, int64_t gen, struct nip_error *err)
{
	char name[128], target[192];
	int fd = txn_cell_dir(r, cell, err), rc;

	if (fd < 0)
		return -1;
	if (gen == 0) {
		rc = unlinkat(fd, "current", 0) < 0 && errno != ENOENT
			     ? nip_err_sys(err, NIP_E_IO, errno, "cells/%s/current", cell)
			     : nip_fsync_dir(fd, "cell", err);
	} else {
		txn_deploy_name(cell, gen, name, sizeof name);
		snprintf(target, sizeof target, "../../deploy/%s", name);
		rc = nip_symlink_replace(fd, "current", target, err);
	}
	close(fd);
	return rc;
}

/* What cells/CELL/current points at, or "" when absent. */
static void current_link(struct nip_root *r, const char *cell, char *out, size_t outsz)
{
	char path[300];
	ssize_t n;
	snprintf(path, sizeof path, "cells/%s/current", cell);
	n = readlinkat(r->fd, path, out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
}

static int reconcile_cell(void *ctx, const char *cell, struct nip_error *err)
{
	struct nip_root *r = ctx;
	char have[256], want[256], name[128];
	int64_t gen;

	if (nip_db_current(r->db, cell, &gen, err) < 0)
		return -1;
	current_link(r, cell, have, sizeof have);
	txn_deploy_name(cell, gen, name, sizeof name);
	want[0] = '\0';
	if (gen)
		snprintf(want, sizeof want, "../../deploy/%s", name);
	return strcmp(have, want) != 0 ? txn_switch(r, cell, gen, err) : 0;
}

int txn_reconcile(struct nip_root *r, struct nip_error *err)
{
	return txn_each_cell(r, reconcile_cell, r, err);
}

int txn_anchor_save(struct nip_root *r, struct nip_error *err)
{
	struct nip_provchain_anchor a;
	char hex[NIP_SHA256_HEX], line[128];
	int keys, rc, n;

	if (nip_provchain_head(r->db, &a, err) < 0)
		return -1;
	nip_hex(a.hash, sizeof a.hash, hex);
	n = snprintf(line, sizeof line, "%lld %s\n", (long long)a.seq, hex);
	keys = openat(r->fd, "keys", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (keys < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s/keys", r->path);
	rc = nip_write_atomic(keys, "provchain.head", line, (size_t)n, 0600, 0, err);
	close(keys);
	return rc;
}

int txn_anchor_load(struct nip_root *r, struct nip_provchain_anchor *a, int *have, struct nip_error *err)
{
	struct nip_buf b;
	char *sp;
	int64_t seq;

	*have = 0;
	if (nip_read_file(r->fd, "keys/provchain.head", 256, 1, &b, err) < 0)
		return err->errnum == ENOENT ? 0 : -1;
	sp = strchr((char *)b.data, ' ');
	if (!sp || strlen(sp + 1) < 2 * NIP_SHA256_LEN || (*sp = '\0', nip_parse_i64((char *)b.data, 0, INT64_MAX, &seq) < 0) ||
	    (sp[1 + 2 * NIP_SHA256_LEN] = '\0', nip_unhex(sp + 1, a->hash, NIP_SHA256_LEN) < 0)) {
		nip_buf_free(&b);
		return nip_err(err, NIP_E_TRUST, "%s/keys/provchain.head: malformed", r->path);
	}
	a->seq = seq;
	*have = 1;
	nip_buf_free(&b);
	return 0;
}

/* The generation that was current before the current one, so that a bare
 * `nip rollback` goes back and forth like `cd -`; kept in config, written
 * in the transaction that switches. */
int txn_set_previous(struct nip_root *r, const char *cell, int64_t gen, struct nip_error *err)
{
	char key[160], val[32];
	if (!gen)
		return 0;
	snprintf(key, sizeof key, "previous.%s", cell);
	snprintf(val, sizeof val, "%lld", (long long)gen);
	return nip_db_config_set(r->db, key, val, err);
}

int txn_previous(struct nip_root *r, const char *cell, int64_t *gen, struct nip_error *err)
{
	char key[160], *val = NULL;
	int64_t g;
	snprintf(key, sizeof key, "previous.%s", cell);
	if (nip_db_config_get(r->db, key, &val, err) < 0)
		return -1;
	*gen = val && nip_parse_i64(val, 1, INT64_MAX, &g) == 0 ? g : 0;
	free(val);
	return 0;
}
