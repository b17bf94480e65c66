/* nip install NAME..., upgrade, pin, unpin: the root's packages by name,
 * from its tracks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nip/solve.h"
#include "nip/track.h"
#include "nip/txn.h"

static int names(const struct cli_opts *o, const struct cli_cmd *c, char *const *specs, size_t n,
		 int dry, int offline, int upgrade, int fetch_only)
{
	struct nip_txn_track_opts topts = {
		.dry_run = dry, .offline = offline, .upgrade = upgrade, .fetch_only = fetch_only};
	struct nip_txn_result res = {0};
	struct cli_progress bar;
	struct nip_root *r = NULL;
	struct nip_error err;
	int64_t v;
	int status = 0;
	const char *par = getenv("NIP_FETCH_PARALLEL"), *slow = getenv("NIP_FETCH_LOW_SPEED_TIME");

	if (par) {
		if (nip_parse_i64(par, 1, 64, &v) < 0)
			return cli_usage(o, c, "NIP_FETCH_PARALLEL: not a number from 1 to 64: %.40s", par);
		topts.parallel = (unsigned)v;
	}
	if (slow) {
		if (nip_parse_i64(slow, 1, 3600, &v) < 0)
			return cli_usage(o, c, "NIP_FETCH_LOW_SPEED_TIME: not seconds from 1 to 3600: %.40s",
					 slow);
		topts.low_speed_time = (long)v;
	}
	cli_progress_attach(&bar, o, &topts);
	if (cli_open_root(o, 1, &r, &err) < 0) {
		status = cli_fail(o, &err);
		goto out;
	}
	if (nip_txn_install_names(r, o->cell, specs, n, &topts, &res, &err) < 0) {
		cli_progress_end(&bar);
		status = cli_txn_fail(o, &err, &res);
		goto out;
	}
	if (fetch_only && !o->json) {
		if (o->verbose || dry)
			fputs(res.plan, stdout);
		free(res.plan);
		res.plan = NULL;
	} else {
		cli_txn_report(o, c->name, &res, dry);
	}
out:
	nip_root_close(r);
	return status;
}

int cli_install_names(const struct cli_opts *o, char *const *specs, size_t n, int dry, int offline,
		      int upgrade)
{
	return names(o, upgrade ? &cli_cmd_upgrade : &cli_cmd_install, specs, n, dry, offline, upgrade, 0);
}

static int run_fetch(const struct cli_opts *o, int argc, char **argv)
{
	int dry = 0, status = 0, first;
	const struct cli_flag flags[] = {{"--dry-run", &dry}, {NULL, NULL}};

	if ((first = cli_flags(o, &cli_cmd_fetch, argc, argv, flags, &status)) < 0)
		return status;
	if (first >= argc)
		return cli_usage(o, &cli_cmd_fetch, "fetch: expected NAME...");
	return names(o, &cli_cmd_fetch, argv + first, (size_t)(argc - first), dry, 0, 0, 1);
}

struct found_out {
	const struct cli_opts *o;
	const struct nip_generation *g; /* the cell's current one */
	size_t n;
};

/* The version of name installed in the cell, or NULL. */
static const char *installed_version(const struct nip_generation *g, const char *name)
{
	for (size_t i = 0; i < g->npkgs; i++)
		if (strcmp(g->pkgs[i].name, name) == 0)
			return g->pkgs[i].version;
	return NULL;
}

static void on_found(void *ctx, const struct nip_found *f)
{
	struct found_out *out = ctx;
	const char *have = installed_version(out->g, f->name);
	int same = have && strcmp(have, f->version) == 0;

	if (out->o->json) {
		printf("%s{\"track\":", out->n++ ? "," : "");
		nip_json_str(stdout, f->track);
		printf(",\"name\":");
		nip_json_str(stdout, f->name);
		printf(",\"version\":");
		nip_json_str(stdout, f->version);
		printf(",\"arch\":");
		nip_json_str(stdout, f->arch);
		printf(",\"summary\":");
		nip_json_str(stdout, f->summary ? f->summary : "");
		printf(",\"installed\":%s,\"installed_version\":", same ? "true" : "false");
		if (have)
			nip_json_str(stdout, have);
		else
			printf("null");
		printf("}");
	} else {
		printf("%s %s %s (%s)%s%s%s%s%s\n", f->name, f->version, f->arch, f->track,
		       same ? " [installed]" : have ? " [installed: " : "", have && !same ? have : "",
		       have && !same ? "]" : "", f->summary ? "  " : "", f->summary ? f->summary : "");
	}
}

static int run_search(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_generation g = {0};
	struct found_out out = {o, &g, 0};
	struct nip_root *r = NULL;
	struct nip_error err;
	size_t found = 0;
	int64_t cur = 0;
	int status = 0;

	if (cli_help_requested(&cli_cmd_search, argc, argv))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(o, &cli_cmd_search, "search: expected one TERM");
	if (o->json)
		printf("{\"packages\":[");
	/* Writes: a track's cache is rebuilt if its index changed. */
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_db_current(r->db, o->cell, &cur, &err) < 0 ||
	    (cur && nip_db_generation_get(r->db, o->cell, cur, &g, &err) < 0) ||
	    nip_txn_search(r, argv[1], on_found, &out, &found, &err) < 0) {
		if (o->json)
			printf("]}\n");
		status = cli_fail(&(struct cli_opts){.colour = o->colour}, &err);
	} else if (o->json) {
		printf("]}\n");
	}
	nip_generation_free(&g);
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

const struct cli_cmd cli_cmd_fetch = {
	"fetch", "download packages and their dependencies into the cache only",
	"usage: nip fetch [--dry-run] NAME[OP VERSION]...\n"
	"\n"
	"Resolves as nip install would and fetches what the plan needs into\n"
	"ROOT/cache, each checked against its track (signed length and hashes,\n"
	"authorised publisher); installs nothing. For nip install --offline.\n"
	"\n"
	"  --dry-run   print what would be fetched\n",
	run_fetch,
};

const struct cli_cmd cli_cmd_search = {
	"search", "find packages of the tracks by name or summary",
	"usage: nip search TERM\n"
	"\n"
	"Every package of the pinned tracks whose name or summary contains TERM\n"
	"(any case): name, version, arch, track, [installed] (or [installed: V]\n"
	"when the cell has another version), summary.\n",
	run_search,
};
