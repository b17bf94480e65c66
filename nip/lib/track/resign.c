/* The online key's standing duty: a timestamp (7 days) and a snapshot
 * (30 days) that nobody re-signs make the track unusable (clients refuse a
 * stale one as a freeze attack). trackd calls this on its tick; it re-signs
 * each once less than half of its life is left, so a missed day or two
 * never lets one run out. The new snapshot names exactly the targets roles
 * the old one did. Targets and bins (365 days) are signed anew, all of
 * them, once half of theirs has gone by. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static int sign_write(int mfd, const char *name, json_t *s, const struct nip_seckey *online,
		      struct nip_buf *out, struct nip_error *err)
{
	const struct nip_seckey *keys[1] = {online};
	if (!s)
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	if (tuf_sign_doc(s, keys, 1, out, err) < 0 ||
	    nip_write_atomic(mfd, name, out->data, out->len, 0644, 0, err) < 0)
		return nip_err_prefix(err, "metadata/%s: ", name);
	return 0;
}

int nip_track_resign(int dirfd, const struct nip_seckey *online, time_t now, int *resigned,
		     struct nip_error *err)
{
	struct tuf_md *root = NULL, *ts = NULL, *snap = NULL, *top = NULL;
	struct nip_buf sb, tb;
	struct nip_pubkey opub;
	char oid[NIP_SHA256_HEX], name[64], tname[64], hex[NIP_SHA256_HEX];
	uint8_t sha[NIP_SHA256_LEN];
	int64_t snap_version;
	struct stat st;
	int mfd, rc = -1;
	json_t *s;

	*resigned = 0;
	nip_buf_init(&sb, NIP_TUF_SNAPSHOT_MAX, "snapshot");
	nip_buf_init(&tb, NIP_TUF_TIMESTAMP_MAX, "timestamp");
	if ((mfd = openat(dirfd, "metadata", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "metadata");
	/* The same lock as a publish: both sign version N+1. */
	if (flock(mfd, LOCK_EX) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "metadata: lock");
		goto out;
	}
	nip_seckey_public(online, &opub);
	if (fstatat(mfd, "timestamp.json", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		rc = 0; /* never published: nothing is signed yet */
		goto out;
	}
	if (tuf_root_latest(mfd, &root, err) < 0 || nip_tuf_keyid(&opub, oid, err) < 0 ||
	    tuf_md_load(mfd, "timestamp.json", TUF_TIMESTAMP, NIP_TUF_TIMESTAMP_MAX, &ts, err) < 0)
		goto out;
	if (!tuf_role_has_key(&root->roles[TUF_TIMESTAMP], oid) ||
	    !tuf_role_has_key(&root->roles[TUF_SNAPSHOT], oid)) {
		nip_err(err, NIP_E_TRUST, "online key: root.json does not name it for timestamp and snapshot");
		goto out;
	}
	snap_version = json_integer_value(json_object_get(json_object_get(ts->meta, "snapshot.json"),
							  "version"));
	snprintf(name, sizeof name, "%lld.snapshot.json", (long long)snap_version);
	if (tuf_md_load(mfd, name, TUF_SNAPSHOT, NIP_TUF_SNAPSHOT_MAX, &snap, err) < 0)
		goto out;
	/* targets.json is signed with every bin (first publish, new online
	 * key) and never after: its expiry is the earliest of them all. */
	snprintf(tname, sizeof tname, "%lld.targets.json",
		 (long long)json_integer_value(
			 json_object_get(json_object_get(snap->meta, "targets.json"), "version")));
	if (tuf_md_load(mfd, tname, TUF_TARGETS, NIP_TUF_TARGETS_MAX, &top, err) < 0)
		goto out;
	if (top->expires - now < (time_t)TARGETS_DAYS * DAY / 2) {
		close(mfd); /* the publish takes the lock itself */
		mfd = -1;
		if (tuf_track_resign_targets(dirfd, online, err) < 0)
			goto out;
		*resigned = 3;
		rc = 0;
		goto out;
	}
	if (snap->expires - now < (time_t)SNAPSHOT_DAYS * DAY / 2) {
		snap_version = snap->version + 1;
		s = tuf_signed_base("snapshot", snap_version, now + (time_t)SNAPSHOT_DAYS * DAY);
		if (s && json_object_set_new(s, "meta", json_deep_copy(snap->meta)) < 0) {
			json_decref(s);
			s = NULL;
		}
		snprintf(name, sizeof name, "%lld.snapshot.json", (long long)snap_version);
		if (sign_write(mfd, name, s, online, &sb, err) < 0)
			goto out;
		*resigned = 2;
	} else if (ts->expires - now >= (time_t)TIMESTAMP_DAYS * DAY / 2) {
		rc = 0; /* nothing due */
		goto out;
	} else if (nip_read_file(mfd, name, NIP_TUF_SNAPSHOT_MAX, 1, &sb, err) < 0) {
		goto out;
	}
	/* The timestamp last, naming the snapshot's exact bytes. */
	nip_sha256(sb.data, sb.len, sha);
	nip_hex(sha, sizeof sha, hex);
	s = tuf_signed_base("timestamp", ts->version + 1, now + (time_t)TIMESTAMP_DAYS * DAY);
	if (s && json_object_set_new(s, "meta",
				     json_pack("{s:{s:I, s:I, s:{s:s}}}", "snapshot.json", "version",
					       (json_int_t)snap_version, "length", (json_int_t)sb.len,
					       "hashes", "sha256", hex)) < 0) {
		json_decref(s);
		s = NULL;
	}
	if (sign_write(mfd, "timestamp.json", s, online, &tb, err) < 0)
		goto out;
	if (!*resigned)
		*resigned = 1;
	rc = 0;
out:
	tuf_md_free(root);
	tuf_md_free(ts);
	tuf_md_free(snap);
	tuf_md_free(top);
	nip_buf_free(&sb);
	nip_buf_free(&tb);
	if (mfd >= 0)
		close(mfd); /* drops the lock */
	return rc;
}
