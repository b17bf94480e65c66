/* trackd's HTTP rules as pure functions: which request paths may be
 * served, how a Range header reads, what each file is sent with. No I/O,
 * so that tests/fuzz/fuzz_trackd_rules.c drives them with hostile bytes. */
#ifndef TRACKD_RULES_H
#define TRACKD_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest request path trackd looks at: track paths are short (a 64-hex
 * hash and a package name), and the cap bounds the log and error lines. */
#define TRACKD_PATH_MAX 1024
/* The sum of all request header lines trackd reads; past it, 431. Track
 * clients send a handful of short headers (nginx's default for one line is
 * 8 KiB too); MHD's own buffer is larger so that this limit, not MHD's,
 * answers first, with a JSON body. */
#define TRACKD_HEADERS_MAX 8192
/* A Range header longer than this is ignored as malformed. */
#define TRACKD_RANGE_MAX 128

/* Marker the URL decoder leaves for an escape it refuses (%2f, %5c, %00,
 * a broken %xx): a backslash, which trackd_path_check always refuses. */
#define TRACKD_BAD_ESCAPE '\\'

/* Percent-decodes s in place (MHD's unescape callback); returns the new
 * length. An escape that decodes to '/', '\\', NUL or is malformed becomes
 * TRACKD_BAD_ESCAPE so that it cannot pass for a path separator. */
size_t trackd_unescape(char *s);

enum trackd_path_verdict {
	TRACKD_PATH_OK,      /* *rel is a relative path to open beneath the track */
	TRACKD_PATH_BAD,     /* 400: "..", ".", empty segment, backslash, control byte */
	TRACKD_PATH_HIDDEN,  /* 404: a dot-file, or the root itself (no listings) */
	TRACKD_PATH_TOO_LONG /* 414 */
};

/* Checks a decoded request path ("/metadata/1.root.json"); on OK, *rel
 * points past the leading '/'. *why names the fault for the error body. */
enum trackd_path_verdict trackd_path_check(const char *path, const char **rel,
					   const char **why);

/* A single byte range, resolved against the file size. */
struct trackd_range {
	uint64_t first, last; /* inclusive */
};

enum trackd_range_verdict {
	TRACKD_RANGE_NONE,   /* absent, malformed or several ranges: send all (RFC 9110 14.2) */
	TRACKD_RANGE_OK,     /* 206 with *r */
	TRACKD_RANGE_UNSAT   /* 416 */
};

enum trackd_range_verdict trackd_range_parse(const char *h, uint64_t size,
					     struct trackd_range *r);

/* Content-Type and Cache-Control for a served path (relative, checked). */
const char *trackd_content_type(const char *rel);
const char *trackd_cache_control(const char *rel);

#define TRACKD_ETAG_MAX 80
/* A strong validator: the content hash when the name carries one
 * (targets/.../HASH.name), else inode, size and mtime. */
void trackd_etag(const char *rel, uint64_t ino, uint64_t size, int64_t mtime_sec,
		 long mtime_nsec, char out[TRACKD_ETAG_MAX]);
/* Whether an If-None-Match list names etag (weak comparison, RFC 9110 13.1.2). */
int trackd_etag_match(const char *if_none_match, const char *etag);

/* Broken-down UTC time, computed without gmtime_r, whose glibc version
 * takes the time-zone lock on every call of every serving thread. */
struct trackd_utc {
	int year, mon, mday, wday, hour, min, sec; /* mon 1..12, wday 0 = Sunday */
};
void trackd_utc(int64_t t, struct trackd_utc *u);

#define TRACKD_DATE_MAX 32
void trackd_http_date(int64_t t, char out[TRACKD_DATE_MAX]);

/* Appends s to out (size n, always terminated) as the inside of a JSON
 * string: quotes, backslashes and control bytes escaped, bytes that are
 * not UTF-8 replaced by U+FFFD. Returns the length written. */
size_t trackd_json_escape(const char *s, char *out, size_t n);

#endif
