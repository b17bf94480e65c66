/* One escape attempt from inside a cell, named by argv[1]. Prints
 * "blocked ATTACK: errno" and exits 0 when the attempt failed the way the
 * named mechanism makes it fail, "ESCAPED ATTACK: ..." and exits 1 when it
 * succeeded; attempts that the filter kills never print. Built static so
 * that it runs in any cell. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int blocked(const char *what, int e)
{
	printf("blocked %s: %s\n", what, strerror(e));
	return 0;
}

static int escaped(const char *what, const char *how)
{
	printf("ESCAPED %s: %s\n", what, how);
	return 1;
}

/* Reads a byte of path: an escape if it works. */
static int try_read(const char *what, const char *path)
{
	char c;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return blocked(what, errno);
	if (read(fd, &c, 1) < 0)
		return blocked(what, errno);
	return escaped(what, path);
}

/* A call that must fail with EPERM (the pledge filter's answer, where
 * the kernel itself would say something else or succeed). */
static int want_eperm(const char *what, long rc)
{
	if (rc >= 0)
		return escaped(what, "the call succeeded");
	if (errno != EPERM)
		return escaped(what, strerror(errno)); /* reached the kernel */
	return blocked(what, errno);
}

static int probe(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "";
	const char *secret = argc > 2 ? argv[2] : "/etc/passwd";
	char buf[8];

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(a, "read-direct"))
		return try_read(a, secret);
	if (!strcmp(a, "read-symlink")) {
		unlink("/tmp/probe-link");
		if (symlink(secret, "/tmp/probe-link") < 0)
			return escaped(a, "cannot even make the link: the test is wrong");
		return try_read(a, "/tmp/probe-link");
	}
	if (!strcmp(a, "read-dotdot")) {
		char p[512];
		snprintf(p, sizeof p, "/tmp/../../..%s", secret);
		return try_read(a, p);
	}
	if (!strcmp(a, "read-proc-root")) {
		char p[512];
		snprintf(p, sizeof p, "/proc/self/root%s", secret);
		return try_read(a, p);
	}
	if (!strcmp(a, "read-proc1-cwd")) {
		char p[512];
		snprintf(p, sizeof p, "/proc/1/cwd%s", secret);
		return try_read(a, p);
	}
	if (!strcmp(a, "hardlink")) {
		unlink("/tmp/probe-hard");
		if (link(secret, "/tmp/probe-hard") < 0)
			return blocked(a, errno);
		return try_read(a, "/tmp/probe-hard");
	}
	if (!strcmp(a, "fd-passed")) {
		if (read(3, buf, 1) < 0)
			return blocked(a, errno);
		return escaped(a, "read the descriptor passed in");
	}
	if (!strcmp(a, "write-deployment")) {
		int fd = open("/bin/sh", O_WRONLY);
		if (fd >= 0)
			return escaped(a, "/bin/sh opened for writing");
		fd = open("/usr/probe-new", O_WRONLY | O_CREAT, 0644);
		if (fd >= 0)
			return escaped(a, "created /usr/probe-new");
		return blocked(a, errno);
	}
	if (!strcmp(a, "socket-inet"))
		return want_eperm(a, socket(AF_INET, SOCK_STREAM, 0));
	if (!strcmp(a, "socket-inet6"))
		return want_eperm(a, socket(AF_INET6, SOCK_DGRAM, 0));
	if (!strcmp(a, "ptrace"))
		return want_eperm(a, ptrace(PTRACE_ATTACH, 1, 0, 0));
	if (!strcmp(a, "process_vm_readv")) {
		struct iovec l = {buf, 1}, r = {buf, 1};
		return want_eperm(a, process_vm_readv(1, &l, 1, &r, 1, 0));
	}
	if (!strcmp(a, "mount"))
		return want_eperm(a, mount("none", "/tmp", "tmpfs", 0, NULL));
	if (!strcmp(a, "umount"))
		return want_eperm(a, umount2("/tmp", MNT_DETACH));
	if (!strcmp(a, "pivot_root"))
		return want_eperm(a, syscall(SYS_pivot_root, "/tmp", "/tmp"));
	if (!strcmp(a, "unshare"))
		return want_eperm(a, unshare(CLONE_NEWUSER | CLONE_NEWNS));
	if (!strcmp(a, "setns"))
		return want_eperm(a, setns(0, 0));
	if (!strcmp(a, "keyctl"))
		return want_eperm(a, syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 1));
	if (!strcmp(a, "add_key"))
		return want_eperm(a, syscall(SYS_add_key, "user", "probe", "x", 1, -3));
	if (!strcmp(a, "bpf")) {
		union bpf_attr at;
		memset(&at, 0, sizeof at);
		return want_eperm(a, syscall(SYS_bpf, BPF_MAP_CREATE, &at, sizeof at));
	}
	if (!strcmp(a, "perf_event_open")) {
		struct perf_event_attr pe;
		memset(&pe, 0, sizeof pe);
		pe.size = sizeof pe;
		pe.type = PERF_TYPE_SOFTWARE;
		pe.config = PERF_COUNT_SW_CPU_CLOCK;
		return want_eperm(a, syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
	}
	if (!strcmp(a, "kexec_load"))
		return want_eperm(a, syscall(SYS_kexec_load, 0, 0, NULL, 0));
	if (!strcmp(a, "init_module"))
		return want_eperm(a, syscall(SYS_init_module, buf, sizeof buf, ""));
	if (!strcmp(a, "finit_module"))
		return want_eperm(a, syscall(SYS_finit_module, 0, "", 0));
	if (!strcmp(a, "io_uring_setup")) {
		char params[120] = {0};
		return want_eperm(a, syscall(SYS_io_uring_setup, 1, params));
	}
	if (!strcmp(a, "tiocsti"))
		return want_eperm(a, ioctl(0, TIOCSTI, "x"));
	if (!strcmp(a, "tiocsti-high-bits"))
		/* The kernel reads 32 bits of the command; so must the filter. */
		return want_eperm(a, syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, "x"));
	if (!strcmp(a, "tioclinux")) {
		char sub = 2;
		return want_eperm(a, ioctl(0, TIOCLINUX, &sub));
	}
	if (!strcmp(a, "chmod-suid")) {
		int fd = open("/tmp/probe-suid", O_CREAT | O_WRONLY, 0755);
		if (fd < 0)
			return escaped(a, "cannot make the file: the test is wrong");
		close(fd);
		return want_eperm(a, chmod("/tmp/probe-suid", 04755));
	}
	if (!strcmp(a, "int80")) {
		long ret;
		/* getpid through the 32-bit entry: the filter must kill. */
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		return escaped(a, "the 32-bit entry returned");
	}
	if (!strcmp(a, "x32")) {
		syscall(0x40000000L | SYS_getpid);
		return escaped(a, "the x32 entry returned");
	}
	if (!strcmp(a, "personality"))
		return want_eperm(a, personality(READ_IMPLIES_EXEC));
	if (!strcmp(a, "rlimit-raise")) {
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_max == RLIM_INFINITY)
			return escaped(a, "no hard limit was set");
		rl.rlim_max += 1;
		rl.rlim_cur = rl.rlim_max;
		return want_eperm(a, setrlimit(RLIMIT_NOFILE, &rl));
	}
	if (!strcmp(a, "kill-all")) {
		/* Whatever this reaches must be inside the cell: the test checks
		 * that a process outside survives. */
		if (kill(-1, SIGKILL) < 0)
			return blocked(a, errno);
		printf("sent SIGKILL to -1\n");
		return 0;
	}
	if (!strcmp(a, "exec")) {
		char *args[] = {"/bin/true", NULL};
		execv(args[0], args);
		return blocked(a, errno);
	}
	/* execpromises: the program (or a fork of it) runs under its
	 * promises, what it starts under the execpromises. */
	if (!strcmp(a, "exec-then") && argc > 2) {
		execv(argv[2], argv + 2);
		return blocked(a, errno);
	}
	if (!strcmp(a, "fork-then") && argc > 2) {
		int st;
		pid_t pid = fork();
		if (pid == 0)
			_exit(probe(argc - 1, argv + 1));
		if (pid < 0 || waitpid(pid, &st, 0) < 0)
			return blocked(a, errno);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (!strcmp(a, "read") && argc > 2) {
		/* Here reading is what may be hoped for: exit 0 if it works. */
		char c;
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0 || read(fd, &c, 1) < 0)
			return blocked(a, errno) + 3;
		printf("read %s\n", argv[2]);
		return 0;
	}
	fprintf(stderr, "probe: unknown attack '%s'\n", a);
	return 2;
}

int main(int argc, char **argv)
{
	return probe(argc, argv);
}
