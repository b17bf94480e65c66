/* A root's tracks: pinning and dropping them (trust changes, logged in
 * ProvChain) and the libsolv cache of each one's verified index. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nip/limits.h"
#include "nip/track.h"
#include "txn_internal.h"

int nip_txn_track_add(struct nip_root *r, const char *name, const char *url,
		      const char *const *mirrors, size_t nmirrors, int priority,
		      const struct nip_pubkey *root_pub, const void *root_json, size_t root_len,
		      const struct nip_fetcher *f, struct nip_error *err)
{
	char pkey[NIP_TRACK_NAME_MAX + 16], pval[16];
	char subject[NIP_TRACK_NAME_MAX + 64], id[NIP_KEYID_HEX], key[NIP_TRACK_NAME_MAX + 16];
	struct nip_buf list;

	nip_buf_init(&list, 8 * (NIP_URL_MAX + 1), "mirrors");
	for (size_t i = 0; i < nmirrors; i++)
		if ((strncmp(mirrors[i], "http://", 7) != 0 && strncmp(mirrors[i], "https://", 8) != 0) ||
		    strlen(mirrors[i]) > NIP_URL_MAX || strpbrk(mirrors[i], " \t\r\n")) {
			nip_buf_free(&list);
			return nip_err(err, NIP_E_USAGE, "track %s: mirror %.200s: not an http(s) URL", name,
				       mirrors[i]);
		}
	if (nip_track_add(r->fd, name, url, root_pub, root_json, root_len, f, err) < 0) {
		nip_buf_free(&list);
		return -1;
	}
	for (size_t i = 0; i < nmirrors; i++)
		if (nip_buf_printf(&list, err, "%s%s", i ? " " : "", mirrors[i]) < 0) {
			nip_buf_free(&list);
			return -1;
		}
	if (root_pub)
		nip_keyid_format(root_pub->keyid, id);
	snprintf(subject, sizeof subject, "track=%s%s%s", name, root_pub ? " root-key=" : "",
		 root_pub ? id : "");
	snprintf(key, sizeof key, "mirrors.%s", name);
	if (nip_buf_cstr(&list, err) < 0 || nip_db_begin(r->db, err) < 0) {
		nip_buf_free(&list);
		return -1;
	}
	snprintf(pkey, sizeof pkey, "priority.%s", name);
	snprintf(pval, sizeof pval, "%d", priority);
	if (nip_db_config_set(r->db, key, nmirrors ? (char *)list.data : NULL, err) < 0 ||
	    nip_db_config_set(r->db, pkey, priority ? pval : NULL, err) < 0) {
		nip_db_rollback(r->db);
		nip_buf_free(&list);
		return -1;
	}
	nip_buf_free(&list);
	return txn_logged_commit(r, "track-add", subject, url, err);
}

int nip_txn_track_remove(struct nip_root *r, const char *name, struct nip_error *err)
{
	char subject[NIP_TRACK_NAME_MAX + 16], key[NIP_TRACK_NAME_MAX + 16], pkey[NIP_TRACK_NAME_MAX + 16];

	if (nip_track_remove(r->fd, name, err) < 0)
		return -1;
	snprintf(subject, sizeof subject, "track=%s", name);
	snprintf(key, sizeof key, "mirrors.%s", name);
	snprintf(pkey, sizeof pkey, "priority.%s", name);
	if (nip_db_begin(r->db, err) < 0)
		return -1;
	if (nip_db_config_set(r->db, key, NULL, err) < 0 || nip_db_config_set(r->db, pkey, NULL, err) < 0) {
		nip_db_rollback(r->db);
		return -1;
	}
	return txn_logged_commit(r, "track-remove", subject, "stop trusting a track", err);
}

/* ---- the solver's cache of a track ------------------------------------- */

int nip_txn_track_cache(struct nip_root *r, const char *track, int *fd_out, struct nip_error *err)
{
	uint8_t key[NIP_SHA256_LEN];
	char hex[NIP_SHA256_HEX], have[NIP_SHA256_HEX + 1], solv[NIP_TRACK_NAME_MAX + 32],
		keyname[NIP_TRACK_NAME_MAX + 40];
	char **parts = NULL;
	size_t nparts = 0;
	struct nip_buf old;
	int rc = -1, fd;

	if (nip_track_index_key(r->fd, track, key, err) < 0)
		return -1;
	nip_hex(key, sizeof key, hex);
	snprintf(solv, sizeof solv, "tracks/%s/index.solv", track);
	snprintf(keyname, sizeof keyname, "tracks/%s/index.solv.key", track);
	have[0] = '\0';
	if (nip_read_file(r->fd, keyname, sizeof have - 1, 1, &old, NULL) == 0) {
		if (old.len == NIP_SHA256_HEX - 1)
			memcpy(have, old.data, old.len), have[old.len] = '\0';
		nip_buf_free(&old);
	}
	/* Rebuilt only when the index changed: a refresh that brought
	 * nothing new costs no parse. The key is written after the cache, so
	 * a crash in between rebuilds it next time. */
	if (strcmp(have, hex) != 0) {
		if (nip_track_index_paths(r->fd, track, &parts, &nparts, err) < 0 ||
		    nip_solv_from_index(track, r->fd, parts, nparts, solv, err) < 0 ||
		    nip_write_atomic(r->fd, keyname, hex, strlen(hex), 0644, 0, err) < 0)
			goto out;
	}
	if (fd_out) {
		if ((fd = openat(r->fd, solv, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
			nip_err_sys(err, NIP_E_IO, errno, "track %s: %s", track, solv);
			goto out;
		}
		*fd_out = fd;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nparts; i++)
		free(parts[i]);
	free(parts);
	return rc;
}

