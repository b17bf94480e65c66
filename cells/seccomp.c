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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

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
	int nr; /* SCMP_SYS(name): negative pseudo numbers for calls this
		 * architecture lacks, which libseccomp leaves out */
	struct cmp c1, c2;
};

#define ANY {NONE, 0, 0, 0}
#define EQ(a, v) {a, 0, 0, (uint64_t)(v)}
#define MEQ(a, m, v) {a, 1, (uint64_t)(m), (uint64_t)(v)}
#define ALL(p, n) {p, n, ANY, ANY}

/* O_TMPFILE's own bit: glibc's __O_TMPFILE includes O_DIRECTORY, which a
 * mask must not, or opening a directory to read it (opendir, Python's
 * importer) looks like making a temporary file and is refused. */
#define TMPFILE_BIT (O_TMPFILE & ~O_DIRECTORY)
#define OPEN_BITS (O_ACCMODE | O_CREAT | O_TRUNC | TMPFILE_BIT)
#define SUID_BITS (S_ISUID | S_ISGID)

static const struct row table[] = {
	/* stdio: descriptors already open, memory, time, own signals, threads */
	ALL(P(STDIO), SCMP_SYS(read)), ALL(P(STDIO), SCMP_SYS(write)), ALL(P(STDIO), SCMP_SYS(readv)),
	ALL(P(STDIO), SCMP_SYS(writev)), ALL(P(STDIO), SCMP_SYS(pread64)), ALL(P(STDIO), SCMP_SYS(pwrite64)),
	ALL(P(STDIO), SCMP_SYS(preadv)), ALL(P(STDIO), SCMP_SYS(pwritev)), ALL(P(STDIO), SCMP_SYS(preadv2)),
	ALL(P(STDIO), SCMP_SYS(pwritev2)), ALL(P(STDIO), SCMP_SYS(close)), ALL(P(STDIO), SCMP_SYS(close_range)),
	ALL(P(STDIO), SCMP_SYS(lseek)), ALL(P(STDIO), SCMP_SYS(fstat)), ALL(P(STDIO), SCMP_SYS(fstatfs)),
	{P(STDIO), SCMP_SYS(newfstatat), MEQ(3, AT_EMPTY_PATH, AT_EMPTY_PATH), ANY},
	{P(STDIO), SCMP_SYS(statx), MEQ(2, AT_EMPTY_PATH, AT_EMPTY_PATH), ANY},
	ALL(P(STDIO), SCMP_SYS(dup)), ALL(P(STDIO), SCMP_SYS(dup2)), ALL(P(STDIO), SCMP_SYS(dup3)),
	ALL(P(STDIO), SCMP_SYS(fcntl)), ALL(P(STDIO), SCMP_SYS(fsync)), ALL(P(STDIO), SCMP_SYS(fdatasync)),
	ALL(P(STDIO), SCMP_SYS(ftruncate)), ALL(P(STDIO), SCMP_SYS(fallocate)), ALL(P(STDIO), SCMP_SYS(fadvise64)),
	ALL(P(STDIO), SCMP_SYS(readahead)), ALL(P(STDIO), SCMP_SYS(sendfile)), ALL(P(STDIO), SCMP_SYS(splice)),
	ALL(P(STDIO), SCMP_SYS(tee)), ALL(P(STDIO), SCMP_SYS(copy_file_range)), ALL(P(STDIO), SCMP_SYS(pipe)),
	ALL(P(STDIO), SCMP_SYS(pipe2)), ALL(P(STDIO), SCMP_SYS(poll)), ALL(P(STDIO), SCMP_SYS(ppoll)),
	ALL(P(STDIO), SCMP_SYS(select)), ALL(P(STDIO), SCMP_SYS(pselect6)), ALL(P(STDIO), SCMP_SYS(epoll_create)),
	ALL(P(STDIO), SCMP_SYS(epoll_create1)), ALL(P(STDIO), SCMP_SYS(epoll_ctl)), ALL(P(STDIO), SCMP_SYS(epoll_wait)),
	ALL(P(STDIO), SCMP_SYS(epoll_pwait)), ALL(P(STDIO), SCMP_SYS(epoll_pwait2)), ALL(P(STDIO), SCMP_SYS(eventfd)),
	ALL(P(STDIO), SCMP_SYS(eventfd2)), ALL(P(STDIO), SCMP_SYS(getcwd)), ALL(P(STDIO), SCMP_SYS(fchdir)),
	ALL(P(STDIO), SCMP_SYS(umask)), ALL(P(STDIO), SCMP_SYS(sync)), ALL(P(STDIO), SCMP_SYS(syncfs)),
	/* memory: executable only from files, never writable and executable
	 * at once; anonymous code needs prot_exec (JITs). */
	{P(STDIO), SCMP_SYS(mmap), MEQ(2, PROT_EXEC, 0), ANY},
	{P(STDIO), SCMP_SYS(mmap), MEQ(2, PROT_EXEC | PROT_WRITE, PROT_EXEC), MEQ(3, MAP_ANONYMOUS, 0)},
	ALL(P(PROT_EXEC), SCMP_SYS(mmap)),
	{P(STDIO), SCMP_SYS(mprotect), MEQ(2, PROT_EXEC, 0), ANY},
	ALL(P(PROT_EXEC), SCMP_SYS(mprotect)),
	{P(STDIO), SCMP_SYS(pkey_mprotect), MEQ(2, PROT_EXEC, 0), ANY},
	ALL(P(PROT_EXEC), SCMP_SYS(pkey_mprotect)),
	ALL(P(PROT_EXEC), SCMP_SYS(memfd_create)), /* a memfd is a file: mapping it would be JIT */
	ALL(P(STDIO), SCMP_SYS(munmap)), ALL(P(STDIO), SCMP_SYS(mremap)), ALL(P(STDIO), SCMP_SYS(brk)),
	ALL(P(STDIO), SCMP_SYS(madvise)), ALL(P(STDIO), SCMP_SYS(mincore)), ALL(P(STDIO), SCMP_SYS(msync)),
	ALL(P(STDIO), SCMP_SYS(mlock)), ALL(P(STDIO), SCMP_SYS(mlock2)), ALL(P(STDIO), SCMP_SYS(munlock)),
	ALL(P(STDIO), SCMP_SYS(membarrier)), ALL(P(STDIO), SCMP_SYS(get_mempolicy)), ALL(P(STDIO), SCMP_SYS(set_mempolicy)),
	ALL(P(STDIO), SCMP_SYS(mbind)),
	/* time */
	ALL(P(STDIO), SCMP_SYS(clock_gettime)), ALL(P(STDIO), SCMP_SYS(clock_getres)),
	ALL(P(STDIO), SCMP_SYS(clock_nanosleep)), ALL(P(STDIO), SCMP_SYS(nanosleep)), ALL(P(STDIO), SCMP_SYS(gettimeofday)),
	ALL(P(STDIO), SCMP_SYS(time)), ALL(P(STDIO), SCMP_SYS(getitimer)), ALL(P(STDIO), SCMP_SYS(setitimer)),
	ALL(P(STDIO), SCMP_SYS(alarm)), ALL(P(STDIO), SCMP_SYS(pause)), ALL(P(STDIO), SCMP_SYS(timer_create)),
	ALL(P(STDIO), SCMP_SYS(timer_settime)), ALL(P(STDIO), SCMP_SYS(timer_gettime)),
	ALL(P(STDIO), SCMP_SYS(timer_getoverrun)), ALL(P(STDIO), SCMP_SYS(timer_delete)),
	ALL(P(STDIO), SCMP_SYS(timerfd_create)), ALL(P(STDIO), SCMP_SYS(timerfd_settime)),
	ALL(P(STDIO), SCMP_SYS(timerfd_gettime)),
	/* signals and identity (reading) */
	ALL(P(STDIO), SCMP_SYS(rt_sigaction)), ALL(P(STDIO), SCMP_SYS(rt_sigprocmask)),
	ALL(P(STDIO), SCMP_SYS(rt_sigreturn)), ALL(P(STDIO), SCMP_SYS(rt_sigpending)),
	ALL(P(STDIO), SCMP_SYS(rt_sigtimedwait)), ALL(P(STDIO), SCMP_SYS(rt_sigsuspend)),
	ALL(P(STDIO), SCMP_SYS(sigaltstack)), ALL(P(STDIO), SCMP_SYS(tgkill)), ALL(P(STDIO), SCMP_SYS(tkill)),
	ALL(P(STDIO), SCMP_SYS(getpid)), ALL(P(STDIO), SCMP_SYS(getppid)), ALL(P(STDIO), SCMP_SYS(gettid)),
	ALL(P(STDIO), SCMP_SYS(getuid)), ALL(P(STDIO), SCMP_SYS(geteuid)), ALL(P(STDIO), SCMP_SYS(getgid)),
	ALL(P(STDIO), SCMP_SYS(getegid)), ALL(P(STDIO), SCMP_SYS(getresuid)), ALL(P(STDIO), SCMP_SYS(getresgid)),
	ALL(P(STDIO), SCMP_SYS(getgroups)), ALL(P(STDIO), SCMP_SYS(getpgid)), ALL(P(STDIO), SCMP_SYS(getpgrp)),
	ALL(P(STDIO), SCMP_SYS(getsid)), ALL(P(STDIO), SCMP_SYS(capget)),
	/* process basics */
	ALL(P(STDIO), SCMP_SYS(exit)), ALL(P(STDIO), SCMP_SYS(exit_group)), ALL(P(STDIO), SCMP_SYS(restart_syscall)),
	ALL(P(STDIO), SCMP_SYS(futex)), ALL(P(STDIO), SCMP_SYS(futex_waitv)), ALL(P(STDIO), SCMP_SYS(set_robust_list)),
	ALL(P(STDIO), SCMP_SYS(get_robust_list)), ALL(P(STDIO), SCMP_SYS(set_tid_address)), ALL(P(STDIO), SCMP_SYS(rseq)),
	ALL(P(STDIO), SCMP_SYS(arch_prctl)), ALL(P(STDIO), SCMP_SYS(sched_yield)),
	ALL(P(STDIO), SCMP_SYS(sched_getaffinity)), ALL(P(STDIO), SCMP_SYS(sched_getparam)),
	ALL(P(STDIO), SCMP_SYS(sched_getscheduler)), ALL(P(STDIO), SCMP_SYS(sched_get_priority_max)),
	ALL(P(STDIO), SCMP_SYS(sched_get_priority_min)), ALL(P(STDIO), SCMP_SYS(getpriority)),
	ALL(P(STDIO), SCMP_SYS(getcpu)), ALL(P(STDIO), SCMP_SYS(getrusage)), ALL(P(STDIO), SCMP_SYS(times)),
	ALL(P(STDIO), SCMP_SYS(uname)), ALL(P(STDIO), SCMP_SYS(sysinfo)), ALL(P(STDIO), SCMP_SYS(getrandom)),
	ALL(P(STDIO), SCMP_SYS(wait4)), ALL(P(STDIO), SCMP_SYS(waitid)), ALL(P(STDIO), SCMP_SYS(getrlimit)),
	/* Limits of the process itself only; raising a hard limit needs a
	 * capability the cell never has. */
	ALL(P(STDIO), SCMP_SYS(setrlimit)), {P(STDIO), SCMP_SYS(prlimit64), EQ(0, 0), ANY},
	/* threads: clone with CLONE_THREAD; a new process needs proc */
	{P(STDIO), SCMP_SYS(clone), MEQ(0, CLONE_THREAD, CLONE_THREAD), ANY},
	ALL(P(PROC), SCMP_SYS(clone)), ALL(P(PROC), SCMP_SYS(fork)), ALL(P(PROC), SCMP_SYS(vfork)),
	/* prctl: naming threads and reading state; narrowing is always fine */
	{P(STDIO), SCMP_SYS(prctl), EQ(0, PR_SET_NAME), ANY}, {P(STDIO), SCMP_SYS(prctl), EQ(0, PR_GET_NAME), ANY},
	{P(STDIO), SCMP_SYS(prctl), EQ(0, PR_GET_DUMPABLE), ANY},
	{P(STDIO), SCMP_SYS(prctl), EQ(0, PR_SET_NO_NEW_PRIVS), ANY},
	{P(STDIO), SCMP_SYS(prctl), EQ(0, PR_GET_NO_NEW_PRIVS), ANY},
	{P(STDIO), SCMP_SYS(prctl), EQ(0, PR_GET_SECCOMP), ANY},
	{P(STDIO), SCMP_SYS(prctl), EQ(0, PR_SET_SECCOMP), ANY},
	{P(STDIO), SCMP_SYS(prctl), EQ(0, PR_CAPBSET_READ), ANY},
	{P(STDIO), SCMP_SYS(prctl), EQ(0, 0x53564d41 /* PR_SET_VMA */), ANY},
	{P(PROC), SCMP_SYS(prctl), EQ(0, PR_SET_PDEATHSIG), ANY},
	{P(PROC), SCMP_SYS(prctl), EQ(0, PR_GET_PDEATHSIG), ANY},
	{P(PROC), SCMP_SYS(prctl), EQ(0, PR_SET_CHILD_SUBREAPER), ANY},
	/* pledging further (nip_pledge inside a cell). A new listener could
	 * answer the supervisor's exec notifications itself: refused. */
	{P(STDIO), SCMP_SYS(seccomp), EQ(0, 1 /* SECCOMP_SET_MODE_FILTER */), MEQ(1, 8 /* NEW_LISTENER */, 0)},
	ALL(P(UNVEIL), SCMP_SYS(landlock_create_ruleset)), ALL(P(UNVEIL), SCMP_SYS(landlock_add_rule)),
	ALL(P(UNVEIL), SCMP_SYS(landlock_restrict_self)),
	/* sockets already connected (stdio), and making them (per family) */
	ALL(P(STDIO), SCMP_SYS(recvfrom)), ALL(P(STDIO), SCMP_SYS(recvmsg)), ALL(P(STDIO), SCMP_SYS(sendmsg)),
	ALL(P(STDIO), SCMP_SYS(shutdown)), {P(STDIO), SCMP_SYS(sendto), EQ(4, 0), ANY}, ALL(NET, SCMP_SYS(sendto)),
	{P(STDIO), SCMP_SYS(socketpair), MEQ(0, M32, AF_UNIX), ANY},
	{P(INET) | P(DNS), SCMP_SYS(socket), MEQ(0, M32, AF_INET), ANY},
	{P(INET) | P(DNS), SCMP_SYS(socket), MEQ(0, M32, AF_INET6), ANY},
	{P(DNS), SCMP_SYS(socket), MEQ(0, M32, AF_NETLINK), MEQ(2, M32, NETLINK_ROUTE)},
	{P(UNIX), SCMP_SYS(socket), MEQ(0, M32, AF_UNIX), ANY},
	ALL(NET, SCMP_SYS(connect)), ALL(NET, SCMP_SYS(bind)), ALL(NET, SCMP_SYS(getsockname)), ALL(NET, SCMP_SYS(getpeername)),
	ALL(NET, SCMP_SYS(setsockopt)), ALL(NET, SCMP_SYS(getsockopt)), ALL(NET, SCMP_SYS(sendmmsg)),
	ALL(NET, SCMP_SYS(recvmmsg)), ALL(P(INET) | P(UNIX), SCMP_SYS(listen)), ALL(P(INET) | P(UNIX), SCMP_SYS(accept)),
	ALL(P(INET) | P(UNIX), SCMP_SYS(accept4)),
	/* ioctl: an allow-list of commands, compared on the 32 bits the
	 * kernel reads. TIOCSTI and TIOCLINUX are never on it. */
	{P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, FIONREAD), ANY}, {P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, FIONBIO), ANY},
	{P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, FIOCLEX), ANY}, {P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, FIONCLEX), ANY},
	{P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, FIOASYNC), ANY}, {P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, TCGETS), ANY},
	{P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, TIOCGWINSZ), ANY},
	{P(STDIO), SCMP_SYS(ioctl), MEQ(1, M32, TIOCGPGRP), ANY},
	{P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TCSETS), ANY}, {P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TCSETSW), ANY},
	{P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TCSETSF), ANY}, {P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TIOCSWINSZ), ANY},
	{P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TIOCSPGRP), ANY}, {P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TCFLSH), ANY},
	{P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TCXONC), ANY}, {P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TCSBRK), ANY},
	{P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TIOCGPTN), ANY}, {P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TIOCSPTLCK), ANY},
	{P(TTY), SCMP_SYS(ioctl), MEQ(1, M32, TIOCGSID), ANY},
	/* paths: reading */
	{P(RPATH) | P(TMPPATH), SCMP_SYS(open), MEQ(1, OPEN_BITS, O_RDONLY), ANY},
	{P(RPATH) | P(TMPPATH), SCMP_SYS(openat), MEQ(2, OPEN_BITS, O_RDONLY), ANY},
	ALL(FILES, SCMP_SYS(stat)), ALL(FILES, SCMP_SYS(lstat)), ALL(FILES, SCMP_SYS(newfstatat)), ALL(FILES, SCMP_SYS(statx)),
	ALL(FILES, SCMP_SYS(access)), ALL(FILES, SCMP_SYS(faccessat)), ALL(FILES, SCMP_SYS(faccessat2)),
	ALL(P(RPATH), SCMP_SYS(readlink)), ALL(P(RPATH), SCMP_SYS(readlinkat)), ALL(P(RPATH), SCMP_SYS(getdents)),
	ALL(P(RPATH), SCMP_SYS(getdents64)), ALL(P(RPATH), SCMP_SYS(chdir)), ALL(P(RPATH), SCMP_SYS(statfs)),
	ALL(P(RPATH), SCMP_SYS(getxattr)), ALL(P(RPATH), SCMP_SYS(lgetxattr)), ALL(P(RPATH), SCMP_SYS(fgetxattr)),
	ALL(P(RPATH), SCMP_SYS(listxattr)), ALL(P(RPATH), SCMP_SYS(llistxattr)), ALL(P(RPATH), SCMP_SYS(flistxattr)),
	ALL(P(RPATH), SCMP_SYS(inotify_init)), ALL(P(RPATH), SCMP_SYS(inotify_init1)),
	ALL(P(RPATH), SCMP_SYS(inotify_add_watch)), ALL(P(RPATH), SCMP_SYS(inotify_rm_watch)),
	/* paths: writing what exists */
	{P(WPATH) | P(TMPPATH), SCMP_SYS(open), MEQ(1, OPEN_BITS & ~O_TRUNC, O_WRONLY), ANY},
	{P(WPATH) | P(TMPPATH), SCMP_SYS(open), MEQ(1, OPEN_BITS & ~O_TRUNC, O_RDWR), ANY},
	{P(WPATH) | P(TMPPATH), SCMP_SYS(openat), MEQ(2, OPEN_BITS & ~O_TRUNC, O_WRONLY), ANY},
	{P(WPATH) | P(TMPPATH), SCMP_SYS(openat), MEQ(2, OPEN_BITS & ~O_TRUNC, O_RDWR), ANY},
	ALL(P(WPATH), SCMP_SYS(truncate)),
	/* paths: creating and removing */
	{P(CPATH) | P(TMPPATH), SCMP_SYS(open), MEQ(1, O_CREAT, O_CREAT), ANY},
	{P(CPATH) | P(TMPPATH), SCMP_SYS(openat), MEQ(2, O_CREAT, O_CREAT), ANY},
	{P(CPATH) | P(TMPPATH), SCMP_SYS(open), MEQ(1, TMPFILE_BIT, TMPFILE_BIT), ANY},
	{P(CPATH) | P(TMPPATH), SCMP_SYS(openat), MEQ(2, TMPFILE_BIT, TMPFILE_BIT), ANY},
	ALL(P(CPATH), SCMP_SYS(creat)), ALL(P(CPATH) | P(TMPPATH), SCMP_SYS(mkdir)),
	ALL(P(CPATH) | P(TMPPATH), SCMP_SYS(mkdirat)), ALL(P(CPATH) | P(TMPPATH), SCMP_SYS(rmdir)),
	ALL(P(CPATH) | P(TMPPATH), SCMP_SYS(unlink)), ALL(P(CPATH) | P(TMPPATH), SCMP_SYS(unlinkat)),
	ALL(P(CPATH), SCMP_SYS(rename)), ALL(P(CPATH), SCMP_SYS(renameat)), ALL(P(CPATH), SCMP_SYS(renameat2)),
	ALL(P(CPATH), SCMP_SYS(link)), ALL(P(CPATH), SCMP_SYS(linkat)), ALL(P(CPATH), SCMP_SYS(symlink)),
	ALL(P(CPATH), SCMP_SYS(symlinkat)),
	/* FIFOs only: a device node is never made in a cell */
	{P(DPATH), SCMP_SYS(mknod), MEQ(1, S_IFMT, S_IFIFO), ANY},
	{P(DPATH), SCMP_SYS(mknodat), MEQ(2, S_IFMT, S_IFIFO), ANY},
	/* attributes: never the setuid or setgid bit */
	{P(FATTR), SCMP_SYS(chmod), MEQ(1, SUID_BITS, 0), ANY}, {P(FATTR), SCMP_SYS(fchmod), MEQ(1, SUID_BITS, 0), ANY},
	{P(FATTR), SCMP_SYS(fchmodat), MEQ(2, SUID_BITS, 0), ANY},
	ALL(P(FATTR), SCMP_SYS(utime)), ALL(P(FATTR), SCMP_SYS(utimes)), ALL(P(FATTR), SCMP_SYS(utimensat)),
	ALL(P(FATTR), SCMP_SYS(futimesat)), ALL(P(FATTR), SCMP_SYS(setxattr)), ALL(P(FATTR), SCMP_SYS(lsetxattr)),
	ALL(P(FATTR), SCMP_SYS(fsetxattr)), ALL(P(FATTR), SCMP_SYS(removexattr)), ALL(P(FATTR), SCMP_SYS(lremovexattr)),
	ALL(P(FATTR), SCMP_SYS(fremovexattr)),
	ALL(P(CHOWN), SCMP_SYS(chown)), ALL(P(CHOWN), SCMP_SYS(fchown)), ALL(P(CHOWN), SCMP_SYS(lchown)),
	ALL(P(CHOWN), SCMP_SYS(fchownat)),
	ALL(P(FLOCK), SCMP_SYS(flock)),
	/* other processes */
	ALL(P(PROC), SCMP_SYS(kill)), ALL(P(PROC), SCMP_SYS(rt_sigqueueinfo)), ALL(P(PROC), SCMP_SYS(rt_tgsigqueueinfo)),
	ALL(P(PROC), SCMP_SYS(setpgid)), ALL(P(PROC), SCMP_SYS(setsid)), ALL(P(PROC), SCMP_SYS(setpriority)),
	ALL(P(PROC), SCMP_SYS(sched_setaffinity)), ALL(P(PROC), SCMP_SYS(sched_setparam)),
	ALL(P(PROC), SCMP_SYS(sched_setscheduler)), ALL(P(PROC), SCMP_SYS(pidfd_open)),
	ALL(P(PROC), SCMP_SYS(pidfd_send_signal)),
	ALL(P(EXEC), SCMP_SYS(execve)), ALL(P(EXEC), SCMP_SYS(execveat)),
	ALL(P(ID), SCMP_SYS(setuid)), ALL(P(ID), SCMP_SYS(setgid)), ALL(P(ID), SCMP_SYS(setreuid)), ALL(P(ID), SCMP_SYS(setregid)),
	ALL(P(ID), SCMP_SYS(setresuid)), ALL(P(ID), SCMP_SYS(setresgid)), ALL(P(ID), SCMP_SYS(setgroups)),
	ALL(P(ID), SCMP_SYS(setfsuid)), ALL(P(ID), SCMP_SYS(setfsgid)), ALL(P(ID), SCMP_SYS(capset)),
	ALL(P(SETTIME), SCMP_SYS(settimeofday)), ALL(P(SETTIME), SCMP_SYS(clock_settime)),
	ALL(P(SETTIME), SCMP_SYS(adjtimex)), ALL(P(SETTIME), SCMP_SYS(clock_adjtime)),
};

/* Calls whose arguments a filter cannot see: ENOSYS sends libc to the
 * older call that the table checks (clone3 -> clone, openat2 -> openat). */
static const int enosys[] = {SCMP_SYS(clone3), SCMP_SYS(openat2)};

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

/* Landlock before ABI 3 cannot stop truncate(2) on a hidden path: the
 * filter refuses that call instead (ftruncate stays, on descriptors that
 * Landlock let open for writing). */
static int old_landlock(void)
{
	return nip_landlock_abi() < 3;
}

/* How a filter treats what its promises do not grant. */
enum mode {
	PLEDGE,        /* EPERM (or kill under abort) */
	PLEDGE_NOTIFY, /* the same, but execve goes to the supervisor */
	EXEC_LAYER,    /* everything, execve included, goes to the supervisor */
};

int cell_exec_layer_needed(uint64_t promises, uint64_t execpromises)
{
	/* Without exec nothing is started; with execpromises at least as
	 * wide, a started program keeps the promises, which already bound
	 * it: only a narrower set needs the second filter. */
	return (promises & P(EXEC)) && (promises & ~execpromises & ~(P(ERROR) | P(ABORT)));
}

static int build(scmp_filter_ctx ctx, uint64_t promises, enum mode mode)
{
	size_t n = sizeof table / sizeof *table;
	int no_truncate = old_landlock(), rc;

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &table[i];
		int nr = r->nr, whole = 0, done = 0;

		if (!(r->promises & promises) || (no_truncate && nr == SCMP_SYS(truncate)))
			continue;
		/* The exec layer's supervisor sees every execve: it tells the
		 * program's own processes from started ones by their image. */
		if (mode == EXEC_LAYER && (nr == SCMP_SYS(execve) || nr == SCMP_SYS(execveat)))
			continue;
		/* All rows of a call are added when its first one is met. */
		for (size_t k = 0; k < i && !done; k++)
			done = table[k].nr == nr && (table[k].promises & promises);
		if (done)
			continue;
		for (size_t k = i; k < n; k++)
			if (table[k].nr == nr && (table[k].promises & promises) && table[k].c1.arg == NONE)
				whole = 1;
		if (whole) {
			if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
				return rc;
			continue;
		}
		for (size_t k = i; k < n; k++)
			if (table[k].nr == nr && (table[k].promises & promises) &&
			    (rc = add(ctx, SCMP_ACT_ALLOW, nr, &table[k])) < 0)
				return rc;
	}
	if (mode == EXEC_LAYER)
		return 0; /* the pledge filter below answers ENOSYS first */
	for (size_t i = 0; i < sizeof enosys / sizeof *enosys; i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), enosys[i], 0)) < 0)
			return rc;
	if (mode == PLEDGE_NOTIFY && !(promises & P(EXEC))) {
		/* The supervisor lets the launcher's own execve through, once,
		 * and refuses every later one. */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0)) < 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0)) < 0)
			return rc;
	}
	return 0;
}

/* The filter as libseccomp builds it; the caller releases it. */
static scmp_filter_ctx make(uint64_t promises, enum mode mode, int tsync, struct nip_error *err)
{
	uint32_t deflt = mode == EXEC_LAYER	 ? SCMP_ACT_NOTIFY
			 : promises & P(ABORT) ? SCMP_ACT_KILL_PROCESS
					       : SCMP_ACT_ERRNO(EPERM);
	scmp_filter_ctx ctx;
	int rc;

	/* The exec layer always grants stdio: the launcher passes its
	 * listener with sendmsg before anyone answers, and no program can
	 * even exit without it. Below it the promises still bound stdio. */
	if (mode == EXEC_LAYER)
		promises |= P(STDIO);
	ctx = seccomp_init(deflt);

	if (!ctx) {
		nip_err(err, NIP_E_NOMEM, "seccomp: out of memory");
		return NULL;
	}
	/* Another ABI's entry (int 0x80, x32) would be read with the wrong
	 * numbers: it kills. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0 ||
	    (tsync && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) ||
	    (rc = build(ctx, promises, mode)) < 0) {
		seccomp_release(ctx);
		nip_err_sys(err, NIP_E_INTERNAL, -rc, "seccomp: building the filter");
		return NULL;
	}
	return ctx;
}

int nip_seccomp_apply(uint64_t promises, int flags, int *notify_fd, struct nip_error *err)
{
	int layer = (flags & NIP_SECCOMP_EXEC_LAYER) != 0;
	int notify = layer || ((flags & NIP_SECCOMP_NOTIFY_EXEC) && !(promises & P(EXEC)));
	/* Threads are synchronised unless a listener is asked for (the
	 * kernel refuses both at once before libseccomp API level 6). */
	scmp_filter_ctx ctx = make(promises, layer ? EXEC_LAYER : notify ? PLEDGE_NOTIFY : PLEDGE,
				   !notify || seccomp_api_get() >= 6, err);
	int rc;

	if (!ctx)
		return -1;
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

/* ---- the compiled-filter cache --------------------------------------- *
 * libseccomp takes about a millisecond to build a filter, most of a cell's
 * start. Filters depend only on the promise set and the table above, so a
 * root keeps them compiled: ROOT/cache/cells/seccomp-PROMISES-TABLE.bpf.
 * A file is written whole under a temporary name and renamed, unsynced (a
 * cache); a checksum rejects one torn by a crash, and a changed table
 * changes every name. Whoever can write the root can change what runs in
 * it anyway, so the checksum guards against accidents, not attackers. */

#define CACHE_MAGIC "NIPBPF1\n"
#define CACHE_MAX (8 + BPF_MAXINSNS * sizeof(struct sock_filter) + 8)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t table_hash(void)
{
	return fnv(0xcbf29ce484222325ULL, table, sizeof table);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The cached program, or 0 bytes when there is none (or it is damaged). */
static size_t cache_read(int dirfd, const char *name, unsigned char *buf)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t got = 0, len;
	ssize_t n;
	uint64_t sum;

	if (fd < 0)
		return 0;
	while (got < CACHE_MAX && (n = read(fd, buf + got, CACHE_MAX - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got < 8 + sizeof(struct sock_filter) + 8 || memcmp(buf, CACHE_MAGIC, 8) != 0)
		return 0;
	len = got - 16;
	memcpy(&sum, buf + got - 8, 8);
	if (len % sizeof(struct sock_filter) || sum != fnv(0xcbf29ce484222325ULL, buf, got - 8))
		return 0;
	return len;
}

static void cache_write(int dirfd, const char *name, unsigned char *buf, size_t len)
{
	char tmp[128];
	uint64_t sum;
	int fd;

	memcpy(buf, CACHE_MAGIC, 8);
	sum = fnv(0xcbf29ce484222325ULL, buf, 8 + len);
	memcpy(buf + 8 + len, &sum, 8);
	snprintf(tmp, sizeof tmp, ".%s.%ld", name, (long)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write_all(fd, buf, len + 16) < 0 || close(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0)
		unlinkat(dirfd, tmp, 0);
}

/* One program, from the cache or built, onto fd as its length in bytes
 * (4 bytes) and the instructions. */
static int export_one(uint64_t promises, enum mode mode, int fd, int cache_fd, unsigned char *buf,
		      struct nip_error *err)
{
	char name[96];
	scmp_filter_ctx ctx;
	size_t len = 0;
	uint32_t len32;
	ssize_t n;
	int mem = -1, rc = -1;

	snprintf(name, sizeof name, "seccomp-%s%016llx-%016llx%s.bpf", mode == EXEC_LAYER ? "x" : "",
		 (unsigned long long)promises, (unsigned long long)table_hash(),
		 old_landlock() ? "-ll2" : "");
	if (cache_fd >= 0 && (len = cache_read(cache_fd, name, buf)) > 0)
		goto send;
	if (!(ctx = make(promises, mode, 0, err)))
		goto out;
	mem = memfd_create("nip-bpf", MFD_CLOEXEC);
	if (mem < 0 || seccomp_export_bpf(ctx, mem) < 0 || lseek(mem, 0, SEEK_SET) < 0) {
		seccomp_release(ctx);
		nip_err_sys(err, NIP_E_IO, errno, "seccomp: exporting the filter");
		goto out;
	}
	seccomp_release(ctx);
	while (8 + len < CACHE_MAX - 8 && (n = read(mem, buf + 8 + len, CACHE_MAX - 16 - len)) > 0)
		len += (size_t)n;
	if (len == 0 || len % sizeof(struct sock_filter)) {
		nip_err(err, NIP_E_INTERNAL, "seccomp: the exported filter is malformed");
		goto out;
	}
	if (cache_fd >= 0)
		cache_write(cache_fd, name, buf, len);
send:
	len32 = (uint32_t)len;
	if (write_all(fd, &len32, sizeof len32) < 0 || write_all(fd, buf + 8, len) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "seccomp: passing the filter");
		goto out;
	}
	rc = 0;
out:
	if (mem >= 0)
		close(mem);
	return rc;
}

int cell_seccomp_export(uint64_t promises, uint64_t execpromises, int fd, int cache_fd,
			struct nip_error *err)
{
	unsigned char *buf = malloc(CACHE_MAX);
	uint32_t none = 0;
	int rc;

	if (!buf)
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	rc = export_one(promises, PLEDGE_NOTIFY, fd, cache_fd, buf, err);
	if (rc == 0 && cell_exec_layer_needed(promises, execpromises))
		rc = export_one(execpromises, EXEC_LAYER, fd, cache_fd, buf, err);
	else if (rc == 0 && write_all(fd, &none, sizeof none) < 0)
		rc = nip_err_sys(err, NIP_E_IO, errno, "seccomp: passing the filter");
	free(buf);
	return rc;
}

static int read_all(int fd, void *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n && ((r = read(fd, (char *)p + got, n - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	return got == n ? 0 : -1;
}

/* BPF programs are at most 4096 instructions. */
struct prog {
	uint32_t len; /* bytes */
	struct sock_filter insns[BPF_MAXINSNS];
};

/* Reads one program; len 0 when there was none. */
static int read_one(int fd, struct prog *p, struct nip_error *err)
{
	if (read_all(fd, &p->len, sizeof p->len) < 0 || p->len > sizeof p->insns ||
	    p->len % sizeof *p->insns || read_all(fd, p->insns, p->len) < 0)
		return nip_err(err, NIP_E_INTERNAL, "seccomp: the filter did not arrive whole");
	return 0;
}

static int load_one(struct prog *p, int notify, int *listener, struct nip_error *err)
{
	struct sock_fprog fp = {(unsigned short)(p->len / sizeof *p->insns), p->insns};
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &fp);

	if (rc < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "seccomp: loading the filter");
	if (notify)
		*listener = (int)rc;
	return 0;
}

int cell_seccomp_load(int fd, int notify, int *listener, struct nip_error *err)
{
	static struct prog pledge, layer; /* 32 KiB each: not on the stack */

	*listener = -1;
	if (read_one(fd, &pledge, err) < 0 || read_one(fd, &layer, err) < 0)
		return -1;
	if (!pledge.len)
		return nip_err(err, NIP_E_INTERNAL, "seccomp: no filter arrived");
	/* The exec layer first: the pledge filter refuses new listeners,
	 * and the layer grants the seccomp(2) that loads it. Which filter
	 * comes first does not change an answer: the strictest one wins.
	 * Only one filter of a stack may have a listener; the pledge filter
	 * has none when exec is pledged, the only case with a layer. */
	if (layer.len && load_one(&layer, 1, listener, err) < 0)
		return -1;
	return load_one(&pledge, notify && !layer.len, listener, err);
}
