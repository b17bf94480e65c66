/* Starting a cell from the outside: one clone() into new user, mount,
 * PID, IPC, UTS and (unless the network is kept) network namespaces, whose
 * child is the cell's PID 1; then waiting for it, forwarding signals. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};

int nip_cell_start(const struct nip_cell_spec *s, struct nip_cell *c, int *setup_status,
		   struct nip_error *err)
{
	int errp[2] = {-1, -1}, rep[2] = {-1, -1}, bpf[2] = {-1, -1}, exported;
	struct sigaction ign = {.sa_handler = SIG_IGN}, oldpipe;
	int net = s->net || (s->policy->promises & (NIP_PROMISE(INET) | NIP_PROMISE(DNS)));
	unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
			      CLONE_NEWUTS | CLONE_NEWCGROUP | (net ? 0 : CLONE_NEWNET) | SIGCHLD;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct cell_failure f;
	ssize_t n;
	pid_t pid;

	*setup_status = 125;
	if (!s->argv || !s->argv[0])
		return nip_err(err, NIP_E_USAGE, "no program to run");
	if (cell_exec_layer_needed(s->policy->promises, s->policy->execpromises) && !s->best_effort &&
	    !cell_aslr_on())
		return nip_err(err, NIP_E_DENIED,
			       "execpromises needs address space randomisation to tell started "
			       "programs from the program (kernel.randomize_va_space is 0, or nip "
			       "runs under setarch -R; or run with --best-effort)");
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 || pipe2(bpf, O_CLOEXEC) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "pipe");
		goto fail;
	}
	fflush(NULL);
	/* Like fork(), with the namespaces: the child is PID 1 of the new
	 * PID namespace from its first instruction. */
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
	if (pid < 0) {
		int e = errno;
		nip_err_sys(err, e == EPERM || e == ENOSPC ? NIP_E_DENIED : NIP_E_IO, e,
			    "creating the cell's namespaces");
		goto fail;
	}
	if (pid == 0) {
		close(errp[0]);
		close(rep[0]);
		close(bpf[1]);
		cell_pid1(s, errp[1], rep[1], bpf[0], uid, gid);
	}
	close(errp[1]);
	close(rep[1]);
	close(bpf[0]);
	errp[1] = rep[1] = bpf[0] = -1;
	/* Built here while PID 1 builds the root: the two run in parallel.
	 * A cell that died early must not kill nip with SIGPIPE. */
	sigaction(SIGPIPE, &ign, &oldpipe);
	exported = cell_seccomp_export(s->policy->promises, s->policy->execpromises, bpf[1],
				       s->cache_fd, err);
	sigaction(SIGPIPE, &oldpipe, NULL);
	close(bpf[1]);
	bpf[1] = -1;
	/* Without its filter the launcher gives up: the pipe below always
	 * ends. A cell that died first (the write failed) has the reason. */
	do
		n = read(errp[0], &f, sizeof f);
	while (n < 0 && errno == EINTR);
	if (exported < 0 && !(n == (ssize_t)sizeof f && f.err.code != NIP_E_INTERNAL)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(errp[0]);
		close(rep[0]);
		return -1;
	}
	close(errp[0]);
	errp[0] = -1;
	if (n == (ssize_t)sizeof f) {
		*err = f.err;
		err->msg[sizeof err->msg - 1] = '\0';
		*setup_status = f.status == 126 || f.status == 127 ? f.status : 125;
		waitpid(pid, NULL, 0);
		close(rep[0]);
		return -1;
	}
	if (n != 0) {
		nip_err(err, NIP_E_INTERNAL, "the cell died while starting");
		waitpid(pid, NULL, 0);
		close(rep[0]);
		return -1;
	}
	c->pid = pid;
	c->report_fd = rep[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (errp[i] >= 0)
			close(errp[i]);
		if (rep[i] >= 0)
			close(rep[i]);
		if (bpf[i] >= 0)
			close(bpf[i]);
	}
	return -1;
}

int nip_cell_wait(struct nip_cell *c, int *status, unsigned *denied, int *sigsys,
		  struct nip_error *err)
{
	sigset_t set, old;
	int sfd = -1, ws, rc = -1;
	char buf[64] = "";
	ssize_t n;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "signalfd");
		goto out;
	}
	for (;;) {
		struct signalfd_siginfo si;
		pid_t p = waitpid(c->pid, &ws, WNOHANG);
		if (p == c->pid)
			break;
		if (p < 0 && errno != EINTR) {
			nip_err_sys(err, NIP_E_INTERNAL, errno, "waiting for the cell");
			goto out;
		}
		if (read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
			kill(c->pid, (int)si.ssi_signo);
	}
	*status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	*denied = 0;
	*sigsys = 0;
	n = read(c->report_fd, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		sscanf(buf, "denied %u sigsys %d", denied, sigsys);
	}
	rc = 0;
out:
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(c->report_fd);
	c->report_fd = -1;
	return rc;
}
