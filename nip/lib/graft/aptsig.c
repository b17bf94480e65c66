/* Debian's chain of trust for a .deb: apt verified InRelease's OpenPGP
 * signature when it fetched it; InRelease lists each Packages file's
 * SHA-256; a Packages stanza lists the .deb's SHA-256. Given apt's lists
 * directory, this finds the stanza of this very file and checks the two
 * hashes below InRelease, and says which links held. */
#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Packages files of a full mirror run to ~100 MB uncompressed. */
#define LIST_MAX (512u << 20)

static int release_lists(const char *inrelease, const char *packages_rel, const char *hex)
{
	char needle[256];
	const char *p = strstr(inrelease, "\nSHA256:");
	if (!p)
		return 0;
	snprintf(needle, sizeof needle, " %s ", hex);
	for (p = strstr(p, needle); p; p = strstr(p + 1, needle)) {
		const char *nl = strchr(p, '\n'), *sp = nl ? nl : p + strlen(p);
		const char *name = sp;
		while (name > p && name[-1] != ' ')
			name--;
		if ((size_t)(sp - name) == strlen(packages_rel) && strncmp(name, packages_rel, (size_t)(sp - name)) == 0)
			return 1;
	}
	return 0;
}

/* A Packages file as apt keeps it: plain or compressed (lz4 by default on
 * Debian 12); libarchive's raw format undoes any of them. */
static int read_list(const struct gpkg *g, int dfd, const char *name, struct nip_buf *out)
{
	struct lar r;
	struct archive_entry *e;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return -1;
	if (lar_open(&r, g->la, fd, NULL, 'r', NULL, name, NULL) == 0 && lar_next(&r, &e, NULL) > 0 &&
	    lar_slurp(&r, LIST_MAX, out, NULL) == 0)
		rc = 0;
	lar_close(&r);
	close(fd);
	return rc;
}

/* Length of NAME without "_Packages[.EXT]", or 0 if it is no Packages file. */
static size_t packages_stem(const char *name)
{
	const char *p = strstr(name, "_Packages");
	if (!p || (p[9] && p[9] != '.') || (p[9] == '.' && strchr(p + 10, '.')))
		return 0;
	return (size_t)(p - name);
}

int aptsig_status(struct gpkg *g, const char *lists, const char *sha256hex, char **out, struct nip_error *err)
{
	int dfd = open(lists, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	char line[1024] = "";
	char needle[96];

	snprintf(needle, sizeof needle, "\nSHA256: %s\n", sha256hex);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return nip_err(err, NIP_E_USAGE, "--apt-lists %s: not a directory", lists);
	}
	while (!line[0] && (de = readdir(d))) {
		size_t n = packages_stem(de->d_name);
		struct nip_buf pk, rel;
		const char *dists;
		char relname[512], packages_rel[512], hex[NIP_SHA256_HEX];
		uint8_t sum[NIP_SHA256_LEN];

		if (!n || read_list(g, dfd, de->d_name, &pk) < 0)
			continue;
		if (!memmem(pk.data, pk.len, needle, strlen(needle))) {
			nip_buf_free(&pk);
			continue;
		}
		/* host_debian_dists_bookworm_main_binary-amd64_Packages:
		 * InRelease is host_debian_dists_bookworm_InRelease and lists
		 * main/binary-amd64/Packages. */
		dists = strstr(de->d_name, "_dists_");
		snprintf(line, sizeof line, "debian: SHA-256 listed in %s (no InRelease found to anchor it)", de->d_name);
		if (dists) {
			const char *suite = dists + 7, *us = strchr(suite, '_');
			if (us) {
				snprintf(relname, sizeof relname, "%.*s_InRelease", (int)(us - de->d_name), de->d_name);
				snprintf(packages_rel, sizeof packages_rel, "%.*s", (int)(n - (size_t)(us + 1 - de->d_name)),
					 us + 1);
				for (char *c = packages_rel; *c; c++)
					if (*c == '_')
						*c = '/';
				strncat(packages_rel, "/Packages", sizeof packages_rel - strlen(packages_rel) - 1);
				nip_sha256(pk.data, pk.len, sum);
				nip_hex(sum, sizeof sum, hex);
				if (nip_read_file(dfd, relname, 16u << 20, 1, &rel, NULL) == 0) {
					if (nip_buf_cstr(&rel, NULL) == 0 && release_lists((char *)rel.data, packages_rel, hex))
						snprintf(line, sizeof line,
							 "debian: SHA-256 in %s, whose SHA-256 is in %s (OpenPGP-signed; verified by apt when fetched)",
							 de->d_name, relname);
					else
						snprintf(line, sizeof line,
							 "debian: SHA-256 in %s, but %s does not list that file's hash (stale lists?)",
							 de->d_name, relname);
					nip_buf_free(&rel);
				}
			}
		}
		nip_buf_free(&pk);
	}
	closedir(d);
	if (!line[0])
		snprintf(line, sizeof line, "none: no Packages file in %s lists this file's SHA-256", lists);
	if (!(*out = strdup(line)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	return 0;
}
