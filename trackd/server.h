/* The HTTP side of trackd: what main.c, serve.c, body.c and log.c share.
 * Private to trackd; the publish side sees only trackd.h. */
#ifndef TRACKD_SERVER_H
#define TRACKD_SERVER_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "trackd.h"

/* Publishes waiting or running at once: each holds a thread and a
 * suspended connection; more are refused with 503. */
#define TRACKD_PUBLISHES_MAX 16
/* How long a stop waits for requests in flight before cutting them. */
#define TRACKD_GRACE_SECONDS 60
/* The part of a request path a log line or error message keeps. */
#define TRACKD_LOGPATH_MAX 512

struct trackd_logbuf;

struct trackd_server {
	const struct trackd_config *cfg;
	struct trackd_track *track;
	int dirfd;             /* the track directory, O_PATH */
	const char *tmpdir;    /* where publish bodies are spooled (O_TMPFILE) */
	atomic_int inflight;   /* requests begun and not yet completed */
	atomic_int publishes;  /* publish threads alive */
	pthread_mutex_t logs_mu;       /* guards the list, not the buffers */
	struct trackd_logbuf *logs;    /* one per serving thread (log.c) */
};

enum trackd_body_state {
	TRACKD_BODY_NONE,
	TRACKD_BODY_RECEIVING,
	TRACKD_BODY_FAILED,    /* a write failed: the body is drained, then refused */
	TRACKD_BODY_PUBLISHING,
	TRACKD_BODY_DONE
};

/* One request, from its URI line to its completion (MHD's con_cls). */
struct trackd_req {
	struct trackd_server *srv;
	struct MHD_Connection *conn;
	struct timespec start;            /* CLOCK_MONOTONIC */
	char peer[INET6_ADDRSTRLEN + 8];  /* "127.0.0.1:54321", "[::1]:54321" */
	char method[16];
	char path[TRACKD_LOGPATH_MAX];    /* as sent, before decoding */
	unsigned status;                  /* 0 until a response is queued */
	uint64_t bytes;                   /* body bytes of that response */
	int headers_checked;
	/* POST /publish */
	enum trackd_body_state body;
	int body_fd;
	int body_errno;
	uint64_t body_len;
	struct trackd_reply reply;
};

/* serve.c: MHD's callbacks. */
void *trackd_uri_begin(void *cls, const char *uri, struct MHD_Connection *conn);
enum MHD_Result trackd_handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls);
void trackd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe);
size_t trackd_unescape_cb(void *cls, struct MHD_Connection *conn, char *s);

/* Queues {"error": code, "message": msg} with status; records it in req. */
enum MHD_Result trackd_reply_error(struct trackd_req *req, unsigned status, const char *code,
				   const char *msg);
/* Queues a response, adding the headers every reply carries. */
enum MHD_Result trackd_queue(struct trackd_req *req, unsigned status, struct MHD_Response *r,
			     uint64_t bytes);

/* body.c: POST /publish. */
enum MHD_Result trackd_publish_request(struct trackd_req *req, const char *upload_data,
				       size_t *upload_data_size);
void trackd_body_release(struct trackd_req *req);

/* log.c: one line per event on stderr, logfmt. Request lines are
 * buffered per thread and written within about a second; flush_all writes
 * every buffer now (the ticker, each second; and at the stop). */
void trackd_log_request(const struct trackd_req *req, enum MHD_RequestTerminationCode toe);
void trackd_log_flush_all(struct trackd_server *srv);
void trackd_log_free_all(struct trackd_server *srv);
void trackd_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* listen.c: a listening socket for "HOST:PORT" or "[V6ADDR]:PORT",
 * bound before the privilege drop; *port gets the port bound (for :0). */
int trackd_listen(const char *spec, int *fd, char *addr, size_t addrlen, unsigned *port,
		  struct nip_error *err);

/* privdrop.c: become user `name` for good (groups, gid, uid), and prove
 * that root cannot be regained. */
int trackd_drop_to(const char *name, struct nip_error *err);

#endif
