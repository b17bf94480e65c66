/* nip's commands: the table, dispatch and the list of commands. Built into
 * libnip-cli.so with the rest of nip; the executable (nip/front/) calls
 * nip_cli_main for every command it does not serve itself. */
#include <string.h>

#include "cli.h"
#include "nip/crypto.h"
#include "nip/txn.h"

static const struct cli_cmd *const commands[] = {
	&cli_cmd_key,	  &cli_cmd_pack,	&cli_cmd_verify, &cli_cmd_inspect, &cli_cmd_cid,
	&cli_cmd_trust,	  &cli_cmd_install,	&cli_cmd_remove, &cli_cmd_list,	   &cli_cmd_info,
	&cli_cmd_files,	  &cli_cmd_owner,	&cli_cmd_generations, &cli_cmd_diff, &cli_cmd_rollback,
	&cli_cmd_gc,	  &cli_cmd_fsck,	&cli_cmd_log,	 &cli_cmd_track, &cli_cmd_publish,
	&cli_cmd_refresh, &cli_cmd_upgrade, &cli_cmd_pin,	 &cli_cmd_unpin, &cli_cmd_fetch,
	&cli_cmd_search,  &cli_cmd_cell,	&cli_cmd_policy, &cli_cmd_run,	   &cli_cmd_graft,
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static const char global_help[] =
	"usage: nip [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"global options (before or after the command):\n"
	"  --root DIR             the nip root (default $NIP_ROOT, else /var/lib/nip)\n"
	"  --json                 machine output: one JSON document on stdout\n"
	"  -q, -v                 quieter, more verbose\n"
	"  --yes                  do not ask\n"
	"  --cell NAME            the cell to act on (default system)\n"
	"  --lock-timeout SECONDS wait this long for another nip's lock (default 30)\n"
	"  --version              print the version\n"
	"  -h, --help             this help; `nip help COMMAND` for one command\n";

static const struct cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_commands(FILE *f)
{
	fputs(global_help, f);
	fputs("\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nexit codes: 0 ok, 1 failure, 2 usage, 3 trust, 4 resolution, 5 network, 6 busy, "
	      "7 denied\n",
	      f);
}

int nip_cli_main(int argc, char **argv)
{
	struct cli_opts o;
	const struct cli_cmd *c;
	int version = 0, help = 0;

	cli_opts_init(&o);
	if (cli_take_globals(&o, &argc, argv, &version, &help) != 0)
		return 2;
	if (version)
		return cli_version(&o);
	if (help) {
		print_commands(stdout);
		return 0;
	}
	if (argc < 2)
		return cli_usage(&o, NULL, "no command given");
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			print_commands(stdout);
			return 0;
		}
		if (!(c = find(argv[2])))
			return cli_usage(&o, NULL, "unknown command '%s'", argv[2]);
		cli_print_help(c, stdout);
		return 0;
	}
	if (!(c = find(argv[1])))
		return cli_usage(&o, NULL, "unknown command '%s'", argv[1]);
	if (cli_help_requested(c, argc - 1, argv + 1))
		return 0;
	return c->run(&o, argc - 1, argv + 1);
}
