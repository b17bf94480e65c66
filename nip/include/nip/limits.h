/* Caps on untrusted input. Each exists because endless or hostile data is an
 * attack; overflow of one is NIP_E_LIMIT naming it. */
#ifndef NIP_LIMITS_H
#define NIP_LIMITS_H

/* A manifest lists every file: ~150 bytes each, so 64 MiB holds ~400k files,
 * several times the biggest real package (texlive-full's data ~ 200k). */
#define NIP_MANIFEST_MAX (64u << 20)
#define NIP_FILES_MAX 500000u
/* .NIPSIG: two comment lines and two base64 lines. */
#define NIP_SIG_MAX 4096u
/* A minisign comment line, as minisign itself caps it. */
#define NIP_COMMENT_MAX 1024u
/* Key files are a few hundred bytes. */
#define NIP_KEYFILE_MAX 4096u
/* PATH_MAX and NAME_MAX of Linux: a longer name cannot be created anyway. */
#define NIP_PATH_MAX 4096u
#define NIP_NAME_MAX 255u
/* Sum of payload file sizes. */
#define NIP_PAYLOAD_MAX (64ull << 30)
/* zstd window: 2^27 = 128 MiB is the most a decoder allocates for one frame;
 * nip's levels write windows of 2^19 to 2^23; the rest is headroom. */
#define NIP_ZSTD_WINDOW_LOG_MAX 27
/* Compression ratio: after the first NIP_RATIO_GRACE decompressed bytes the
 * output may not exceed NIP_RATIO_MAX times the compressed input read. zstd
 * reaches ~30 on text and ~100 on sparse binaries; 1024 only stops bombs. */
#define NIP_RATIO_MAX 1024u
#define NIP_RATIO_GRACE (16ull << 20)
/* A policy or summary string inside a manifest. */
#define NIP_POLICY_MAX (64u << 10)
/* A policy line, and unveil rules per policy: real policies name a dozen
 * paths; Landlock itself caps a domain's stacked layers at 16. */
#define NIP_POLICY_LINE_MAX 4096u
#define NIP_UNVEIL_MAX 512u
#define NIP_UNVEIL_LAYERS_MAX 8u
#define NIP_STRING_MAX 4096u
/* Relations per kind, and the length of one relation string. */
#define NIP_RELATIONS_MAX 4096u
#define NIP_RELATION_LEN_MAX 1024u
#define NIP_PKGNAME_MAX 128u
#define NIP_VERSION_MAX 128u
/* Architecture names ("x86_64", "riscv64") and variant flags are short. */
#define NIP_ARCH_MAX 32u
#define NIP_VARIANTS_MAX 64u
#define NIP_VARIANT_LEN_MAX 64u
/* Provenance: one line per source of a build. */
#define NIP_SOURCES_MAX 4096u
/* A grafted package's graft section: every unmapped field of the original
 * control data is kept, and Debian's long descriptions run to ~20 KiB. */
#define NIP_GRAFT_FIELD_MAX (64u << 10)
#define NIP_GRAFT_FIELDS_MAX 256u
/* A control file, .PKGINFO or maintainer script of a foreign package:
 * real ones are at most tens of kilobytes. */
#define NIP_GRAFT_CONTROL_MAX (1u << 20)
/* Conffiles and sanitising notes: one per file at most, and far fewer. */
#define NIP_GRAFT_LIST_MAX 4096u
/* A passphrase file: one line. */
#define NIP_PASSPHRASE_MAX 1024u
/* scrypt parameters accepted when reading an encrypted minisign key: minisign
 * writes opslimit 2^25 and memlimit 1 GiB; refuse more so a planted key file
 * cannot make nip allocate unbounded memory. */
#define NIP_SCRYPT_MEMLIMIT_MAX (2ull << 30)
#define NIP_SCRYPT_OPSLIMIT_MAX (1ull << 32)

/* TUF metadata, per role, before its length is known from a signed parent
 * (python-tuf's defaults): a root lists a few keys; a timestamp names one
 * file; a snapshot lists every targets role (2^16 bins fit); a targets role
 * lists one bin's packages or the delegations to the bins. */
#define NIP_TUF_ROOT_MAX (512u << 10)
#define NIP_TUF_TIMESTAMP_MAX (16u << 10)
#define NIP_TUF_SNAPSHOT_MAX (8u << 20)
#define NIP_TUF_TARGETS_MAX (8u << 20)
/* New root versions walked in one refresh: a hostile mirror could
 * otherwise serve an endless chain. */
#define NIP_TUF_MAX_ROOT_ROTATIONS 256u
/* Delegated roles visited in one target search (python-tuf's 32). */
#define NIP_TUF_MAX_DELEGATIONS 32u
/* Keys, roles, signatures in one metadata file. */
#define NIP_TUF_KEYS_MAX 1024u
/* A target or an index part named by a track: whatever its metadata says,
 * never more than this. */
#define NIP_TUF_TARGET_MAX (16ull << 30)
/* One decompressed index part (all packages of a bin). */
#define NIP_INDEX_PART_MAX (64u << 20)
/* A track's name is a directory under ROOT/tracks: short, no '/'. */
#define NIP_TRACK_NAME_MAX 64u
#define NIP_URL_MAX 2048u

#endif
