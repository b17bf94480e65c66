/* pledge as a seccomp filter (libseccomp). Each row of the table grants one
 * system call to any of its promises, optionally only for some argument
 * values; everything not granted fails with EPERM, or kills the process
 * under the `abort` promise. The architecture is checked (a 32-bit or x32
 * entry kills), 32-bit arguments such as ioctl's command are compared
 * masked, and calls whose arguments live in memory a filter cannot read
 * (clone3, openat2) fail with ENOSYS so that libc falls back to the calls
 * it can check. doc/nip-policy.5 lists the table in words. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>

#include "nip/cell.h"

#define P(x) (UINT64_C(1) << NIP_P_##x)
#define FILES (P(RPATH) | P(WPATH) | P(CPATH) | P(TMPPATH))
#define NET (P(INET) | P(UNIX) | P(DNS))
#define M32 0xffffffffu

enum { NONE = -1 };

struct cmp {
	int arg; /* NONE: no condition */
	int masked;
	uint64_t mask, value;
};

struct row {
	uint64_t promises;
	const char *name;
	struct cmp c1, c2;
};

#define ANY {NONE, 0, 0, 0}
#define EQ(a, v) {a, 0, 0, (uint64_t)(v)}
#define MEQ(a, m, v) {a, 1, (uint64_t)(m), (uint64_t)(v)}
#define ALL(p, n) {p, n, ANY, ANY}

#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif
#define OPEN_BITS (O_ACCMODE | O_CREAT | O_TRUNC | __O_TMPFILE)
#define SUID_BITS (S_ISUID | S_ISGID)

static const struct row table[] = {
	/* stdio: descriptors already open, memory, time, own signals, threads */
	ALL(P(STDIO), "read"), ALL(P(STDIO), "write"), ALL(P(STDIO), "readv"),
	ALL(P(STDIO), "writev"), ALL(P(STDIO), "pread64"), ALL(P(STDIO), "pwrite64"),
	ALL(P(STDIO), "preadv"), ALL(P(STDIO), "pwritev"), ALL(P(STDIO), "preadv2"),
	ALL(P(STDIO), "pwritev2"), ALL(P(STDIO), "close"), ALL(P(STDIO), "close_range"),
	ALL(P(STDIO), "lseek"), ALL(P(STDIO), "fstat"), ALL(P(STDIO), "fstatfs"),
	{P(STDIO), "newfstatat", MEQ(3, AT_EMPTY_PATH, AT_EMPTY_PATH), ANY},
	{P(STDIO), "statx", MEQ(2, AT_EMPTY_PATH, AT_EMPTY_PATH), ANY},
	ALL(P(STDIO), "dup"), ALL(P(STDIO), "dup2"), ALL(P(STDIO), "dup3"),
	ALL(P(STDIO), "fcntl"), ALL(P(STDIO), "fsync"), ALL(P(STDIO), "fdatasync"),
	ALL(P(STDIO), "ftruncate"), ALL(P(STDIO), "fallocate"), ALL(P(STDIO), "fadvise64"),
	ALL(P(STDIO), "readahead"), ALL(P(STDIO), "sendfile"), ALL(P(STDIO), "splice"),
	ALL(P(STDIO), "tee"), ALL(P(STDIO), "copy_file_range"), ALL(P(STDIO), "pipe"),
	ALL(P(STDIO), "pipe2"), ALL(P(STDIO), "poll"), ALL(P(STDIO), "ppoll"),
	ALL(P(STDIO), "select"), ALL(P(STDIO), "pselect6"), ALL(P(STDIO), "epoll_create"),
	ALL(P(STDIO), "epoll_create1"), ALL(P(STDIO), "epoll_ctl"), ALL(P(STDIO), "epoll_wait"),
	ALL(P(STDIO), "epoll_pwait"), ALL(P(STDIO), "epoll_pwait2"), ALL(P(STDIO), "eventfd"),
	ALL(P(STDIO), "eventfd2"), ALL(P(STDIO), "getcwd"), ALL(P(STDIO), "fchdir"),
	ALL(P(STDIO), "umask"), ALL(P(STDIO), "sync"), ALL(P(STDIO), "syncfs"),
	/* memory: executable only from files, never writable and executable
	 * at once; anonymous code needs prot_exec (JITs). */
	{P(STDIO), "mmap", MEQ(2, PROT_EXEC, 0), ANY},
	{P(STDIO), "mmap", MEQ(2, PROT_EXEC | PROT_WRITE, PROT_EXEC), MEQ(3, MAP_ANONYMOUS, 0)},
	ALL(P(PROT_EXEC), "mmap"),
	{P(STDIO), "mprotect", MEQ(2, PROT_EXEC, 0), ANY},
	ALL(P(PROT_EXEC), "mprotect"),
	{P(STDIO), "pkey_mprotect", MEQ(2, PROT_EXEC, 0), ANY},
	ALL(P(PROT_EXEC), "pkey_mprotect"),
	ALL(P(PROT_EXEC), "memfd_create"), /* a memfd is a file: mapping it would be JIT */
	ALL(P(STDIO), "munmap"), ALL(P(STDIO), "mremap"), ALL(P(STDIO), "brk"),
	ALL(P(STDIO), "madvise"), ALL(P(STDIO), "mincore"), ALL(P(STDIO), "msync"),
	ALL(P(STDIO), "mlock"), ALL(P(STDIO), "mlock2"), ALL(P(STDIO), "munlock"),
	ALL(P(STDIO), "membarrier"), ALL(P(STDIO), "get_mempolicy"), ALL(P(STDIO), "set_mempolicy"),
	ALL(P(STDIO), "mbind"),
	/* time */
	ALL(P(STDIO), "clock_gettime"), ALL(P(STDIO), "clock_getres"),
	ALL(P(STDIO), "clock_nanosleep"), ALL(P(STDIO), "nanosleep"), ALL(P(STDIO), "gettimeofday"),
	ALL(P(STDIO), "time"), ALL(P(STDIO), "getitimer"), ALL(P(STDIO), "setitimer"),
	ALL(P(STDIO), "alarm"), ALL(P(STDIO), "pause"), ALL(P(STDIO), "timer_create"),
	ALL(P(STDIO), "timer_settime"), ALL(P(STDIO), "timer_gettime"),
	ALL(P(STDIO), "timer_getoverrun"), ALL(P(STDIO), "timer_delete"),
	ALL(P(STDIO), "timerfd_create"), ALL(P(STDIO), "timerfd_settime"),
	ALL(P(STDIO), "timerfd_gettime"),
	/* signals and identity (reading) */
	ALL(P(STDIO), "rt_sigaction"), ALL(P(STDIO), "rt_sigprocmask"),
	ALL(P(STDIO), "rt_sigreturn"), ALL(P(STDIO), "rt_sigpending"),
	ALL(P(STDIO), "rt_sigtimedwait"), ALL(P(STDIO), "rt_sigsuspend"),
	ALL(P(STDIO), "sigaltstack"), ALL(P(STDIO), "tgkill"), ALL(P(STDIO), "tkill"),
	ALL(P(STDIO), "getpid"), ALL(P(STDIO), "getppid"), ALL(P(STDIO), "gettid"),
	ALL(P(STDIO), "getuid"), ALL(P(STDIO), "geteuid"), ALL(P(STDIO), "getgid"),
	ALL(P(STDIO), "getegid"), ALL(P(STDIO), "getresuid"), ALL(P(STDIO), "getresgid"),
	ALL(P(STDIO), "getgroups"), ALL(P(STDIO), "getpgid"), ALL(P(STDIO), "getpgrp"),
	ALL(P(STDIO), "getsid"), ALL(P(STDIO), "capget"),
	/* process basics */
	ALL(P(STDIO), "exit"), ALL(P(STDIO), "exit_group"), ALL(P(STDIO), "restart_syscall"),
	ALL(P(STDIO), "futex"), ALL(P(STDIO), "futex_waitv"), ALL(P(STDIO), "set_robust_list"),
	ALL(P(STDIO), "get_robust_list"), ALL(P(STDIO), "set_tid_address"), ALL(P(STDIO), "rseq"),
	ALL(P(STDIO), "arch_prctl"), ALL(P(STDIO), "sched_yield"),
	ALL(P(STDIO), "sched_getaffinity"), ALL(P(STDIO), "sched_getparam"),
	ALL(P(STDIO), "sched_getscheduler"), ALL(P(STDIO), "sched_get_priority_max"),
	ALL(P(STDIO), "sched_get_priority_min"), ALL(P(STDIO), "getpriority"),
	ALL(P(STDIO), "getcpu"), ALL(P(STDIO), "getrusage"), ALL(P(STDIO), "times"),
	ALL(P(STDIO), "uname"), ALL(P(STDIO), "sysinfo"), ALL(P(STDIO), "getrandom"),
	ALL(P(STDIO), "wait4"), ALL(P(STDIO), "waitid"), ALL(P(STDIO), "getrlimit"),
	/* Limits of the process itself only; raising a hard limit needs a
	 * capability the cell never has. */
	ALL(P(STDIO), "setrlimit"), {P(STDIO), "prlimit64", EQ(0, 0), ANY},
	/* threads: clone with CLONE_THREAD; a new process needs proc */
	{P(STDIO), "clone", MEQ(0, CLONE_THREAD, CLONE_THREAD), ANY},
	ALL(P(PROC), "clone"), ALL(P(PROC), "fork"), ALL(P(PROC), "vfork"),
	/* prctl: naming threads and reading state; narrowing is always fine */
	{P(STDIO), "prctl", EQ(0, PR_SET_NAME), ANY}, {P(STDIO), "prctl", EQ(0, PR_GET_NAME), ANY},
	{P(STDIO), "prctl", EQ(0, PR_GET_DUMPABLE), ANY},
	{P(STDIO), "prctl", EQ(0, PR_SET_NO_NEW_PRIVS), ANY},
	{P(STDIO), "prctl", EQ(0, PR_GET_NO_NEW_PRIVS), ANY},
	{P(STDIO), "prctl", EQ(0, PR_GET_SECCOMP), ANY},
	{P(STDIO), "prctl", EQ(0, PR_SET_SECCOMP), ANY},
	{P(STDIO), "prctl", EQ(0, PR_CAPBSET_READ), ANY},
	{P(STDIO), "prctl", EQ(0, 0x53564d41 /* PR_SET_VMA */), ANY},
	{P(PROC), "prctl", EQ(0, PR_SET_PDEATHSIG), ANY},
	{P(PROC), "prctl", EQ(0, PR_GET_PDEATHSIG), ANY},
	{P(PROC), "prctl", EQ(0, PR_SET_CHILD_SUBREAPER), ANY},
	/* pledging further (nip_pledge inside a cell). A new listener could
	 * answer the supervisor's exec notifications itself: refused. */
	{P(STDIO), "seccomp", EQ(0, 1 /* SECCOMP_SET_MODE_FILTER */), MEQ(1, 8 /* NEW_LISTENER */, 0)},
	ALL(P(UNVEIL), "landlock_create_ruleset"), ALL(P(UNVEIL), "landlock_add_rule"),
	ALL(P(UNVEIL), "landlock_restrict_self"),
	/* sockets already connected (stdio), and making them (per family) */
	ALL(P(STDIO), "recvfrom"), ALL(P(STDIO), "recvmsg"), ALL(P(STDIO), "sendmsg"),
	ALL(P(STDIO), "shutdown"), {P(STDIO), "sendto", EQ(4, 0), ANY}, ALL(NET, "sendto"),
	{P(STDIO), "socketpair", MEQ(0, M32, AF_UNIX), ANY},
	{P(INET) | P(DNS), "socket", MEQ(0, M32, AF_INET), ANY},
	{P(INET) | P(DNS), "socket", MEQ(0, M32, AF_INET6), ANY},
	{P(DNS), "socket", MEQ(0, M32, AF_NETLINK), MEQ(2, M32, NETLINK_ROUTE)},
	{P(UNIX), "socket", MEQ(0, M32, AF_UNIX), ANY},
	ALL(NET, "connect"), ALL(NET, "bind"), ALL(NET, "getsockname"), ALL(NET, "getpeername"),
	ALL(NET, "setsockopt"), ALL(NET, "getsockopt"), ALL(NET, "sendmmsg"),
	ALL(NET, "recvmmsg"), ALL(P(INET) | P(UNIX), "listen"), ALL(P(INET) | P(UNIX), "accept"),
	ALL(P(INET) | P(UNIX), "accept4"),
	/* ioctl: an allow-list of commands, compared on the 32 bits the
	 * kernel reads. TIOCSTI and TIOCLINUX are never on it. */
	{P(STDIO), "ioctl", MEQ(1, M32, FIONREAD), ANY}, {P(STDIO), "ioctl", MEQ(1, M32, FIONBIO), ANY},
	{P(STDIO), "ioctl", MEQ(1, M32, FIOCLEX), ANY}, {P(STDIO), "ioctl", MEQ(1, M32, FIONCLEX), ANY},
	{P(STDIO), "ioctl", MEQ(1, M32, FIOASYNC), ANY}, {P(STDIO), "ioctl", MEQ(1, M32, TCGETS), ANY},
	{P(STDIO), "ioctl", MEQ(1, M32, TIOCGWINSZ), ANY},
	{P(STDIO), "ioctl", MEQ(1, M32, TIOCGPGRP), ANY},
	{P(TTY), "ioctl", MEQ(1, M32, TCSETS), ANY}, {P(TTY), "ioctl", MEQ(1, M32, TCSETSW), ANY},
	{P(TTY), "ioctl", MEQ(1, M32, TCSETSF), ANY}, {P(TTY), "ioctl", MEQ(1, M32, TIOCSWINSZ), ANY},
	{P(TTY), "ioctl", MEQ(1, M32, TIOCSPGRP), ANY}, {P(TTY), "ioctl", MEQ(1, M32, TCFLSH), ANY},
	{P(TTY), "ioctl", MEQ(1, M32, TCXONC), ANY}, {P(TTY), "ioctl", MEQ(1, M32, TCSBRK), ANY},
	{P(TTY), "ioctl", MEQ(1, M32, TIOCGPTN), ANY}, {P(TTY), "ioctl", MEQ(1, M32, TIOCSPTLCK), ANY},
	{P(TTY), "ioctl", MEQ(1, M32, TIOCGSID), ANY},
	/* paths: reading */
	{P(RPATH) | P(TMPPATH), "open", MEQ(1, OPEN_BITS, O_RDONLY), ANY},
	{P(RPATH) | P(TMPPATH), "openat", MEQ(2, OPEN_BITS, O_RDONLY), ANY},
	ALL(FILES, "stat"), ALL(FILES, "lstat"), ALL(FILES, "newfstatat"), ALL(FILES, "statx"),
	ALL(FILES, "access"), ALL(FILES, "faccessat"), ALL(FILES, "faccessat2"),
	ALL(P(RPATH), "readlink"), ALL(P(RPATH), "readlinkat"), ALL(P(RPATH), "getdents"),
	ALL(P(RPATH), "getdents64"), ALL(P(RPATH), "chdir"), ALL(P(RPATH), "statfs"),
	ALL(P(RPATH), "getxattr"), ALL(P(RPATH), "lgetxattr"), ALL(P(RPATH), "fgetxattr"),
	ALL(P(RPATH), "listxattr"), ALL(P(RPATH), "llistxattr"), ALL(P(RPATH), "flistxattr"),
	ALL(P(RPATH), "inotify_init"), ALL(P(RPATH), "inotify_init1"),
	ALL(P(RPATH), "inotify_add_watch"), ALL(P(RPATH), "inotify_rm_watch"),
	/* paths: writing what exists */
	{P(WPATH) | P(TMPPATH), "open", MEQ(1, OPEN_BITS & ~O_TRUNC, O_WRONLY), ANY},
	{P(WPATH) | P(TMPPATH), "open", MEQ(1, OPEN_BITS & ~O_TRUNC, O_RDWR), ANY},
	{P(WPATH) | P(TMPPATH), "openat", MEQ(2, OPEN_BITS & ~O_TRUNC, O_WRONLY), ANY},
	{P(WPATH) | P(TMPPATH), "openat", MEQ(2, OPEN_BITS & ~O_TRUNC, O_RDWR), ANY},
	ALL(P(WPATH), "truncate"),
	/* paths: creating and removing */
	{P(CPATH) | P(TMPPATH), "open", MEQ(1, O_CREAT, O_CREAT), ANY},
	{P(CPATH) | P(TMPPATH), "openat", MEQ(2, O_CREAT, O_CREAT), ANY},
	{P(CPATH) | P(TMPPATH), "open", MEQ(1, __O_TMPFILE, __O_TMPFILE), ANY},
	{P(CPATH) | P(TMPPATH), "openat", MEQ(2, __O_TMPFILE, __O_TMPFILE), ANY},
	ALL(P(CPATH), "creat"), ALL(P(CPATH) | P(TMPPATH), "mkdir"),
	ALL(P(CPATH) | P(TMPPATH), "mkdirat"), ALL(P(CPATH) | P(TMPPATH), "rmdir"),
	ALL(P(CPATH) | P(TMPPATH), "unlink"), ALL(P(CPATH) | P(TMPPATH), "unlinkat"),
	ALL(P(CPATH), "rename"), ALL(P(CPATH), "renameat"), ALL(P(CPATH), "renameat2"),
	ALL(P(CPATH), "link"), ALL(P(CPATH), "linkat"), ALL(P(CPATH), "symlink"),
	ALL(P(CPATH), "symlinkat"),
	/* FIFOs only: a device node is never made in a cell */
	{P(DPATH), "mknod", MEQ(1, S_IFMT, S_IFIFO), ANY},
	{P(DPATH), "mknodat", MEQ(2, S_IFMT, S_IFIFO), ANY},
	/* attributes: never the setuid or setgid bit */
	{P(FATTR), "chmod", MEQ(1, SUID_BITS, 0), ANY}, {P(FATTR), "fchmod", MEQ(1, SUID_BITS, 0), ANY},
	{P(FATTR), "fchmodat", MEQ(2, SUID_BITS, 0), ANY},
	{P(FATTR), "fchmodat2", MEQ(2, SUID_BITS, 0), ANY},
	ALL(P(FATTR), "utime"), ALL(P(FATTR), "utimes"), ALL(P(FATTR), "utimensat"),
	ALL(P(FATTR), "futimesat"), ALL(P(FATTR), "setxattr"), ALL(P(FATTR), "lsetxattr"),
	ALL(P(FATTR), "fsetxattr"), ALL(P(FATTR), "removexattr"), ALL(P(FATTR), "lremovexattr"),
	ALL(P(FATTR), "fremovexattr"),
	ALL(P(CHOWN), "chown"), ALL(P(CHOWN), "fchown"), ALL(P(CHOWN), "lchown"),
	ALL(P(CHOWN), "fchownat"),
	ALL(P(FLOCK), "flock"),
	/* other processes */
	ALL(P(PROC), "kill"), ALL(P(PROC), "rt_sigqueueinfo"), ALL(P(PROC), "rt_tgsigqueueinfo"),
	ALL(P(PROC), "setpgid"), ALL(P(PROC), "setsid"), ALL(P(PROC), "setpriority"),
	ALL(P(PROC), "sched_setaffinity"), ALL(P(PROC), "sched_setparam"),
	ALL(P(PROC), "sched_setscheduler"), ALL(P(PROC), "pidfd_open"),
	ALL(P(PROC), "pidfd_send_signal"),
	ALL(P(EXEC), "execve"), ALL(P(EXEC), "execveat"),
	ALL(P(ID), "setuid"), ALL(P(ID), "setgid"), ALL(P(ID), "setreuid"), ALL(P(ID), "setregid"),
	ALL(P(ID), "setresuid"), ALL(P(ID), "setresgid"), ALL(P(ID), "setgroups"),
	ALL(P(ID), "setfsuid"), ALL(P(ID), "setfsgid"), ALL(P(ID), "capset"),
	ALL(P(SETTIME), "settimeofday"), ALL(P(SETTIME), "clock_settime"),
	ALL(P(SETTIME), "adjtimex"), ALL(P(SETTIME), "clock_adjtime"),
};

/* Calls whose arguments a filter cannot see: ENOSYS sends libc to the
 * older call that the table checks (clone3 -> clone, openat2 -> openat). */
static const char *const enosys[] = {"clone3", "openat2"};

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, const struct row *r)
{
	struct scmp_arg_cmp c[2];
	unsigned n = 0;
	const struct cmp *cs[2] = {&r->c1, &r->c2};

	for (int i = 0; i < 2; i++) {
		if (cs[i]->arg == NONE)
			continue;
		c[n].arg = (unsigned)cs[i]->arg;
		c[n].op = cs[i]->masked ? SCMP_CMP_MASKED_EQ : SCMP_CMP_EQ;
		c[n].datum_a = cs[i]->masked ? cs[i]->mask : cs[i]->value;
		c[n].datum_b = cs[i]->masked ? cs[i]->value : 0;
		n++;
	}
	return seccomp_rule_add_array(ctx, action, nr, n, c);
}

static int build(scmp_filter_ctx ctx, uint64_t promises, int notify_exec)
{
	size_t n = sizeof table / sizeof *table;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &table[i];
		int nr, whole = 0, done = 0;

		if (!(r->promises & promises))
			continue;
		nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		/* Rows for one call sit together; skip those already added. */
		for (size_t k = 0; k < i && !done; k++)
			done = strcmp(table[k].name, r->name) == 0 && (table[k].promises & promises);
		if (done)
			continue;
		for (size_t k = i; k < n; k++)
			if (strcmp(table[k].name, r->name) == 0 && (table[k].promises & promises) &&
			    table[k].c1.arg == NONE)
				whole = 1;
		if (whole) {
			if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
				return rc;
			continue;
		}
		for (size_t k = i; k < n; k++)
			if (strcmp(table[k].name, r->name) == 0 && (table[k].promises & promises) &&
			    (rc = add(ctx, SCMP_ACT_ALLOW, nr, &table[k])) < 0)
				return rc;
	}
	for (size_t i = 0; i < sizeof enosys / sizeof *enosys; i++) {
		int nr = seccomp_syscall_resolve_name(enosys[i]);
		if (nr != __NR_SCMP_ERROR && (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) < 0)
			return rc;
	}
	if (notify_exec && !(promises & P(EXEC))) {
		/* The supervisor lets the launcher's own execve through, once,
		 * and refuses every later one. */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0)) < 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0)) < 0)
			return rc;
	}
	return 0;
}

int nip_seccomp_apply(uint64_t promises, int flags, int *notify_fd, struct nip_error *err)
{
	int notify = (flags & NIP_SECCOMP_NOTIFY_EXEC) && !(promises & P(EXEC));
	uint32_t deflt = promises & P(ABORT) ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(EPERM);
	scmp_filter_ctx ctx = seccomp_init(deflt);
	int rc;

	if (!ctx)
		return nip_err(err, NIP_E_NOMEM, "seccomp: out of memory");
	/* Another ABI's entry (int 0x80, x32) would be read with the wrong
	 * numbers: it kills. Threads are synchronised unless a listener is
	 * asked for (the kernel refuses both at once before libseccomp API 6). */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0 ||
	    (!notify && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) ||
	    (rc = build(ctx, promises, notify)) < 0) {
		seccomp_release(ctx);
		return nip_err_sys(err, NIP_E_INTERNAL, -rc, "seccomp: building the filter");
	}
	if ((rc = seccomp_load(ctx)) < 0) {
		seccomp_release(ctx);
		return nip_err_sys(err, NIP_E_DENIED, -rc, "seccomp: loading the filter");
	}
	if (notify && notify_fd) {
		*notify_fd = seccomp_notify_fd(ctx);
		if (*notify_fd < 0) {
			seccomp_release(ctx);
			return nip_err(err, NIP_E_INTERNAL, "seccomp: no notification descriptor");
		}
	}
	seccomp_release(ctx);
	return 0;
}
