/* nip publish --track URL: the packages framed into one body (a temporary
 * file, hashed as it is written), a signed Authorization header, one POST
 * through libcurl (loaded on first use, as the fetchers do), and trackd's
 * JSON reply turned into a result or an error with its message. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "curlfns.h"
#include "internal.h"

struct body_src {
	int fd;
	struct nip_error *err;
	int failed;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct body_src *b = ud;
	ssize_t r = nip_read_some(b->fd, p, size * n, "request body", b->err);
	if (r < 0) {
		b->failed = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
	struct nip_error e;
	return nip_buf_append(ud, p, size * n, &e) < 0 ? 0 : size * n;
}

/* "http://host:port/base" -> host "host:port" and the path to POST. */
static int split_url(const char *url, char *host, size_t nhost, char *path, size_t npath,
		     struct nip_error *err)
{
	const char *a, *slash;
	size_t hl, pl;
	if (strncmp(url, "http://", 7) == 0)
		a = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		a = url + 8;
	else
		return nip_err(err, NIP_E_USAGE, "--track %.200s: not an http or https URL", url);
	slash = strchr(a, '/');
	hl = slash ? (size_t)(slash - a) : strlen(a);
	pl = slash ? strlen(slash) : 0;
	while (pl && slash[pl - 1] == '/')
		pl--;
	if (hl == 0 || hl >= nhost || pl + sizeof "/publish" > npath || strchr(url, '?') ||
	    strchr(url, '#') || memchr(a, '@', hl) || strpbrk(url, " \t\r\n"))
		return nip_err(err, NIP_E_USAGE, "--track %.200s: malformed URL", url);
	memcpy(host, a, hl);
	host[hl] = 0;
	memcpy(path, slash ? slash : "", pl);
	memcpy(path + pl, "/publish", sizeof "/publish");
	return 0;
}

static int tmp_body(struct nip_error *err)
{
	const char *d = getenv("TMPDIR");
	int dfd = open(d && *d ? d : "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	if (dfd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", d && *d ? d : "/tmp");
	fd = nip_tmpfile(dfd, 0600, err);
	close(dfd);
	return fd;
}

static int status_code(long status)
{
	switch (status) {
	case 401:
	case 403:
	case 409:
	case 422:
		return NIP_E_TRUST;
	case 413:
		return NIP_E_LIMIT;
	case 400:
		return NIP_E_USAGE;
	case 502:
	case 503:
	case 504:
		return NIP_E_NETWORK;
	default:
		return NIP_E_IO;
	}
}

/* The refusal as trackd worded it: {"error": NAME, "message": TEXT}. */
static int refusal(long status, const struct nip_buf *reply, const char *url, struct nip_error *err)
{
	json_t *doc = json_loadb((const char *)reply->data, reply->len, 0, NULL);
	const char *msg = json_string_value(json_object_get(doc, "message"));
	char shortbuf[600];
	int rc;
	if (msg)
		rc = nip_err(err, status_code(status), "trackd: %s",
			     nip_shorten(msg, shortbuf, sizeof shortbuf));
	else
		rc = nip_err(err, status_code(status), "trackd: %.200s: HTTP status %ld", url, status);
	json_decref(doc);
	return rc;
}

int nip_track_upload(const char *url, const struct nip_seckey *sec, const char *const *files,
		     size_t n, const struct nip_upload_opts *o, struct nip_buf *reply,
		     struct nip_error *err)
{
	struct curl_fns c;
	struct nip_pubreq r;
	struct body_src src = {-1, err, 0};
	struct curl_slist *hdrs = NULL;
	char host[256], path[NIP_URL_MAX + 16], full[NIP_URL_MAX + 300], auth[NIP_PUBREQ_HEADER_MAX];
	char line[NIP_PUBREQ_HEADER_MAX + 64], ebuf[CURL_ERROR_SIZE] = "";
	uint64_t len;
	long status = 0;
	CURL *h = NULL;
	CURLcode cr;
	int rc = -1;

	if (split_url(url, host, sizeof host, path, sizeof path, err) < 0)
		return -1;
	snprintf(full, sizeof full, "%.*s%s", (int)(strstr(url, host) - url + strlen(host)), url, path);
	/* The body is framed into an unnamed file, hashed as it is written,
	 * then streamed: the packages may be larger than memory. */
	if ((src.fd = tmp_body(err)) < 0)
		return -1;
	if (nip_publish_body_write(src.fd, files, n, &len, r.body_sha256, err) < 0)
		goto out;
	if (lseek(src.fd, 0, SEEK_SET) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "request body");
		goto out;
	}
	r.time = (int64_t)time(NULL);
	randombytes_buf(r.nonce, sizeof r.nonce);
	if (nip_pubreq_sign(&r, sec, "POST", path, host, err) < 0)
		goto out;
	nip_pubreq_format(&r, auth);
	if (curl_fns_load(&c, err) < 0)
		goto out;
	if (!(h = c.easy_init())) {
		nip_err(err, NIP_E_NOMEM, "libcurl: cannot make a handle");
		goto out;
	}
	/* Host is what was signed, sent as such. Expect: 100-continue would
	 * only add a round trip: trackd reads every body it accepts. */
	snprintf(line, sizeof line, "Authorization: %s", auth);
	hdrs = c.slist_append(hdrs, line);
	snprintf(line, sizeof line, "Host: %s", host);
	if (hdrs)
		hdrs = c.slist_append(hdrs, line);
	if (hdrs)
		hdrs = c.slist_append(hdrs, "Content-Type: application/vnd.nip.publish");
	if (hdrs)
		hdrs = c.slist_append(hdrs, "Expect:");
	if (!hdrs) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	c.easy_setopt(h, CURLOPT_URL, full);
	c.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	c.easy_setopt(h, CURLOPT_POST, 1L);
	c.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	c.easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	c.easy_setopt(h, CURLOPT_READDATA, &src);
	c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	c.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
	c.easy_setopt(h, CURLOPT_WRITEDATA, reply);
	c.easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	c.easy_setopt(h, CURLOPT_USERAGENT, "nip");
	c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o && o->connect_timeout ? o->connect_timeout : 10L);
	if (o && o->timeout)
		c.easy_setopt(h, CURLOPT_TIMEOUT, o->timeout);
	cr = c.easy_perform(h);
	c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (src.failed)
		goto out;
	/* A server that refuses early (413) may close before the whole body
	 * went out: its reply still says why. */
	if (cr != CURLE_OK && !(status >= 400 && reply->len)) {
		nip_err(err, NIP_E_NETWORK, "%.200s: %s", full, ebuf[0] ? ebuf : c.easy_strerror(cr));
		goto out;
	}
	if (status != 200) {
		refusal(status, reply, full, err);
		goto out;
	}
	rc = 0;
out:
	if (h)
		c.easy_cleanup(h);
	if (hdrs)
		c.slist_free_all(hdrs);
	if (src.fd >= 0)
		close(src.fd);
	sodium_memzero(&r, sizeof r);
	return rc;
}
