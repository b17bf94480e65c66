/* The publish side of a trackd that accepts no publishes: it serves its
 * track directory as it is. Replaced by publish.c, tick.c and track.c. */
#include <stdlib.h>
#include <string.h>

#include "trackd.h"

struct trackd_track {
	int unused;
};

int trackd_track_open(const struct trackd_config *cfg, struct trackd_track **out,
		      struct nip_error *err)
{
	struct trackd_track *t = calloc(1, sizeof *t);

	if (!t)
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	*out = t;
	return 0;
}

void trackd_track_free(struct trackd_track *t)
{
	free(t);
}

int trackd_publish(struct trackd_track *t, const struct trackd_request *req,
		   struct trackd_reply *reply)
{
	static const char body[] =
		"{\"error\":\"usage\",\"message\":\"this trackd accepts no publishes\"}\n";

	reply->json = strdup(body);
	if (!reply->json)
		return -1;
	reply->len = sizeof body - 1;
	reply->status = 405;
	return 0;
}

int trackd_tick(struct trackd_track *t, struct nip_error *err)
{
	return 0;
}
