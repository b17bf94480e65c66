/* nip publish --track DIR --online-key KEY FILE.nip...: add packages to a
 * track directory and re-sign what they touch.
 * nip publish --track URL --key PUB.key FILE.nip...: send them to trackd in
 * one request signed by the publisher key; trackd re-signs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "nip/track.h"

struct report_ctx {
	const struct cli_opts *o;
	int n;
};

/* Called once the publish is complete (timestamp.json written), so
 * --json prints one document: the packages, or the error alone. */
static void report(void *ctx, const char *name, const char *version, const char *arch,
		   const char *target)
{
	struct report_ctx *r = ctx;
	if (r->o->json) {
		printf("%s{\"name\":", r->n++ ? "," : "{\"published\":[");
		nip_json_str(stdout, name);
		printf(",\"version\":");
		nip_json_str(stdout, version);
		printf(",\"arch\":");
		nip_json_str(stdout, arch);
		printf(",\"target\":");
		nip_json_str(stdout, target);
		printf("}");
	} else if (r->o->verbose) { /* quiet success */
		printf("published %s %s %s as %s\n", name, version, arch, target);
	}
}

/* trackd's 200 reply is {"published":[{name, version, arch, target}]}. */
static int print_reply(const struct cli_opts *o, const struct nip_buf *reply)
{
	json_t *doc = json_loadb((const char *)reply->data, reply->len, 0, NULL);
	const json_t *list = json_object_get(doc, "published"), *e;
	struct report_ctx rc = {o, 0};
	size_t i;
	if (!json_is_array(list)) {
		json_decref(doc);
		fprintf(stderr, "nip: error: trackd: a reply that is not a publish result\n");
		return 1;
	}
	json_array_foreach(list, i, e) {
		const char *f[4] = {json_string_value(json_object_get(e, "name")),
				    json_string_value(json_object_get(e, "version")),
				    json_string_value(json_object_get(e, "arch")),
				    json_string_value(json_object_get(e, "target"))};
		if (f[0] && f[1] && f[2] && f[3])
			report(&rc, f[0], f[1], f[2], f[3]);
	}
	if (o->json)
		printf("%s]}\n", rc.n ? "" : "{\"published\":[");
	json_decref(doc);
	return 0;
}

static int publish_url(const struct cli_opts *o, const char *url, const char *key,
		       const char *passfile, const char *const *files, size_t n)
{
	struct nip_seckey sk;
	struct nip_error err;
	struct nip_buf reply;
	int r;
	if (n == 0)
		return cli_usage(o, &cli_cmd_publish, "publish: --track URL: give the packages to send");
	if (cli_load_seckey(key, passfile, &sk, &err) < 0)
		return cli_fail(o, &err);
	nip_buf_init(&reply, 1u << 20, "trackd reply");
	r = nip_track_upload(url, &sk, files, n, NULL, &reply, &err);
	nip_seckey_wipe(&sk);
	if (r == 0)
		r = print_reply(o, &reply);
	else
		r = cli_fail(o, &err);
	nip_buf_free(&reply);
	return r;
}

static int run_publish(const struct cli_opts *o, int argc, char **argv)
{
	const char *dir = NULL, *key = NULL, *pubkey = NULL, *passfile = NULL;
	const char *files[4096];
	size_t n = 0;
	struct nip_seckey sk;
	struct nip_error err;
	struct report_ctx rc = {o, 0};
	int fd, r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--track") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--online-key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			pubkey = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
			passfile = argv[++i];
		else if (argv[i][0] != '-' && n < sizeof files / sizeof *files)
			files[n++] = argv[i];
		else
			return cli_usage(o, &cli_cmd_publish, "publish: unexpected '%s'", argv[i]);
	}
	if (dir && strstr(dir, "://")) {
		if (!pubkey || key)
			return cli_usage(o, &cli_cmd_publish,
					 "publish: --track URL takes --key PUBLISHER.key (trackd holds the online key)");
		return publish_url(o, dir, pubkey, passfile, files, n);
	}
	if (!dir || !key || pubkey)
		return cli_usage(o, &cli_cmd_publish, "publish: expected --track DIR --online-key KEY");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		nip_err_sys(&err, NIP_E_USAGE, errno, "%s", dir);
		return cli_fail(o, &err);
	}
	if (cli_load_seckey(key, passfile, &sk, &err) < 0) {
		close(fd);
		return cli_fail(o, &err);
	}
	r = nip_track_publish(fd, &sk, files, n, report, &rc, &err);
	nip_seckey_wipe(&sk);
	close(fd);
	if (r < 0)
		return cli_fail(o, &err);
	if (o->json)
		printf("%s]}\n", rc.n ? "" : "{\"published\":[");
	return 0;
}

const struct cli_cmd cli_cmd_publish = {
	"publish",
	"add packages to a track directory and re-sign it",
	"usage: nip publish --track DIR --online-key ONLINE.key [--passphrase-file FILE] [FILE.nip...]\n"
	"       nip publish --track URL --key PUBLISHER.key [--passphrase-file FILE] FILE.nip...\n"
	"\n"
	"Verifies each package in full, checks that its signer is a publisher the\n"
	"track's root.json authorises for its name, copies it to\n"
	"targets/pkgs/HASH.NAME-VERSION-ARCH.nip, rewrites the index parts of the\n"
	"bins it lands in and re-signs those bins, then snapshot and timestamp\n"
	"(timestamp.json last, so clients see the old track or the new one).\n"
	"With no FILE it only re-signs snapshot and timestamp (run it before the\n"
	"timestamp's 7 days run out).\n"
	"\n"
	"With --track URL the packages go to trackd in one POST URL/publish signed\n"
	"by the publisher key (method, path, host, time, a nonce and the body's\n"
	"SHA-256); trackd checks the signer against the track's root.json,\n"
	"verifies every package and re-signs with the online key it holds. A\n"
	"refusal prints trackd's reason (exit 3 for trust, 5 for network).\n"
	"See nip-publish(8) and doc/track-publish.md.\n",
	run_publish,
};
