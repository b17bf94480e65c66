/* Fuzzes trackd's request rules (trackd/rules.c): the input, cut at the
 * first newline, is a raw request path and a Range header. The path is
 * decoded and checked; one that passes must name no '.', '..' or empty
 * segment, no backslash, no control byte. A range that parses must lie
 * within the file. The JSON escaper must stay in its buffer and leave no
 * raw quote or control byte. The first 8 bytes, as a time, must convert to
 * the date gmtime_r gives. Any broken property aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* trackd is not in libnip: its pure rules are compiled in here. */
#include "../../trackd/rules.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *rel)
{
	const char *seg = rel;

	for (;;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.') ||
		    seg[0] == '.')
			abort();
		for (size_t i = 0; i < n; i++)
			if (seg[i] == '\\' || (unsigned char)seg[i] < 0x20 || seg[i] == 0x7f)
				abort();
		if (!end)
			break;
		seg = end + 1;
	}
	if (!trackd_content_type(rel) || !trackd_cache_control(rel))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *nl, *range, esc[64], etag[TRACKD_ETAG_MAX];
	const char *rel = NULL, *why = NULL;
	struct trackd_range r;

	if (size > 8192)
		return 0;
	if (size >= 8) {
		int64_t t;
		struct tm tm;
		struct trackd_utc u;
		memcpy(&t, data, 8);
		t %= 253402300800LL; /* years 0..9999, either side of 1970 */
		time_t tt = (time_t)t;
		trackd_utc(t, &u);
		if (gmtime_r(&tt, &tm) &&
		    (u.year != tm.tm_year + 1900 || u.mon != tm.tm_mon + 1 || u.mday != tm.tm_mday ||
		     u.wday != tm.tm_wday || u.hour != tm.tm_hour || u.min != tm.tm_min ||
		     u.sec != tm.tm_sec))
			abort();
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	range = nl ? nl + 1 : s;
	if (nl)
		*nl = '\0';

	size_t before = strlen(s);
	if (trackd_unescape(s) > before || strlen(s) > before)
		abort();
	if (trackd_path_check(s, &rel, &why) == TRACKD_PATH_OK) {
		if (rel != s + 1)
			abort();
		check_path(rel);
		trackd_etag(rel, 1, 2, 3, 4, etag);
		if (etag[0] != '"' || etag[strlen(etag) - 1] != '"')
			abort();
	} else if (!why) {
		abort();
	}

	for (uint64_t fsize = 0; fsize < 3000; fsize += 997) {
		switch (trackd_range_parse(range, fsize, &r)) {
		case TRACKD_RANGE_OK:
			if (r.first > r.last || r.last >= fsize)
				abort();
			break;
		case TRACKD_RANGE_UNSAT:
		case TRACKD_RANGE_NONE:
			break;
		}
	}
	(void)trackd_etag_match(range, "\"abc\"");

	size_t n = trackd_json_escape(range, esc, sizeof esc);
	if (n >= sizeof esc || strlen(esc) != n)
		abort();
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)esc[i] < 0x20)
			abort();
		if (esc[i] == '"' && (i == 0 || esc[i - 1] != '\\'))
			abort();
	}
	free(s);
	return 0;
}
