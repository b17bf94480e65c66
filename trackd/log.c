/* trackd's log: one logfmt line per request and per event on stderr.
 * Each serving thread gathers its request lines in a buffer of its own and
 * writes whole lines with one write(2) when it fills or a second has
 * passed (as nginx's `access_log ... buffer=`): a write per request would
 * be a system call per request, and one shared buffer a lock that every
 * thread waits on. Lines never interleave; each buffer's lock is taken by
 * its own thread and, once a second, by the ticker. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rules.h"
#include "server.h"

#define LINE_MAX_ 4096
/* A thread's buffered request lines: some hundred lines. */
#define LOGBUF_SIZE 32768
/* Longest a request line waits in a busy thread's buffer. */
#define LOGBUF_MAX_AGE_MS 1000

struct trackd_logbuf {
	pthread_mutex_t mu;
	struct trackd_logbuf *next;
	int64_t flushed_ms; /* CLOCK_MONOTONIC */
	size_t len;
	char data[LOGBUF_SIZE];
};

/* The calling thread's buffer: a cache of its entry in srv->logs. */
static _Thread_local struct trackd_logbuf *thread_buf;

/* "2026-11-26T04:20:00.123Z" */
static void iso_time(char *out, size_t n)
{
	struct timespec ts;
	struct trackd_utc u;

	clock_gettime(CLOCK_REALTIME, &ts);
	trackd_utc(ts.tv_sec, &u);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", u.year, u.mon, u.mday, u.hour,
		 u.min, u.sec, (long)(ts.tv_nsec / 1000000) % 1000);
}

/* A logfmt value: bare when it is plain, else quoted with '"', '\\' and
 * bytes outside printable ASCII escaped, so that a hostile path can
 * neither forge a field nor start a new line. */
static void logfmt_value(const char *s, char *out, size_t n)
{
	size_t w = 0;
	int plain = *s != '\0';

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' || *p == '\\')
			plain = 0;
	if (plain) {
		snprintf(out, n, "%s", s);
		return;
	}
	if (n < 3) {
		out[0] = '\0';
		return;
	}
	out[w++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && w + 5 < n; p++) {
		if (*p == '"' || *p == '\\') {
			out[w++] = '\\';
			out[w++] = (char)*p;
		} else if (*p < ' ' || *p >= 0x7f) {
			w += (size_t)snprintf(out + w, n - w, "\\x%02x", *p);
		} else {
			out[w++] = (char)*p;
		}
	}
	out[w++] = '"';
	out[w] = '\0';
}

static void emit(char *line, int len)
{
	if (len <= 0)
		return;
	if (len >= LINE_MAX_) {
		len = LINE_MAX_ - 1;
		line[len - 1] = '\n'; /* cut, but still one line */
	}
	/* Best effort: a full disk must not stop the serving. */
	ssize_t w = write(STDERR_FILENO, line, (size_t)len);
	(void)w;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Caller holds b->mu. */
static void flush_locked(struct trackd_logbuf *b, int64_t now)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t w = write(STDERR_FILENO, b->data + off, b->len - off);
		if (w <= 0)
			break; /* best effort: a full disk must not stop the serving */
		off += (size_t)w;
	}
	b->len = 0;
	b->flushed_ms = now;
}

static struct trackd_logbuf *my_buffer(struct trackd_server *srv)
{
	struct trackd_logbuf *b = thread_buf;

	if (b)
		return b;
	b = malloc(sizeof *b);
	if (!b)
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	b->len = 0;
	b->flushed_ms = now_ms();
	pthread_mutex_lock(&srv->logs_mu);
	b->next = srv->logs;
	srv->logs = b;
	pthread_mutex_unlock(&srv->logs_mu);
	thread_buf = b;
	return b;
}

static void buffer_line(struct trackd_server *srv, char *line, int len)
{
	struct trackd_logbuf *b;
	int64_t now;

	if (len <= 0)
		return;
	if (len >= LINE_MAX_) {
		len = LINE_MAX_ - 1;
		line[len - 1] = '\n';
	}
	b = my_buffer(srv);
	if (!b) {
		emit(line, len);
		return;
	}
	now = now_ms();
	pthread_mutex_lock(&b->mu);
	if (b->len + (size_t)len > sizeof b->data)
		flush_locked(b, now);
	memcpy(b->data + b->len, line, (size_t)len);
	b->len += (size_t)len;
	if (now - b->flushed_ms >= LOGBUF_MAX_AGE_MS)
		flush_locked(b, now);
	pthread_mutex_unlock(&b->mu);
}

void trackd_log_flush_all(struct trackd_server *srv)
{
	int64_t now = now_ms();

	pthread_mutex_lock(&srv->logs_mu);
	for (struct trackd_logbuf *b = srv->logs; b; b = b->next) {
		pthread_mutex_lock(&b->mu);
		if (b->len)
			flush_locked(b, now);
		pthread_mutex_unlock(&b->mu);
	}
	pthread_mutex_unlock(&srv->logs_mu);
}

/* After every serving thread is gone. */
void trackd_log_free_all(struct trackd_server *srv)
{
	trackd_log_flush_all(srv);
	while (srv->logs) {
		struct trackd_logbuf *b = srv->logs;
		srv->logs = b->next;
		pthread_mutex_destroy(&b->mu);
		free(b);
	}
}

static const char *toe_name(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return "ok";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutdown";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "client-abort";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
		return "read-error";
	default:
		return "error";
	}
}

void trackd_log_request(const struct trackd_req *req, enum MHD_RequestTerminationCode toe)
{
	char line[LINE_MAX_], t[64], path[TRACKD_LOGPATH_MAX * 4 + 3], method[64], status[16];
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - req->start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - req->start.tv_nsec) / 1e6;
	iso_time(t, sizeof t);
	logfmt_value(req->path, path, sizeof path);
	logfmt_value(req->method[0] ? req->method : "-", method, sizeof method);
	/* A request MHD refused itself (e.g. headers past its buffer) never
	 * reached trackd: its status is not known here. */
	if (req->status)
		snprintf(status, sizeof status, "%u", req->status);
	else
		snprintf(status, sizeof status, "-");
	buffer_line(req->srv, line,
		    snprintf(line, sizeof line,
			     "time=%s peer=%s method=%s path=%s status=%s bytes=%llu ms=%.3f end=%s\n",
			     t, req->peer, method, path, status, (unsigned long long)req->bytes, ms,
			     toe_name(toe)));
}

void trackd_log(const char *level, const char *fmt, ...)
{
	char line[LINE_MAX_], msg[LINE_MAX_ / 2], q[LINE_MAX_], t[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	iso_time(t, sizeof t);
	logfmt_value(msg, q, sizeof q);
	emit(line, snprintf(line, sizeof line, "time=%s level=%s msg=%s\n", t, level, q));
}
