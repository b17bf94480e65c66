/* graft: foreign packages (.deb, pacman .pkg.tar.*, Alpine .apk v2) turned
 * into signed nip packages. Each input is read once through libarchive
 * (loaded on first use), sanitised into a private staging directory, its
 * metadata mapped onto nip's (doc/nip-graft.8), and packed by the package
 * component. Uses package, crypto and util; nothing above them. */
#ifndef NIP_GRAFT_H
#define NIP_GRAFT_H

#include <stdint.h>

#include "nip/crypto.h"
#include "nip/package.h"
#include "nip/util.h"

#define NIP_GRAFT_TOOL "nip-graft " NIP_VERSION

enum nip_graft_format { NIP_GRAFT_DEB, NIP_GRAFT_PACMAN, NIP_GRAFT_APK };

struct nip_graft_opts {
	const struct nip_seckey *key;
	/* "allow setuid /usr/bin/x" lines keep those bits (and go into the
	 * manifest's policy); everything else is stripped and listed. */
	const char *policy;
	/* Debian: a directory of apt lists (/var/lib/apt/lists) to find the
	 * .deb's Packages entry and InRelease in; NULL: none. */
	const char *apt_lists;
	int level, threads; /* as nip_pack_opts */
	/* Called for each warning (a dropped device node, a stripped bit). */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* The format of a file by its magic bytes and name. */
int nip_graft_detect(int fd, const char *name, enum nip_graft_format *out, struct nip_error *err);

/* Grafts the file `path` (opened relative to dirfd) into outdirfd/outname,
 * or NAME-VERSION-ARCH.nip when outname is NULL; *written (if set) gets the
 * name used (caller frees). Atomic: on failure nothing is left behind.
 * Bad input is NIP_E_FORMAT or NIP_E_LIMIT (exit 3). */
int nip_graft_file(int dirfd, const char *path, const struct nip_graft_opts *opts, int outdirfd,
		   const char *outname, char **written, uint8_t cid[NIP_SHA256_LEN],
		   struct nip_error *err);

/* Version mapping into nip's (Debian's) grammar and order; see
 * doc/nip-graft.8. Caller frees *out. */
int nip_graft_version(enum nip_graft_format f, const char *in, char **out, struct nip_error *err);

#endif
