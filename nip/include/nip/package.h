/* package: the .nip artifact. Relations and versions, the manifest
 * (.NIPINFO), and the streaming writer and reader of the archive. */
#ifndef NIP_PACKAGE_H
#define NIP_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "nip/crypto.h"
#include "nip/util.h"

/* ---- names, versions, relations -------------------------------------- */

/* A package name [a-z0-9][a-z0-9+._-]*, or a capability NS:VALUE such as
 * so:libc.so.6 or cmd:sh (NS [a-z][a-z0-9]*, VALUE [A-Za-z0-9+._@/-]+). */
int nip_name_valid(const char *s, size_t len);
/* [EPOCH:]UPSTREAM[-RELEASE], as Debian. */
int nip_version_valid(const char *s, size_t len);
/* Debian ordering: epoch, then upstream and release by dpkg's algorithm
 * (tilde sorts before everything, even the end). <0, 0, >0. */
int nip_version_cmp(const char *a, const char *b);

enum nip_op { NIP_OP_NONE, NIP_OP_LT, NIP_OP_LE, NIP_OP_EQ, NIP_OP_GE, NIP_OP_GT };

enum nip_rel_kind {
	NIP_REL_DEPENDS,
	NIP_REL_PROVIDES,
	NIP_REL_CONFLICTS,
	NIP_REL_OBSOLETES,
	NIP_REL_RECOMMENDS,
	NIP_REL_COUNT
};
const char *nip_rel_kind_name(enum nip_rel_kind kind); /* "depends", ... */

struct nip_dep {
	char *name;
	enum nip_op op;
	char *version; /* NULL when op is NIP_OP_NONE */
};

/* One relation: alternatives A | B | C (only depends and recommends may have
 * more than one; provides may only use "="). */
struct nip_relation {
	struct nip_dep *alts;
	size_t n;
};

/* Parses "libc >= 2.36", "libc>=2.36", "a | b (spaces free)". Malformed input
 * is NIP_E_FORMAT naming the relation and what is wrong in it. */
int nip_relation_parse(const char *s, enum nip_rel_kind kind, struct nip_relation *out,
		       struct nip_error *err);
void nip_relation_free(struct nip_relation *rel);
/* Canonical text: "name", "name OP version", joined by " | ". */
int nip_relation_format(const struct nip_relation *rel, struct nip_buf *out,
			struct nip_error *err);
/* Does version `v` of a package satisfy `op ver`? */
int nip_op_match(enum nip_op op, const char *have, const char *want);

/* ---- manifest -------------------------------------------------------- */

enum nip_kind { NIP_KIND_APP, NIP_KIND_LIB, NIP_KIND_SYSTEM, NIP_KIND_KERNEL, NIP_KIND_HAL };
const char *nip_kind_name(enum nip_kind kind);
int nip_kind_parse(const char *s, enum nip_kind *out);

enum nip_ftype {
	NIP_FT_FILE,
	NIP_FT_DIR,
	NIP_FT_SYMLINK,
	NIP_FT_HARDLINK,
	NIP_FT_CHAR,
	NIP_FT_BLOCK,
	NIP_FT_FIFO
};
const char *nip_ftype_name(enum nip_ftype t);

struct nip_file {
	char *path;       /* relative, canonical: no "", ".", ".." components */
	enum nip_ftype type;
	uint32_t mode;    /* permission bits incl. setuid/setgid/sticky */
	uint64_t size;    /* files only */
	uint8_t sha256[NIP_SHA256_LEN]; /* files; hardlinks: their target's */
	char *target;     /* symlink text, or the hardlink's target path */
	uint32_t rdev_major, rdev_minor; /* char and block devices */
};

struct nip_provenance {
	char *recipe;      /* SHA-256 hex of the recipe, or NULL */
	char **sources;    /* "sha256:HEX URL-or-name" */
	size_t nsources;
	char *builder_key; /* key id of the signer (minisign notation) */
	int64_t source_date_epoch;
};

/* Where a grafted package came from and what grafting did to it (the
 * manifest's optional "graft" section; doc/nip-package.5, doc/nip-graft.8).
 * Absent (NULL) in packages nip built itself, so their CIDs do not change. */
struct nip_graft_info {
	char *format;    /* "deb", "pacman" or "apk" */
	char *sha256;    /* lower-case hex of the original file */
	char *identity;  /* the original "NAME VERSION ARCH", spelt as its ecosystem does */
	char *signature; /* what is known of the original's signature, one line */
	char *tool;      /* "nip-graft VERSION" */
	char **fields;   /* "Key: value": every field nip did not map, in source order */
	size_t nfields;
	char **scripts;  /* "NAME CLASS": maintainer scripts, kept in the payload */
	size_t nscripts;
	char **triggers; /* sorted: what nip runs at deploy ("ldconfig", ...) or "cell" */
	size_t ntriggers;
	char **conffiles; /* sorted paths of configuration files */
	size_t nconffiles;
	char **sanitised; /* what grafting changed or dropped, one line each */
	size_t nsanitised;
};

void nip_graft_info_free(struct nip_graft_info *g);

struct nip_manifest {
	char *name, *version, *arch, *summary, *license;
	char *policy; /* confinement policy text, or NULL */
	char **variant; /* sorted, unique flags */
	size_t nvariant;
	enum nip_kind kind;
	char **rel[NIP_REL_COUNT]; /* canonical relation strings */
	size_t nrel[NIP_REL_COUNT];
	struct nip_provenance prov;
	struct nip_graft_info *graft; /* NULL unless grafted */
	struct nip_file *files; /* in archive order (see nip_path_cmp) */
	size_t nfiles;
	uint8_t payload_root[NIP_SHA256_LEN];
};

#define NIP_MANIFEST_FORMAT 1

struct nip_manifest *nip_manifest_new(struct nip_error *err);
void nip_manifest_free(struct nip_manifest *m);
/* Strict: canonical JSON only (re-serialising gives the same bytes), no
 * unknown or duplicate keys, every field's grammar, every path rule, and the
 * payload root recomputed. Anything else is NIP_E_FORMAT naming the field. */
int nip_manifest_parse(const void *bytes, size_t len, struct nip_manifest **out,
		       struct nip_error *err);
int nip_manifest_serialize(const struct nip_manifest *m, struct nip_buf *out,
			   struct nip_error *err);
/* Validation shared by the parser and the writer (paths, order, parents,
 * link targets, modes against the policy, relations, names). */
int nip_manifest_check(const struct nip_manifest *m, struct nip_error *err);
/* Does a manifest's policy text grant `what` ("setuid", "setgid", "fifo",
 * "device") to path, by a line "allow WHAT /PATH"? */
int nip_policy_allows(const char *policy, const char *what, const char *path);
/* The Merkle root of the payload (see doc/nip-package.5). */
int nip_payload_root(const struct nip_manifest *m, uint8_t out[NIP_SHA256_LEN],
		     struct nip_error *err);
/* The same over any file list in archive order; `node`, if set, sees each
 * directory node's hash and bytes (NexFS stores them as trees). */
int nip_files_root(const struct nip_file *files, size_t n,
		   int (*node)(void *ctx, const uint8_t hash[NIP_SHA256_LEN], const void *bytes,
			       size_t len, struct nip_error *err),
		   void *ctx, uint8_t out[NIP_SHA256_LEN], struct nip_error *err);
/* 1 when files[0..n) is in archive order, without repeats. */
int nip_files_in_order(const struct nip_file *files, size_t n);
/* Binary search of files[0..n) (archive order) for path. */
const struct nip_file *nip_files_find(const struct nip_file *files, size_t n, const char *path);
/* The regular file whose content files[i] has: itself, or for a hard link
 * its target, listed before it; NULL for any other type or a target that
 * is not such a file. */
const struct nip_file *nip_files_content(const struct nip_file *files, size_t i);
uint64_t nip_manifest_payload_size(const struct nip_manifest *m);
/* "NAME-VERSION-ARCH.nip" (the version's ':' kept). */
int nip_manifest_filename(const struct nip_manifest *m, struct nip_buf *out,
			  struct nip_error *err);

/* Archive order: bytewise, but '/' sorts before every other byte, so that a
 * directory's subtree follows it without interruption. */
int nip_path_cmp(const char *a, const char *b);

/* ---- writing a package ----------------------------------------------- */

struct nip_pack_opts {
	const struct nip_seckey *key;
	/* name, version, arch, kind, summary, license, policy, relations,
	 * variant, graft and provenance.sources/recipe come from here; files,
	 * builder_key, source_date_epoch and payload_root are filled in. */
	const struct nip_manifest *meta;
	int64_t source_date_epoch; /* -1: the newest mtime in the tree */
	int level;   /* zstd level; 0 means nip's default (3) */
	int threads; /* zstd workers; 0 means one per CPU */
};

/* Packs the tree under srcfd into outdirfd/outname, atomically. */
int nip_package_write(int srcfd, const struct nip_pack_opts *opts, int outdirfd,
		      const char *outname, uint8_t cid[NIP_SHA256_LEN], struct nip_error *err);

/* ---- reading a package ----------------------------------------------- */

/* Called as the archive streams past; any may be NULL. A non-zero return
 * stops the read with that error. `data` sees a file's bytes before they are
 * known good: only after `end` returns is the file's hash confirmed. */
struct nip_read_ops {
	int (*manifest)(void *ctx, const struct nip_manifest *m,
			const uint8_t cid[NIP_SHA256_LEN], struct nip_error *err);
	int (*begin)(void *ctx, const struct nip_file *f, struct nip_error *err);
	int (*data)(void *ctx, const void *p, size_t n, struct nip_error *err);
	int (*end)(void *ctx, const struct nip_file *f, struct nip_error *err);
};

struct nip_package {
	struct nip_manifest *manifest;
	uint8_t cid[NIP_SHA256_LEN];
	struct nip_sig sig;
};

void nip_package_free(struct nip_package *p);

/* Reads fd once, front to back: the signature is checked (by one of keys,
 * chosen by key id) before a byte of the manifest is parsed, then every
 * member against the manifest as it streams. Every byte is covered: zstd
 * checksums, tar headers equal to those nip writes, nothing after the end.
 * Failures are NIP_E_TRUST / NIP_E_FORMAT / NIP_E_LIMIT (exit 3). */
int nip_package_read(int fd, const struct nip_pubkey *keys, size_t nkeys,
		     const struct nip_read_ops *ops, void *ctx, struct nip_package **out,
		     struct nip_error *err);
/* Reads only the manifest and signature (the first few kilobytes). With no
 * keys, the signature is parsed but not checked: fine for display, never
 * for trust. */
int nip_package_read_head(int fd, const struct nip_pubkey *keys, size_t nkeys,
			  struct nip_package **out, struct nip_error *err);

#endif
