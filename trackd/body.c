/* POST /publish: the body is spooled into an unnamed temporary file,
 * capped at --max-upload, then handed to trackd_publish on a thread of its
 * own while the connection is suspended, so that a slow publish never
 * stalls the other connections of the MHD worker that received it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static const char *lookup_header(void *cls, const char *name)
{
	struct trackd_req *req = cls;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static void *publish_thread(void *arg)
{
	struct trackd_req *req = arg;
	struct trackd_request tr = {
		.method = req->method,
		.path = "/publish",
		.peer = req->peer,
		.header = lookup_header,
		.cls = req,
		.body_fd = req->body_fd,
		.body_len = req->body_len,
	};

	memset(&req->reply, 0, sizeof req->reply);
	if (trackd_publish(req->srv->track, &tr, &req->reply) < 0) {
		free(req->reply.json);
		req->reply.json = NULL;
		req->reply.status = 0;
	}
	req->body = TRACKD_BODY_DONE;
	atomic_fetch_sub(&req->srv->publishes, 1);
	MHD_resume_connection(req->conn);
	return NULL;
}

static enum MHD_Result start_publish(struct trackd_req *req)
{
	pthread_attr_t attr;
	pthread_t t;
	int e;

	if (lseek(req->body_fd, 0, SEEK_SET) < 0)
		return trackd_reply_error(req, 500, "internal", "rewinding the upload failed");
	if (atomic_fetch_add(&req->srv->publishes, 1) >= TRACKD_PUBLISHES_MAX) {
		atomic_fetch_sub(&req->srv->publishes, 1);
		return trackd_reply_error(req, 503, "busy", "too many publishes in progress");
	}
	req->body = TRACKD_BODY_PUBLISHING;
	MHD_suspend_connection(req->conn);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &attr, publish_thread, req);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		atomic_fetch_sub(&req->srv->publishes, 1);
		req->body = TRACKD_BODY_DONE;
		req->reply.status = 0;
		MHD_resume_connection(req->conn);
	}
	return MHD_YES;
}

static enum MHD_Result send_reply(struct trackd_req *req)
{
	struct MHD_Response *r;
	size_t len = req->reply.len;

	if (req->reply.status < 100 || req->reply.status > 599 || !req->reply.json) {
		free(req->reply.json);
		req->reply.json = NULL;
		return trackd_reply_error(req, 500, "internal", "the publish made no reply");
	}
	r = MHD_create_response_from_buffer(len, req->reply.json, MHD_RESPMEM_MUST_FREE);
	if (!r)
		return MHD_NO;
	req->reply.json = NULL; /* MHD frees it */
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	return trackd_queue(req, req->reply.status, r, len);
}

/* First call, headers only: decide whether the body is wanted at all. */
static enum MHD_Result begin_body(struct trackd_req *req)
{
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Length");
	uint64_t max = req->srv->cfg->max_upload;
	char msg[128];
	int64_t n;

	/* A length up front lets an oversized upload be refused before any
	 * of it is read; a chunked body could only be cut mid-stream, with
	 * no reply the client could read. */
	if (!cl)
		return trackd_reply_error(req, 411, "length-required",
					  "a publish must have a Content-Length");
	if (nip_parse_i64(cl, 0, INT64_MAX, &n) < 0)
		return trackd_reply_error(req, 400, "bad-request", "Content-Length is not a number");
	if ((uint64_t)n > max) {
		snprintf(msg, sizeof msg, "the upload of %lld bytes exceeds the %llu-byte limit",
			 (long long)n, (unsigned long long)max);
		return trackd_reply_error(req, 413, "too-large", msg);
	}
	req->body_fd = open(req->srv->tmpdir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (req->body_fd < 0) {
		snprintf(msg, sizeof msg, "spooling the upload: %s", strerror(errno));
		return trackd_reply_error(req, 500, "internal", msg);
	}
	req->body = TRACKD_BODY_RECEIVING;
	return MHD_YES;
}

enum MHD_Result trackd_publish_request(struct trackd_req *req, const char *data, size_t *size)
{
	switch (req->body) {
	case TRACKD_BODY_NONE:
		return begin_body(req);
	case TRACKD_BODY_RECEIVING:
	case TRACKD_BODY_FAILED:
		if (*size == 0)
			break;
		if (req->body_len + *size > req->srv->cfg->max_upload)
			return MHD_NO; /* MHD holds the body to Content-Length */
		if (req->body == TRACKD_BODY_RECEIVING) {
			size_t off = 0;
			while (off < *size) {
				ssize_t w = write(req->body_fd, data + off, *size - off);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					/* Drain the rest (it is capped) so the
					 * client reads the refusal. */
					req->body_errno = errno;
					req->body = TRACKD_BODY_FAILED;
					break;
				}
				off += (size_t)w;
			}
		}
		req->body_len += *size;
		*size = 0;
		return MHD_YES;
	case TRACKD_BODY_PUBLISHING:
		return MHD_YES; /* not reached while suspended */
	case TRACKD_BODY_DONE:
		return send_reply(req);
	}
	/* The whole body is in. */
	if (req->body == TRACKD_BODY_FAILED) {
		char msg[128];
		snprintf(msg, sizeof msg, "spooling the upload: %s", strerror(req->body_errno));
		return trackd_reply_error(req, req->body_errno == ENOSPC ? 507 : 500,
					  req->body_errno == ENOSPC ? "disk-full" : "internal", msg);
	}
	return start_publish(req);
}

void trackd_body_release(struct trackd_req *req)
{
	if (req->body_fd >= 0)
		close(req->body_fd);
	req->body_fd = -1;
	free(req->reply.json);
	req->reply.json = NULL;
}
