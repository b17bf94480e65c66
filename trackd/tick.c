/* Once a second from the HTTP side: the online key's duties (re-sign the
 * timestamp and snapshot before they expire; checked each minute) and,
 * for a mirror, a refresh of the upstream each interval. Both take the
 * track's lock, as a publish does. */
#include <time.h>

#include "pubside.h"
#include "server.h"

#define RESIGN_CHECK 60 /* seconds between looks at the expiries */

int trackd_tick(struct trackd_track *t, struct nip_error *err)
{
	time_t now = time(NULL);
	int rc = 0;

	if (t->have_online && now >= t->next_resign) {
		int did;
		t->next_resign = now + RESIGN_CHECK;
		pthread_mutex_lock(&t->lock);
		rc = nip_track_resign(t->dirfd, &t->online, now, &did, err);
		pthread_mutex_unlock(&t->lock);
		if (rc < 0)
			return nip_err_prefix(err, "re-signing: ");
		if (did)
			trackd_log("info", "re-signed the timestamp%s before it expires",
				   did == 2 ? " and the snapshot" : "");
	}
	if (t->mirror_url && now >= t->next_mirror) {
		t->next_mirror = now + t->mirror_interval;
		pthread_mutex_lock(&t->lock);
		rc = trackd_mirror_sync(t, err);
		pthread_mutex_unlock(&t->lock);
	}
	return rc;
}
