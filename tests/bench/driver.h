/* What the benchmark drivers over libnip share: the time, a median's
 * sort, and a file list kept in archive order. */
#ifndef NIP_BENCH_DRIVER_H
#define NIP_BENCH_DRIVER_H

#include <stdlib.h>
#include <time.h>

#include "nip/package.h"

static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* qsort order of a nip_file list: archive order. */
static inline int cmp(const void *a, const void *b)
{
	return nip_path_cmp(((const struct nip_file *)a)->path, ((const struct nip_file *)b)->path);
}

#endif
