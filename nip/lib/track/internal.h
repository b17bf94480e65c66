/* track internals: TUF metadata as parsed and checked, shared by the
 * client, the publisher and the tests. */
#ifndef NIP_TRACK_INTERNAL_H
#define NIP_TRACK_INTERNAL_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "nip/track.h"

/* ---- canonical JSON (OLPC): sorted keys, no whitespace, integers only,
 * strings escape only '"' and '\\'. What TUF signatures cover. */
int tuf_canonical(const json_t *v, struct nip_buf *out, struct nip_error *err);

/* Strict JSON reading: no duplicate keys, nothing after the value. */
json_t *tuf_json_load(const void *p, size_t n, const char *what, struct nip_error *err);

/* ---- keys ------------------------------------------------------------ */
enum tuf_keykind { TUF_KEY_UNKNOWN, TUF_KEY_ED25519, TUF_KEY_EVP };

struct tuf_key {
	const char *keyid; /* borrowed from the metadata JSON */
	enum tuf_keykind kind;
	uint8_t ed[32];
	void *pkey;       /* EVP_PKEY for ecdsa and rsa */
	const char *scheme;
};

/* Parses one key object ({"keytype","scheme","keyval":{"public"}}). A
 * well-formed key of a type nip cannot verify is kept as TUF_KEY_UNKNOWN:
 * its signatures simply never count. */
int tuf_key_parse(const char *keyid, const json_t *obj, struct tuf_key *out, struct nip_error *err);
void tuf_key_clear(struct tuf_key *k);
/* 1 if sig (hex) is a valid signature of msg by k, else 0. */
int tuf_key_verify(const struct tuf_key *k, const char *sighex, const void *msg, size_t len);
/* The TUF key object of an Ed25519 public key, and its key id. */
json_t *tuf_ed25519_key_json(const uint8_t pk[32]);
int tuf_keyid_of(const json_t *key, char out[NIP_SHA256_HEX], struct nip_error *err);

/* ---- roles and metadata ---------------------------------------------- */
enum tuf_type { TUF_ROOT, TUF_TIMESTAMP, TUF_SNAPSHOT, TUF_TARGETS, TUF_NTYPES };
extern const char *const tuf_type_names[TUF_NTYPES];

/* A role: who may sign (key ids into a key table) and how many must. For a
 * delegated role also what it may sign for. */
struct tuf_role {
	const char *name;
	const char **keyids;
	size_t nkeyids;
	int64_t threshold;
	int terminating;
	const json_t *paths;    /* array of strings, or NULL */
	const json_t *prefixes; /* array of strings, or NULL */
};

struct tuf_keyring {
	struct tuf_key *keys;
	size_t nkeys;
};

struct tuf_delegations {
	struct tuf_keyring ring;
	struct tuf_role *roles;
	size_t nroles;
	/* TAP 15 succinct hashed bins */
	int succinct;
	struct tuf_role succ;
	int64_t bit_length;
	const char *name_prefix;
};

struct tuf_md {
	json_t *doc; /* owns everything borrowed below */
	enum tuf_type type;
	int64_t version;
	time_t expires;
	struct nip_buf signed_bytes; /* canonical `signed` */
	const json_t *signatures;    /* array, key ids unique */
	const json_t *signed_obj;
	/* root */
	struct tuf_keyring ring;
	struct tuf_role roles[TUF_NTYPES];
	int consistent_snapshot;
	/* timestamp, snapshot: the meta object; targets: the targets object */
	const json_t *meta;
	const json_t *targets;
	struct tuf_delegations *dele; /* NULL if none */
};

/* Parses and checks the form of a metadata document of the given type
 * (signatures are not checked here). `what` names the file in errors. */
int tuf_md_parse(const void *p, size_t n, enum tuf_type type, const char *what,
		 struct tuf_md **out, struct nip_error *err);
void tuf_md_free(struct tuf_md *md);

/* Threshold check: md's signatures against `role` with keys from `ring`;
 * each key counts once. NIP_E_TRUST naming `what` when short. */
int tuf_verify_role(const struct tuf_md *md, const struct tuf_keyring *ring,
		    const struct tuf_role *role, const char *what, struct nip_error *err);

int tuf_expired(const struct tuf_md *md, time_t now);

/* A file entry of snapshot/timestamp meta or targets: version (meta),
 * length (0 if absent), hashes (object or NULL). */
struct tuf_fileinfo {
	int64_t version;
	int64_t length; /* -1: not given */
	const json_t *hashes;
};
int tuf_fileinfo(const json_t *entry, int is_target, struct tuf_fileinfo *out, const char *what,
		 struct nip_error *err);
/* Checks data against length and every listed hash (an unknown algorithm
 * fails: it cannot be checked). */
int tuf_check_hashes(const struct tuf_fileinfo *fi, const void *p, size_t n, const char *what,
		     struct nip_error *err);

/* Incremental form of the above for streamed targets. */
struct tuf_hasher;
struct tuf_hasher *tuf_hasher_new(const json_t *hashes, const char *what, struct nip_error *err);
void tuf_hasher_update(struct tuf_hasher *h, const void *p, size_t n);
int tuf_hasher_check(struct tuf_hasher *h, const char *what, struct nip_error *err);
void tuf_hasher_free(struct tuf_hasher *h);

/* Does the delegated role cover target `path`? path_hash is its
 * tuf_path_hash, or NULL to have it computed: a lookup past hashed bins
 * tests every bin, so it hashes the path once for all of them (once per
 * bin cost 2^k SHA-256 contexts a target: 5 ms for 100 targets). */
void tuf_path_hash(const char *path, char hex[NIP_SHA256_HEX]);
int tuf_role_covers(const struct tuf_role *r, const char *path, const char *path_hash);
/* The succinct bin name of path. */
int tuf_succinct_bin(const struct tuf_delegations *d, const char *path, char *out, size_t n);

/* Time as TUF writes it: "YYYY-MM-DDTHH:MM:SSZ". */
int tuf_time_parse(const char *s, time_t *out);
void tuf_time_format(time_t t, char out[21]);

/* URL-quote a role name or target path (as Python's quote(s, "")). */
int tuf_quote(const char *s, struct nip_buf *out, struct nip_error *err);

/* The publishers listed in root.json's "nip" field (publishers.c). */
int tuf_publishers_parse(const json_t *nip, const char *what, struct nip_track_publisher **out,
			 size_t *n, struct nip_error *err);

/* ---- the client's state (client.c, target.c) ------------------------- */
struct loaded {
	char *role, *delegator;
	struct tuf_md *md;
};

struct nip_tuf_client {
	struct nip_tuf_opts o;
	char *murl, *turl, *label;
	struct tuf_md *root, *timestamp, *snapshot;
	struct loaded *roles; /* targets and delegated roles, by (role, delegator) */
	size_t nroles;
	int changed;
	int local_only; /* nip_tuf_load_trusted: no metadata from the network */
};

time_t tuf_now(const struct nip_tuf_client *c);
/* The URL a target is fetched from: the targets URL, then its path, with
 * HASH. before the file name under consistent snapshots. */
int tuf_target_name(const struct nip_tuf_client *c, const struct nip_tuf_target *t, char *out,
		    size_t outsz, struct nip_error *err);
/* The verified metadata of `role` as `delegator` delegates it: cached by
 * (role, delegator), else the local copy, else fetched (and persisted). */
int tuf_load_targets(struct nip_tuf_client *c, const char *role, const char *delegator,
		     struct tuf_md **out, struct nip_error *err);

/* ---- signing (publisher) -------------------------------------------- */
#define SPEC_VERSION "1.0.31"
#define DAY 86400
/* Online metadata expiries: the timestamp is re-signed by every publish
 * (and by `nip publish` with no package, and by trackd before half of it
 * has run out), so a frozen mirror is noticed within a week. */
#define TIMESTAMP_DAYS 7
#define SNAPSHOT_DAYS 30
#define TARGETS_DAYS 365
/* Signs targets.json and every bin anew (their 365 days), then snapshot
 * and timestamp; takes the track's lock. */
int tuf_track_resign_targets(int dirfd, const struct nip_seckey *online, struct nip_error *err);
/* The common head of a `signed` object. */
json_t *tuf_signed_base(const char *type, int64_t version, time_t expires);
/* Reads and parses (not verifies) dirfd/name, a track's own metadata. */
int tuf_md_load(int dirfd, const char *name, enum tuf_type type, size_t max, struct tuf_md **out,
		struct nip_error *err);
int tuf_role_has_key(const struct tuf_role *r, const char *id);
/* A track's current root: root.json, or the newest N.root.json after it. */
int tuf_root_latest(int mfd, struct tuf_md **out, struct nip_error *err);
/* root.json's "publishers" array for these keys and globs. */
json_t *tuf_publishers_json(const struct nip_track_publisher *p, size_t n);
/* Wraps `signed` (stolen) into {"signed":..., "signatures":[...]} signed
 * by each key, serialised canonically into out. */
int tuf_sign_doc(json_t *signed_obj, const struct nip_seckey *const *keys, size_t nkeys,
		 struct nip_buf *out, struct nip_error *err);

#endif
