/* What both of nip's entry points share: the global options (taken out of
 * argv wherever they stand), --version, help of one command, and how
 * errors are printed. The small front end (nip/front/) and the full CLI
 * (main.c, in libnip-cli.so) each link this file. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nip/txn.h"

void cli_opts_init(struct cli_opts *o)
{
	const char *nc = getenv("NO_COLOR");

	memset(o, 0, sizeof *o);
	o->cell = "system";
	o->lock_timeout = 30;
	o->root = getenv("NIP_ROOT");
	if (!o->root || !*o->root)
		o->root = "/var/lib/nip";
	o->colour = isatty(STDERR_FILENO) && !(nc && *nc);
}

int cli_version(const struct cli_opts *o)
{
	if (o->json)
		printf("{\"version\":\"%s\"}\n", NIP_VERSION);
	else
		printf("nip %s\n", NIP_VERSION);
	return 0;
}

void cli_print_help(const struct cli_cmd *c, FILE *f)
{
	fputs(c->usage, f);
}

int cli_help_requested(const struct cli_cmd *c, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(c, stdout);
			return 1;
		}
	return 0;
}

int cli_fail(const struct cli_opts *o, const struct nip_error *err)
{
	int status = nip_err_exit_status(err->code);
	if (o->json) {
		printf("{\"error\":{\"code\":");
		nip_json_str(stdout, nip_err_name(err->code));
		printf(",\"exit\":%d,\"message\":", status);
		nip_json_str(stdout, err->msg);
		printf("}}\n");
	}
	fprintf(stderr, "%snip: error:%s ", o->colour ? "\033[1;31m" : "", o->colour ? "\033[0m" : "");
	/* Messages quote names from hostile packages: no byte of them may
	 * drive the terminal or forge a second line. */
	for (const unsigned char *p = (const unsigned char *)err->msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* C1 controls */
			fprintf(stderr, "\\x%02x\\x%02x", *p, p[1]), p++;
		else
			fputc(*p, stderr);
	fputc('\n', stderr);
	return status ? status : 1;
}

int cli_usage(const struct cli_opts *o, const struct cli_cmd *c, const char *fmt, ...)
{
	struct nip_error err = {.code = NIP_E_USAGE};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof err.msg, fmt, ap);
	va_end(ap);
	cli_fail(o, &err);
	if (c)
		fprintf(stderr, "nip: hint: see 'nip %s --help'\n", c->name);
	else
		fprintf(stderr, "nip: hint: see 'nip --help'\n");
	return 2;
}

/* Global options may stand anywhere before "--"; they are taken out of argv
 * so each command parses only its own. */
int cli_take_globals(struct cli_opts *o, int *argc, char **argv, int *version, int *help)
{
	int j = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *val = NULL;
		const char *const valued[] = {"--root", "--cell", "--lock-timeout"};
		size_t k;

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		for (k = 0; k < 3; k++) {
			size_t n = strlen(valued[k]);
			if (strncmp(a, valued[k], n) == 0 && (a[n] == '=' || !a[n]))
				break;
		}
		if (k < 3) {
			size_t n = strlen(valued[k]);
			val = a[n] == '=' ? a + n + 1 : (i + 1 < *argc ? argv[++i] : NULL);
			if (!val)
				return cli_usage(o, NULL, "%s needs a value", valued[k]);
			if (k == 0)
				o->root = val;
			else if (k == 1) {
				struct nip_error err;
				if (nip_cell_name_check(val, &err) < 0)
					return cli_usage(o, NULL, "--cell: %s", err.msg);
				o->cell = val;
			}
			else {
				int64_t t;
				if (nip_parse_i64(val, 0, 86400 * 365, &t) < 0)
					return cli_usage(o, NULL, "--lock-timeout: not a number of seconds: %s", val);
				o->lock_timeout = (long)t;
			}
		} else if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			o->quiet++;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o->verbose++;
		} else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0) {
			o->yes = 1;
		} else if (strcmp(a, "--version") == 0 && j == 1) {
			*version = 1;
		} else if ((strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) && j == 1) {
			*help = 1;
		} else {
			argv[j++] = argv[i];
		}
	}
	argv[j] = NULL;
	*argc = j;
	return 0;
}

