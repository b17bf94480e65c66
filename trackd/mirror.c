/* --mirror: one verified refresh of the upstream into the served
 * directory (nip_track_mirror). A failure leaves the mirror serving its
 * last verified state; the error goes to the log through trackd_tick. */
#include "pubside.h"
#include "server.h"

int trackd_mirror_sync(struct trackd_track *t, struct nip_error *err)
{
	struct nip_track_mirror_opts o = {.dirfd = t->dirfd, .statefd = t->mirrorfd,
					  .url = t->mirror_url, .root_pub = &t->mirror_root,
					  .fetcher = &t->fetcher};
	struct nip_track_mirror_result res;
	if (nip_track_mirror(&o, &res, err) < 0)
		return -1;
	if (res.changed)
		trackd_log("info", "mirror: now serving timestamp version %lld of %s (%zu packages, %zu files fetched)",
			   (long long)res.timestamp_version, t->mirror_url, res.packages, res.fetched);
	return 0;
}
