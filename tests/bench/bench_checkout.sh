#!/bin/sh
# Checking out a generation (nip_deploy_checkout: hard links to the store's
# objects, directories made read-only) against `cp -al` of the same tree,
# in the same run, same file system, warm cache, syncfs before each timed
# run. Target (issue 4): nip ≤ 1.2× cp -al.
#
#   tests/bench/bench_checkout.sh [TREE_DIRS...]
#
# The default tree is /usr/include + /usr/lib/python3 (about 11,000 files
# and 1,200 directories on Debian 12). Needs build/libnip.a (make).
set -eu
RUNS=${RUNS:-9}
B=${B:-build}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ $# -gt 0 ] || set -- /usr/include /usr/lib/python3
[ -f "$B/libnip.a" ] || { echo "bench: needs $B/libnip.a (make)"; exit 1; }

mkdir -p "$W/tree" "$W/root"
for d in "$@"; do cp -a "$d" "$W/tree/"; done

# The driver: imports the tree into a store, then alternates a timed
# checkout with a timed `cp -al` of the checkout it made first.
cat >"$W/driver.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nip/nexfs.h"
#include "driver.h"

extern char **environ;
static struct nip_file *files;
static size_t n, cap, skip;
static struct nip_nexfs *fs;
static struct nip_error err;

static void die(const char *what) { fprintf(stderr, "bench: %s: %s\n", what, err.msg); exit(1); }

static int add(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	struct nip_file f = {0};
	if (ftw->level == 0)
		return 0;
	f.path = strdup(p + skip);
	f.mode = st->st_mode & 07777;
	if (S_ISDIR(st->st_mode)) {
		f.type = NIP_FT_DIR;
	} else if (S_ISLNK(st->st_mode)) {
		char t[4096];
		ssize_t len = readlink(p, t, sizeof t - 1);
		t[len < 0 ? 0 : len] = '\0';
		f.type = NIP_FT_SYMLINK;
		f.mode = 0777;
		f.target = strdup(t);
	} else if (S_ISREG(st->st_mode)) {
		struct nip_object_writer *w;
		struct nip_sha256 *h = nip_sha256_new(NULL);
		char buf[65536];
		ssize_t r;
		int fd = open(p, O_RDONLY);
		f.type = NIP_FT_FILE;
		if (nip_object_begin(fs, &w, &err) < 0)
			die("begin");
		while ((r = read(fd, buf, sizeof buf)) > 0) {
			nip_sha256_update(h, buf, (size_t)r);
			if (nip_object_write(w, buf, (size_t)r, &err) < 0)
				die("write");
		}
		close(fd);
		nip_sha256_final(h, f.sha256);
		nip_sha256_free(h);
		if (nip_object_commit(w, f.sha256, f.mode, &err) < 0)
			die("commit");
	} else {
		return 0;
	}
	if (n == cap)
		files = realloc(files, (cap = cap ? 2 * cap : 1024) * sizeof *files);
	files[n++] = f;
	return 0;
}



static void run(char *const argv[])
{
	pid_t pid;
	int st;
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0 ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: %s failed\n", argv[0]);
		exit(1);
	}
}


int main(int argc, char **argv)
{
	const char *src = argv[1], *root = argv[2];
	int runs = (int)strtol(argv[3], NULL, 10), rootfd = open(root, O_RDONLY | O_DIRECTORY);
	double *tn = calloc(runs, sizeof *tn), *tc = calloc(runs, sizeof *tc), t0;
	char ref[4096], out[4096];
	uint8_t top[NIP_SHA256_LEN];
	size_t dirs = 0;

	if (nip_nexfs_open(rootfd, &fs, &err) < 0)
		die("open");
	skip = strlen(src) + 1;
	nftw(src, add, 64, FTW_PHYS);
	qsort(files, n, sizeof *files, cmp);
	for (size_t i = 0; i < n; i++)
		dirs += files[i].type == NIP_FT_DIR;
	if (nip_tree_store(fs, files, n, top, &err) < 0 || nip_nexfs_sync(fs, &err) < 0)
		die("tree");
	if (nip_deploy_checkout(fs, files, n, "ref", &err) < 0)
		die("checkout");
	snprintf(ref, sizeof ref, "%s/deploy/ref", root);
	snprintf(out, sizeof out, "%s/cp-out", root);
	char *cp[] = {"cp", "-al", ref, out, NULL}, *rm[] = {"rm", "-rf", out, NULL};
	/* Warm both once. */
	run(cp);
	run(rm);
	if (nip_deploy_checkout(fs, files, n, "b", &err) < 0 || nip_deploy_remove(fs, "b", &err) < 0)
		die("warm-up");
	for (int r = 0; r < runs; r++) {
		syncfs(rootfd);
		t0 = now();
		if (nip_deploy_checkout(fs, files, n, "b", &err) < 0)
			die("checkout");
		tn[r] = now() - t0;
		if (nip_deploy_remove(fs, "b", &err) < 0)
			die("remove");
		syncfs(rootfd);
		t0 = now();
		run(cp);
		tc[r] = now() - t0;
		run(rm);
	}
	qsort(tn, runs, sizeof *tn, dbl);
	qsort(tc, runs, sizeof *tc, dbl);
	printf("%zu entries (%zu directories), median of %d: nip checkout %.4f s, cp -al %.4f s, ratio %.2f (target <= 1.2)\n",
	       n, dirs, runs, tn[runs / 2], tc[runs / 2], tn[runs / 2] / tc[runs / 2]);
	return 0;
}
EOF
cc -std=c17 -O2 -Inip/include -Itests/bench -o "$W/driver" "$W/driver.c" "$B/libnip.a" \
	-lsodium -lcrypto -ljansson -lzstd -lsqlite3 -lsolv -lpthread -ldl
"$W/driver" "$W/tree" "$W/root" "$RUNS"
