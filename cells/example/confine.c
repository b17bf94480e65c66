/* confine: a program that confines itself with libnipcell, as an OpenBSD
 * program does with unveil(2) and pledge(2). Build it alone:
 *
 *   cc -o confine confine.c -lnipcell -lseccomp
 *
 * Usage: confine DIR OTHER-FILE. It unveils DIR read-only, locks unveil,
 * pledges "stdio rpath", then shows what still works: reading DIR's files,
 * and what no longer does: reading OTHER-FILE, opening a socket, widening
 * its promises again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

int main(int argc, char **argv)
{
	char inside[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: confine DIR OTHER-FILE\n");
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
