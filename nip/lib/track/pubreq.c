/* Signed publish requests to trackd: the Authorization header, the message
 * it signs, and who may sign (the track directory's current root). The
 * signature binds method, path, host, time, nonce and the body's SHA-256,
 * so a captured request cannot be replayed elsewhere, later, or with
 * another body (doc/track-publish.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* "key=" then exactly `hexlen` lower-case hex digits into out. */
static const char *field_hex(const char *p, const char *name, uint8_t *out, size_t n,
			     struct nip_error *err)
{
	size_t nl = strlen(name);
	char hex[2 * 64 + 1];
	if (strncmp(p, name, nl) != 0 || p[nl] != '=')
		return nip_err(err, NIP_E_FORMAT, "Authorization: expected field %s", name), NULL;
	p += nl + 1;
	if (strspn(p, "0123456789abcdef") != 2 * n)
		return nip_err(err, NIP_E_FORMAT, "Authorization: field %s: not %zu hex digits", name,
			       2 * n),
		       NULL;
	memcpy(hex, p, 2 * n);
	hex[2 * n] = 0;
	if (nip_unhex(hex, out, n) < 0)
		return nip_err(err, NIP_E_FORMAT, "Authorization: field %s: malformed", name), NULL;
	return p + 2 * n;
}

static const char *comma(const char *p, struct nip_error *err)
{
	if (!p)
		return NULL;
	if (*p != ',')
		return nip_err(err, NIP_E_FORMAT, "Authorization: expected ',' between fields"), NULL;
	return p + 1;
}

int nip_pubreq_parse(const char *h, struct nip_pubreq *out, struct nip_error *err)
{
	struct nip_pubreq r;
	const char *p;
	char digits[24];
	size_t nd;

	if (!h || !*h)
		return nip_err(err, NIP_E_TRUST, "the request is not signed (no Authorization header)");
	if (strnlen(h, NIP_PUBREQ_HEADER_MAX) >= NIP_PUBREQ_HEADER_MAX)
		return nip_err(err, NIP_E_LIMIT, "Authorization: longer than %u bytes",
			       NIP_PUBREQ_HEADER_MAX);
	if (strncmp(h, NIP_PUBREQ_SCHEME " ", sizeof NIP_PUBREQ_SCHEME) != 0)
		return nip_err(err, NIP_E_FORMAT, "Authorization: not the %s scheme", NIP_PUBREQ_SCHEME);
	p = h + sizeof NIP_PUBREQ_SCHEME;
	p = comma(field_hex(p, "key", r.keyid, sizeof r.keyid, err), err);
	if (!p)
		return -1;
	if (strncmp(p, "time=", 5) != 0)
		return nip_err(err, NIP_E_FORMAT, "Authorization: expected field time");
	p += 5;
	nd = strspn(p, "0123456789");
	if (nd == 0 || nd > 18 || (nd > 1 && p[0] == '0'))
		return nip_err(err, NIP_E_FORMAT, "Authorization: field time: not a decimal number");
	memcpy(digits, p, nd);
	digits[nd] = 0;
	if (nip_parse_i64(digits, 0, INT64_MAX, &r.time) < 0)
		return nip_err(err, NIP_E_FORMAT, "Authorization: field time: out of range");
	p = comma(p + nd, err);
	p = comma(p ? field_hex(p, "nonce", r.nonce, sizeof r.nonce, err) : NULL, err);
	p = comma(p ? field_hex(p, "body", r.body_sha256, sizeof r.body_sha256, err) : NULL, err);
	p = p ? field_hex(p, "sig", r.sig, sizeof r.sig, err) : NULL;
	if (!p)
		return -1;
	if (*p)
		return nip_err(err, NIP_E_FORMAT, "Authorization: bytes after field sig");
	*out = r;
	return 0;
}

void nip_pubreq_format(const struct nip_pubreq *r, char out[NIP_PUBREQ_HEADER_MAX])
{
	char key[2 * NIP_KEYID_LEN + 1], nonce[2 * NIP_PUBREQ_NONCE_LEN + 1], body[NIP_SHA256_HEX],
		sig[129];
	nip_hex(r->keyid, sizeof r->keyid, key);
	nip_hex(r->nonce, sizeof r->nonce, nonce);
	nip_hex(r->body_sha256, sizeof r->body_sha256, body);
	nip_hex(r->sig, sizeof r->sig, sig);
	snprintf(out, NIP_PUBREQ_HEADER_MAX, "%s key=%s,time=%lld,nonce=%s,body=%s,sig=%s",
		 NIP_PUBREQ_SCHEME, key, (long long)r->time, nonce, body, sig);
}

int nip_pubreq_message(const struct nip_pubreq *r, const char *method, const char *path,
		       const char *host, struct nip_buf *out, struct nip_error *err)
{
	char nonce[2 * NIP_PUBREQ_NONCE_LEN + 1], body[NIP_SHA256_HEX];
	/* A newline inside a field would let two different requests sign
	 * the same message. */
	if (!method || !path || !host || strchr(method, '\n') || strchr(path, '\n') ||
	    strchr(host, '\n') || strlen(path) > NIP_URL_MAX || strlen(host) > 255 ||
	    strlen(method) > 16)
		return nip_err(err, NIP_E_FORMAT, "request: method, path or host malformed");
	nip_hex(r->nonce, sizeof r->nonce, nonce);
	nip_hex(r->body_sha256, sizeof r->body_sha256, body);
	return nip_buf_printf(out, err, "nip-publish-v1\n%s\n%s\n%s\n%lld\n%s\n%s\n", method, path,
			      host, (long long)r->time, nonce, body);
}

int nip_pubreq_sign(struct nip_pubreq *r, const struct nip_seckey *sec, const char *method,
		    const char *path, const char *host, struct nip_error *err)
{
	struct nip_buf m;
	int rc;
	nip_buf_init(&m, 4096, "request");
	memcpy(r->keyid, sec->keyid, sizeof r->keyid);
	rc = nip_pubreq_message(r, method, path, host, &m, err);
	if (rc == 0)
		rc = nip_sign_raw(sec, m.data, m.len, r->sig, err);
	nip_buf_free(&m);
	return rc;
}

int nip_pubreq_verify(const struct nip_pubreq *r, const struct nip_pubkey *pub,
		      const char *method, const char *path, const char *host,
		      struct nip_error *err)
{
	struct nip_buf m;
	int rc;
	nip_buf_init(&m, 4096, "request");
	rc = nip_pubreq_message(r, method, path, host, &m, err);
	if (rc == 0 && !nip_verify_raw(pub, m.data, m.len, r->sig))
		rc = nip_err(err, NIP_E_TRUST, "the request signature does not verify");
	nip_buf_free(&m);
	return rc;
}

int nip_track_dir_publishers(int dirfd, struct nip_track_publisher **out, size_t *n,
			     struct nip_error *err)
{
	struct tuf_md *root = NULL;
	int mfd = openat(dirfd, "metadata", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
	*out = NULL;
	*n = 0;
	if (mfd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "metadata");
	rc = tuf_md_load(mfd, "root.json", TUF_ROOT, NIP_TUF_ROOT_MAX, &root, err);
	close(mfd);
	if (rc == 0)
		rc = tuf_publishers_parse(json_object_get(root->signed_obj, "nip"), "metadata/root.json",
					  out, n, err);
	tuf_md_free(root);
	return rc;
}
