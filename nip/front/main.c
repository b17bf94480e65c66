/* nip's main: `nip run` and `--version` here, every other command in the
 * rest of nip, loaded on demand (front.h). The global options are parsed
 * by the same code in both, so they mean the same wherever they stand. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

static int full(const struct cli_opts *o, int argc, char **argv)
{
	int (*entry)(int, char **);
	struct nip_error err;
	void *h = front_load(&err);

	if (!h)
		return cli_fail(o, &err);
	if (!(entry = (int (*)(int, char **))dlsym(h, "nip_cli_main"))) {
		nip_err(&err, NIP_E_INTERNAL, "libnip-cli.so lacks nip_cli_main");
		return cli_fail(o, &err);
	}
	return entry(argc, argv);
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	int version = 0, help = 0, n = argc, rc;
	/* Taking the globals reorders argv: the rest of nip parses the
	 * command line as it was given. */
	char **given = malloc(((size_t)argc + 1) * sizeof *given);

	if (!given)
		return 1;
	memcpy(given, argv, ((size_t)argc + 1) * sizeof *given);
	cli_opts_init(&o);
	if (cli_take_globals(&o, &n, argv, &version, &help) != 0)
		rc = 2;
	else if (version)
		rc = cli_version(&o);
	else if (!help && n >= 2 && strcmp(argv[1], "run") == 0)
		rc = cli_help_requested(&cli_cmd_run, n - 1, argv + 1) ? 0
									: cli_cmd_run.run(&o, n - 1, argv + 1);
	else
		rc = full(&o, argc, given);
	free(given);
	return rc;
}
