/* nip refresh [NAME...]: TUF refresh of every pinned track (or those
 * named), then the index parts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nip/track.h"
#include "nip/txn.h"

static int run_refresh(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_track_info *t = NULL;
	struct nip_root *r = NULL;
	struct nip_fetcher f = {0};
	struct nip_error err;
	size_t n = 0;
	int first = 1, status = 0;

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return cli_usage(o, &cli_cmd_refresh, "refresh: unknown option '%s'", argv[i]);
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_track_list(r->fd, &t, &n, &err) < 0 ||
	    nip_fetcher_default(NULL, &f, &err) < 0) {
		nip_root_close(r);
		free(t);
		return cli_fail(o, &err);
	}
	if (o->json)
		printf("{\"tracks\":[");
	for (size_t i = 0; i < n; i++) {
		struct nip_track_refresh_result res;
		int wanted = argc < 2;
		for (int j = 1; j < argc; j++)
			wanted |= strcmp(argv[j], t[i].name) == 0;
		if (!wanted)
			continue;
		/* The solver's cache follows the index it was built from. */
		if (nip_track_refresh(r->fd, t[i].name, &f, &res, &err) < 0 ||
		    nip_txn_track_cache(r, t[i].name, NULL, &err) < 0) {
			/* Other tracks still refresh; the first failure decides the exit. */
			int s = o->json ? nip_err_exit_status(err.code) : cli_fail(o, &err);
			if (o->json) {
				printf("%s{\"name\":", first ? "" : ",");
				nip_json_str(stdout, t[i].name);
				printf(",\"error\":");
				nip_json_str(stdout, err.msg);
				printf("}");
				first = 0;
			}
			if (!status)
				status = s ? s : 1;
			continue;
		}
		if (o->json) {
			printf("%s{\"name\":", first ? "" : ",");
			nip_json_str(stdout, t[i].name);
			printf(",\"changed\":%s,\"parts\":%zu,\"packages\":%zu}", res.changed ? "true" : "false",
			       res.parts, res.packages);
			first = 0;
		} else if (o->verbose) { /* quiet success */
			printf("%s: %s, %zu packages\n", t[i].name, res.changed ? "updated" : "up to date",
			       res.packages);
		}
	}
	for (int j = 1; j < argc; j++) {
		int known = 0;
		for (size_t i = 0; i < n; i++)
			known |= strcmp(argv[j], t[i].name) == 0;
		if (!known && !status) {
			nip_err(&err, NIP_E_USAGE, "track %.80s: not added (nip track add)", argv[j]);
			status = o->json ? 2 : cli_fail(o, &err);
		}
	}
	if (o->json)
		printf("]}\n");
	nip_fetcher_free(&f);
	nip_root_close(r);
	free(t);
	return status;
}

const struct cli_cmd cli_cmd_refresh = {
	"refresh",
	"verify and fetch new metadata and index of every track",
	"usage: nip refresh [NAME...]\n"
	"\n"
	"For each pinned track (or those named): the TUF client workflow (root\n"
	"chain, timestamp, snapshot, targets, the hashed bins), then every changed\n"
	"index part, verified, decompressed and checked; the new index replaces\n"
	"the old with one rename. Nothing is replaced unless all of it verifies.\n"
	"See nip-refresh(8).\n",
	run_refresh,
};
