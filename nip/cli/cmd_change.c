/* nip install, remove, rollback, gc, fsck: the commands that change a root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nip/txn.h"

void cli_txn_report(const struct cli_opts *o, const char *verb, struct nip_txn_result *res, int dry)
{
	if (res->nipnew)
		fprintf(stderr, "nip: warning: %zu configuration file%s kept local changes; the new default%s beside %s (%s)\n",
			res->nipnew, res->nipnew > 1 ? "s" : "", res->nipnew > 1 ? "s are" : " is",
			res->nipnew > 1 ? "them" : "it", res->first_nipnew);
	if (o->json) {
		printf("{\"generation\":%lld,\"added\":%zu,\"removed\":%zu,\"changed\":%zu,\"nipnew\":%zu,\"dry_run\":%s",
		       (long long)res->generation, res->added, res->removed, res->changed, res->nipnew,
		       dry ? "true" : "false");
		if (res->plan) {
			printf(",\"plan\":[");
			for (char *line = res->plan, *nl; *line; line = nl + 1) {
				nl = strchr(line, '\n');
				*nl = '\0';
				printf("%s", line == res->plan ? "" : ",");
				nip_json_str(stdout, line);
			}
			printf("]");
		}
		printf("}\n");
	} else {
		if (res->plan && (dry || o->verbose))
			fputs(res->plan, stdout);
		if (dry)
			printf("would %s: %zu added, %zu removed, %zu changed\n", verb, res->added, res->removed,
			       res->changed);
		else if (o->verbose && res->generation)
			printf("generation %lld: %zu added, %zu removed, %zu changed\n", (long long)res->generation,
			       res->added, res->removed, res->changed);
		else if (o->verbose)
			printf("nothing to do\n");
	}
	free(res->plan);
	res->plan = NULL;
}

int cli_txn_fail(const struct cli_opts *o, const struct nip_error *err, struct nip_txn_result *res)
{
	int status = cli_fail(o, err);

	for (char *line = res->problems, *nl; line && *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n')))
			nl = line + strlen(line) - 1;
		fprintf(stderr, "nip: hint: %.*s\n", (int)(nl - line), line);
	}
	free(res->problems);
	free(res->plan);
	res->problems = res->plan = NULL;
	return status;
}

/* A package file, not a name: "./x.nip", "dir/x", "x.nip". */
static int is_file(const char *a)
{
	size_t n = strlen(a);
	return strchr(a, '/') || (n > 4 && strcmp(a + n - 4, ".nip") == 0);
}

static int run_install(const struct cli_opts *o, int argc, char **argv)
{
	int dry = 0, offline = 0, status = 0, first, files = 0;
	const struct cli_flag flags[] = {{"--dry-run", &dry}, {"--offline", &offline}, {NULL, NULL}};
	struct nip_txn_result res = {0};
	struct nip_root *r = NULL;
	struct nip_error err;

	if ((first = cli_flags(o, &cli_cmd_install, argc, argv, flags, &status)) < 0)
		return status;
	if (first >= argc)
		return cli_usage(o, &cli_cmd_install, "install: expected FILE.nip or NAME...");
	for (int i = first; i < argc; i++)
		files += is_file(argv[i]);
	if (files && files != argc - first)
		return cli_usage(o, &cli_cmd_install,
				 "install: give package files or names from tracks, not both in one call");
	if (!files)
		return cli_install_names(o, argv + first, (size_t)(argc - first), dry, offline, 0);
	if (cli_open_root(o, 1, &r, &err) < 0 ||
	    nip_txn_install_files(r, o->cell, argv + first, (size_t)(argc - first), dry, &res, &err) < 0) {
		nip_root_close(r);
		return cli_txn_fail(o, &err, &res);
	}
	nip_root_close(r);
	cli_txn_report(o, "install", &res, dry);
	return 0;
}

static int run_remove(const struct cli_opts *o, int argc, char **argv)
{
	int cascade = 0, dry = 0, status = 0, first;
	const struct cli_flag flags[] = {{"--cascade", &cascade}, {"--dry-run", &dry}, {NULL, NULL}};
	struct nip_txn_result res = {0};
	struct nip_root *r = NULL;
	struct nip_error err;

	if ((first = cli_flags(o, &cli_cmd_remove, argc, argv, flags, &status)) < 0)
		return status;
	if (first >= argc)
		return cli_usage(o, &cli_cmd_remove, "remove: expected NAME...");
	if (cli_open_root(o, 1, &r, &err) < 0 ||
	    nip_txn_remove(r, o->cell, argv + first, (size_t)(argc - first), cascade, dry, &res, &err) < 0) {
		nip_root_close(r);
		return cli_txn_fail(o, &err, &res);
	}
	nip_root_close(r);
	cli_txn_report(o, "remove", &res, dry);
	return 0;
}

static int run_rollback(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_root *r = NULL;
	struct nip_error err;
	int64_t gen = 0, now;

	if (argc > 2 || (argc == 2 && nip_parse_i64(argv[1], 1, INT64_MAX, &gen) < 0))
		return cli_usage(o, &cli_cmd_rollback, "rollback: expected at most one generation number");
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_txn_rollback(r, o->cell, gen, &now, &err) < 0) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"current\":%lld}\n", (long long)now);
	else if (o->verbose)
		printf("generation %lld is current\n", (long long)now);
	return 0;
}

static int run_gc(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_root *r = NULL;
	struct nip_gc_stats st;
	struct nip_error err;
	int64_t keep = 0;

	if (argc == 3 && strcmp(argv[1], "--keep") == 0) {
		if (nip_parse_i64(argv[2], 1, 100000, &keep) < 0)
			return cli_usage(o, &cli_cmd_gc, "gc: --keep takes a number of generations");
	} else if (argc != 1) {
		return cli_usage(o, &cli_cmd_gc, "gc: unexpected arguments");
	}
	if (cli_open_root(o, 1, &r, &err) < 0 ||
	    nip_txn_gc(r, o->cell, keep ? (int)keep : r->keep, &st, &err) < 0) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"objects\":%llu,\"trees\":%llu,\"deployments\":%llu,\"bytes\":%llu}\n",
		       (unsigned long long)st.objects, (unsigned long long)st.trees,
		       (unsigned long long)st.deployments, (unsigned long long)st.bytes);
	else if (!o->quiet)
		printf("freed %llu bytes: %llu objects, %llu trees, %llu deployments\n",
		       (unsigned long long)st.bytes, (unsigned long long)st.objects,
		       (unsigned long long)st.trees, (unsigned long long)st.deployments);
	return 0;
}

struct fsck_out {
	const struct cli_opts *o;
	FILE *json; /* the "problems" array being built, under --json */
	int n;
};

static void on_bad(void *ctx, const char *what, const char *name, const char *why)
{
	struct fsck_out *f = ctx;
	if (!f->json) {
		printf("bad %s %s: %s\n", what, name, why);
	} else {
		fputs(f->n ? ",{\"what\":" : "{\"what\":", f->json);
		nip_json_str(f->json, what);
		fputs(",\"name\":", f->json);
		nip_json_str(f->json, name);
		fputs(",\"why\":", f->json);
		nip_json_str(f->json, why);
		fputc('}', f->json);
	}
	f->n++;
}

static int run_fsck(const struct cli_opts *o, int argc, char **argv)
{
	int repair = 0, status = 0, first;
	const struct cli_flag flags[] = {{"--repair", &repair}, {NULL, NULL}};
	struct fsck_out out = {o, NULL, 0};
	struct nip_fsck_stats st = {0};
	struct nip_root *r = NULL;
	struct nip_error err;
	char *problems = NULL;
	size_t plen = 0;

	if ((first = cli_flags(o, &cli_cmd_fsck, argc, argv, flags, &status)) < 0)
		return status;
	if (first != argc)
		return cli_usage(o, &cli_cmd_fsck, "fsck: unexpected arguments");
	if (o->json && !(out.json = open_memstream(&problems, &plen))) {
		nip_err_sys(&err, NIP_E_NOMEM, errno, "fsck");
		return cli_fail(o, &err);
	}
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_txn_fsck(r, repair, on_bad, &out, &st, &err) < 0) {
		status = cli_fail(o, &err);
		goto out;
	}
	if (out.json) {
		fclose(out.json);
		out.json = NULL;
		printf("{\"objects\":%llu,\"trees\":%llu,\"deployments\":%llu,\"bad\":%llu,"
		       "\"repaired\":%s,\"redeployed\":%llu,\"unrepaired\":%llu,\"problems\":[%s]}\n",
		       (unsigned long long)st.objects, (unsigned long long)st.trees,
		       (unsigned long long)st.deployments, (unsigned long long)st.bad,
		       repair ? "true" : "false", (unsigned long long)st.repaired,
		       (unsigned long long)st.unrepaired, problems ? problems : "");
	}
	/* The report above is the JSON document; the verdict goes to stderr. */
	if (st.bad && !repair)
		nip_err(&err, NIP_E_TRUST,
			"%llu bad entries in the store or deployments (nip fsck --repair repairs them)",
			(unsigned long long)st.bad);
	else if (st.unrepaired)
		nip_err(&err, NIP_E_TRUST,
			"%llu deployments lack objects that --repair removed: install their packages "
			"again, then run nip fsck --repair",
			(unsigned long long)st.unrepaired);
	else
		goto out;
	status = cli_fail(&(struct cli_opts){.colour = o->colour}, &err);
out:
	if (out.json)
		fclose(out.json);
	free(problems);
	nip_root_close(r);
	return status;
}

const struct cli_cmd cli_cmd_install = {
	"install", "install packages in one transaction (one new generation)",
	"usage: nip install [--dry-run] [--offline] FILE.nip...|NAME[OP VERSION]...\n"
	"\n"
	"Package files: installs exactly these (up or down from what is installed),\n"
	"signed by a trusted signer (nip trust). Names: the best packages of the\n"
	"pinned tracks that satisfy them (\"hello\", \"hello>=1.0\"), fetched into\n"
	"the cache and signed by publishers the track's root authorises. Either way\n"
	"one transaction, dependencies and conflicts resolved by libsolv first; a\n"
	"transaction that changes nothing makes no generation.\n"
	"\n"
	"  --dry-run   resolve and report the plan, fetch and change nothing\n"
	"  --offline   fetch nothing: names install from the cache alone\n",
	run_install,
};

const struct cli_cmd cli_cmd_remove = {
	"remove", "remove packages in one transaction",
	"usage: nip remove [--cascade] [--dry-run] NAME...\n"
	"\n"
	"  --cascade   also remove what depends on them (refused otherwise)\n"
	"  --dry-run   resolve and report, change nothing\n",
	run_remove,
};

const struct cli_cmd cli_cmd_rollback = {
	"rollback", "make an earlier generation current, atomically",
	"usage: nip rollback [GEN]\n"
	"\n"
	"Makes generation GEN (default: the one that was current before this one)\n"
	"current with one rename; recorded in ProvChain; no tree is built.\n",
	run_rollback,
};

const struct cli_cmd cli_cmd_gc = {
	"gc", "drop old generations and what nothing uses",
	"usage: nip gc [--keep N]\n"
	"\n"
	"Keeps the newest N generations (default: the root's keep policy, 3) and the\n"
	"current one, and removes every object, tree and deployment the others used.\n"
	"\n"
	"  --keep N    generations to keep\n",
	run_gc,
};

const struct cli_cmd cli_cmd_fsck = {
	"fsck", "check the store and every deployment against their hashes",
	"usage: nip fsck [--repair]\n"
	"\n"
	"Checks the database, every object and tree against its hash, every kept\n"
	"deployment against its generation, and ProvChain.\n"
	"\n"
	"  --repair    remove bad objects and trees, check out damaged deployments\n"
	"              again (installing a package file again restores objects)\n",
	run_fsck,
};
