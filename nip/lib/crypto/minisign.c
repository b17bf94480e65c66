/* The text layer of minisign's files: lines, comments and base64. Every
 * rule is exact, because a parser that tolerates variants is one an
 * attacker can aim a second interpretation at. */
#include <sodium.h>
#include <string.h>

#include "minisign.h"
#include "nip/limits.h"

/* The largest binary blob in a minisign file is a secret key: 158 bytes. */
#define B64_BIN_MAX 192

int nip_ms_sodium_init(struct nip_error *err)
{
	if (sodium_init() < 0)
		return nip_err(err, NIP_E_INTERNAL, "libsodium could not be initialised");
	return 0;
}

int nip_ms_split(const char *text, size_t len, size_t max, struct nip_ms_line *lines, size_t nmin,
		 size_t nmax, size_t *n, const char *what, struct nip_error *err)
{
	const char *p = text, *end = text + len;
	size_t count = 0;

	if (len > max)
		return nip_err(err, NIP_E_LIMIT, "%s: %zu bytes, more than the limit of %zu", what,
			       len, max);
	if (len == 0)
		return nip_err(err, NIP_E_FORMAT, "%s: empty", what);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (count == nmax)
			return nip_err(err, NIP_E_FORMAT, "%s: more than %zu lines", what, nmax);
		lines[count].p = p;
		lines[count++].len = l;
		p += l + (nl != NULL);
	}
	if (count < nmin)
		return nip_err(err, NIP_E_FORMAT, "%s: %zu line%s, expected %zu", what, count,
			       count == 1 ? "" : "s", nmin);
	*n = count;
	return 0;
}

int nip_ms_comment_check(const char *s, size_t len, const char *what, struct nip_error *err)
{
	if (len > NIP_COMMENT_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: %zu bytes, more than the limit of %u", what,
			       len, NIP_COMMENT_MAX);
	/* Control characters in a comment would reach a terminal when it is
	 * shown (escape sequences), or split a line when it is written. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return nip_err(err, NIP_E_FORMAT,
				       "%s: control character 0x%02x at offset %zu", what, c, i);
	}
	return 0;
}

int nip_ms_comment_line(const struct nip_ms_line *line, const char *prefix, const char **text,
			size_t *len, const char *what, struct nip_error *err)
{
	size_t plen = strlen(prefix);

	if (line->len < plen || memcmp(line->p, prefix, plen) != 0)
		return nip_err(err, NIP_E_FORMAT, "%s: does not start with \"%s\"", what, prefix);
	if (nip_ms_comment_check(line->p + plen, line->len - plen, what, err) < 0)
		return -1;
	*text = line->p + plen;
	*len = line->len - plen;
	return 0;
}

int nip_ms_b64_decode(const struct nip_ms_line *line, void *out, size_t n, const char *what,
		      struct nip_error *err)
{
	size_t want = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL) - 1, got = 0;

	/* The exact length first: it also refuses "\r", spaces and a second
	 * blob glued on, and gives the clearest message. */
	if (line->len != want)
		return nip_err(err, NIP_E_FORMAT, "%s: %zu base64 characters, expected %zu", what,
			       line->len, want);
	/* libsodium 1.0.18 decodes every byte >= 0x80 as '/' (found by
	 * fuzzing): a second spelling of the same blob. The alphabet is
	 * checked here; libsodium then refuses misplaced or missing padding
	 * and non-zero trailing bits, leaving one spelling per blob. */
	for (size_t i = 0; i < line->len; i++) {
		unsigned char c = (unsigned char)line->p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return nip_err(err, NIP_E_FORMAT,
				       "%s: invalid base64 character 0x%02x at offset %zu", what, c,
				       i);
	}
	if (sodium_base642bin(out, n, line->p, line->len, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != n)
		return nip_err(err, NIP_E_FORMAT, "%s: invalid base64", what);
	return 0;
}

int nip_ms_b64_append(struct nip_buf *out, const void *bin, size_t n, struct nip_error *err)
{
	char tmp[sodium_base64_ENCODED_LEN(B64_BIN_MAX, sodium_base64_VARIANT_ORIGINAL)];
	int rc = -1;

	if (n > B64_BIN_MAX)
		return nip_err(err, NIP_E_INTERNAL, "base64 of %zu bytes: too long", n);
	sodium_bin2base64(tmp, sizeof tmp, bin, n, sodium_base64_VARIANT_ORIGINAL);
	if (nip_buf_append(out, tmp, strlen(tmp), err) < 0 || nip_buf_append(out, "\n", 1, err) < 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(tmp, sizeof tmp);
	return rc;
}
