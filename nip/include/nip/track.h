/* track: signed package tracks. The metadata is The Update Framework's
 * (specification 1.0): a TUF client (refresh, delegation walk, verified
 * target download) usable on any TUF repository, the publisher side of a
 * nip track as a static directory, and the tracks pinned in a nip root.
 * See doc/nip-track.8 and DESIGN.md "Track". */
#ifndef NIP_TRACK_H
#define NIP_TRACK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nip/crypto.h"
#include "nip/util.h"

/* ---- fetching ---------------------------------------------------------- */

/* Where bytes come from. The client asks for one URL at a time with the
 * most it may receive; a fetcher must stop at `max` (more is NIP_E_LIMIT:
 * endless data) and report 403/404 as "not there" (the end of a root chain)
 * rather than as an error. A later fetcher (parallel, resuming, mirrors)
 * plugs in behind the same ops. */
#define NIP_FETCH_NOTFOUND 1

typedef int (*nip_fetch_sink)(void *ctx, const void *p, size_t n, struct nip_error *err);

struct nip_fetch_ops {
	/* 0 done, NIP_FETCH_NOTFOUND, or -1 with err set. */
	int (*get)(void *self, const char *url, uint64_t max, nip_fetch_sink sink, void *ctx,
		   struct nip_error *err);
	void (*free)(void *self);
};

struct nip_fetcher {
	const struct nip_fetch_ops *ops;
	void *self;
};

/* http(s):// through libcurl (loaded on first use), file:// and plain
 * local paths through the file system. Timeouts: connect and low speed
 * (slow retrieval). */
struct nip_fetch_opts {
	long connect_timeout; /* seconds, 0: 10 */
	long low_speed_time;  /* seconds under low_speed_limit B/s, 0: 30 */
	long low_speed_limit; /* 0: 1024 */
};
int nip_fetcher_default(const struct nip_fetch_opts *opts, struct nip_fetcher *out,
			struct nip_error *err);
void nip_fetcher_free(struct nip_fetcher *f);

/* ---- the TUF client ---------------------------------------------------- */

/* The trusted metadata lives in metadata_dirfd under unversioned names
 * (root.json, timestamp.json, ..., a delegated role as its URL-quoted
 * name), each replaced atomically and only after it verified. */
struct nip_tuf_opts {
	int metadata_dirfd;
	const char *metadata_url; /* base: URL/1.root.json, URL/timestamp.json */
	const char *targets_url;  /* base of targets; may be NULL for refresh only */
	const char *label;        /* names the repository in errors ("track stable") */
	struct nip_fetcher fetcher; /* borrowed */
	time_t now;                 /* 0: time(NULL) at each check */
};

/* What a targets role says of one target. */
struct nip_tuf_target {
	char *path;
	uint64_t length;
	uint8_t sha256[NIP_SHA256_LEN];
	int have_sha256;
	void *hashes_; /* all hashes as listed (private) */
};
void nip_tuf_target_clear(struct nip_tuf_target *t);

struct nip_tuf_client;

/* Stores root_json as the trusted root after checking it is well-formed
 * and signed by its own threshold (no network). */
int nip_tuf_init(int metadata_dirfd, const void *root_json, size_t len, struct nip_error *err);

struct nip_tuf_client *nip_tuf_client_new(const struct nip_tuf_opts *opts, struct nip_error *err);
void nip_tuf_client_free(struct nip_tuf_client *c);
/* TUF 1.0 §5: root chain, timestamp, snapshot, top-level targets. */
int nip_tuf_refresh(struct nip_tuf_client *c, struct nip_error *err);
/* The trusted state as the last refresh left it, without fetching any
 * metadata: root, timestamp and snapshot verified again (signatures,
 * versions, expiry: a stale state is refused as a freeze), then targets and
 * delegated roles from the local files only. Targets may still be
 * downloaded after it. */
int nip_tuf_load_trusted(struct nip_tuf_client *c, struct nip_error *err);
/* Did the last refresh write any trusted file? (0: nothing new was signed.) */
int nip_tuf_changed(const struct nip_tuf_client *c);
/* Loads every role the top-level targets delegate to, one level deep
 * (a nip track's hashed bins), so that a whole index can be read. */
int nip_tuf_load_delegated(struct nip_tuf_client *c, struct nip_error *err);
/* The delegation walk (preorder, depth first, terminating, paths,
 * path_hash_prefixes, succinct bins). 0 found; NIP_TUF_NOTFOUND when no
 * role lists the path (err says so, as NIP_E_TRUST); -1 on error. */
#define NIP_TUF_NOTFOUND 1
int nip_tuf_find_target(struct nip_tuf_client *c, const char *path, struct nip_tuf_target *out,
			struct nip_error *err);
/* Downloads t into dirfd/name (atomically, after length and every hash
 * matched); if dirfd/name already holds the target, nothing is fetched. */
int nip_tuf_download(struct nip_tuf_client *c, const struct nip_tuf_target *t, int dirfd,
		     const char *name, struct nip_error *err);

/* ---- publishing a nip track (a static directory) ---------------------- */

struct nip_track_publisher {
	struct nip_pubkey key;
	const char *glob; /* package names it may publish; NULL: "*" */
};

struct nip_track_init_opts {
	const char *name;                 /* track name (in root.json's nip field) */
	const struct nip_seckey *root_key;
	const struct nip_pubkey *online_key;
	const struct nip_track_publisher *publishers;
	size_t npublishers;
	unsigned bins;   /* hashed bins: 16, 256 or 4096; 0: 256 */
	unsigned expires_days; /* root; 0: 365 */
};
/* Creates DIR/metadata and DIR/targets with root v1, empty bins, targets,
 * snapshot and timestamp. Refuses a directory that already holds a track. */
int nip_track_init(int dirfd, const struct nip_track_init_opts *o, struct nip_error *err);

/* Adds packages (each fully verified, its signer authorised for its name
 * by root.json) and re-signs the bins they touch, then targets, snapshot
 * and timestamp (timestamp.json last). `report` sees each package added. */
int nip_track_publish(int dirfd, const struct nip_seckey *online_key, const char *const *files,
		      size_t nfiles,
		      void (*report)(void *ctx, const char *name, const char *version,
				     const char *arch, const char *target),
		      void *ctx, struct nip_error *err);

/* A new root version signed by the old and the new root keys; when
 * new_online is set it also names a new online key, and the next publish
 * (with that key) re-signs targets, every bin, snapshot and timestamp. */
int nip_track_rotate(int dirfd, const struct nip_seckey *old_root,
		     const struct nip_seckey *new_root, const struct nip_pubkey *new_online,
		     struct nip_error *err);

/* A new root version, signed by the root key, that authorises a publisher
 * for names matching its glob (replacing its earlier glob), or revokes it.
 * Packages it published stay in the track: the client checks the signer
 * against the root it trusts now. */
int nip_track_authorize(int dirfd, const struct nip_seckey *root_key,
			const struct nip_track_publisher *pub, struct nip_error *err);
int nip_track_revoke(int dirfd, const struct nip_seckey *root_key, const struct nip_pubkey *pub,
		     struct nip_error *err);

/* The TUF key of a nip (minisign) public key, and its key id. */
int nip_tuf_keyid(const struct nip_pubkey *pub, char out[NIP_SHA256_HEX], struct nip_error *err);

/* ---- tracks pinned in a nip root (ROOT/tracks/NAME/) -------------------- */

int nip_track_name_valid(const char *name);

/* Pins a track: its 1.root.json must carry the given root key in its root
 * role, with its own threshold met (or root_json is the root itself). */
int nip_track_add(int rootfd, const char *name, const char *url, const struct nip_pubkey *root_pub,
		  const void *root_json, size_t root_len, const struct nip_fetcher *f,
		  struct nip_error *err);
int nip_track_remove(int rootfd, const char *name, struct nip_error *err);

struct nip_track_info {
	char name[NIP_NAME_MAX + 1];
	char url[2048];
	int64_t root_version, timestamp_version; /* 0: none yet */
	size_t packages;                         /* in the verified index */
};
/* Every pinned track, sorted by name. *out is malloc'd. */
int nip_track_list(int rootfd, struct nip_track_info **out, size_t *n, struct nip_error *err);

struct nip_track_refresh_result {
	int changed;     /* a new timestamp was found */
	size_t parts;    /* index parts verified */
	size_t packages; /* packages in the index */
};
/* Refreshes one track: TUF refresh, then every bin and index part; the
 * verified index parts land in ROOT/tracks/NAME/index/XX.json. Nothing
 * earlier is replaced unless it all verifies. */
int nip_track_refresh(int rootfd, const char *name, const struct nip_fetcher *f,
		      struct nip_track_refresh_result *res, struct nip_error *err);

/* Paths (relative to rootfd) of the verified, decompressed index parts of
 * a track, for the solver. *paths and each string are malloc'd. */
int nip_track_index_paths(int rootfd, const char *name, char ***paths, size_t *n,
			  struct nip_error *err);
/* Identifies the verified index as a whole (the SHA-256 of its summary,
 * which names each part by its signed hash): a cache built from the index
 * is current while this is unchanged. */
int nip_track_index_key(int rootfd, const char *name, uint8_t out[NIP_SHA256_LEN],
			struct nip_error *err);
/* The publishers the track's trusted root.json authorises, with their
 * name globs: an installer accepts a package from this track only if its
 * signer is one of them and the glob matches its name (fnmatch). *out is
 * one malloc'd block (globs inside it). */
int nip_track_publishers(int rootfd, const char *name, struct nip_track_publisher **out,
			 size_t *n, struct nip_error *err);
/* Is a package `pkgname` signed by `keyid` acceptable from this list? */
int nip_track_publisher_allowed(const struct nip_track_publisher *p, size_t n,
				const uint8_t keyid[NIP_KEYID_LEN], const char *pkgname);

/* Downloads one target of a refreshed track (e.g. a package path from the
 * index) into dirfd/outname, verified against its signed length and hashes
 * as the track's current trusted metadata says (no metadata is fetched:
 * refresh first; an expired timestamp is refused). */
int nip_track_fetch_target(int rootfd, const char *name, const char *target,
			   const struct nip_fetcher *f, int dirfd, const char *outname,
			   struct nip_error *err);

/* Many downloads at once (libcurl's multi interface): each job's path is
 * tried at each base URL in turn (a track's URL, then its mirrors),
 * resumed with Range after a cut, retried with backoff on network errors,
 * and left for the next base at once when a base sends more bytes than
 * `length` or bytes whose SHA-256 is not `sha256`; only a file that
 * matches gets its name (dirfd/name). */
struct nip_download {
	const char *path;
	uint64_t length;
	uint8_t sha256[NIP_SHA256_LEN];
	const char *name;
	int ok, failed;
	struct nip_error err; /* why it failed (the last base's reason) */
	void *user;           /* the caller's, untouched */
};
/* What the downloader is doing, for a progress bar or a log of events.
 * START: a job's first request; PROGRESS: bytes arrived (at most every
 * 100 ms per job); ERROR: a transfer failed (why), and what comes next:
 * a retry on the same URL after retry_in seconds, the next mirror
 * (next_url), or neither (the job failed); DONE: the job is checked and
 * named. */
enum nip_download_event_kind { NIP_DL_START, NIP_DL_PROGRESS, NIP_DL_ERROR, NIP_DL_DONE };
struct nip_download_event {
	enum nip_download_event_kind kind;
	const struct nip_download *job;
	const char *url;      /* the URL in use */
	uint64_t got;         /* the job's bytes kept so far */
	uint64_t all_got, all_length; /* every job's, so far and in all */
	size_t ndone, n;      /* jobs finished (done or failed), jobs */
	unsigned attempt;     /* ERROR: failures so far on this URL */
	double retry_in;      /* ERROR: > 0 when the same URL is tried again */
	const char *next_url; /* ERROR: the mirror tried next, or NULL */
	const struct nip_error *why; /* ERROR */
};
struct nip_download_opts {
	const char *const *bases;
	size_t nbases;
	int dirfd;
	unsigned parallel; /* transfers at once; 0: 8 */
	unsigned retries;  /* per base; 0: 3 */
	long connect_timeout, low_speed_time, low_speed_limit; /* 0: 10 s, 30 s, 1024 B/s */
	int keep_going; /* go on after a job failed (else stop at the first) */
	/* Called one at a time (never two at once), from any thread. */
	void (*event)(void *ctx, const struct nip_download_event *ev);
	/* A job's bytes matched its length and SHA-256: a last check of
	 * the file (fd, at offset 0) before it gets its name, on the
	 * transfer's thread while the others go on; -1 fails the job. */
	int (*landed)(void *ctx, struct nip_download *job, int fd, struct nip_error *err);
	/* May be NULL. Called on the thread that takes a job from the queue,
	 * before its first request: sets its path and sha256 (its length is
	 * given up front); -1 fails the job. Looking targets up as the
	 * transfers go, not all before the first, starts them ~10 ms sooner
	 * for 100 packages. Calls may overlap: the callee locks. */
	int (*prepare)(void *ctx, struct nip_download *job, struct nip_error *err);
	void *ctx;
};
/* 0 when every job succeeded, else -1 with err the first failure's. */
int nip_download_all(struct nip_download *v, size_t n, const struct nip_download_opts *o,
		     struct nip_error *err);
/* The same as nip_track_targets, one target at a time from one load of
 * the trusted metadata, for a downloader that looks each one up just
 * before it fetches it. Not thread-safe: one caller at a time. */
struct nip_track_target;
struct nip_track_lookup;
struct nip_track_lookup *nip_track_lookup_open(int rootfd, const char *name, struct nip_error *err);
int nip_track_lookup_target(struct nip_track_lookup *l, const char *target,
			    struct nip_track_target *out, struct nip_error *err);
void nip_track_lookup_close(struct nip_track_lookup *l);
/* Starts loading libcurl on a thread of its own (3 to 5 ms here), for a
 * caller with other work to do before nip_download_all; a failure is
 * left for nip_download_all to report. */
void nip_download_warm(void);

/* Where and what several targets of a refreshed track are, as its trusted
 * metadata says (one load of it, nothing fetched): each one's path
 * relative to the track's URL or a mirror's ("targets/pkgs/HASH.NAME"),
 * its length and SHA-256, for a downloader to check. An expired timestamp
 * is refused. Free the paths with nip_track_targets_free. */
struct nip_track_target {
	char *path;
	uint64_t length;
	uint8_t sha256[NIP_SHA256_LEN];
};
int nip_track_targets(int rootfd, const char *name, const char *const *targets, size_t n,
		      struct nip_track_target *out, struct nip_error *err);
void nip_track_targets_free(struct nip_track_target *v, size_t n);

/* ---- publishing to trackd: signed requests (doc/track-publish.md) ------ */

/* The Authorization header of a POST /publish:
 *   NIP1-Ed25519 key=KEYID,time=UNIX,nonce=NONCE,body=SHA256,sig=SIG
 * in that order, all lower-case hex (key id 16, nonce 32, body 64, sig 128
 * digits), time a decimal. The signature is plain Ed25519 by the publisher
 * key over the message nip_pubreq_message builds. */
#define NIP_PUBREQ_SCHEME "NIP1-Ed25519"
#define NIP_PUBREQ_HEADER_MAX 512 /* the header is ~300 bytes; more is hostile */
#define NIP_PUBREQ_NONCE_LEN 16
#define NIP_PUBREQ_WINDOW 300 /* seconds a request's time may be off */

struct nip_pubreq {
	uint8_t keyid[NIP_KEYID_LEN];
	int64_t time;
	uint8_t nonce[NIP_PUBREQ_NONCE_LEN];
	uint8_t body_sha256[NIP_SHA256_LEN];
	uint8_t sig[64];
};

/* Strict: the scheme, the five fields in order, exact lengths, nothing
 * after; NIP_E_FORMAT naming the field otherwise. */
int nip_pubreq_parse(const char *header, struct nip_pubreq *out, struct nip_error *err);
/* The header value; out holds at least NIP_PUBREQ_HEADER_MAX bytes. */
void nip_pubreq_format(const struct nip_pubreq *r, char out[NIP_PUBREQ_HEADER_MAX]);
/* What is signed: "nip-publish-v1\nMETHOD\nPATH\nHOST\nTIME\nNONCE\nBODY\n"
 * (NONCE and BODY in hex). Method, path and host may not hold a newline. */
int nip_pubreq_message(const struct nip_pubreq *r, const char *method, const char *path,
		       const char *host, struct nip_buf *out, struct nip_error *err);
/* Sets r->keyid and r->sig; the caller has set time, nonce and body hash. */
int nip_pubreq_sign(struct nip_pubreq *r, const struct nip_seckey *sec, const char *method,
		    const char *path, const char *host, struct nip_error *err);
/* The key id was compared by the caller (it picked `pub` by it). NIP_E_TRUST. */
int nip_pubreq_verify(const struct nip_pubreq *r, const struct nip_pubkey *pub,
		      const char *method, const char *path, const char *host,
		      struct nip_error *err);

/* The body: "NIPPUB1\n", a 4-byte big-endian count, then for each
 * package a 2-byte name length, the name (a plain file name ending in
 * .nip), an 8-byte size and the bytes; nothing after the last. */
#define NIP_PUBLISH_MAGIC "NIPPUB1\n"
#define NIP_PUBLISH_FILES_MAX 256u /* packages in one publish request */

/* Writes the body of `files` into fd (at its offset) and returns its
 * length and SHA-256. */
int nip_publish_body_write(int fd, const char *const *files, size_t n, uint64_t *len,
			   uint8_t sha256[NIP_SHA256_LEN], struct nip_error *err);
/* Reads a body of `len` bytes from fd (offset 0), calling `each` once per
 * package with the body fd positioned at its first byte; `each` must
 * consume exactly `size` bytes. NIP_E_FORMAT / NIP_E_LIMIT on a malformed
 * body (a bad name, a duplicate, a size past the end, trailing bytes). */
int nip_publish_body_read(int fd, uint64_t len,
			  int (*each)(void *ctx, const char *name, int fd, uint64_t size,
				      struct nip_error *err),
			  void *ctx, struct nip_error *err);
/* Is `name` acceptable as a package's file name in a body? */
int nip_publish_name_valid(const char *name, size_t len);

/* The publishers of a track directory's current root.json (publisher
 * side: the files the track itself holds). Freed with free(). */
int nip_track_dir_publishers(int dirfd, struct nip_track_publisher **out, size_t *n,
			     struct nip_error *err);

/* nip publish --track URL: one signed POST URL/publish carrying the
 * packages. On a reply other than 200 the error is the server's message
 * ("trackd: ...") with a code for its status (401, 403, 409, 422:
 * NIP_E_TRUST; 413: NIP_E_LIMIT; 400: NIP_E_USAGE; others NIP_E_IO), and a
 * failed connection is NIP_E_NETWORK. *reply is the 200 reply's JSON. */
struct nip_upload_opts {
	long connect_timeout; /* seconds, 0: 10 */
	long timeout;         /* whole request, 0: none */
};
int nip_track_upload(const char *url, const struct nip_seckey *sec, const char *const *files,
		     size_t n, const struct nip_upload_opts *o, struct nip_buf *reply,
		     struct nip_error *err);

/* Online-key duties of a track directory: re-signs the timestamp when
 * less than half of its life is left at `now`, and the snapshot (then the
 * timestamp) likewise, under the track's lock, each new file written,
 * fsynced and renamed in; when half of targets.json's life has gone, every
 * targets role too (as a publish after a new online key does). *resigned:
 * 0 nothing, 1 timestamp, 2 snapshot and timestamp, 3 everything. */
int nip_track_resign(int dirfd, const struct nip_seckey *online, time_t now, int *resigned,
		     struct nip_error *err);

/* A verified mirror of another track: the upstream is refreshed with the
 * full TUF client from the state (a nip root of its own, holding the
 * pinned upstream under tracks/upstream), every index part and package it
 * names is downloaded and checked against its signed hash, and only then
 * are the upstream's metadata files, byte for byte, placed in dirfd:
 * targets and bins, snapshot, the root chain, timestamp.json last. On any
 * failure dirfd is left as it was (its last verified state). */
struct nip_track_mirror_opts {
	int dirfd;   /* the mirror's track directory, as served */
	int statefd; /* its private state */
	const char *url;
	const struct nip_pubkey *root_pub; /* pins the upstream's root key */
	const struct nip_fetcher *fetcher;
};
struct nip_track_mirror_result {
	int changed;      /* new metadata was placed */
	size_t packages;  /* in the upstream's index */
	size_t fetched;   /* files downloaded this time */
	int64_t timestamp_version;
};
int nip_track_mirror(const struct nip_track_mirror_opts *o, struct nip_track_mirror_result *res,
		     struct nip_error *err);

#endif
