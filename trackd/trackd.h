/* trackd: the track server. The HTTP side (main.c, serve.c, ...) owns
 * sockets, static files, logging and limits; publish.c and mirror.c own
 * what a publish and a mirror do to the track directory. This header is
 * the contract between the two: the HTTP side never writes the track, and
 * publish.c and mirror.c never touch a socket. */
#ifndef TRACKD_H
#define TRACKD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nip/crypto.h"
#include "nip/util.h"

struct trackd_config {
	const char *track_dir;     /* --track: the static directory served */
	const char *listen;        /* --listen HOST:PORT */
	const char *online_key;    /* --online-key: signs targets, snapshot, timestamp */
	const char *mirror_url;    /* --mirror URL: follow another track (no publishes) */
	const char *mirror_root;   /* --mirror-root ROOT.pub: pins the upstream root */
	unsigned mirror_interval;  /* --mirror-interval SECONDS between refreshes */
	const char *user;          /* --user NAME: drop to after binding */
	uint64_t max_upload;       /* --max-upload BYTES: one publish request's body */
	unsigned max_conn_per_peer;/* --max-conn-per-peer N */
	unsigned timeout;          /* --timeout SECONDS: header and body (slowloris) */
	unsigned threads;          /* --threads N: 0: one per CPU */
};

/* The state publish.c and mirror.c keep between requests; opaque to the
 * HTTP side. Made once at start, before the privilege drop, so keys and
 * directories are opened while still possible. */
struct trackd_track;

int trackd_track_open(const struct trackd_config *cfg, struct trackd_track **out,
		      struct nip_error *err);
void trackd_track_free(struct trackd_track *t);

/* A publish request as the HTTP side received it. The body has been
 * streamed into `body_fd` (an unlinked temporary file, offset 0), at most
 * cfg->max_upload bytes; an oversized body never reaches trackd_publish. */
struct trackd_request {
	const char *method;
	const char *path;            /* as sent, e.g. "/publish" */
	const char *peer;            /* "127.0.0.1:54321", for logs */
	/* Request header by name (case-insensitive); NULL when absent. */
	const char *(*header)(void *cls, const char *name);
	void *cls;
	int body_fd;
	uint64_t body_len;
};

/* The answer: an HTTP status and a JSON body (malloc'd; the HTTP side
 * frees it). Errors are {"error": CODE-NAME, "message": "..."}. */
struct trackd_reply {
	unsigned status;
	char *json;
	size_t len;
};

/* POST /publish. Verifies the request signature, the publisher's
 * authorisation and every package, then publishes them as one new
 * snapshot (timestamp.json last). Serialised with every other writer of
 * the track. Returns 0 with *reply filled in for every outcome it can
 * word (including refusals); -1 only when no reply could be made. */
int trackd_publish(struct trackd_track *t, const struct trackd_request *req,
		   struct trackd_reply *reply);

/* Called by the HTTP side about once a second from one thread: re-signs
 * the timestamp before it expires and, with --mirror, refreshes upstream
 * when its interval is due. Never blocks serving: it writes new files and
 * renames them in. */
int trackd_tick(struct trackd_track *t, struct nip_error *err);

#endif
