/* Bounded growable buffers: the cap is set at birth so that untrusted input
 * can never make one grow without limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nip/util.h"

void nip_buf_init(struct nip_buf *b, size_t max, const char *what)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->what = what ? what : "buffer";
}

void nip_buf_free(struct nip_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int nip_buf_reserve(struct nip_buf *b, size_t more, struct nip_error *err)
{
	size_t need, cap;
	unsigned char *p;

	/* +1 keeps room for nip_buf_cstr's NUL. */
	if (more > b->max - b->len || b->len + more + 1 < more)
		return nip_err(err, NIP_E_LIMIT, "%s exceeds its limit of %zu bytes", b->what,
			       b->max);
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return nip_err(err, NIP_E_NOMEM, "%s: out of memory", b->what);
	b->data = p;
	b->cap = cap;
	return 0;
}

int nip_buf_append(struct nip_buf *b, const void *p, size_t n, struct nip_error *err)
{
	if (nip_buf_reserve(b, n, err) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int nip_buf_printf(struct nip_buf *b, struct nip_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return nip_err(err, NIP_E_INTERNAL, "%s: formatting failed", b->what);
	if (nip_buf_reserve(b, (size_t)n, err) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int nip_buf_cstr(struct nip_buf *b, struct nip_error *err)
{
	if (nip_buf_reserve(b, 0, err) < 0)
		return -1;
	b->data[b->len] = '\0';
	return 0;
}
