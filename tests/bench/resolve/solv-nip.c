/* nip's side of building a solver cache: a track's verified index parts
 * (as a refresh left them under ROOT) into a .solv, as nip refresh does. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nip/solve.h"

int main(int argc, char **argv)
{
	const char *root = argv[1], *track = argv[2];
	char dir[4096], *parts[8192];
	struct nip_error err;
	struct dirent *e;
	size_t n = 0;
	int rootfd = open(root, O_RDONLY | O_DIRECTORY);
	DIR *d;

	snprintf(dir, sizeof dir, "%s/tracks/%s/current/index", root, track);
	if (rootfd < 0 || !(d = opendir(dir)))
		return 1;
	while ((e = readdir(d)) && n < 8192)
		if (strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".json") == 0 &&
		    strcmp(e->d_name, "summary.json") != 0) {
			parts[n] = malloc(512);
			snprintf(parts[n++], 512, "tracks/%s/current/index/%s", track, e->d_name);
		}
	closedir(d);
	if (nip_solv_from_index(track, rootfd, parts, n, "bench.solv", &err) < 0) {
		fprintf(stderr, "solv-nip: %s\n", err.msg);
		return 1;
	}
	printf("%zu parts\n", n);
	return 0;
}
