/* Fuzzes relation parsing and version ordering. The input is one string:
 * parsed as each relation kind, a relation that parses must format to a
 * fixed point; split at newlines, up to three versions must compare
 * antisymmetrically and transitively. Any broken property aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nip/limits.h"
#include "nip/package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Formats rel into a fresh NUL-terminated string, or NULL. */
static char *format(const struct nip_relation *rel)
{
	struct nip_buf b;
	struct nip_error err;

	nip_buf_init(&b, NIP_RELATION_LEN_MAX, "relation");
	if (nip_relation_format(rel, &b, &err) < 0) {
		nip_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static void check_relation(const char *s, enum nip_rel_kind kind)
{
	struct nip_relation rel, again;
	struct nip_error err;
	char *f1, *f2;

	if (nip_relation_parse(s, kind, &rel, &err) < 0) {
		if (err.code != NIP_E_FORMAT && err.code != NIP_E_LIMIT)
			abort();
		return;
	}
	f1 = format(&rel);
	nip_relation_free(&rel);
	if (!f1)
		abort();
	/* The canonical form of a relation is itself a relation of that kind,
	 * within the same cap, and formats to itself. */
	if (nip_relation_parse(f1, kind, &again, &err) < 0)
		abort();
	f2 = format(&again);
	if (!f2 || strcmp(f1, f2) != 0)
		abort();
	nip_relation_free(&again);
	free(f1);
	free(f2);
}

static void check_versions(char *s)
{
	char *v[3] = {s, NULL, NULL};
	int valid[3];
	size_t n = 1;

	for (char *p = s; n < 3 && (p = strchr(p, '\n')); n++) {
		*p++ = '\0';
		v[n] = p;
	}
	for (size_t i = 0; i < n; i++) {
		valid[i] = nip_version_valid(v[i], strlen(v[i]));
		/* The order is total on any string, valid or not. */
		if (nip_version_cmp(v[i], v[i]) != 0)
			abort();
	}
	if (n < 2)
		return;
	if (valid[0] && valid[1] &&
	    sign(nip_version_cmp(v[0], v[1])) != -sign(nip_version_cmp(v[1], v[0])))
		abort();
	if (n == 3 && valid[0] && valid[1] && valid[2] && nip_version_cmp(v[0], v[1]) <= 0 &&
	    nip_version_cmp(v[1], v[2]) <= 0 && nip_version_cmp(v[0], v[2]) > 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int k = 0; k < NIP_REL_COUNT; k++)
		check_relation(s, (enum nip_rel_kind)k);
	check_versions(s);
	free(s);
	return 0;
}
