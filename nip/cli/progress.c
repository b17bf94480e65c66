/* What an install or fetch by name is doing: a progress bar on stderr
 * when a person is watching (stdout and stderr both terminals, no -q, no
 * NO_COLOR), one JSON object a line on stdout under --json (documented in
 * doc/nip-json.7), else nothing. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "nip/crypto.h"
#include "nip/solve.h"
#include "nip/track.h"
#include "nip/txn.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "name":"…","version":"…","track":"…" of a pick. */
static void json_pick(const struct nip_pick *p)
{
	printf("\"track\":");
	nip_json_str(stdout, p->track);
	printf(",\"name\":");
	nip_json_str(stdout, p->name);
	printf(",\"version\":");
	nip_json_str(stdout, p->version);
}

static void json_fetch(const struct nip_txn_event *ev)
{
	const struct nip_download_event *d = ev->dl;
	char cid[NIP_CID_STRLEN];

	switch (d->kind) {
	case NIP_DL_START:
		printf("{\"event\":\"fetch-start\",");
		json_pick(ev->pick);
		printf(",\"target\":");
		nip_json_str(stdout, d->job->path);
		printf(",\"url\":");
		nip_json_str(stdout, d->url);
		printf(",\"size\":%llu}\n", (unsigned long long)d->job->length);
		break;
	case NIP_DL_PROGRESS:
		printf("{\"event\":\"fetch-progress\",");
		json_pick(ev->pick);
		printf(",\"got\":%llu,\"size\":%llu}\n", (unsigned long long)d->got,
		       (unsigned long long)d->job->length);
		break;
	case NIP_DL_ERROR:
		printf("{\"event\":\"fetch-error\",");
		json_pick(ev->pick);
		printf(",\"url\":");
		nip_json_str(stdout, d->url);
		printf(",\"error\":");
		nip_json_str(stdout, d->why ? d->why->msg : "");
		printf(",\"attempt\":%u,\"retry\":%s", d->attempt, d->retry_in > 0 ? "true" : "false");
		if (d->retry_in > 0)
			printf(",\"retry_in\":%.3f", d->retry_in);
		printf(",\"mirror\":");
		if (d->next_url)
			nip_json_str(stdout, d->next_url);
		else
			printf("null");
		printf("}\n");
		break;
	case NIP_DL_DONE:
		nip_cid_format(ev->pick->cid, cid);
		printf("{\"event\":\"fetch-done\",");
		json_pick(ev->pick);
		printf(",\"size\":%llu,\"cid\":\"%s\"}\n", (unsigned long long)d->job->length, cid);
		break;
	}
}

static void json_event(const struct nip_txn_event *ev)
{
	char cid[NIP_CID_STRLEN], id[NIP_KEYID_HEX];

	switch (ev->kind) {
	case NIP_TXN_FETCH_PLAN:
		printf("{\"event\":\"fetch-plan\",\"packages\":%zu,\"size\":%llu}\n", ev->count,
		       (unsigned long long)ev->bytes);
		break;
	case NIP_TXN_FETCH:
		json_fetch(ev);
		break;
	case NIP_TXN_VERIFY:
		nip_cid_format(ev->pick->cid, cid);
		nip_keyid_format(ev->signer, id);
		printf("{\"event\":\"verify\",");
		json_pick(ev->pick);
		printf(",\"cid\":\"%s\",\"signer\":\"%s\",\"cached\":%s}\n", cid, id,
		       ev->cached ? "true" : "false");
		break;
	case NIP_TXN_INSTALL:
		printf("{\"event\":\"install\",\"packages\":%zu}\n", ev->count);
		break;
	}
	/* A reader follows the stream as it comes, not when nip exits. */
	fflush(stdout);
}

static void draw(struct cli_progress *p, int last)
{
	double t = now(), frac = p->total ? (double)p->got / (double)p->total : 1;
	int width = 30, fill = (int)(frac * width + 0.5);
	char bar[64];

	if (!last && t - p->shown < 0.1)
		return;
	p->shown = t;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '-', (size_t)(width - fill));
	bar[width] = '\0';
	fprintf(stderr, "\rfetching [%s] %3d%% %.1f/%.1f MB, %zu of %zu packages%s", bar,
		(int)(frac * 100), (double)p->got / 1e6, (double)p->total / 1e6, p->done, p->count,
		last ? "\n" : "");
	p->drawn = !last;
}

static void bar_event(struct cli_progress *p, const struct nip_txn_event *ev)
{
	const struct nip_download_event *d = ev->dl;

	if (ev->kind == NIP_TXN_FETCH_PLAN) {
		p->count = ev->count;
		p->total = ev->bytes;
		return;
	}
	if (ev->kind != NIP_TXN_FETCH)
		return;
	/* all_got counts one track's downloads; base, those of the
	 * tracks before it. */
	p->got = p->base + d->all_got;
	if (d->kind == NIP_DL_DONE || (d->kind == NIP_DL_ERROR && d->retry_in <= 0 && !d->next_url))
		p->done++;
	if (d->ndone + 1 == d->n && (d->kind == NIP_DL_DONE || d->kind == NIP_DL_ERROR) &&
	    d->retry_in <= 0 && !d->next_url)
		p->base += d->all_length;
	draw(p, p->done == p->count);
}

static void on_event(void *ctx, const struct nip_txn_event *ev)
{
	struct cli_progress *p = ctx;
	if (p->o->json)
		json_event(ev);
	else
		bar_event(p, ev);
}

void cli_progress_attach(struct cli_progress *p, const struct cli_opts *o, struct nip_txn_track_opts *t)
{
	memset(p, 0, sizeof *p);
	p->o = o;
	if (o->json || (!o->quiet && o->colour && isatty(STDOUT_FILENO))) {
		t->event = on_event;
		t->event_ctx = p;
	}
}

void cli_progress_end(struct cli_progress *p)
{
	/* A failure mid-way leaves the bar's line open: close it before
	 * the error is printed. */
	if (p->drawn)
		fputc('\n', stderr);
	p->drawn = 0;
}
