/* The fault injector (LD_PRELOAD): counts every call that changes the file
 * system and, at the Nth, fails it with an errno or kills the process with
 * SIGKILL (curl's torture mode and SQLite's test_syscall.c, made into a
 * preload so that the real binary is what is tested).
 *
 *   NIP_FAULT_N=K      the Kth mutating call is the victim (1-based)
 *   NIP_FAULT_MODE     kill (default), eio, enospc
 *   NIP_FAULT_PERSIST  with eio/enospc: every call from the Kth on fails
 *   NIP_FAULT_COUNT=F  append "calls N" to file F at exit (a clean run's count)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long calls, victim;
static int mode_errno; /* 0: kill */
static int persist;

__attribute__((constructor)) static void setup(void)
{
	const char *n = getenv("NIP_FAULT_N"), *m = getenv("NIP_FAULT_MODE");
	victim = n ? strtoul(n, NULL, 10) : 0;
	mode_errno = !m || !*m || m[0] == 'k' ? 0 : m[0] == 'e' && m[1] == 'n' ? ENOSPC : EIO;
	persist = getenv("NIP_FAULT_PERSIST") != NULL;
}

__attribute__((destructor)) static void report(void)
{
	const char *f = getenv("NIP_FAULT_COUNT");
	if (f) {
		FILE *out = fopen(f, "a");
		if (out) {
			fprintf(out, "calls %lu\n", calls);
			fclose(out);
		}
	}
}

/* 1 when this call must fail (errno set); kills instead in kill mode. */
static int strike(void)
{
	unsigned long k = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
	if (!victim || (k != victim && !(persist && k > victim)))
		return 0;
	if (!mode_errno)
		kill(getpid(), SIGKILL);
	errno = mode_errno;
	return 1;
}

#define REAL(name, ret, ...) \
	static ret (*real_##name)(__VA_ARGS__); \
	if (!real_##name) \
		real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

static int writes(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* open's optional third argument, read only when the flags promise it. */
#define OPEN_MODE(mode, flags)                                  \
	do {                                                    \
		va_list ap;                                     \
		va_start(ap, flags);                            \
		mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0; \
		va_end(ap);                                     \
	} while (0)

int open(const char *path, int flags, ...)
{
	REAL(open, int, const char *, int, mode_t);
	mode_t mode;
	OPEN_MODE(mode, flags);
	if (writes(flags) && strike())
		return -1;
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char *path, int flags, ...)
{
	REAL(openat, int, int, const char *, int, mode_t);
	mode_t mode;
	OPEN_MODE(mode, flags);
	if (writes(flags) && strike())
		return -1;
	return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

#define WRAP(name, ret, params, args, ...)      \
	ret name params                         \
	{                                       \
		REAL(name, ret, __VA_ARGS__);   \
		if (strike())                   \
			return (ret)-1;         \
		return real_##name args;        \
	}

WRAP(write, ssize_t, (int fd, const void *p, size_t n), (fd, p, n), int, const void *, size_t)
WRAP(pwrite, ssize_t, (int fd, const void *p, size_t n, off_t o), (fd, p, n, o), int, const void *, size_t, off_t)
WRAP(pwrite64, ssize_t, (int fd, const void *p, size_t n, off_t o), (fd, p, n, o), int, const void *, size_t, off_t)
WRAP(fsync, int, (int fd), (fd), int)
WRAP(fdatasync, int, (int fd), (fd), int)
WRAP(syncfs, int, (int fd), (fd), int)
WRAP(rename, int, (const char *a, const char *b), (a, b), const char *, const char *)
WRAP(renameat, int, (int da, const char *a, int db, const char *b), (da, a, db, b), int, const char *, int, const char *)
WRAP(linkat, int, (int da, const char *a, int db, const char *b, int f), (da, a, db, b, f), int, const char *, int, const char *, int)
WRAP(symlinkat, int, (const char *t, int d, const char *l), (t, d, l), const char *, int, const char *)
WRAP(mkdir, int, (const char *p, mode_t m), (p, m), const char *, mode_t)
WRAP(mkdirat, int, (int d, const char *p, mode_t m), (d, p, m), int, const char *, mode_t)
WRAP(unlink, int, (const char *p), (p), const char *)
WRAP(unlinkat, int, (int d, const char *p, int f), (d, p, f), int, const char *, int)
WRAP(fchmod, int, (int fd, mode_t m), (fd, m), int, mode_t)
WRAP(fchmodat, int, (int d, const char *p, mode_t m, int f), (d, p, m, f), int, const char *, mode_t, int)
WRAP(ftruncate, int, (int fd, off_t n), (fd, n), int, off_t)
WRAP(ftruncate64, int, (int fd, off_t n), (fd, n), int, off_t)
WRAP(mkfifoat, int, (int d, const char *p, mode_t m), (d, p, m), int, const char *, mode_t)
