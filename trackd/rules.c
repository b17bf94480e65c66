/* The request rules of trackd's HTTP side; see rules.h. */
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nip/util.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t trackd_unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
		if (hi < 0 || lo < 0) {
			/* Not an escape: a lone '%' must not turn into anything
			 * the path rules would read differently. */
			*w++ = TRACKD_BAD_ESCAPE;
			if (hi >= 0)
				r++;
			continue;
		}
		char c = (char)(hi << 4 | lo);
		/* An encoded separator or NUL would let one segment pose as
		 * two, or cut the path short where the log shows more. */
		*w++ = (c == '/' || c == '\\' || c == '\0') ? TRACKD_BAD_ESCAPE : c;
		r += 2;
	}
	*w = '\0';
	return (size_t)(w - s);
}

enum trackd_path_verdict trackd_path_check(const char *path, const char **rel,
					   const char **why)
{
	enum trackd_path_verdict v = TRACKD_PATH_OK;
	size_t len = strnlen(path, TRACKD_PATH_MAX + 1);

	if (len > TRACKD_PATH_MAX) {
		*why = "the path is too long";
		return TRACKD_PATH_TOO_LONG;
	}
	if (path[0] != '/') {
		*why = "the path does not start with '/'";
		return TRACKD_PATH_BAD;
	}
	for (const char *seg = path + 1;; ) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);

		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)seg[i];
			if (c == '\\') {
				*why = "the path has a backslash or an encoded '/', '\\' or NUL";
				return TRACKD_PATH_BAD;
			}
			if (c < 0x20 || c == 0x7f) {
				*why = "the path has a control character";
				return TRACKD_PATH_BAD;
			}
		}
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			*why = "the path has a '.' or '..' segment";
			return TRACKD_PATH_BAD;
		}
		if (n == 0 && end) {
			*why = "the path has an empty segment";
			return TRACKD_PATH_BAD;
		}
		if (n == 0 && v == TRACKD_PATH_OK) {
			/* "/" or "dir/": what a listing would answer. */
			*why = "directory listings are not served";
			v = TRACKD_PATH_HIDDEN;
		} else if (n > 0 && seg[0] == '.' && v == TRACKD_PATH_OK) {
			/* .trackd/ holds the server's own state (nonces, locks). */
			*why = "dot-files are not served";
			v = TRACKD_PATH_HIDDEN;
		}
		if (!end)
			break;
		seg = end + 1;
	}
	*rel = path + 1;
	return v;
}

/* A decimal of at most 19 digits (fits in uint64_t); returns the end or NULL. */
static const char *parse_u64(const char *p, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		if (++n > 19)
			return NULL;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (n == 0)
		return NULL;
	*out = v;
	return p;
}

enum trackd_range_verdict trackd_range_parse(const char *h, uint64_t size,
					     struct trackd_range *r)
{
	uint64_t a, b;
	const char *p;

	if (!h || strnlen(h, TRACKD_RANGE_MAX + 1) > TRACKD_RANGE_MAX ||
	    strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return TRACKD_RANGE_NONE;
	p = h + 6;
	if (*p == '-') {
		if (!(p = parse_u64(p + 1, &b)) || *p)
			return TRACKD_RANGE_NONE;
		if (b == 0 || size == 0)
			return TRACKD_RANGE_UNSAT;
		r->first = b >= size ? 0 : size - b;
		r->last = size - 1;
		return TRACKD_RANGE_OK;
	}
	if (!(p = parse_u64(p, &a)) || *p++ != '-')
		return TRACKD_RANGE_NONE;
	if (*p == '\0') {
		b = UINT64_MAX;
	} else if (!(p = parse_u64(p, &b)) || *p || b < a) {
		return TRACKD_RANGE_NONE;
	}
	if (a >= size)
		return TRACKD_RANGE_UNSAT;
	r->first = a;
	r->last = b >= size ? size - 1 : b;
	return TRACKD_RANGE_OK;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

const char *trackd_content_type(const char *rel)
{
	if (ends_with(rel, ".json"))
		return "application/json";
	if (ends_with(rel, ".zst"))
		return "application/zstd";
	return "application/octet-stream";
}

/* The hash a content-addressed target's name starts with
 * (targets/pkgs/HASH.NAME-...), or NULL. */
static const char *target_hash(const char *rel)
{
	const char *base;

	if (strncmp(rel, "targets/", 8) != 0)
		return NULL;
	base = strrchr(rel, '/') + 1;
	for (int i = 0; i < 64; i++)
		if (!((base[i] >= '0' && base[i] <= '9') || (base[i] >= 'a' && base[i] <= 'f')))
			return NULL;
	return base[64] == '.' ? base : NULL;
}

/* metadata/N.ROLE.json: a consistent-snapshot version, never rewritten. */
static int versioned_metadata(const char *rel)
{
	const char *p = rel + 9;

	if (strncmp(rel, "metadata/", 9) != 0 || !(*p >= '1' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '.' && !strchr(p, '/') && ends_with(p, ".json");
}

const char *trackd_cache_control(const char *rel)
{
	/* Once published, a versioned or hashed file never changes: caches
	 * may keep it for a year. Everything else (timestamp.json,
	 * root.json, anything unknown) changes in place, so a cache must
	 * revalidate it (a cheap 304 on the ETag). */
	if (versioned_metadata(rel) || target_hash(rel))
		return "public, max-age=31536000, immutable";
	return "no-cache";
}

void trackd_etag(const char *rel, uint64_t ino, uint64_t size, int64_t mtime_sec,
		 long mtime_nsec, char out[TRACKD_ETAG_MAX])
{
	const char *h = target_hash(rel);

	if (h)
		snprintf(out, TRACKD_ETAG_MAX, "\"%.64s\"", h);
	else
		snprintf(out, TRACKD_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 ".%lx\"", ino,
			 size, (uint64_t)mtime_sec, (unsigned long)mtime_nsec);
}

int trackd_etag_match(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = inm;

	while (*p) {
		const char *e;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return 0; /* malformed: no match, serve the file */
		e = strchr(p + 1, '"');
		if (!e)
			return 0;
		if ((size_t)(e + 1 - p) == elen && memcmp(p, etag, elen) == 0)
			return 1;
		p = e + 1;
	}
	return 0;
}

void trackd_utc(int64_t t, struct trackd_utc *u)
{
	int64_t days = t / 86400, secs = t % 86400;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	u->hour = (int)(secs / 3600);
	u->min = (int)(secs / 60 % 60);
	u->sec = (int)(secs % 60);
	u->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	/* Days to a civil date in the proleptic Gregorian calendar, counted
	 * in 400-year eras that start on 1 March, so the leap day is last. */
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	u->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	u->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	u->year = (int)(yoe + era * 400 + (u->mon <= 2));
}

void trackd_http_date(int64_t t, char out[TRACKD_DATE_MAX])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct trackd_utc u;

	trackd_utc(t, &u);
	if (u.year < 0 || u.year > 9999) {
		out[0] = '\0';
		return;
	}
	/* Written by hand: strftime's names follow the locale. */
	snprintf(out, TRACKD_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[u.wday],
		 u.mday, months[u.mon - 1], u.year, u.hour, u.min, u.sec);
}

size_t trackd_json_escape(const char *s, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t w = 0;

	if (n == 0)
		return 0;
	while (p < end) {
		char tmp[8];
		const char *put = tmp;
		size_t len;
		unsigned cp;
		int sl;

		if (*p == '"' || *p == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)*p++;
			len = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			len = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			put = (const char *)p++;
			len = 1;
		} else if ((sl = nip_utf8_seq(p, end, &cp)) > 0) {
			put = (const char *)p;
			len = (size_t)sl;
			p += sl;
		} else {
			put = "\xef\xbf\xbd";
			len = 3;
			p++;
		}
		if (w + len >= n)
			break;
		memcpy(out + w, put, len);
		w += len;
	}
	out[w] = '\0';
	return w;
}
