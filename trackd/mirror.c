/* --mirror: one verified refresh of the upstream into the served
 * directory (nip_track_mirror). A failure leaves the mirror serving its
 * last verified state; the error goes to the log through trackd_tick. */
#include "pubside.h"

int trackd_mirror_sync(struct trackd_track *t, struct nip_error *err)
{
	struct nip_track_mirror_opts o = {.dirfd = t->dirfd, .statefd = t->mirrorfd,
					  .url = t->mirror_url, .root_pub = &t->mirror_root,
					  .fetcher = &t->fetcher};
	struct nip_track_mirror_result res;
	return nip_track_mirror(&o, &res, err);
}
