/* cell: libnipcell, the NipCell runtime. Policies (pledge promises, unveil
 * paths, resource limits), their enforcement (seccomp through libseccomp,
 * Landlock called directly) and the namespaces a cell runs in.
 *
 * libnipcell needs only libc and libseccomp: a program can link it alone
 * (-lnipcell -lseccomp) to confine itself with nip_pledge and nip_unveil,
 * which keep OpenBSD's semantics (doc/nip_pledge.3). The mapping from
 * promises to system calls is doc/nip-policy.5. */
#ifndef NIP_CELL_H
#define NIP_CELL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "nip/util.h"

/* ---- the C API (OpenBSD's pledge(2) and unveil(2)) -------------------- */

/* Restricts the calling process (all its threads) to the system calls of
 * `promises` ("stdio rpath inet"). Each call may only narrow: a promise not
 * held before is EPERM. NULL leaves that set as it is. Returns 0, or -1
 * with errno (EINVAL for an unknown promise, EPERM for widening). */
int nip_pledge(const char *promises, const char *execpromises);
/* Makes `path` visible with `permissions` (a subset of "rwxc"); the first
 * call hides everything else. Rules take effect at nip_unveil(NULL, NULL),
 * which locks them, or at the next nip_pledge. Returns 0 or -1 with errno
 * (EPERM once locked, ENOENT for a missing path, EOPNOTSUPP without
 * Landlock). */
int nip_unveil(const char *path, const char *permissions);

/* ---- promises ---------------------------------------------------------- */

#define NIP_PROMISES(X)   \
	X(STDIO, "stdio")     \
	X(RPATH, "rpath")     \
	X(WPATH, "wpath")     \
	X(CPATH, "cpath")     \
	X(DPATH, "dpath")     \
	X(TMPPATH, "tmppath") \
	X(FATTR, "fattr")     \
	X(CHOWN, "chown")     \
	X(FLOCK, "flock")     \
	X(INET, "inet")       \
	X(MCAST, "mcast")     \
	X(UNIX, "unix")       \
	X(DNS, "dns")         \
	X(GETPW, "getpw")     \
	X(SENDFD, "sendfd")   \
	X(RECVFD, "recvfd")   \
	X(TTY, "tty")         \
	X(PROC, "proc")       \
	X(EXEC, "exec")       \
	X(PROT_EXEC, "prot_exec") \
	X(SETTIME, "settime") \
	X(PS, "ps")           \
	X(VMINFO, "vminfo")   \
	X(ID, "id")           \
	X(UNVEIL, "unveil")   \
	X(ERROR, "error")     \
	X(ABORT, "abort")

enum nip_promise {
#define NIP_X(id, name) NIP_P_##id,
	NIP_PROMISES(NIP_X)
#undef NIP_X
	NIP_P_COUNT_
};
#define NIP_PROMISE(p) (UINT64_C(1) << NIP_P_##p)

const char *nip_promise_name(int p);
/* One sentence: what the promise allows. */
const char *nip_promise_says(int p);
/* Space-separated names into a bit set; NIP_E_FORMAT naming an unknown one
 * (OpenBSD promises that mean nothing on Linux are refused by name). */
int nip_promises_parse(const char *s, uint64_t *out, struct nip_error *err);

/* ---- policies ---------------------------------------------------------- */

#define NIP_UNVEIL_R 1u
#define NIP_UNVEIL_W 2u
#define NIP_UNVEIL_X 4u
#define NIP_UNVEIL_C 8u

struct nip_unveil_rule {
	char *path;     /* absolute, normalised */
	unsigned perms; /* NIP_UNVEIL_* */
	unsigned layer; /* rules of one layer are one Landlock ruleset */
	int implied;    /* added by nip_policy_add_implied, not written */
};

#define NIP_RLIMITS(X)            \
	X(CORE, "core", RLIMIT_CORE)  \
	X(CPU, "cpu", RLIMIT_CPU)     \
	X(DATA, "data", RLIMIT_DATA)  \
	X(FSIZE, "fsize", RLIMIT_FSIZE) \
	X(MEMLOCK, "memlock", RLIMIT_MEMLOCK) \
	X(NOFILE, "nofile", RLIMIT_NOFILE) \
	X(NPROC, "nproc", RLIMIT_NPROC) \
	X(STACK, "stack", RLIMIT_STACK) \
	X(AS, "as", RLIMIT_AS)

enum nip_rlimit_id {
#define NIP_X(id, name, res) NIP_RL_##id,
	NIP_RLIMITS(NIP_X)
#undef NIP_X
	NIP_RL_COUNT_
};

/* A parsed policy. Narrowing one by another keeps both unveil sets as
 * separate layers: Landlock stacks them, so a path must pass every layer
 * (the intersection), exactly. */
struct nip_policy {
	uint64_t promises;
	uint64_t execpromises; /* == promises unless the policy names them */
	int has_pledge, has_execpromises;
	struct nip_unveil_rule *unveil;
	size_t nunveil;
	unsigned nlayers; /* layers holding at least one rule */
	uint64_t rlimit[NIP_RL_COUNT_];
	unsigned rlimit_set; /* bit per enum nip_rlimit_id */
};

/* Parses policy text (doc/nip-policy.5); `what` names it in messages
 * ("policies/net-client:3: ..."). NIP_E_FORMAT or NIP_E_LIMIT. */
int nip_policy_parse(const char *text, size_t len, const char *what, struct nip_policy **out,
		     struct nip_error *err);
void nip_policy_free(struct nip_policy *p);
/* p becomes the intersection of p and bound: never wider than either. */
int nip_policy_narrow(struct nip_policy *p, const struct nip_policy *bound, struct nip_error *err);
/* Explains the policy in words (or as one JSON object) on f. */
void nip_policy_explain(const struct nip_policy *p, int json, FILE *f);
/* The unveil rules nip adds for promises that imply files (dns reads
 * /etc/resolv.conf, tty opens /dev/tty...) and for what every program
 * needs to start (its code under /usr, /bin, /lib...). Applies to layers
 * that exist; a policy without unveil lines sees the whole cell. */
int nip_policy_add_implied(struct nip_policy *p, struct nip_error *err);

/* ---- enforcement --------------------------------------------------------- */

/* Landlock's ABI version (0 when the kernel has none). */
int nip_landlock_abi(void);
/* What Landlock of ABI `abi` makes of p: the rights and scopes each
 * ruleset handles, how much of the ruleset attribute that ABI reads, and
 * what works differently there (notes, one sentence a line). A policy
 * with unveil lines on a kernel without Landlock is NIP_E_DENIED, unless
 * best_effort. Rights an older ABI lacks never open a hole: each is
 * refused by other means (seccomp.c), which the notes name. */
struct nip_landlock_plan {
	int abi;
	uint64_t handled_fs, handled_net, scoped;
	size_t attr_size;
	char notes[600];
};
int nip_landlock_plan(const struct nip_policy *p, int abi, int best_effort,
		      struct nip_landlock_plan *out, struct nip_error *err);
/* Applies the unveil layers to the calling thread (no_new_privs must be
 * set); `program` (or NULL) is readable and executable in every layer. A
 * right the policy needs that this kernel cannot restrict is NIP_E_DENIED
 * naming it, unless best_effort. */
int nip_landlock_apply(const struct nip_policy *p, const char *program, int best_effort,
		       struct nip_error *err);

#define NIP_SECCOMP_NOTIFY_EXEC 1 /* execve goes to a supervisor (see nip_cell_start) */
#define NIP_SECCOMP_EXEC_LAYER 2  /* the execpromises layer: see doc/nip-policy.5 */
/* Loads the pledge filter for `promises`; with NIP_SECCOMP_NOTIFY_EXEC and
 * without the exec promise, *notify_fd receives the listener. With
 * NIP_SECCOMP_EXEC_LAYER, `promises` are execpromises: a call they do not
 * grant goes to the supervisor listening on *notify_fd. */
int nip_seccomp_apply(uint64_t promises, int flags, int *notify_fd, struct nip_error *err);

/* ---- running a program in a cell ---------------------------------------- */

struct nip_cell_bind {
	const char *src, *dst;
	int ro;
};

struct nip_cell_spec {
	const char *name;      /* the cell: its hostname, and messages */
	/* Paths, opened inside the cell's mount namespace (a bind needs a
	 * mount of its own namespace, not one seen through the caller's). */
	const char *deploy;    /* the deployment's root directory, or NULL: the host's */
	const char *state;     /* the cell's writable state (its var/ is /var), or NULL */
	const struct nip_policy *policy;
	const struct nip_cell_bind *binds;
	size_t nbinds;
	int net;               /* share the host's network even without inet/dns */
	int tty;               /* /dev/tty inside, and keep the terminal session */
	int best_effort;       /* run even where the kernel cannot enforce all */
	int cache_fd;          /* a directory for compiled filters, or -1 */
	char *const *argv;
	char *const *envp;
};

struct nip_cell {
	pid_t pid;      /* PID 1 of the cell, as seen from outside */
	int report_fd;  /* PID 1 reports violations here at its end */
};

/* Starts argv in a new cell and returns once the program runs (its execve
 * succeeded). When nip cannot start it: -1, err set and *setup_status
 * 125 (setup failed), 126 (not executable) or 127 (not found). */
int nip_cell_start(const struct nip_cell_spec *s, struct nip_cell *c, int *setup_status,
		   struct nip_error *err);
/* Waits for the cell: *status is the program's exit status (128 + signal
 * when killed), *denied the calls nip's supervisor refused (exec). Signals
 * sent to the caller meanwhile are forwarded to the cell. */
int nip_cell_wait(struct nip_cell *c, int *status, unsigned *denied, int *sigsys,
		  struct nip_error *err);

#endif
