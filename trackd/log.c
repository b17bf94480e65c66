/* trackd's log: one logfmt line per request and per event on stderr,
 * written with a single write(2) so that lines from the worker threads
 * never interleave and no lock is taken on the serving path. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

#define LINE_MAX_ 4096

/* "2026-11-26T04:20:00.123Z" */
static void iso_time(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);
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
	emit(line, snprintf(line, sizeof line,
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
