/* nip cell create|list|remove, nip policy check: cells and their policies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nip/cell.h"
#include "nip/txn.h"

static int cell_create(const struct cli_opts *o, int argc, char **argv)
{
	const char *name = NULL, *policy = NULL;
	struct nip_policy *p = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	char *text = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy = argv[++i];
		else if (strncmp(argv[i], "--policy=", 9) == 0)
			policy = argv[i] + 9;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			return cli_usage(o, &cli_cmd_cell, "cell create: unexpected '%s'", argv[i]);
	}
	if (!name)
		return cli_usage(o, &cli_cmd_cell, "cell create: expected NAME");
	if (!nip_cell_name_valid(name))
		return cli_usage(o, &cli_cmd_cell,
				 "cell create: '%.64s' is not a cell name (a-z, 0-9, '-', '_', '.')", name);
	/* The text is checked now and stored: the cell keeps running what
	 * was approved, whatever later happens to the file. */
	if (policy && cli_policy_load(policy, &p, &text, &err) < 0)
		return cli_fail(o, &err);
	nip_policy_free(p);
	rc = cli_open_root(o, 1, &r, &err) < 0 || nip_txn_cell_create(r, name, text, &err) < 0;
	nip_root_close(r);
	free(text);
	if (rc)
		return cli_fail(o, &err);
	if (o->json)
		printf("{\"cell\":\"%s\"}\n", name);
	return 0;
}

static int cell_list(const struct cli_opts *o)
{
	struct nip_cell_info *c = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	size_t n = 0;

	if (cli_open_root(o, 0, &r, &err) < 0 || nip_db_cell_list(r->db, &c, &n, &err) < 0) {
		nip_root_close(r);
		if (err.code != NIP_E_USAGE)
			return cli_fail(o, &err);
		n = 0; /* no root yet: only the system cell, implicitly */
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"cells\":[");
	for (size_t i = 0; i < n; i++) {
		const char *pol = *c[i].policy ? "own" : "default";
		if (o->json) {
			printf("%s{\"name\":", i ? "," : "");
			nip_json_str(stdout, c[i].name);
			printf(",\"current\":%lld,\"generations\":%lld,\"policy\":\"%s\"}",
			       (long long)c[i].current, (long long)c[i].generations, pol);
		} else {
			printf("%-16s generation %-4lld policy %s\n", c[i].name, (long long)c[i].current,
			       pol);
		}
	}
	if (o->json)
		printf("]}\n");
	nip_cell_info_free(c, n);
	return 0;
}

static int cell_remove(const struct cli_opts *o, int argc, char **argv)
{
	const char *name = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	int purge = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--purge") == 0)
			purge = 1;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			return cli_usage(o, &cli_cmd_cell, "cell remove: unexpected '%s'", argv[i]);
	}
	if (!name)
		return cli_usage(o, &cli_cmd_cell, "cell remove: expected NAME");
	rc = cli_open_root(o, 1, &r, &err) < 0 || nip_txn_cell_remove(r, name, purge, &err) < 0;
	nip_root_close(r);
	return rc ? cli_fail(o, &err) : 0;
}

static int run_cell(const struct cli_opts *o, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return cell_create(o, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cell_list(o);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return cell_remove(o, argc - 1, argv + 1);
	return cli_usage(o, &cli_cmd_cell, "cell: expected create, list or remove");
}

static int run_policy(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_policy *p = NULL;
	struct nip_error err;

	if (argc != 3 || strcmp(argv[1], "check") != 0)
		return cli_usage(o, &cli_cmd_policy, "policy: expected 'check FILE|NAME'");
	if (cli_policy_load(argv[2], &p, NULL, &err) < 0)
		return cli_fail(o, &err);
	nip_policy_explain(p, o->json, stdout);
	if (!o->json)
		cli_landlock_notes(p, 1, "on this kernel: ", stdout);
	nip_policy_free(p);
	return 0;
}

const struct cli_cmd cli_cmd_cell = {
	"cell", "create, list and remove cells",
	"usage: nip cell create NAME [--policy FILE|NAME]\n"
	"       nip cell list\n"
	"       nip cell remove [--purge] NAME\n"
	"\n"
	"A cell is an install target with its own generations, policy and writable\n"
	"state (ROOT/cells/NAME/state, its /var). Install into one with --cell NAME;\n"
	"run in one with nip run --cell NAME.\n"
	"\n"
	"  --policy P  the cell's policy (default: the shipped policy `default`)\n"
	"  --purge     remove the cell even though its state holds files\n",
	run_cell,
};

const struct cli_cmd cli_cmd_policy = {
	"policy", "explain a confinement policy",
	"usage: nip policy check FILE|NAME\n"
	"\n"
	"Parses the policy and explains it in words (with --json: as one object):\n"
	"the system calls it pledges, what happens to others, the network, the\n"
	"files it unveils, its resource limits; then what works differently on\n"
	"this kernel (an older Landlock ABI).\n",
	run_policy,
};
