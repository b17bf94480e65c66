/* nip run: a program in its cell. Kept lean because it is on every start,
 * and built into nip's small front end (nip/front/): no SQLite (the cell's
 * policy is a file beside its deployment, its start and violations are
 * appended to the cell-event journal), and the rest of nip (cli_heavy) is
 * loaded only for a cell with a deployment, for its package's policy. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nip/cell.h"
#include "nip/limits.h"
#include "nip/txn.h"

#define MAX_BINDS 64
#define MAX_ENV 256

/* Variables a program may see from nip's environment; all else is
 * cleared, as a program cannot be trusted with its caller's secrets. */
static const char *const keep_env[] = {"TERM", "LANG", "LANGUAGE", "TZ", "COLORTERM", "NO_COLOR",
				       NULL};

extern char **environ;

struct run_args {
	const char *policy;
	struct nip_cell_bind binds[MAX_BINDS];
	size_t nbinds;
	char *env[MAX_ENV];
	size_t nenv;
	char *owned[MAX_ENV]; /* the "NAME=value" strings made here */
	size_t nowned;
	int net, tty, best_effort;
	int first; /* index of the program in argv */
};

static int env_add(struct run_args *a, char *s)
{
	if (a->nenv + 1 >= MAX_ENV)
		return -1;
	a->env[a->nenv++] = s;
	a->env[a->nenv] = NULL;
	return 0;
}

static int add_env_arg(struct run_args *a, const char *arg)
{
	const char *v;
	size_t n;
	char *s;

	if (strchr(arg, '='))
		return env_add(a, (char *)arg);
	if (!(v = getenv(arg)))
		return 0;
	n = strlen(arg) + strlen(v) + 2;
	if (!(s = malloc(n)))
		return -1;
	snprintf(s, n, "%s=%s", arg, v);
	a->owned[a->nowned++] = s;
	return env_add(a, s);
}

static int parse_bind(const struct cli_opts *o, struct run_args *a, char *spec)
{
	char *dst = strchr(spec, ':'), *mode;

	if (!dst || dst == spec || a->nbinds >= MAX_BINDS)
		return cli_usage(o, &cli_cmd_run, "run: --bind expects SRC:DST[:ro] (at most %d)", MAX_BINDS);
	*dst++ = '\0';
	if ((mode = strchr(dst, ':'))) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
			return cli_usage(o, &cli_cmd_run, "run: --bind mode is ro or rw, not '%s'", mode);
	}
	if (dst[0] != '/')
		return cli_usage(o, &cli_cmd_run, "run: --bind target %s is not absolute", dst);
	a->binds[a->nbinds++] = (struct nip_cell_bind){spec, dst, mode && strcmp(mode, "ro") == 0};
	return 0;
}

static int parse(const struct cli_opts *o, int argc, char **argv, struct run_args *a)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--") == 0) {
			i++;
			break;
		}
		if (s[0] != '-')
			break;
		if (strcmp(s, "--policy") == 0 && i + 1 < argc)
			a->policy = argv[++i];
		else if (strcmp(s, "--bind") == 0 && i + 1 < argc) {
			int rc = parse_bind(o, a, argv[++i]);
			if (rc)
				return -rc;
		} else if (strcmp(s, "--env") == 0 && i + 1 < argc) {
			if (add_env_arg(a, argv[++i]) < 0)
				return -cli_usage(o, &cli_cmd_run, "run: too many --env");
		} else if (strcmp(s, "--net") == 0)
			a->net = 1;
		else if (strcmp(s, "--tty") == 0)
			a->tty = 1;
		else if (strcmp(s, "--best-effort") == 0)
			a->best_effort = 1;
		else
			return -cli_usage(o, &cli_cmd_run, "run: unknown option '%s'", s);
	}
	if (i >= argc)
		return -cli_usage(o, &cli_cmd_run, "run: expected -- CMD [ARG...]");
	a->first = i;
	return 0;
}

static void base_env(struct run_args *a)
{
	static char path[] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	static char home[] = "HOME=/var";

	env_add(a, path);
	env_add(a, home);
	for (char **e = environ; *e; e++)
		for (int k = 0; keep_env[k]; k++) {
			size_t n = strlen(keep_env[k]);
			if (strncmp(*e, keep_env[k], n) == 0 && (*e)[n] == '=')
				env_add(a, *e);
		}
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LC_", 3) == 0)
			env_add(a, *e);
}

/* The cell's stored policy (cells/CELL/policy), else `default`. */
static int cell_policy(int celldir, const char *cell, struct nip_policy **out, struct nip_error *err)
{
	struct nip_buf b;
	char what[128];

	if (celldir >= 0 && nip_read_file(celldir, "policy", NIP_POLICY_MAX, 1, &b, err) == 0) {
		int rc;
		snprintf(what, sizeof what, "cell %s's policy", cell);
		rc = nip_policy_parse((const char *)b.data, b.len, what, out, err);
		nip_buf_free(&b);
		return rc;
	}
	if (celldir >= 0 && err->errnum != ENOENT)
		return -1;
	return cli_policy_load("default", out, NULL, err);
}

/* mkdir -p of a cache directory; its fd or -1. */
static int cache_dir(int dirfd, const char *path)
{
	char p[4096];

	if ((size_t)snprintf(p, sizeof p, "%s", path) >= sizeof p)
		return -1;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdirat(dirfd, p, 0755);
		*s = '/';
	}
	mkdirat(dirfd, p, 0755);
	return openat(dirfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Where compiled filters are kept: the root's cache when this user may
 * write it, else the user's own ($XDG_CACHE_HOME or ~/.cache). */
static int filter_cache(int rootfd)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char path[4096];
	int fd = -1;

	if (rootfd >= 0 && faccessat(rootfd, "cache", W_OK, AT_EACCESS) == 0)
		fd = cache_dir(rootfd, "cache/cells");
	if (fd < 0 && xdg && xdg[0] == '/') {
		snprintf(path, sizeof path, "%s/nip/cells", xdg);
		fd = cache_dir(AT_FDCWD, path);
	}
	if (fd < 0 && home && home[0] == '/') {
		snprintf(path, sizeof path, "%s/.cache/nip/cells", home);
		fd = cache_dir(AT_FDCWD, path);
	}
	return fd;
}

/* A package's own policy narrows the cell's. A root this user cannot
 * read leaves the cell's policy alone, which bounds it anyway. */
static int package_policy(const struct cli_opts *o, int celldir, struct nip_policy *p,
			  const char *prog, struct nip_error *err)
{
	const struct cli_heavy *h;
	struct nip_policy *pkg = NULL;
	char *text = NULL, *name = NULL, what[200];
	int rc;

	if ((rc = nip_run_index_lookup(celldir, prog, &text, &name, err)) < 0)
		return -1;
	if (rc == 1)
		goto found;
	if (!(h = cli_heavy(err)))
		return -1;
	if (h->package_policy(o->root, o->cell, prog, &text, &name, err) < 0) {
		if (o->verbose)
			fprintf(stderr, "nip: note: no package policy: %s\n", err->msg);
		return 0;
	}
found:
	if (!text)
		return 0;
	snprintf(what, sizeof what, "package %.100s's policy", name);
	rc = nip_policy_parse(text, strlen(text), what, &pkg, err) < 0 ||
	     nip_policy_narrow(p, pkg, err) < 0 ? -1 : 0;
	nip_policy_free(pkg);
	free(text);
	free(name);
	return rc;
}

/* A record in the root's cell-event journal, which the next nip folds
 * into ProvChain (events.c): one append, so that logging costs a start
 * next to nothing. A root this user cannot write keeps no record. */
static void record(const struct cli_opts *o, int rootfd, const char *event, const char *subject,
		   const char *details)
{
	struct nip_error err;

	if (rootfd >= 0 && nip_cell_event_append(rootfd, event, subject, details, &err) < 0 &&
	    o->verbose)
		fprintf(stderr, "nip: note: %s not logged: %s\n", event, err.msg);
}

static void summary(const struct nip_policy *p, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < NIP_P_COUNT_ && len + 16 < n; i++)
		if (p->promises & (UINT64_C(1) << i))
			len += (size_t)snprintf(out + len, n - len, "%s%s", len ? " " : "", nip_promise_name(i));
}

static int run_run(const struct cli_opts *o, int argc, char **argv)
{
	struct run_args a = {0};
	struct nip_policy *p = NULL, *narrow = NULL;
	struct nip_cell_spec s = {0};
	struct nip_cell c;
	struct nip_error err;
	char cellpath[300], subject[400], details[1200], promises[600], deploy[4200], state[4200];
	int rootfd = -1, celldir = -1, status = -1, rc;
	int cache = -1;
	unsigned denied = 0;
	int sigsys = 0;

	if ((rc = parse(o, argc, argv, &a)) < 0)
		return -rc;
	base_env(&a);
	rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(cellpath, sizeof cellpath, "cells/%s", o->cell);
	if (!nip_cell_name_valid(o->cell)) {
		nip_err(&err, NIP_E_USAGE, "'%.64s' is not a cell name", o->cell);
		goto fail;
	}
	if (rootfd >= 0)
		celldir = openat(rootfd, cellpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (celldir < 0 && strcmp(o->cell, "system") != 0) {
		nip_err(&err, NIP_E_USAGE, "no cell %s in %s (nip cell create %s)", o->cell, o->root,
			o->cell);
		goto fail;
	}
	if (celldir >= 0) {
		/* No generation yet: the cell runs on the host's code. */
		if (faccessat(celldir, "current", F_OK, 0) == 0) {
			snprintf(deploy, sizeof deploy, "%s/%s/current", o->root, cellpath);
			s.deploy = deploy;
		}
		if (mkdirat(celldir, "state", 0755) < 0 && errno != EEXIST) {
			nip_err_sys(&err, NIP_E_IO, errno, "%s/%s/state", o->root, cellpath);
			goto fail;
		}
		snprintf(state, sizeof state, "%s/%s/state", o->root, cellpath);
		s.state = state;
	}
	if (cell_policy(celldir, o->cell, &p, &err) < 0)
		goto fail;
	if (s.deploy && package_policy(o, celldir, p, argv[a.first], &err) < 0)
		goto fail;
	if (a.policy) {
		/* --policy narrows the cell's policy; it never widens it. */
		if (cli_policy_load(a.policy, &narrow, NULL, &err) < 0 || nip_policy_narrow(p, narrow, &err) < 0)
			goto fail;
	}
	if (nip_policy_add_implied(p, &err) < 0)
		goto fail;
	if (o->verbose)
		cli_landlock_notes(p, a.best_effort, "nip: note: ", stderr);
	s.cache_fd = cache = filter_cache(rootfd);
	s.name = o->cell;
	s.policy = p;
	s.binds = a.binds;
	s.nbinds = a.nbinds;
	s.net = a.net;
	s.tty = a.tty;
	s.best_effort = a.best_effort;
	s.argv = argv + a.first;
	s.envp = a.env;
	if (nip_cell_start(&s, &c, &status, &err) < 0)
		goto fail;
	/* Recorded once the program runs: a start that failed is none. */
	summary(p, promises, sizeof promises);
	snprintf(subject, sizeof subject, "cell=%s", o->cell);
	snprintf(details, sizeof details, "pid=%ld program=%.400s pledge=%s", (long)c.pid,
		 argv[a.first], promises);
	record(o, rootfd, "cell-start", subject, details);
	if (nip_cell_wait(&c, &status, &denied, &sigsys, &err) < 0)
		goto fail;
	if (denied || sigsys) {
		snprintf(details, sizeof details, "program=%.400s denied=%u killed_by_filter=%s",
			 argv[a.first], denied, sigsys ? "yes" : "no");
		record(o, rootfd, "cell-violation", subject, details);
	}
	rc = status;
	goto out;
fail:
	rc = cli_fail(o, &err);
	/* nip's own failures to start the program are 125/126/127 (env(1));
	 * errors before any start keep their class. */
	if (status >= 0)
		rc = status;
out:
	nip_policy_free(p);
	nip_policy_free(narrow);
	for (size_t i = 0; i < a.nowned; i++)
		free(a.owned[i]);
	if (cache >= 0)
		close(cache);
	if (celldir >= 0)
		close(celldir);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

const struct cli_cmd cli_cmd_run = {
	"run", "run a program confined in a cell",
	"usage: nip run [--cell NAME] [--policy FILE|NAME] [--net] [--tty] [--best-effort]\n"
	"               [--bind SRC:DST[:ro]]... [--env NAME[=VALUE]]... -- CMD [ARG...]\n"
	"\n"
	"Runs CMD in new user, mount, PID, IPC and UTS namespaces (and a network\n"
	"namespace with only loopback unless the policy pledges inet or dns), on a\n"
	"read-only view of the cell's current deployment (the host's /usr, /bin,\n"
	"/lib and /etc when the cell has none) with its state as /var, then unveil\n"
	"(Landlock) and pledge (seccomp) from the policy. Exits with CMD's status;\n"
	"125 when the cell cannot be set up, 126 when CMD cannot run, 127 when it\n"
	"is not found.\n"
	"\n"
	"  --policy P       narrow the cell's policy by P (a FILE, or a shipped NAME)\n"
	"  --net            keep the host's network even without inet or dns\n"
	"  --tty            bind /dev/tty and keep the terminal session\n"
	"  --best-effort    run even where this kernel cannot enforce all of unveil\n"
	"  --bind S:D[:ro]  bind the host's S at D in the cell (read-only with :ro)\n"
	"  --env NAME[=V]   pass NAME from nip's environment, or set it to V\n",
	run_run,
};
