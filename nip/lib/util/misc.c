/* Hex and integer helpers shared by every parser, and the JSON string
 * writer of every --json printer. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nip/util.h"

void nip_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Lower-case digits only, as nip writes them, each as its value + 1 (0:
 * not a digit); a table, because every manifest hash and store name goes
 * through here (7% of a transaction on a large system with branches). */
static const uint8_t hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int nip_unhex(const char *hex, uint8_t *out, size_t n)
{
	const unsigned char *h = (const unsigned char *)hex;
	for (size_t i = 0; i < n; i++) {
		uint8_t hi = hexval[h[2 * i]], lo;
		if (!hi)
			return -1;
		lo = hexval[h[2 * i + 1]];
		if (!lo)
			return -1;
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

int nip_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || (*s == '-' ? min >= 0 : !(*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

const char *nip_shorten(const char *s, char *buf, size_t n)
{
	size_t len = strlen(s), half;
	if (len < n)
		return s;
	half = (n - 4) / 2;
	memcpy(buf, s, half);
	memcpy(buf + half, "...", 3);
	memcpy(buf + half + 3, s + len - (n - 4 - half), n - 4 - half);
	buf[n - 1] = '\0';
	return buf;
}

int nip_utf8_seq(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
	unsigned c = p[0], min, v;
	int n;

	if ((c & 0xe0) == 0xc0)
		n = 2, min = 0x80, v = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 3, min = 0x800, v = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 4, min = 0x10000, v = c & 0x07;
	else
		return -1;
	if (end - p < n)
		return -1;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	return n;
}

void nip_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
