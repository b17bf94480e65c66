/* The cell-event journal: ROOT/cells/.events (no cell can be named with a
 * leading dot). `nip run` records a cell's start and its violations here
 * with one append (no SQLite, no key, no hash: nip's small front end links
 * none of them); the next nip that opens the root folds the records into
 * ProvChain (nip_cell_log_fold), where they are signed and chained. One
 * record a line, written by one write(2) under an exclusive flock so that
 * the fold never reads half of one:
 *
 *   v1 SECONDS.NANOSECONDS EVENT SUBJECT DETAILS
 *
 * EVENT and SUBJECT hold no space; DETAILS runs to the end of the line.
 * Control bytes are written as '?'. The file is the root owner's (0600),
 * as nip.db is: it is trusted as much, and parsed strictly anyway. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "nip/txn.h"

/* Copies s into out (at most n - 1 bytes), control bytes (and, in a
 * field, spaces) as '?'. */
static size_t clean(char *out, size_t n, const char *s, int field)
{
	size_t i = 0;

	for (; *s && i + 1 < n; s++, i++) {
		unsigned char c = (unsigned char)*s;
		out[i] = c < 0x20 || c == 0x7f || (field && c == ' ') ? '?' : (char)c;
	}
	out[i] = '\0';
	return i;
}

int nip_cell_event_append(int rootfd, const char *event, const char *subject, const char *details,
			  struct nip_error *err)
{
	char line[NIP_CELL_EVENT_MAX], ev[64], sub[256], det[NIP_CELL_EVENT_MAX - 400];
	struct timespec ts;
	int fd, n, rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!clean(ev, sizeof ev, event, 1) || !clean(sub, sizeof sub, subject, 1))
		return nip_err(err, NIP_E_INTERNAL, "a cell event needs an event and a subject");
	clean(det, sizeof det, details, 0);
	n = snprintf(line, sizeof line, "v1 %lld.%09ld %s %s %s\n", (long long)ts.tv_sec, ts.tv_nsec, ev,
		     sub, det);
	if (n < 0 || (size_t)n >= sizeof line)
		return nip_err(err, NIP_E_INTERNAL, "a cell event too long");
	fd = openat(rootfd, NIP_CELL_EVENTS, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", NIP_CELL_EVENTS);
	/* Not synced: a cell's start is not a state change (issue 6). */
	if (flock(fd, LOCK_EX) < 0 || write(fd, line, (size_t)n) != n)
		rc = nip_err_sys(err, NIP_E_IO, errno, "%s", NIP_CELL_EVENTS);
	close(fd);
	return rc;
}

int nip_cell_event_parse(char *line, struct nip_cell_event *out)
{
	char *p = line, *end, *dot;

	if (strncmp(p, "v1 ", 3) != 0)
		return -1;
	p += 3;
	errno = 0;
	out->sec = strtoll(p, &dot, 10);
	if (errno || dot == p || *dot != '.' || out->sec < 0)
		return -1;
	out->nsec = strtol(dot + 1, &end, 10);
	if (errno || end != dot + 10 || *end != ' ' || out->nsec < 0 || out->nsec > 999999999)
		return -1;
	out->event = end + 1;
	if (!(end = strchr(out->event, ' ')) || end == out->event)
		return -1;
	*end = '\0';
	out->subject = end + 1;
	if (!(end = strchr(out->subject, ' ')) || end == out->subject)
		return -1;
	*end = '\0';
	out->details = end + 1;
	for (p = out->details; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	return 0;
}
