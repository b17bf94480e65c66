/* confine: a program that confines itself with libnipcell, as an OpenBSD
 * program does with unveil(2) and pledge(2). Build it alone:
 *
 *   cc -o confine confine.c -lnipcell -lseccomp
 *
 * Usage: confine DIR OTHER-FILE. It unveils DIR read-only, locks unveil,
 * pledges "stdio rpath", then shows what still works: reading DIR's files,
 * and what no longer does: reading OTHER-FILE, opening a socket, widening
 * its promises again.
 *
 * Usage: confine --exec EXECPROMISES|- PROGRAM [ARG...]. Pledges "stdio
 * rpath proc exec" with those execpromises ("-": none), shows that it
 * still reads files itself, then runs PROGRAM, which holds only the
 * execpromises (OpenBSD's second argument to pledge). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nip/cell.h>

static void try_open(const char *what, const char *path)
{
	int fd = open(path, O_RDONLY);
	char c;

	if (fd < 0 || read(fd, &c, 1) < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: readable\n", what);
	if (fd >= 0)
		close(fd);
}

static int exec_demo(const char *execpromises, char **argv)
{
	int st;
	pid_t pid;

	if (nip_pledge("stdio rpath proc exec", strcmp(execpromises, "-") ? execpromises : NULL) < 0) {
		perror("nip_pledge");
		return 1;
	}
	try_open("self", "/etc/passwd");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		perror("fork");
		return 1;
	}
	printf("started program: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

int main(int argc, char **argv)
{
	char inside[4096];

	if (argc >= 4 && strcmp(argv[1], "--exec") == 0)
		return exec_demo(argv[2], argv + 3);

	if (argc != 3) {
		fprintf(stderr, "usage: confine DIR OTHER-FILE\n"
				"       confine --exec EXECPROMISES|- PROGRAM [ARG...]\n");
		return 2;
	}
	/* Whatever must be open later is opened or unveiled before. */
	if (nip_unveil(argv[1], "r") < 0 || nip_unveil(NULL, NULL) < 0) {
		perror("nip_unveil");
		return 1;
	}
	if (nip_pledge("stdio rpath", NULL) < 0) {
		perror("nip_pledge");
		return 1;
	}
	snprintf(inside, sizeof inside, "%s/file", argv[1]);
	try_open("inside", inside);
	try_open("outside", argv[2]);
	printf("socket: %s\n", socket(AF_INET, SOCK_STREAM, 0) < 0 ? strerror(errno) : "opened");
	printf("widen: %s\n", nip_pledge("stdio rpath inet", NULL) < 0 ? strerror(errno) : "allowed");
	printf("unveil after lock: %s\n", nip_unveil("/", "r") < 0 ? strerror(errno) : "allowed");
	printf("narrow: %s\n", nip_pledge("stdio", NULL) < 0 ? strerror(errno) : "ok");
	try_open("after narrowing", inside);
	return 0;
}
