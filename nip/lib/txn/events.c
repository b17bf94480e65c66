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

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Exactly `n` digits (n > 0), or as many as there are (n == 0, at most
 * 18, no leading zero): the value, or -1. One spelling per number, so
 * that a record reads back as it was written. */
static long long digits(const char **p, int n)
{
	long long v = 0;
	int i = 0;

	if ((*p)[0] == '0' && n == 0 && (*p)[1] >= '0' && (*p)[1] <= '9')
		return -1;
	for (; (*p)[i] >= '0' && (*p)[i] <= '9' && (n ? i < n : i < 18); i++)
		v = v * 10 + ((*p)[i] - '0');
	if (i == 0 || (n && i != n) || ((*p)[i] >= '0' && (*p)[i] <= '9'))
		return -1;
	*p += i;
	return v;
}

int nip_cell_event_parse(char *line, struct nip_cell_event *out)
{
	const char *q;
	char *end;

	if (strncmp(line, "v1 ", 3) != 0)
		return -1;
	q = line + 3;
	if ((out->sec = digits(&q, 0)) < 0 || *q++ != '.' || (out->nsec = (long)digits(&q, 9)) < 0 ||
	    *q++ != ' ')
		return -1;
	out->event = line + (q - line);
	if (!(end = strchr(out->event, ' ')) || end == out->event)
		return -1;
	*end = '\0';
	out->subject = end + 1;
	if (!(end = strchr(out->subject, ' ')) || end == out->subject)
		return -1;
	*end = '\0';
	out->details = end + 1;
	return printable(out->event) && printable(out->subject) && printable(out->details) ? 0 : -1;
}
