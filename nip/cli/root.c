/* Helpers shared by the commands that act on a root. */
#include <string.h>

#include "cli.h"
#include "nip/txn.h"

int cli_open_root(const struct cli_opts *o, int write, struct nip_root **out, struct nip_error *err)
{
	struct nip_error ferr;

	/* Cell events `nip run` left in the journal join ProvChain first, so
	 * that what follows (nip log, log verify) sees them. Only the root's
	 * owner holds the key to sign them; for anyone else they wait. */
	if (nip_cell_log_fold(o->root, &ferr) < 0 && o->verbose)
		fprintf(stderr, "nip: note: cell events not folded into the log: %s\n", ferr.msg);
	return nip_root_open(o->root, write ? NIP_ROOT_WRITE : 0, (double)o->lock_timeout, out, err);
}

int cli_flags(const struct cli_opts *o, const struct cli_cmd *c, int argc, char **argv,
	      const struct cli_flag *flags, int *status)
{
	int i;
	for (i = 1; i < argc; i++) {
		const struct cli_flag *f;
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (argv[i][0] != '-' || !argv[i][1])
			return i;
		for (f = flags; f && f->name && strcmp(f->name, argv[i]) != 0; f++)
			;
		if (!f || !f->name) {
			*status = cli_usage(o, c, "%s: unknown option '%s'", c->name, argv[i]);
			return -1;
		}
		*f->set = 1;
	}
	return i;
}
