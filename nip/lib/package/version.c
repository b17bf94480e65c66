/* Versions: [EPOCH:]UPSTREAM[-RELEASE], validated strictly and ordered
 * exactly as dpkg orders them, so that a Debian packager's intuition (and
 * `dpkg --compare-versions`) predicts what nip will pick. */
#include <stdint.h>
#include <string.h>

#include "nip/limits.h"
#include "nip/package.h"

/* Locale-independent classes: a version's meaning must not depend on the
 * LC_CTYPE of whoever compares it. */
static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_vchar(unsigned char c)
{
	return is_digit(c) || is_alpha(c) || c == '.' || c == '+' || c == '~';
}

static int all_vchars(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!is_vchar((unsigned char)*p))
			return 0;
	return 1;
}

/* The epoch must be canonical (no leading zeros, so "01:1" and "1:1" cannot
 * be two spellings of one version) and fit an int32, as dpkg requires. */
static int epoch_valid(const char *p, size_t n)
{
	static const char int32_max[] = "2147483647";

	if (n == 0 || (n > 1 && p[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)p[i]))
			return 0;
	if (n != sizeof int32_max - 1)
		return n < sizeof int32_max - 1;
	return memcmp(p, int32_max, n) <= 0;
}

int nip_version_valid(const char *s, size_t len)
{
	const char *end = s + len, *up, *colon, *dash;

	if (!s || len == 0 || len > NIP_VERSION_MAX || memchr(s, '\0', len))
		return 0;
	up = s;
	colon = memchr(s, ':', len);
	if (colon) {
		if (!epoch_valid(s, (size_t)(colon - s)))
			return 0;
		up = colon + 1;
	}
	/* The release starts after the last '-', so upstream may hold '-'
	 * only when a release follows (as in Debian policy). */
	dash = memrchr(up, '-', (size_t)(end - up));
	if (dash) {
		if (dash + 1 == end || !all_vchars(dash + 1, end))
			return 0;
		end = dash;
	}
	if (up == end || !is_digit((unsigned char)*up))
		return 0;
	for (const char *p = up; p < end; p++)
		if (!is_vchar((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

/* A run of bytes [p, end). */
struct span {
	const char *p, *end;
};

/* Weight of one byte in a non-digit run: '~' below the end of the string,
 * the end (and a digit, which ends the run) next, then letters, then all
 * else. Bytes as unsigned so that high bytes in invalid input still give a
 * total order. */
static int weight(const char *p, const char *end)
{
	unsigned char c;

	if (p == end)
		return 0;
	c = (unsigned char)*p;
	if (is_digit(c))
		return 0;
	if (c == '~')
		return -1;
	if (is_alpha(c))
		return c;
	return c + 256;
}

/* Numeric comparison of two digit runs of any length: no conversion, so a
 * 40-digit run cannot overflow. Leading zeros do not count. */
static int digits_cmp(struct span *a, struct span *b)
{
	const char *da, *db;
	size_t na, nb;
	int r;

	while (a->p < a->end && *a->p == '0')
		a->p++;
	while (b->p < b->end && *b->p == '0')
		b->p++;
	da = a->p;
	db = b->p;
	while (a->p < a->end && is_digit((unsigned char)*a->p))
		a->p++;
	while (b->p < b->end && is_digit((unsigned char)*b->p))
		b->p++;
	na = (size_t)(a->p - da);
	nb = (size_t)(b->p - db);
	if (na != nb)
		return na < nb ? -1 : 1;
	r = memcmp(da, db, na);
	return (r > 0) - (r < 0);
}

/* dpkg's ordering of one part (upstream or release): alternate non-digit
 * runs, compared byte by byte by weight, and digit runs, compared as
 * numbers, until both sides are used up. */
static int part_cmp(struct span a, struct span b)
{
	while (a.p < a.end || b.p < b.end) {
		int r;

		while ((a.p < a.end && !is_digit((unsigned char)*a.p)) ||
		       (b.p < b.end && !is_digit((unsigned char)*b.p))) {
			int wa = weight(a.p, a.end), wb = weight(b.p, b.end);

			if (wa != wb)
				return wa < wb ? -1 : 1;
			/* Equal weights are never both "end": the loop
			 * condition says one side has a non-digit, so both do. */
			a.p++;
			b.p++;
		}
		r = digits_cmp(&a, &b);
		if (r)
			return r;
	}
	return 0;
}

/* Splits any string, valid or not, the same deterministic way so that the
 * order stays total on garbage too: an all-digit prefix before the first ':'
 * is the epoch (else the epoch is 0), the release follows the last '-'. */
static void split(const char *s, struct span *epoch, struct span *up, struct span *rel)
{
	static const char zero[] = "0";
	const char *end = s + strlen(s), *colon = strchr(s, ':'), *dash;
	const char *p = s;

	epoch->p = zero;
	epoch->end = zero + 1;
	if (colon && colon > s) {
		while (p < colon && is_digit((unsigned char)*p))
			p++;
		if (p == colon) {
			epoch->p = s;
			epoch->end = colon;
			s = colon + 1;
		}
	}
	dash = memrchr(s, '-', (size_t)(end - s));
	up->p = s;
	up->end = dash ? dash : end;
	/* No release compares as an empty one, which dpkg treats like "0". */
	rel->p = dash ? dash + 1 : end;
	rel->end = end;
}

int nip_version_cmp(const char *a, const char *b)
{
	struct span ea, ua, ra, eb, ub, rb;
	int r;

	split(a, &ea, &ua, &ra);
	split(b, &eb, &ub, &rb);
	r = digits_cmp(&ea, &eb);
	if (r)
		return r;
	r = part_cmp(ua, ub);
	if (r)
		return r;
	return part_cmp(ra, rb);
}
