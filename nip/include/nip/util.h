/* util: errors, bounded buffers, *at() file helpers, lazy library loading.
 * The bottom layer of libnip: everything else may use it, it uses nothing. */
#ifndef NIP_UTIL_H
#define NIP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

/* One line per error class: code, name (for --json), exit status (CLI.md). */
#define NIP_ERRORS(X)                 \
	X(OK, "ok", 0)                \
	X(IO, "io", 1)                \
	X(NOMEM, "nomem", 1)          \
	X(INTERNAL, "internal", 1)    \
	X(USAGE, "usage", 2)          \
	X(TRUST, "trust", 3)          \
	X(FORMAT, "format", 3)        \
	X(LIMIT, "limit", 3)          \
	X(RESOLVE, "resolve", 4)      \
	X(NETWORK, "network", 5)      \
	X(BUSY, "busy", 6)            \
	X(DENIED, "denied", 7)

enum nip_errcode {
#define NIP_X(code, name, status) NIP_E_##code,
	NIP_ERRORS(NIP_X)
#undef NIP_X
	NIP_E_COUNT_
};

#define NIP_ERRMSG_MAX 1024

/* Fixed size so that reporting works when memory is gone. */
struct nip_error {
	int code;   /* enum nip_errcode */
	int errnum; /* saved errno, 0 if none */
	char msg[NIP_ERRMSG_MAX];
};

/* Each setter fills *err (if not NULL) and returns -1, for `return nip_err(...)`. */
int nip_err(struct nip_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As nip_err, appending ": strerror(errnum)". */
int nip_err_sys(struct nip_error *err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prepend context ("reading foo.nip: ") to an error already set; returns -1. */
int nip_err_prefix(struct nip_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nip_err_clear(struct nip_error *err);
const char *nip_err_name(int code);
int nip_err_exit_status(int code);

/* A growable byte buffer born with its maximum size (curl's dynbuf):
 * growth past max is NIP_E_LIMIT naming `what`. */
struct nip_buf {
	unsigned char *data;
	size_t len, cap, max;
	const char *what;
};

void nip_buf_init(struct nip_buf *b, size_t max, const char *what);
void nip_buf_free(struct nip_buf *b);
int nip_buf_reserve(struct nip_buf *b, size_t more, struct nip_error *err);
int nip_buf_append(struct nip_buf *b, const void *p, size_t n, struct nip_error *err);
int nip_buf_printf(struct nip_buf *b, struct nip_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* NUL-terminates without counting the NUL in len. */
int nip_buf_cstr(struct nip_buf *b, struct nip_error *err);

/* ---- files ---------------------------------------------------------- */

/* Read a whole file of at most max bytes; O_NOFOLLOW when nofollow is set. */
int nip_read_file(int dirfd, const char *path, size_t max, int nofollow,
		  struct nip_buf *out, struct nip_error *err);
/* Read exactly n bytes or fail (EOF is NIP_E_FORMAT "truncated"). */
int nip_read_full(int fd, void *p, size_t n, const char *what, struct nip_error *err);
/* read(2) retrying EINTR; returns bytes read (0 at EOF) or -1 with err set. */
ssize_t nip_read_some(int fd, void *p, size_t n, const char *what, struct nip_error *err);
int nip_write_full(int fd, const void *p, size_t n, const char *what, struct nip_error *err);

#define NIP_WRITE_EXCL 1 /* fail with EEXIST rather than replace */

/* Write a state file whole or not at all: temporary file in the same
 * directory, write, fsync, rename over `name`, fsync the directory. */
int nip_write_atomic(int dirfd, const char *name, const void *p, size_t n, mode_t mode,
		     int flags, struct nip_error *err);
int nip_fsync_dir(int dirfd, const char *what, struct nip_error *err);

/* An unnamed file in dirfd's directory (O_TMPFILE, else a hidden temp name
 * unlinked at once); nip_tmpfile_link gives it its final name atomically. */
int nip_tmpfile(int dirfd, mode_t mode, struct nip_error *err);
int nip_tmpfile_link(int fd, int dirfd, const char *name, int flags, struct nip_error *err);

/* openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) with O_CLOEXEC|O_NOFOLLOW
 * added: an untrusted name can never leave dirfd, even racing. */
int nip_open_beneath(int dirfd, const char *name, int flags, mode_t mode,
		     struct nip_error *err);

/* Split "dir/base" of a command-line path: opens the directory (O_PATH) and
 * points *base into path. Returns the dirfd or -1. */
int nip_open_parent(const char *path, const char **base, struct nip_error *err);

/* ---- lazily loaded libraries ----------------------------------------- */

/* Libraries that most commands never need (libarchive, libcurl) are loaded
 * on first use so that `nip --version` or `nip list` do not pay for them. */
struct nip_dl_sym {
	const char *name;
	void **ptr;
};
/* dlopen `soname` and resolve every symbol; the handle stays open for the
 * process (it is a cache, not state). */
int nip_dl_load(const char *soname, const struct nip_dl_sym *syms, size_t n,
		struct nip_error *err);

/* ---- small helpers --------------------------------------------------- */
/* The UTF-8 sequence that starts at p (a byte >= 0x80), before end: its
 * length, with its code point in *cp, or -1 when it is not the shortest
 * form of a scalar value (no surrogate, nothing past U+10FFFF). */
int nip_utf8_seq(const unsigned char *p, const unsigned char *end, unsigned *cp);
/* s itself if it fits in n-1 bytes, else its head and tail around "..."
 * written into buf: long hostile names must not push the reason out of a
 * fixed-size message. */
const char *nip_shorten(const char *s, char *buf, size_t n);
void nip_hex(const uint8_t *in, size_t n, char *out); /* out: 2n+1 */
/* s as a JSON string, quoted and escaped, to f. */
void nip_json_str(FILE *f, const char *s);
int nip_unhex(const char *hex, uint8_t *out, size_t n); /* exactly 2n lowercase hex chars */
/* Strictly a decimal integer within [min, max]; no sign unless min < 0. */
int nip_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
