/* What publish.c, tick.c, mirror.c and nonce.c share: the state behind
 * struct trackd_track (private to trackd's publish side). */
#ifndef TRACKD_PUBSIDE_H
#define TRACKD_PUBSIDE_H

#include <pthread.h>
#include <time.h>

#include "nip/track.h"
#include "trackd.h"

/* Nonces of accepted publish requests, kept while their time is inside the
 * window (DIR/.trackd/nonces, rewritten atomically on each use, so a
 * restart does not reopen replay). */
#define TRACKD_NONCES_MAX 65536u /* publishes accepted within one window */

struct trackd_nonce {
	int64_t time;
	uint8_t nonce[NIP_PUBREQ_NONCE_LEN];
};

struct trackd_nonces {
	struct trackd_nonce *v;
	size_t n;
	int dirfd; /* DIR/.trackd */
};

int trackd_nonces_load(struct trackd_nonces *s, int dirfd, struct nip_error *err);
/* 0: new, now recorded (durably); 1: seen within the window; -1: error
 * (NIP_E_BUSY when the store is full). */
int trackd_nonces_use(struct trackd_nonces *s, const struct nip_pubreq *r, time_t now,
		      struct nip_error *err);
void trackd_nonces_free(struct trackd_nonces *s);

struct trackd_track {
	int dirfd;      /* the track directory */
	int statefd;    /* DIR/.trackd: never served */
	int incomingfd; /* DIR/.trackd/incoming: packages of a request in progress */
	int have_online;
	struct nip_seckey online;
	/* One writer of the track at a time (publishes, re-signing, mirror
	 * refreshes); nip_track_publish also holds the track's flock, against
	 * another process. */
	pthread_mutex_t lock;
	struct trackd_nonces nonces;
	unsigned long seq; /* names a request's incoming directory */
	time_t next_resign;
	/* --mirror */
	char *mirror_url;
	struct nip_pubkey mirror_root;
	int mirrorfd; /* DIR/.trackd/mirror: the upstream's trusted state */
	unsigned mirror_interval;
	time_t next_mirror;
	struct nip_fetcher fetcher;
};

/* One refresh of the upstream and, when it verified, placement (mirror.c). */
int trackd_mirror_sync(struct trackd_track *t, struct nip_error *err);

#endif
