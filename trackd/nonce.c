/* The nonces of accepted publish requests. A request is valid for
 * NIP_PUBREQ_WINDOW seconds either side of its time, so its nonce need
 * only be remembered that long: older entries are dropped on each use. The
 * file is rewritten whole (new file, fsync, rename) before the publish
 * goes ahead, so neither a crash nor a restart lets a request run twice. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pubside.h"

#define FILE_NAME "nonces"
/* "TIME HEX\n": at most 20 + 1 + 32 + 1 bytes a line. */
#define LINE_MAX_LEN 54u

int trackd_nonces_load(struct trackd_nonces *s, int dirfd, struct nip_error *err)
{
	struct nip_buf b;
	const char *p, *end;
	int rc = -1;

	memset(s, 0, sizeof *s);
	s->dirfd = dirfd;
	if (!(s->v = calloc(TRACKD_NONCES_MAX, sizeof *s->v)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	nip_buf_init(&b, (size_t)TRACKD_NONCES_MAX * LINE_MAX_LEN, ".trackd/" FILE_NAME);
	if (nip_read_file(dirfd, FILE_NAME, b.max, 1, &b, err) < 0) {
		if (err && err->errnum == ENOENT) {
			nip_err_clear(err);
			rc = 0;
		}
		goto out;
	}
	p = (const char *)b.data;
	end = p + b.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char line[LINE_MAX_LEN + 1], *sp;
		int64_t t;
		if (!nl || (size_t)(nl - p) > LINE_MAX_LEN || s->n == TRACKD_NONCES_MAX)
			break;
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = 0;
		p = nl + 1;
		if (!(sp = strchr(line, ' ')))
			break;
		*sp = 0;
		if (nip_parse_i64(line, 0, INT64_MAX, &t) < 0 ||
		    nip_unhex(sp + 1, s->v[s->n].nonce, NIP_PUBREQ_NONCE_LEN) < 0)
			break;
		s->v[s->n++].time = t;
	}
	/* Forgetting nonces would reopen replay: a damaged file stops trackd
	 * rather than be ignored. */
	if (p < end) {
		nip_err(err, NIP_E_FORMAT, ".trackd/" FILE_NAME ": malformed (remove it only if no "
					   "publish was accepted in the last %d seconds)",
			2 * NIP_PUBREQ_WINDOW);
		goto out;
	}
	rc = 0;
out:
	nip_buf_free(&b);
	if (rc < 0) {
		free(s->v);
		s->v = NULL;
	}
	return rc;
}

static int save(const struct trackd_nonces *s, struct nip_error *err)
{
	struct nip_buf b;
	int rc = 0;
	nip_buf_init(&b, (size_t)TRACKD_NONCES_MAX * LINE_MAX_LEN, ".trackd/" FILE_NAME);
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		char hex[2 * NIP_PUBREQ_NONCE_LEN + 1];
		nip_hex(s->v[i].nonce, NIP_PUBREQ_NONCE_LEN, hex);
		rc = nip_buf_printf(&b, err, "%" PRId64 " %s\n", s->v[i].time, hex);
	}
	if (rc == 0)
		rc = nip_write_atomic(s->dirfd, FILE_NAME, b.data ? (const void *)b.data : "", b.len,
				      0600, 0, err);
	nip_buf_free(&b);
	return rc < 0 ? nip_err_prefix(err, ".trackd/" FILE_NAME ": ") : 0;
}

int trackd_nonces_use(struct trackd_nonces *s, const struct nip_pubreq *r, time_t now,
		      struct nip_error *err)
{
	size_t keep = 0;
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->v[i].nonce, r->nonce, NIP_PUBREQ_NONCE_LEN) == 0)
			return 1;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].time >= (int64_t)now - NIP_PUBREQ_WINDOW)
			s->v[keep++] = s->v[i]; /* else its request could only come back expired */
	s->n = keep;
	if (s->n == TRACKD_NONCES_MAX)
		return nip_err(err, NIP_E_BUSY, "more than %u publishes within %d seconds; try later",
			       TRACKD_NONCES_MAX, NIP_PUBREQ_WINDOW);
	s->v[s->n].time = r->time;
	memcpy(s->v[s->n].nonce, r->nonce, NIP_PUBREQ_NONCE_LEN);
	s->n++;
	if (save(s, err) < 0) {
		s->n--; /* not durable: not accepted */
		return -1;
	}
	return 0;
}

void trackd_nonces_free(struct trackd_nonces *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
