/* Fuzz target: what trackd parses from a publish request before (header)
 * and after (body) its signature is checked. The first byte picks the
 * parser. A header that parses must format back to the same bytes (one
 * spelling per request); a body's packages must lie inside it, with valid
 * distinct names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nip/track.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void header(const uint8_t *p, size_t n)
{
	char h[NIP_PUBREQ_HEADER_MAX + 64], back[NIP_PUBREQ_HEADER_MAX];
	struct nip_pubreq r;
	struct nip_error err;
	if (n >= sizeof h)
		n = sizeof h - 1;
	memcpy(h, p, n);
	h[n] = 0;
	if (nip_pubreq_parse(h, &r, &err) < 0)
		return;
	nip_pubreq_format(&r, back);
	if (strcmp(h, back) != 0)
		abort();
}

struct seen {
	uint64_t total, len;
	size_t n;
};

static int each(void *ctx, const char *name, int fd, uint64_t size, struct nip_error *err)
{
	struct seen *s = ctx;
	(void)fd;
	(void)err;
	if (!nip_publish_name_valid(name, strlen(name)) || size > s->len)
		abort();
	s->total += size;
	s->n++;
	return 0;
}

static void body(const uint8_t *p, size_t n)
{
	struct nip_error err;
	struct seen s = {0, n, 0};
	int fd = memfd_create("body", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, p, n) == (ssize_t)n && nip_publish_body_read(fd, n, each, &s, &err) == 0 &&
	    (s.n == 0 || s.n > NIP_PUBLISH_FILES_MAX || s.total > n))
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		body(data + 1, size - 1);
	else
		header(data + 1, size - 1);
	return 0;
}
