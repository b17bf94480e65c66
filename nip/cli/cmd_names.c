/* nip install NAME..., upgrade, pin, unpin: the root's packages by name,
 * from its tracks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nip/track.h"
#include "nip/txn.h"

int cli_install_names(const struct cli_opts *o, char *const *specs, size_t n, int dry, int offline,
		      int upgrade)
{
	const struct cli_cmd *c = upgrade ? &cli_cmd_upgrade : &cli_cmd_install;
	struct nip_txn_track_opts topts = {.dry_run = dry, .offline = offline, .upgrade = upgrade};
	struct nip_txn_result res = {0};
	struct nip_fetcher f = {0};
	struct nip_root *r = NULL;
	struct nip_error err;
	int status = 0;

	if (cli_open_root(o, 1, &r, &err) < 0 || (!offline && nip_fetcher_default(NULL, &f, &err) < 0)) {
		status = cli_fail(o, &err);
		goto out;
	}
	topts.fetcher = offline ? NULL : &f;
	if (nip_txn_install_names(r, o->cell, specs, n, &topts, &res, &err) < 0) {
		status = cli_txn_fail(o, &err, &res);
		goto out;
	}
	cli_txn_report(o, c->name, &res, dry);
out:
	nip_fetcher_free(&f);
	nip_root_close(r);
	return status;
}

static int run_upgrade(const struct cli_opts *o, int argc, char **argv)
{
	int dry = 0, offline = 0, status = 0, first;
	const struct cli_flag flags[] = {{"--dry-run", &dry}, {"--offline", &offline}, {NULL, NULL}};

	if ((first = cli_flags(o, &cli_cmd_upgrade, argc, argv, flags, &status)) < 0)
		return status;
	return cli_install_names(o, argv + first, (size_t)(argc - first), dry, offline, 1);
}

static int run_pin(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_root *r = NULL;
	struct nip_error err;
	char *name, *eq;
	int status = 0;

	if (cli_help_requested(&cli_cmd_pin, argc, argv))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(o, &cli_cmd_pin, "pin: expected NAME[=VERSION]");
	if (!(name = strdup(argv[1]))) {
		nip_err(&err, NIP_E_NOMEM, "out of memory");
		return cli_fail(o, &err);
	}
	if ((eq = strchr(name, '=')))
		*eq++ = '\0';
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_txn_pin(r, name, eq, &err) < 0)
		status = cli_fail(o, &err);
	nip_root_close(r);
	free(name);
	return status;
}

static int run_unpin(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_root *r = NULL;
	struct nip_error err;
	int status = 0;

	if (cli_help_requested(&cli_cmd_unpin, argc, argv))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(o, &cli_cmd_unpin, "unpin: expected NAME");
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_txn_unpin(r, argv[1], &err) < 0)
		status = cli_fail(o, &err);
	nip_root_close(r);
	return status;
}

const struct cli_cmd cli_cmd_upgrade = {
	"upgrade", "upgrade installed packages from the tracks, in one transaction",
	"usage: nip upgrade [--dry-run] [--offline] [NAME...]\n"
	"\n"
	"Every installed package (or those named) to the best version the pinned\n"
	"tracks offer, respecting pins, in one transaction (one new generation).\n"
	"Run nip refresh first to see what the tracks published since.\n"
	"\n"
	"  --dry-run   resolve and report the plan, fetch and change nothing\n"
	"  --offline   fetch nothing: install from the cache alone\n",
	run_upgrade,
};

const struct cli_cmd cli_cmd_pin = {
	"pin", "hold a package at its installed version or at one version",
	"usage: nip pin NAME[=VERSION]\n"
	"\n"
	"Installs and upgrades keep NAME as it is installed, or at exactly VERSION,\n"
	"until nip unpin NAME. Recorded in ProvChain.\n",
	run_pin,
};

const struct cli_cmd cli_cmd_unpin = {
	"unpin", "release a pin",
	"usage: nip unpin NAME\n",
	run_unpin,
};
