/* A map keyed by SHA-256 (package CIDs, tree hashes): open addressing on
 * the key's first bytes, which a hash spreads uniformly. */
#include <stdlib.h>
#include <string.h>

#include "txn_internal.h"

static size_t slot(const struct txn_hmap *m, const uint8_t key[NIP_SHA256_LEN])
{
	uint64_t h;
	size_t i;
	memcpy(&h, key, sizeof h);
	for (i = (size_t)h & (m->cap - 1); m->v[i].val && memcmp(m->v[i].key, key, NIP_SHA256_LEN) != 0;
	     i = (i + 1) & (m->cap - 1))
		;
	return i;
}

void *txn_hmap_get(const struct txn_hmap *m, const uint8_t key[NIP_SHA256_LEN])
{
	return m->cap ? m->v[slot(m, key)].val : NULL;
}

int txn_hmap_put(struct txn_hmap *m, const uint8_t key[NIP_SHA256_LEN], void *val)
{
	size_t i;
	if (2 * (m->n + 1) > m->cap) {
		struct txn_hmap b = {calloc(m->cap ? 2 * m->cap : 1024, sizeof *m->v), m->n,
				     m->cap ? 2 * m->cap : 1024};
		if (!b.v)
			return -1;
		for (size_t j = 0; j < m->cap; j++)
			if (m->v[j].val)
				b.v[slot(&b, m->v[j].key)] = m->v[j];
		free(m->v);
		*m = b;
	}
	i = slot(m, key);
	if (!m->v[i].val)
		m->n++;
	memcpy(m->v[i].key, key, NIP_SHA256_LEN);
	m->v[i].val = val;
	return 0;
}

void txn_hmap_free(struct txn_hmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; free_val && i < m->cap; i++)
		if (m->v[i].val)
			free_val(m->v[i].val);
	free(m->v);
	*m = (struct txn_hmap){0};
}
