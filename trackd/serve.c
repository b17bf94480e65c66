/* Serving the track: GET and HEAD of its files, /healthz, and the
 * dispatch of POST /publish to body.c. Every path is resolved beneath the
 * track's dirfd by the kernel, so no name can leave it, even racing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rules.h"
#include "server.h"

/* Largest timestamp.json /healthz reads (the client's own cap is 16 KiB). */
#define HEALTHZ_READ_MAX 65536
/* Files up to this size are sent from memory (small_response). */
#define SMALL_FILE_MAX (64u << 10)

static void peer_string(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "?";

	if (!ci || !ci->client_addr) {
		snprintf(out, n, "?");
		return;
	}
	if (ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ci->client_addr;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof addr);
		snprintf(out, n, "%s:%u", addr, ntohs(a->sin_port));
	} else if (ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ci->client_addr;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof addr);
		snprintf(out, n, "[%s]:%u", addr, ntohs(a->sin6_port));
	} else {
		snprintf(out, n, "?");
	}
}

void *trackd_uri_begin(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct trackd_server *srv = cls;
	struct trackd_req *req = calloc(1, sizeof *req);

	if (!req)
		return NULL; /* trackd_handle refuses the request */
	req->srv = srv;
	req->conn = conn;
	req->body_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	peer_string(conn, req->peer, sizeof req->peer);
	snprintf(req->path, sizeof req->path, "%s", uri);
	atomic_fetch_add(&srv->inflight, 1);
	return req;
}

void trackd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct trackd_req *req = *con_cls;

	if (!req)
		return;
	trackd_log_request(req, toe);
	trackd_body_release(req);
	atomic_fetch_sub(&req->srv->inflight, 1);
	free(req);
	*con_cls = NULL;
}

size_t trackd_unescape_cb(void *cls, struct MHD_Connection *conn, char *s)
{
	return trackd_unescape(s);
}

enum MHD_Result trackd_queue(struct trackd_req *req, unsigned status, struct MHD_Response *r,
			     uint64_t bytes)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Server", "trackd/" NIP_VERSION);
	ret = MHD_queue_response(req->conn, status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES) {
		req->status = status;
		req->bytes = bytes;
	}
	return ret;
}

static struct MHD_Response *json_response(char *json, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, json, MHD_RESPMEM_MUST_FREE);

	if (!r) {
		free(json);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	return r;
}

static enum MHD_Result reply_json(struct trackd_req *req, unsigned status, char *json, size_t len)
{
	return trackd_queue(req, status, json_response(json, len), len);
}

/* {"error": code, "message": msg}, msg escaped. */
static struct MHD_Response *error_response(const char *code, const char *msg, size_t *len)
{
	char esc[2 * TRACKD_LOGPATH_MAX];
	size_t n = sizeof esc + 64;
	char *json = malloc(n);
	int w;

	if (!json)
		return NULL;
	trackd_json_escape(msg, esc, sizeof esc);
	w = snprintf(json, n, "{\"error\":\"%s\",\"message\":\"%s\"}\n", code, esc);
	*len = (size_t)w < n ? (size_t)w : n - 1;
	return json_response(json, *len);
}

enum MHD_Result trackd_reply_error(struct trackd_req *req, unsigned status, const char *code,
				   const char *msg)
{
	size_t len = 0;
	struct MHD_Response *r = error_response(code, msg, &len);

	return trackd_queue(req, status, r, len);
}

/* Refusals that name the path: the decoded path, shortened, quoted. */
static enum MHD_Result refuse_path(struct trackd_req *req, unsigned status, const char *code,
				   const char *url, const char *why)
{
	char msg[TRACKD_LOGPATH_MAX + 128], shortp[TRACKD_LOGPATH_MAX / 2];

	snprintf(msg, sizeof msg, "%s: %s", nip_shorten(url, shortp, sizeof shortp), why);
	return trackd_reply_error(req, status, code, msg);
}

static int open_beneath(int dirfd, const char *rel)
{
	/* No symlinks at all: the track is written by trackd and nip
	 * publish, which make none, so one there was put by someone else. */
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
}

struct header_sum {
	size_t total;
};

static enum MHD_Result add_header_len(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct header_sum *s = cls;
	/* "Key: value\r\n" */
	s->total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static enum MHD_Result serve_healthz(struct trackd_req *req)
{
	char buf[HEALTHZ_READ_MAX], *json;
	json_t *doc = NULL, *v;
	json_int_t version = -1;
	ssize_t n = -1;
	int fd = open_beneath(req->srv->dirfd, "metadata/timestamp.json");

	if (fd >= 0) {
		n = read(fd, buf, sizeof buf);
		close(fd);
	}
	if (n > 0 && (doc = json_loadb(buf, (size_t)n, 0, NULL)) &&
	    (v = json_object_get(json_object_get(doc, "signed"), "version")) && json_is_integer(v))
		version = json_integer_value(v);
	json_decref(doc);
	if (version < 0)
		return trackd_reply_error(req, 503, "unavailable",
					  "metadata/timestamp.json is missing or unreadable");
	if (asprintf(&json, "{\"status\":\"ok\",\"timestamp_version\":%lld}\n",
		     (long long)version) < 0)
		return MHD_NO;
	return reply_json(req, 200, json, strlen(json));
}

static enum MHD_Result open_error(struct trackd_req *req, const char *url, int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return refuse_path(req, 404, "not-found", url, "no such file");
	case ELOOP:
	case EXDEV:
		return refuse_path(req, 403, "denied", url, "symbolic links are not served");
	case EACCES:
	case EPERM:
		return refuse_path(req, 403, "denied", url, "permission denied");
	case ENAMETOOLONG:
		return refuse_path(req, 414, "too-long", url, "the path is too long");
	default:
		return refuse_path(req, 500, "internal", url, strerror(e));
	}
}

static void add_file_headers(struct MHD_Response *r, const char *rel, const char *etag,
			     const struct stat *st)
{
	char date[TRACKD_DATE_MAX];

	trackd_http_date(st->st_mtim.tv_sec, date);
	MHD_add_response_header(r, "ETag", etag);
	MHD_add_response_header(r, "Last-Modified", date);
	MHD_add_response_header(r, "Cache-Control", trackd_cache_control(rel));
}

/* A small file (the timestamp, most metadata and index parts) is read and
 * sent with its headers in one write: sendfile would cost one more system
 * call and one more segment per request, a fifth of a small response's
 * cost. NULL when the read falls short; the caller then sends the fd. */
static struct MHD_Response *small_response(int fd, uint64_t off, uint64_t len)
{
	char *buf = malloc(len ? len : 1);
	struct MHD_Response *r;

	if (!buf || pread(fd, buf, len, (off_t)off) != (ssize_t)len) {
		free(buf);
		return NULL;
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(buf);
	return r;
}

static enum MHD_Result serve_file(struct trackd_req *req, const char *url)
{
	static const char unsat[] =
		"{\"error\":\"range\",\"message\":\"the range is not satisfiable\"}\n";
	const char *rel = NULL, *why = "", *h;
	char etag[TRACKD_ETAG_MAX], cr[96];
	struct trackd_range range = {0, 0};
	enum trackd_range_verdict rv = TRACKD_RANGE_NONE;
	struct MHD_Response *r;
	struct stat st;
	uint64_t off, len;
	unsigned status = 200;
	int fd;

	switch (trackd_path_check(url, &rel, &why)) {
	case TRACKD_PATH_OK:
		break;
	case TRACKD_PATH_BAD:
		return refuse_path(req, 400, "bad-path", url, why);
	case TRACKD_PATH_HIDDEN:
		return refuse_path(req, 404, "not-found", url, why);
	case TRACKD_PATH_TOO_LONG:
		return refuse_path(req, 414, "too-long", "(path)", why);
	}
	fd = open_beneath(req->srv->dirfd, rel);
	if (fd < 0)
		return open_error(req, url, errno);
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return open_error(req, url, e);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return refuse_path(req, 404, "not-found", url,
				   S_ISDIR(st.st_mode) ? "directory listings are not served"
						       : "not a regular file");
	}
	trackd_etag(rel, (uint64_t)st.st_ino, (uint64_t)st.st_size, st.st_mtim.tv_sec,
		    st.st_mtim.tv_nsec, etag);

	h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "If-None-Match");
	if (h && trackd_etag_match(h, etag)) {
		close(fd);
		/* libmicrohttpd 0.9.75 adds "Content-Length: 0" here, and a
		 * second one if trackd set the file's: one wrong-but-harmless
		 * header (a 304 never has a body) beats two. */
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		add_file_headers(r, rel, etag, &st);
		return trackd_queue(req, 304, r, 0);
	}

	h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Range");
	if (h) {
		/* If-Range with another validator: the client's part is stale,
		 * so it gets the whole file (RFC 9110 13.1.5). */
		const char *ifr = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "If-Range");
		if (!ifr || strcmp(ifr, etag) == 0)
			rv = trackd_range_parse(h, (uint64_t)st.st_size, &range);
	}
	if (rv == TRACKD_RANGE_UNSAT) {
		close(fd);
		snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)st.st_size);
		r = MHD_create_response_from_buffer(sizeof unsat - 1, (void *)unsat,
						    MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Content-Range", cr);
		MHD_add_response_header(r, "Content-Type", "application/json");
		return trackd_queue(req, 416, r, sizeof unsat - 1);
	}
	off = 0;
	len = (uint64_t)st.st_size;
	if (rv == TRACKD_RANGE_OK) {
		off = range.first;
		len = range.last - range.first + 1;
		status = 206;
		snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)range.first,
			 (unsigned long long)range.last, (unsigned long long)st.st_size);
	}
	r = len <= SMALL_FILE_MAX ? small_response(fd, off, len) : NULL;
	if (r) {
		close(fd);
	} else {
		/* MHD owns fd from here and sends it with sendfile(2). */
		r = MHD_create_response_from_fd_at_offset64(len, fd, off);
		if (!r) {
			close(fd);
			return MHD_NO;
		}
	}
	add_file_headers(r, rel, etag, &st);
	MHD_add_response_header(r, "Content-Type", trackd_content_type(rel));
	MHD_add_response_header(r, "Accept-Ranges", "bytes");
	if (status == 206)
		MHD_add_response_header(r, "Content-Range", cr);
	return trackd_queue(req, status, r, strcmp(req->method, "HEAD") == 0 ? 0 : len);
}

static enum MHD_Result method_not_allowed(struct trackd_req *req, const char *allow)
{
	struct MHD_Response *r;
	char msg[96];
	size_t len = 0;

	snprintf(msg, sizeof msg, "method %.16s is not allowed here (allowed: %s)", req->method,
		 allow);
	r = error_response("method", msg, &len);
	if (r)
		MHD_add_response_header(r, "Allow", allow);
	return trackd_queue(req, 405, r, len);
}

enum MHD_Result trackd_handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct trackd_req *req = *con_cls;
	int get, head;

	if (!req)
		return MHD_NO; /* out of memory at the request line: drop it */
	if (!req->headers_checked) {
		struct header_sum sum = {0};

		req->headers_checked = 1;
		snprintf(req->method, sizeof req->method, "%s", method);
		MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_len, &sum);
		if (sum.total > TRACKD_HEADERS_MAX) {
			char msg[64];
			snprintf(msg, sizeof msg, "the request headers exceed %d bytes",
				 TRACKD_HEADERS_MAX);
			return trackd_reply_error(req, 431, "headers-too-large", msg);
		}
		/* libmicrohttpd closes a connection whose response was queued
		 * in this first call: a GET answered on the next call keeps
		 * the connection alive. A POST is looked at now, so that an
		 * upload that will be refused is refused before it is read. */
		if (strcmp(method, "POST") != 0)
			return MHD_YES;
	}
	get = strcmp(method, "GET") == 0;
	head = strcmp(method, "HEAD") == 0;
	if (strcmp(url, "/publish") == 0) {
		if (strcmp(method, "POST") != 0)
			return method_not_allowed(req, "POST");
		return trackd_publish_request(req, upload_data, upload_data_size);
	}
	if (!get && !head) {
		/* A body sent with another method is not read: MHD closes
		 * the connection after the reply. */
		return method_not_allowed(req, "GET, HEAD");
	}
	if (*upload_data_size != 0)
		return MHD_NO; /* a GET with a body: not read, the connection is closed */
	if (strcmp(url, "/healthz") == 0)
		return serve_healthz(req);
	return serve_file(req, url);
}
