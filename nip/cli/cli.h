/* The nip command line: a thin front end over libnip. Parses arguments,
 * prints, maps errors to exit codes; holds no logic a library user needs. */
#ifndef NIP_CLI_H
#define NIP_CLI_H

#include <stdio.h>

#include "nip/util.h"

/* The process's options: the one piece of global state nip allows. */
struct cli_opts {
	const char *root;
	const char *cell;
	int json, quiet, verbose, yes;
	long lock_timeout;
	int colour; /* stderr is a terminal and NO_COLOR is unset */
};

struct cli_cmd {
	const char *name;
	const char *summary;
	const char *usage; /* full --help text; first line is the synopsis */
	int (*run)(const struct cli_opts *o, int argc, char **argv);
};

extern const struct cli_cmd cli_cmd_key, cli_cmd_pack, cli_cmd_verify, cli_cmd_inspect,
	cli_cmd_cid, cli_cmd_install, cli_cmd_remove, cli_cmd_rollback, cli_cmd_gc, cli_cmd_fsck,
	cli_cmd_list, cli_cmd_generations, cli_cmd_diff, cli_cmd_files, cli_cmd_owner, cli_cmd_info,
	cli_cmd_trust, cli_cmd_log, cli_cmd_track, cli_cmd_publish, cli_cmd_refresh, cli_cmd_upgrade,
	cli_cmd_pin, cli_cmd_unpin, cli_cmd_fetch, cli_cmd_search, cli_cmd_cell, cli_cmd_policy,
	cli_cmd_run, cli_cmd_graft;

/* Defaults, then $NIP_ROOT and NO_COLOR. */
void cli_opts_init(struct cli_opts *o);
/* Takes the global options out of argv (anywhere before "--"), so each
 * command parses only its own; 2 after a usage error, else 0. */
int cli_take_globals(struct cli_opts *o, int *argc, char **argv, int *version, int *help);
int cli_version(const struct cli_opts *o);
/* The whole command line (main.c), the entry point of libnip-cli.so. */
int nip_cli_main(int argc, char **argv);

/* What `nip run` needs from the rest of nip (SQLite): the policy of the
 * package that owns the program. A direct call in libnip-cli.so
 * (heavy.c); the front end loads libnip-cli.so for it (nip/front/load.c),
 * so only a cell with a deployment pays for it. NULL with err set when it
 * cannot be loaded. */
struct cli_heavy {
	int (*package_policy)(const char *rootpath, const char *cell, const char *program,
			      char **policy, char **package, struct nip_error *err);
};
const struct cli_heavy *cli_heavy(struct nip_error *err);

struct nip_root;
/* --root, --lock-timeout: writers lock (and create) the root. */
int cli_open_root(const struct cli_opts *o, int write, struct nip_root **out, struct nip_error *err);
/* Parses the options of a command that takes only flags in `flags`
 * ({"--cascade", &var}, ...) and positional arguments; returns the index
 * of the first positional argument or -1 (after printing a usage error). */
struct cli_flag {
	const char *name;
	int *set;
};
int cli_flags(const struct cli_opts *o, const struct cli_cmd *c, int argc, char **argv,
	      const struct cli_flag *flags, int *status);

/* Prints `nip: error: MSG` (and the JSON form under --json); returns the
 * exit status of err's class. */
int cli_fail(const struct cli_opts *o, const struct nip_error *err);
/* A usage error: message, then a hint to --help; returns 2. */
int cli_usage(const struct cli_opts *o, const struct cli_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* True if argv asks for help; prints it. */
int cli_help_requested(const struct cli_cmd *c, int argc, char **argv);
void cli_print_help(const struct cli_cmd *c, FILE *f);

/* Reads a passphrase for `what`: --passphrase-file, $NIP_PASSPHRASE_FILE,
 * else a prompt on the terminal. */
int cli_passphrase(const char *file, const char *what, char *out, size_t outsz,
		   struct nip_error *err);
/* Loads a secret key, asking for a passphrase only if it is encrypted. */
struct nip_seckey;
int cli_load_seckey(const char *path, const char *passfile, struct nip_seckey *out,
		    struct nip_error *err);

/* A transaction's outcome: the plan (with --dry-run or -v), the counts
 * (or one JSON document); and its failure: the error line, then every
 * libsolv problem and solution as hints. Both free what res holds. */
struct nip_txn_result;
void cli_txn_report(const struct cli_opts *o, const char *verb, struct nip_txn_result *res, int dry);
int cli_txn_fail(const struct cli_opts *o, const struct nip_error *err, struct nip_txn_result *res);
/* install NAME... and upgrade [NAME...], from the root's tracks. */
int cli_install_names(const struct cli_opts *o, char *const *specs, size_t n, int dry, int offline,
		      int upgrade);
/* A policy given as FILE (has a '/') or NAME (a shipped one); `path`
 * receives where it was found. *text (if asked) is the file's text. */
struct nip_policy;
int cli_policy_read(const char *arg, struct nip_buf *out, char *path, size_t pathsz,
		    struct nip_error *err);
int cli_policy_load(const char *arg, struct nip_policy **out, char **text, struct nip_error *err);
/* What works differently for p on this kernel (nip_landlock_plan), a line
 * each after prefix. */
void cli_landlock_notes(const struct nip_policy *p, int best_effort, const char *prefix, FILE *f);

/* Progress of an install or fetch by name (progress.c): a bar on stderr
 * when stdout and stderr are terminals (not under -q or NO_COLOR), one
 * JSON event a line on stdout under --json, else nothing. attach sets
 * t's event callback; end closes an open bar line (before an error). */
#include <stdint.h>
struct nip_txn_track_opts;
struct cli_progress {
	const struct cli_opts *o;
	uint64_t total, got, base;
	size_t count, done;
	double shown;
	int drawn;
};
void cli_progress_attach(struct cli_progress *p, const struct cli_opts *o, struct nip_txn_track_opts *t);
void cli_progress_end(struct cli_progress *p);

#endif
