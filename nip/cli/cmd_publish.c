/* nip publish --track DIR --online-key KEY FILE.nip...: add packages to a
 * track directory and re-sign what they touch. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
		cli_json_str(stdout, name);
		printf(",\"version\":");
		cli_json_str(stdout, version);
		printf(",\"arch\":");
		cli_json_str(stdout, arch);
		printf(",\"target\":");
		cli_json_str(stdout, target);
		printf("}");
	} else if (r->o->verbose) { /* quiet success */
		printf("published %s %s %s as %s\n", name, version, arch, target);
	}
}

static int run_publish(const struct cli_opts *o, int argc, char **argv)
{
	const char *dir = NULL, *key = NULL, *passfile = NULL;
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
		else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
			passfile = argv[++i];
		else if (argv[i][0] != '-' && n < sizeof files / sizeof *files)
			files[n++] = argv[i];
		else
			return cli_usage(o, &cli_cmd_publish, "publish: unexpected '%s'", argv[i]);
	}
	if (!dir || !key)
		return cli_usage(o, &cli_cmd_publish, "publish: expected --track DIR --online-key KEY");
	if (strstr(dir, "://"))
		return cli_usage(o, &cli_cmd_publish,
				 "publish: --track %s: publishing to trackd is not supported yet; give a directory",
				 dir);
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
	"\n"
	"Verifies each package in full, checks that its signer is a publisher the\n"
	"track's root.json authorises for its name, copies it to\n"
	"targets/pkgs/HASH.NAME-VERSION-ARCH.nip, rewrites the index parts of the\n"
	"bins it lands in and re-signs those bins, then snapshot and timestamp\n"
	"(timestamp.json last, so clients see the old track or the new one).\n"
	"With no FILE it only re-signs snapshot and timestamp (run it before the\n"
	"timestamp's 7 days run out). See nip-publish(8).\n",
	run_publish,
};
