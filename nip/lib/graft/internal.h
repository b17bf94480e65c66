/* Private to the graft component. */
#ifndef NIP_GRAFT_INTERNAL_H
#define NIP_GRAFT_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "nip/graft.h"

/* ---- libarchive, loaded on first use (la.c) ------------------------- */

struct archive;
struct archive_entry;

/* The few libarchive calls graft makes, resolved by nip_dl_load. */
struct la {
	struct archive *(*read_new)(void);
	int (*support_filter_gzip)(struct archive *);
	int (*support_filter_xz)(struct archive *);
	int (*support_filter_zstd)(struct archive *);
	int (*support_format_ar)(struct archive *);
	int (*support_format_tar)(struct archive *);
	int (*support_format_raw)(struct archive *);
	int (*support_filter_lz4)(struct archive *);
	int (*open)(struct archive *, void *, int (*)(struct archive *, void *),
		    ssize_t (*)(struct archive *, void *, const void **), int (*)(struct archive *, void *));
	int (*next_header)(struct archive *, struct archive_entry **);
	ssize_t (*read_data)(struct archive *, void *, size_t);
	int (*read_free)(struct archive *);
	const char *(*error_string)(struct archive *);
	int64_t (*filter_bytes)(struct archive *, int);
	const char *(*entry_pathname)(struct archive_entry *);
	int64_t (*entry_size)(struct archive_entry *);
	mode_t (*entry_filetype)(struct archive_entry *);
	mode_t (*entry_perm)(struct archive_entry *);
	const char *(*entry_symlink)(struct archive_entry *);
	const char *(*entry_hardlink)(struct archive_entry *);
	time_t (*entry_mtime)(struct archive_entry *);
	int64_t (*entry_uid)(struct archive_entry *);
	int64_t (*entry_gid)(struct archive_entry *);
};

int la_load(struct la *la, struct nip_error *err);

/* A reader over a byte source: a file descriptor or the current member of
 * an outer archive (a .deb's data.tar inside its ar). Counts the bytes it
 * feeds in and those that come out, so a decompression bomb is stopped by
 * NIP_RATIO_MAX as nip's own reader stops one. */
struct lar {
	const struct la *la;
	struct archive *a;
	int fd;                  /* source when outer is NULL */
	struct lar *outer;       /* source: outer's current member */
	unsigned char *buf;
	uint64_t in, out;        /* compressed bytes fed, bytes read out */
	const char *what;        /* for messages: "data.tar" */
	struct nip_sha256 *h;    /* if set, hashes what is read from fd */
};

/* formats: 'a' ar, 't' tar (gzip, xz, zstd or none), 'r' one raw
 * stream (gzip, xz, zstd, lz4 or none). h, if set, hashes what is read
 * from fd, from the first byte. */
int lar_open(struct lar *r, const struct la *la, int fd, struct lar *outer, char format,
	     struct nip_sha256 *h, const char *what, struct nip_error *err);
/* 1 with *e set, 0 at the end, -1 on error (NIP_E_FORMAT naming r->what). */
int lar_next(struct lar *r, struct archive_entry **e, struct nip_error *err);
/* Bytes of the current member; 0 at its end. */
ssize_t lar_read(struct lar *r, void *p, size_t n, struct nip_error *err);
/* The whole current member, at most max bytes (else NIP_E_LIMIT). */
int lar_slurp(struct lar *r, size_t max, struct nip_buf *out, struct nip_error *err);
void lar_close(struct lar *r);

/* ---- the package being grafted (graft.c) ---------------------------- */

struct gpkg {
	const struct la *la;
	const struct nip_graft_opts *opts;
	enum nip_graft_format format;
	struct nip_manifest *meta;   /* name, version, arch, relations, graft */
	int stagefd;                 /* the payload, being staged */
	int64_t epoch;               /* newest mtime in the payload */
	/* The original's metadata files, kept under usr/share/nip-graft/NAME/
	 * once the name is known: name, bytes. */
	struct gmeta {
		char *name;
		struct nip_buf data;
	} *metafiles;
	size_t nmeta;
};

int gpkg_add_strv(char ***v, size_t *n, const char *s, struct nip_error *err);
int gpkg_note(struct gpkg *g, struct nip_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int gpkg_keep_meta(struct gpkg *g, const char *name, struct nip_buf *data, struct nip_error *err);
int gpkg_field(struct gpkg *g, const char *key, const char *value, struct nip_error *err);

/* ---- staging (stage.c) ---------------------------------------------- */

/* Writes the current member of r, named by e, under g->stagefd after the
 * rules of doc/nip-graft.8: no '..' or absolute names, no duplicates, no
 * device or FIFO, no setuid/setgid unless the policy allows, no symlink
 * that leaves the package, hard links only to earlier members. */
int stage_entry(struct gpkg *g, struct lar *r, struct archive_entry *e, struct nip_error *err);
/* Removes the staging directory's contents (dirfd stays open). */
void stage_clear(int dirfd);

/* ---- metadata (control.c, pkginfo.c, map.c, scripts.c) -------------- */

struct kv {
	char *key, *value;
};
struct kvlist {
	struct kv *v;
	size_t n;
};
void kv_free(struct kvlist *l);
const char *kv_get(const struct kvlist *l, const char *key);

/* Debian's control file (deb-control(5)): "Key: value" with continuation
 * lines; UTF-8, no duplicate keys, each field capped. */
int control_parse(const char *text, size_t len, struct kvlist *out, struct nip_error *err);
/* pacman's and apk's .PKGINFO: "key = value" lines; keys in `multi` may
 * repeat, any other key twice is refused. */
int pkginfo_parse(const char *text, size_t len, const char *const *multi, struct kvlist *out,
		  struct nip_error *err);
/* UTF-8 without controls other than tab and newline. */
int text_valid(const char *s, size_t len);

/* Relations: Debian's "a (>= 1) | b, c" list, or one pacman/apk entry. */
int map_deb_relations(struct gpkg *g, const char *field, const char *value, enum nip_rel_kind k,
		      struct nip_error *err);
int map_one_relation(struct gpkg *g, const char *field, const char *value, enum nip_rel_kind k,
		     struct nip_error *err);
int map_add_relation(struct nip_manifest *m, enum nip_rel_kind k, const char *s, struct nip_error *err);
/* "amd64" -> "x86_64", "all"/"any" -> "noarch", ... */
const char *map_arch(const char *arch);

/* Script classes and deploy triggers (scripts.c). */
int scripts_classify(struct gpkg *g, const char *name, const char *text, size_t len,
		     struct nip_error *err);
/* Triggers implied by the staged payload (shared libraries, sysusers.d,
 * tmpfiles.d); sorts and dedups the trigger list. */
int scripts_payload_triggers(struct gpkg *g, struct nip_error *err);

/* ---- adapters --------------------------------------------------------- */
/* Each reads fd once (feeding h) and fills g: meta, staged payload,
 * metadata files, scripts, conffiles. */
int graft_deb(struct gpkg *g, int fd, struct nip_sha256 *h, struct nip_error *err);
int graft_pacman(struct gpkg *g, int fd, struct nip_sha256 *h, struct nip_error *err);
int graft_apk(struct gpkg *g, int fd, struct nip_sha256 *h, struct nip_error *err);
/* Debian: signature status from apt lists (aptsig.c). */
int aptsig_status(struct gpkg *g, const char *lists, const char *sha256hex, char **out,
		  struct nip_error *err);

#endif
