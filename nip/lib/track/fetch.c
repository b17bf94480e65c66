/* The default fetcher: libcurl's easy interface (loaded with dlopen on
 * first use, so commands that never fetch do not pay for it) for http and
 * https, the file system for file:// and plain paths. One handle is reused
 * so that a refresh's requests share a connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curlfns.h"
#include "internal.h"

struct fetcher {
	struct nip_fetch_opts opts;
	struct curl_fns api;
	int loaded;
	CURL *h;
};

struct sink_state {
	nip_fetch_sink sink;
	void *ctx;
	uint64_t got, max;
	int over;
	struct nip_error *err;
	int failed;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink_state *s = ud;
	size_t len = size * n;
	if (len > s->max - s->got) {
		s->over = 1;
		return 0; /* endless data: stop the transfer */
	}
	s->got += len;
	if (s->sink(s->ctx, p, len, s->err) < 0) {
		s->failed = 1;
		return 0;
	}
	return len;
}

static int load_curl(struct fetcher *f, struct nip_error *err)
{
	if (f->loaded)
		return 0;
	if (curl_fns_load(&f->api, err) < 0)
		return -1;
	if (!(f->h = f->api.easy_init()))
		return nip_err(err, NIP_E_NOMEM, "libcurl: cannot make a handle");
	f->loaded = 1;
	return 0;
}

static int get_http(struct fetcher *f, const char *url, uint64_t max, struct sink_state *s,
		    struct nip_error *err)
{
	const struct curl_fns *c = &f->api;
	char ebuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;

	if (load_curl(f, err) < 0)
		return -1;
	c->easy_reset(f->h);
	c->easy_setopt(f->h, CURLOPT_URL, url);
	c->easy_setopt(f->h, CURLOPT_PROTOCOLS_STR, "http,https");
	c->easy_setopt(f->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	c->easy_setopt(f->h, CURLOPT_FOLLOWLOCATION, 1L);
	c->easy_setopt(f->h, CURLOPT_MAXREDIRS, 5L);
	c->easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(f->h, CURLOPT_CONNECTTIMEOUT, f->opts.connect_timeout);
	/* Slow retrieval: a server trickling bytes is cut off. */
	c->easy_setopt(f->h, CURLOPT_LOW_SPEED_LIMIT, f->opts.low_speed_limit);
	c->easy_setopt(f->h, CURLOPT_LOW_SPEED_TIME, f->opts.low_speed_time);
	c->easy_setopt(f->h, CURLOPT_WRITEFUNCTION, on_data);
	c->easy_setopt(f->h, CURLOPT_WRITEDATA, s);
	c->easy_setopt(f->h, CURLOPT_ERRORBUFFER, ebuf);
	c->easy_setopt(f->h, CURLOPT_USERAGENT, "nip");
	if (max < (uint64_t)INT64_MAX)
		c->easy_setopt(f->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	/* Errors are reported per status below, so the body of a 404 must
	 * not reach the sink. */
	c->easy_setopt(f->h, CURLOPT_FAILONERROR, 1L);
	rc = c->easy_perform(f->h);
	c->easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &status);
	c->easy_setopt(f->h, CURLOPT_ERRORBUFFER, NULL);
	if (s->failed)
		return -1;
	if (s->over || rc == CURLE_FILESIZE_EXCEEDED)
		return nip_err(err, NIP_E_LIMIT, "%s: more than the %llu bytes expected", url,
			       (unsigned long long)max);
	if (rc == CURLE_HTTP_RETURNED_ERROR && (status == 404 || status == 403))
		return NIP_FETCH_NOTFOUND;
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		return nip_err(err, NIP_E_NETWORK, "%s: HTTP status %ld", url, status);
	if (rc == CURLE_TOO_MANY_REDIRECTS)
		return nip_err(err, NIP_E_NETWORK, "%s: too many redirects", url);
	if (rc != CURLE_OK)
		return nip_err(err, NIP_E_NETWORK, "%s: %s", url, ebuf[0] ? ebuf : c->easy_strerror(rc));
	return 0;
}

static int get_file(const char *path, struct sink_state *s, struct nip_error *err)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t r;
	if (fd < 0) {
		if (errno == ENOENT)
			return NIP_FETCH_NOTFOUND;
		return nip_err_sys(err, NIP_E_NETWORK, errno, "%s", path);
	}
	while ((r = nip_read_some(fd, buf, sizeof buf, path, err)) > 0)
		if (on_data(buf, 1, (size_t)r, s) != (size_t)r)
			break;
	close(fd);
	if (r < 0 || s->failed)
		return -1;
	if (s->over)
		return nip_err(err, NIP_E_LIMIT, "%s: more than the %llu bytes expected", path,
			       (unsigned long long)s->max);
	return 0;
}

static int fetch_get(void *self, const char *url, uint64_t max, nip_fetch_sink sink, void *ctx,
		     struct nip_error *err)
{
	struct sink_state s = {.sink = sink, .ctx = ctx, .max = max, .err = err};
	if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		return get_http(self, url, max, &s, err);
	if (strncmp(url, "file://", 7) == 0)
		return get_file(url + 7, &s, err);
	if (strstr(url, "://"))
		return nip_err(err, NIP_E_USAGE, "%s: only http, https and file URLs are supported", url);
	return get_file(url, &s, err);
}

static void fetch_free(void *self)
{
	struct fetcher *f = self;
	if (!f)
		return;
	if (f->h)
		f->api.easy_cleanup(f->h);
	free(f);
}

static const struct nip_fetch_ops default_ops = {fetch_get, fetch_free};

int nip_fetcher_default(const struct nip_fetch_opts *opts, struct nip_fetcher *out,
			struct nip_error *err)
{
	struct fetcher *f = calloc(1, sizeof *f);
	if (!f)
		return nip_err(err, NIP_E_NOMEM, "fetcher: out of memory");
	if (opts)
		f->opts = *opts;
	if (!f->opts.connect_timeout)
		f->opts.connect_timeout = 10;
	if (!f->opts.low_speed_time)
		f->opts.low_speed_time = 30;
	if (!f->opts.low_speed_limit)
		f->opts.low_speed_limit = 1024;
	out->ops = &default_ops;
	out->self = f;
	return 0;
}

void nip_fetcher_free(struct nip_fetcher *f)
{
	if (f && f->ops) {
		f->ops->free(f->self);
		f->ops = NULL;
		f->self = NULL;
	}
}
