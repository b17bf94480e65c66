/* Helpers shared by the track unit tests. */
#ifndef NIP_TEST_TRACK_H
#define NIP_TEST_TRACK_H

#include <stdio.h>
#include <string.h>

#include "../unit.h"
#include "../../../nip/lib/track/internal.h"

/* err must be `code` and its message must contain `what`. */
#define CU_ASSERT_TERR(err, want_code, what)                            \
	do {                                                            \
		CU_ASSERT_EQUAL((err).code, want_code);                 \
		CU_ASSERT_PTR_NOT_NULL(strstr((err).msg, what));        \
		if ((err).code != (want_code) || !strstr((err).msg, what)) \
			fprintf(stderr, "\nmessage: %s\n", (err).msg);  \
	} while (0)

#endif
