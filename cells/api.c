/* nip_pledge and nip_unveil: OpenBSD's calls for a program that confines
 * itself. The state below mirrors what the kernel holds for the process
 * (its seccomp filters, its Landlock domain), which is per process by
 * nature; it only remembers what was granted so that a later call can be
 * refused for widening. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "nip/limits.h"

#define MODE_BITS (NIP_PROMISE(ERROR) | NIP_PROMISE(ABORT))

static struct {
	int pledged;
	uint64_t promises, execpromises;
	int locked;
	struct nip_policy pending; /* unveil rules not yet applied */
	int hidden;                /* an unveil layer is in force */
	int layer;                 /* an exec layer is in force (see execwatch.c) */
	uint64_t layer_set;        /* the execpromises it grants */
} self;

static int errno_of(const struct nip_error *err)
{
	if (err->code == NIP_E_FORMAT || err->code == NIP_E_USAGE)
		return err->errnum ? err->errnum : EINVAL;
	return err->errnum ? err->errnum : EPERM;
}

static void clear_pending(void)
{
	for (size_t i = 0; i < self.pending.nunveil; i++)
		free(self.pending.unveil[i].path);
	free(self.pending.unveil);
	memset(&self.pending, 0, sizeof self.pending);
}

/* Landlock rules reach the kernel only as a whole ruleset. */
static int apply_pending(struct nip_error *err)
{
	int rc;

	if (!self.pending.nunveil)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "no_new_privs");
	self.pending.nlayers = 1;
	self.pending.promises = self.promises;
	rc = nip_landlock_apply(&self.pending, NULL, 0, err);
	clear_pending();
	if (rc == 0)
		self.hidden = 1;
	return rc;
}

/* The exec layer's supervisor: a process of its own, forked before the
 * layer is loaded (it must not be under it) and detached (a grandchild:
 * the caller's wait() never meets it, a terminal's signals never reach
 * it). It serves the listener it is sent until no process holds the
 * layer any more. Returns the socket to send the listener on, or -1. */
static int start_supervisor(uint64_t execpromises)
{
	struct cell_exec_watch w = {.layer = 1, .execpromises = execpromises, .program = getpid()};
	int sp[2], listener, st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here: the caller may have
		 * threads. */
		if (fork() != 0)
			_exit(0);
		setsid();
		if (dup2(sp[1], 3) < 0)
			_exit(1);
		syscall(SYS_close_range, 4, ~0u, 0);
		syscall(SYS_close_range, 0, 2, 0);
		listener = cell_recv_fd(3);
		close(3);
		if (listener < 0)
			_exit(0); /* the layer was not loaded */
		for (;;) {
			struct pollfd pf = {listener, POLLIN, 0};
			if (poll(&pf, 1, -1) < 0)
				continue;
			if (!(pf.revents & POLLIN) || cell_exec_answer(&w, listener) < 0)
				_exit(0); /* POLLHUP: nobody holds the layer any more */
		}
	}
	close(sp[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return sp[0];
}

/* execpromises narrower than the promises: the exec layer on top of the
 * pledge filter, and its supervisor. */
static int exec_layer(uint64_t exec, struct nip_error *err)
{
	int sock = start_supervisor(exec), listener = -1, rc;

	if (sock < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "starting the execpromises supervisor");
	rc = nip_seccomp_apply(exec, NIP_SECCOMP_EXEC_LAYER, &listener, err);
	if (rc == 0 && cell_send_fd(sock, listener) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "passing the exec layer's listener");
	if (listener >= 0)
		close(listener);
	close(sock); /* without a listener the supervisor leaves */
	return rc;
}

int nip_pledge(const char *promises, const char *execpromises)
{
	struct nip_error err;
	uint64_t set = self.pledged ? self.promises : ~UINT64_C(0) & ~MODE_BITS, exec = self.execpromises;
	int need;

	if (promises && nip_promises_parse(promises, &set, &err) < 0)
		goto fail;
	if (execpromises && nip_promises_parse(execpromises, &exec, &err) < 0)
		goto fail;
	if (self.pledged) {
		if (set & ~self.promises & ~MODE_BITS) {
			errno = EPERM;
			return -1;
		}
		/* A process already killed on violation stays so. */
		set |= self.promises & NIP_PROMISE(ABORT);
		if (execpromises && (exec & ~self.execpromises & ~MODE_BITS)) {
			errno = EPERM;
			return -1;
		}
	}
	if (!execpromises)
		exec = self.pledged ? self.execpromises : set;
	if (apply_pending(&err) < 0)
		goto fail;
	need = (promises || self.pledged) && cell_exec_layer_needed(set, exec);
	if (need && self.layer) {
		/* One listener per filter stack: the layer in force cannot be
		 * narrowed again. */
		if (self.layer_set & ~exec & ~MODE_BITS) {
			errno = EBUSY;
			return -1;
		}
		need = 0;
	}
	if ((promises || need) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		nip_err_sys(&err, NIP_E_DENIED, errno, "no_new_privs");
		goto fail;
	}
	/* The layer before the promises, whose filter refuses new listeners
	 * (so a layer comes only with the first pledge, and never in a cell). */
	if (need) {
		if (!cell_aslr_on()) {
			errno = EPERM; /* see cell_aslr_on */
			return -1;
		}
		if (exec_layer(exec, &err) < 0)
			goto fail;
		self.layer = 1;
		self.layer_set = exec;
	}
	if (promises) {
		if (nip_seccomp_apply(set, 0, NULL, &err) < 0)
			goto fail;
		self.pledged = 1;
		self.promises = set;
	}
	self.execpromises = exec;
	return 0;
fail:
	errno = errno_of(&err);
	return -1;
}

int nip_unveil(const char *path, const char *permissions)
{
	struct nip_error err;
	struct nip_unveil_rule *v;
	struct stat st;
	unsigned perms = 0;

	if (!path && !permissions) {
		if (apply_pending(&err) < 0) {
			errno = errno_of(&err);
			return -1;
		}
		self.locked = 1;
		return 0;
	}
	if (!path || !permissions) {
		errno = EINVAL;
		return -1;
	}
	if (self.locked) {
		errno = EPERM;
		return -1;
	}
	for (const char *c = permissions; *c; c++) {
		unsigned bit = *c == 'r' ? NIP_UNVEIL_R : *c == 'w' ? NIP_UNVEIL_W
				: *c == 'x' ? NIP_UNVEIL_X : *c == 'c' ? NIP_UNVEIL_C : 0;
		if (!bit) {
			errno = EINVAL;
			return -1;
		}
		perms |= bit;
	}
	if (nip_landlock_abi() == 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (stat(path, &st) < 0)
		return -1; /* Landlock names existing files only */
	if (self.pending.nunveil >= NIP_UNVEIL_MAX) {
		errno = E2BIG;
		return -1;
	}
	v = realloc(self.pending.unveil, (self.pending.nunveil + 1) * sizeof *v);
	if (!v)
		return -1;
	self.pending.unveil = v;
	v += self.pending.nunveil;
	memset(v, 0, sizeof *v);
	if (!(v->path = strdup(path)))
		return -1;
	v->perms = perms;
	self.pending.nunveil++;
	return 0;
}
