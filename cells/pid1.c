/* PID 1 of a cell: maps the user, builds the root, starts the launcher,
 * then reaps every child, forwards signals to the program, answers the
 * exec notifications of the pledge filter, and exits with the program's
 * status. When it exits the kernel kills what is left in the cell. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* Signals the cell's program receives when nip or PID 1 does. */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
				SIGCONT, SIGTSTP};

static const int rlimit_res[] = {
#define NIP_X(id, name, res) res,
	NIP_RLIMITS(NIP_X)
#undef NIP_X
};

static void fail(int errfd, int status, const struct nip_error *err)
{
	struct cell_failure f = {.status = status, .err = *err};
	ssize_t unused = write(errfd, &f, sizeof f); /* the pipe holds it: < PIPE_BUF */
	(void)unused;
	_exit(status);
}

static int write_file(const char *path, const char *text, struct nip_error *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);

	if (fd < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "%s", path);
	if (write(fd, text, n) != (ssize_t)n) {
		int e = errno;
		close(fd);
		return nip_err_sys(err, NIP_E_DENIED, e, "%s", path);
	}
	close(fd);
	return 0;
}

/* The outer user appears as itself (root as root); no other id exists in
 * the cell, so nothing can become anyone else. */
static int map_ids(uid_t uid, gid_t gid, struct nip_error *err)
{
	char line[64];

	if (write_file("/proc/self/setgroups", "deny", err) < 0)
		return -1;
	snprintf(line, sizeof line, "%u %u 1", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", line, err) < 0)
		return -1;
	snprintf(line, sizeof line, "%u %u 1", (unsigned)gid, (unsigned)gid);
	return write_file("/proc/self/gid_map", line, err);
}

/* A new network namespace has loopback, down. */
static int loopback_up(struct nip_error *err)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "loopback");
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "loopback");
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "loopback up");
	close(fd);
	return rc;
}

static int drop_caps(struct nip_error *err)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{0}};

	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return nip_err_sys(err, NIP_E_DENIED, errno, "dropping capabilities");
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &h, d) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "dropping capabilities");
	return 0;
}

/* The program by PATH of its own environment, found before the filter
 * counts execve: a failed attempt must not use up the one allowed. */
static int find_program(const char *name, char *const *envp, char *out, size_t outsz)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	int seen_eacces = 0;

	if (strchr(name, '/')) {
		snprintf(out, outsz, "%s", name);
		return 0;
	}
	for (char *const *e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	while (*path) {
		size_t n = strcspn(path, ":");
		struct stat st;
		if (n && (size_t)snprintf(out, outsz, "%.*s/%s", (int)n, path, name) < outsz &&
		    stat(out, &st) == 0) {
			if (S_ISREG(st.st_mode))
				return 0;
			seen_eacces = 1;
		}
		path += n + (path[n] == ':');
	}
	return seen_eacces ? EACCES : ENOENT;
}

/* PID 2: confines itself in the order the kernel requires (no_new_privs,
 * Landlock while it can still open paths, capabilities, seccomp last as it
 * forbids the calls before it) and becomes the program. */
static void launch(const struct nip_cell_spec *s, int errfd, int sock, int bpffd, sigset_t *old)
{
	const struct nip_policy *p = s->policy;
	struct nip_error err;
	char prog[4096];
	int listener = -1, rc;

	sigprocmask(SIG_SETMASK, old, NULL);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		signal(forwarded[i], SIG_DFL);
	/* Descriptors the caller passed beyond stdio do not enter the cell:
	 * one open on a hidden file would bypass unveil. */
	syscall(SYS_close_range, 3, ~0u, 4 /* CLOSE_RANGE_CLOEXEC */);
	if (!s->tty)
		setsid(); /* no controlling terminal to push input into */
	for (int i = 0; i < NIP_RL_COUNT_; i++)
		if (p->rlimit_set & (1u << i)) {
			struct rlimit rl = {(rlim_t)p->rlimit[i], (rlim_t)p->rlimit[i]};
			if (setrlimit(rlimit_res[i], &rl) < 0) {
				nip_err_sys(&err, NIP_E_DENIED, errno, "rlimit");
				fail(errfd, 125, &err);
			}
		}
	if ((rc = find_program(s->argv[0], s->envp, prog, sizeof prog)) != 0) {
		nip_err_sys(&err, NIP_E_USAGE, rc, "%s", s->argv[0]);
		fail(errfd, rc == ENOENT ? 127 : 126, &err);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		nip_err_sys(&err, NIP_E_DENIED, errno, "no_new_privs");
		fail(errfd, 125, &err);
	}
	if (nip_landlock_apply(p, prog, s->best_effort, &err) < 0 || drop_caps(&err) < 0 ||
	    cell_seccomp_load(bpffd, !(p->promises & NIP_PROMISE(EXEC)), &listener, &err) < 0)
		fail(errfd, 125, &err);
	close(bpffd);
	if (listener >= 0) {
		if (cell_send_fd(sock, listener) < 0) {
			nip_err_sys(&err, NIP_E_INTERNAL, errno, "passing the exec listener");
			fail(errfd, 125, &err);
		}
		close(listener);
	}
	close(sock);
	execve(prog, s->argv, s->envp);
	rc = errno;
	nip_err_sys(&err, NIP_E_USAGE, rc, "%s", prog);
	fail(errfd, rc == ENOENT ? 127 : 126, &err);
}

static void nothing(int sig)
{
	(void)sig;
}

void cell_pid1(const struct nip_cell_spec *s, int errfd, int reportfd, int bpffd, uid_t uid,
	       gid_t gid)
{
	struct cell_sources src = {.top = -1, .state = -1};
	const struct nip_policy *p = s->policy;
	struct cell_exec_watch w = {
		.layer = cell_exec_layer_needed(p->promises, p->execpromises),
		.execpromises = p->execpromises,
	};
	struct nip_error err;
	sigset_t set, old;
	int sv_sock[2] = {-1, -1}, sfd, listener = -1, status = 125, sigsys = 0;
	int net = s->net || (p->promises & (NIP_PROMISE(INET) | NIP_PROMISE(DNS)));

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (map_ids(uid, gid, &err) < 0 || cell_open_sources(s, &src, &err) < 0 ||
	    cell_build_root(s, &src, &err) < 0 || (!net && loopback_up(&err) < 0))
		fail(errfd, 125, &err);
	cell_close_sources(s, &src);
	sethostname(s->name, strlen(s->name));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv_sock) < 0) {
		nip_err_sys(&err, NIP_E_IO, errno, "socketpair");
		fail(errfd, 125, &err);
	}
	/* An init ignores signals it has no handler for, even when blocked:
	 * a handler, then the signals come through signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) {
		signal(forwarded[i], nothing);
		sigaddset(&set, forwarded[i]);
	}
	sigprocmask(SIG_BLOCK, &set, &old);
	w.launcher = w.program = fork();
	if (w.launcher < 0) {
		nip_err_sys(&err, NIP_E_IO, errno, "fork");
		fail(errfd, 125, &err);
	}
	if (w.launcher == 0) {
		close(sv_sock[0]);
		close(reportfd);
		launch(s, errfd, sv_sock[1], bpffd, &old);
	}
	close(errfd); /* the outer nip sees EOF once the program runs */
	close(bpffd);
	close(sv_sock[1]);
	/* A listener comes when execve is watched: without exec (only the
	 * program starts) or with the exec layer (execpromises). */
	if (!(p->promises & NIP_PROMISE(EXEC)) || w.layer)
		listener = cell_recv_fd(sv_sock[0]);
	close(sv_sock[0]);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		_exit(125);
	for (;;) {
		struct pollfd pf[2] = {{sfd, POLLIN, 0}, {listener, POLLIN, 0}};
		struct signalfd_siginfo si;
		int n = poll(pf, listener >= 0 ? 2 : 1, -1);

		if (n < 0)
			continue;
		if (listener >= 0 && (pf[1].revents & POLLIN) && cell_exec_answer(&w, listener) == 0)
			;
		else if (listener >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			close(listener); /* no process holds the filter any more */
			listener = -1;
		}
		if (!(pf[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo != SIGCHLD) {
			kill(w.launcher, (int)si.ssi_signo);
			continue;
		}
		for (;;) {
			int ws;
			pid_t pid = waitpid(-1, &ws, WNOHANG);
			if (pid <= 0)
				break;
			if (pid != w.launcher)
				continue;
			if (WIFSIGNALED(ws)) {
				status = 128 + WTERMSIG(ws);
				sigsys = WTERMSIG(ws) == SIGSYS;
			} else {
				status = WEXITSTATUS(ws);
			}
			dprintf(reportfd, "denied %u sigsys %d\n", w.denied, sigsys);
			_exit(status);
		}
	}
}
