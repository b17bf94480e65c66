/* Private to nip/lib/crypto: the line, comment and base64 rules shared by
 * minisign's key and signature files (key.c, sig.c). */
#ifndef NIP_CRYPTO_MINISIGN_H
#define NIP_CRYPTO_MINISIGN_H

#include <stddef.h>

#include "nip/util.h"

#define NIP_MS_UNTRUSTED "untrusted comment: "
#define NIP_MS_TRUSTED "trusted comment: "

/* One line of a minisign file, without its newline; points into the text. */
struct nip_ms_line {
	const char *p;
	size_t len;
};

int nip_ms_sodium_init(struct nip_error *err);

/* Splits text (at most max bytes) into between nmin and nmax lines. Every
 * line ends in "\n" except that the last one may end the text instead;
 * anything else (an empty last line, a lone "\r") is left for the line's
 * own check to refuse. */
int nip_ms_split(const char *text, size_t len, size_t max, struct nip_ms_line *lines, size_t nmin,
		 size_t nmax, size_t *n, const char *what, struct nip_error *err);

/* A comment: at most NIP_COMMENT_MAX bytes, no control character but tab. */
int nip_ms_comment_check(const char *s, size_t len, const char *what, struct nip_error *err);
/* A comment line: prefix, then a valid comment, returned in *text. */
int nip_ms_comment_line(const struct nip_ms_line *line, const char *prefix, const char **text,
			size_t *len, const char *what, struct nip_error *err);

/* A base64 line (RFC 4648 with padding) that decodes to exactly n bytes.
 * On failure out may hold part of the bytes: callers with secrets wipe it. */
int nip_ms_b64_decode(const struct nip_ms_line *line, void *out, size_t n, const char *what,
		      struct nip_error *err);
/* Appends base64(bin) and "\n", wiping its scratch copy. */
int nip_ms_b64_append(struct nip_buf *out, const void *bin, size_t n, struct nip_error *err);

#endif
