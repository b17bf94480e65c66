#!/bin/sh
# NexFS against OSTree on the same tree, same file system, same run:
#   - first import of a tree into an empty store vs `ostree commit`
#     (bare repo: both keep files as plain files, ready to hard-link);
#   - re-import of the same tree, every object present, vs a second
#     `ostree commit` of it (target: nip <= 0.5x);
#   - store size (du) of each;
#   - a hard-link checkout vs `ostree checkout --require-hardlinks`.
# The nip side is a small driver over libnip (nexfs.h): read and hash each
# file, write it only if its object is missing, store the tree, syncfs;
# `ostree commit` fsyncs too. Median of RUNS for the repeated steps.
#
#   tests/bench/bench_ostree.sh [TREE_DIRS...]      (needs build/libnip.a, ostree)
set -eu
RUNS=${RUNS:-5}
B=${B:-build}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ $# -gt 0 ] || set -- /usr/include /usr/lib/python3
[ -f "$B/libnip.a" ] || { echo "bench: needs $B/libnip.a (make)"; exit 1; }
command -v ostree >/dev/null || { echo "bench: needs ostree (apt-get install ostree)"; exit 1; }

mkdir -p "$W/tree" "$W/root"
for d in "$@"; do cp -a "$d" "$W/tree/"; done
dirs=$*

cat >"$W/driver.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "nip/nexfs.h"
#include "driver.h"

static struct nip_file *files;
static size_t n, cap, skip;
static struct nip_nexfs *fs;
static struct nip_error err;
static unsigned char buf[1 << 18];

static void die(const char *what) { fprintf(stderr, "bench: %s: %s\n", what, err.msg); exit(1); }

/* One file into the store: hashed from disk, written only if missing. */
static void import_file(const char *p, struct nip_file *f)
{
	struct nip_sha256 *h = nip_sha256_new(&err);
	struct nip_object_writer *w;
	ssize_t r;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (!h || fd < 0)
		die(p);
	while ((r = read(fd, buf, sizeof buf)) > 0)
		nip_sha256_update(h, buf, (size_t)r);
	nip_sha256_final(h, f->sha256);
	nip_sha256_free(h);
	if (!nip_object_has(fs, f->sha256, f->mode, 0)) {
		lseek(fd, 0, SEEK_SET);
		if (nip_object_begin(fs, &w, &err) < 0)
			die("begin");
		while ((r = read(fd, buf, sizeof buf)) > 0)
			if (nip_object_write(w, buf, (size_t)r, &err) < 0)
				die("write");
		if (nip_object_commit(w, f->sha256, f->mode, &err) < 0)
			die("commit");
	}
	close(fd);
}

static int add(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	struct nip_file f = {0};
	char t[4096];
	ssize_t len;

	if (ftw->level == 0)
		return 0;
	f.path = strdup(p + skip);
	f.mode = st->st_mode & 07777;
	if (S_ISDIR(st->st_mode)) {
		f.type = NIP_FT_DIR;
	} else if (S_ISLNK(st->st_mode)) {
		len = readlink(p, t, sizeof t - 1);
		t[len < 0 ? 0 : len] = '\0';
		f.type = NIP_FT_SYMLINK;
		f.mode = 0777;
		f.target = strdup(t);
		if (nip_object_put_link(fs, t, &err) < 0)
			die("link");
	} else if (S_ISREG(st->st_mode)) {
		f.type = NIP_FT_FILE;
		import_file(p, &f);
	} else {
		return 0;
	}
	if (n == cap)
		files = realloc(files, (cap = cap ? 2 * cap : 1024) * sizeof *files);
	files[n++] = f;
	return 0;
}



static double import(const char *src)
{
	uint8_t top[NIP_SHA256_LEN];
	double t0 = now();
	for (size_t i = 0; i < n; i++)
		free(files[i].path), free(files[i].target);
	n = 0;
	nftw(src, add, 64, FTW_PHYS);
	qsort(files, n, sizeof *files, cmp);
	if (nip_tree_store(fs, files, n, top, &err) < 0 || nip_nexfs_sync(fs, &err) < 0)
		die("tree");
	return now() - t0;
}


/* driver SRC ROOT RUNS: first import, median re-import, median checkout. */
int main(int argc, char **argv)
{
	int runs = (int)strtol(argv[3], NULL, 10), rootfd = open(argv[2], O_RDONLY | O_DIRECTORY);
	double first, *re = calloc(runs, sizeof *re), *co = calloc(runs, sizeof *co), t0;

	if (nip_nexfs_open(rootfd, &fs, &err) < 0)
		die("open");
	skip = strlen(argv[1]) + 1;
	first = import(argv[1]);
	for (int r = 0; r < runs; r++)
		re[r] = import(argv[1]);
	for (int r = 0; r < runs; r++) {
		syncfs(rootfd);
		t0 = now();
		if (nip_deploy_checkout(fs, files, n, "b", &err) < 0)
			die("checkout");
		co[r] = now() - t0;
		if (r + 1 < runs && nip_deploy_remove(fs, "b", &err) < 0)
			die("remove");
	}
	qsort(re, runs, sizeof *re, dbl);
	qsort(co, runs, sizeof *co, dbl);
	printf("%.3f %.3f %.4f %zu\n", first, re[runs / 2], co[runs / 2], n);
	return 0;
}
EOF
cc -std=c17 -O2 -Inip/include -Itests/bench -o "$W/driver" "$W/driver.c" "$B/libnip.a" \
	-lsodium -lcrypto -ljansson -lzstd -lsqlite3 -lsolv -lpthread -ldl

# Warm the page cache with the tree, then nip.
find "$W/tree" -type f -exec cat {} + >/dev/null
set -- $("$W/driver" "$W/tree" "$W/root" "$RUNS")
n_first=$1 n_re=$2 n_co=$3 entries=$4
n_size=$(du -sk "$W/root/nexfs" | cut -f1)

secs() { python3 -c 'import sys,time,subprocess
t=time.monotonic(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print("%.4f" % (time.monotonic()-t))' "$@"; }
median() { python3 -c 'import sys; v=sorted(map(float,sys.argv[1:])); print("%.4f" % v[len(v)//2])' "$@"; }
R=$W/repo
ostree init --repo="$R" --mode=bare
sync
o_first=$(secs ostree commit --repo="$R" -b main --tree=dir="$W/tree")
re=""
co=""
for i in $(seq "$RUNS"); do
	re="$re $(secs ostree commit --repo="$R" -b "b$i" --tree=dir="$W/tree")"
	sync
	co="$co $(secs ostree checkout --repo="$R" --require-hardlinks main "$W/co$i")"
done
o_re=$(median $re)
o_co=$(median $co)
o_size=$(du -sk "$R/objects" | cut -f1)
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
cat <<EOT
Tree: $entries entries ($dirs); $(nproc) CPUs; warm cache; median of $RUNS for the repeated steps.

| operation | nip (NexFS) | ostree | ratio | target |
|---|---|---|---|---|
| first import of the tree (\`ostree commit\`, bare repo) | ${n_first} s | ${o_first} s | $(ratio "$n_first" "$o_first") | |
| re-import, every object present (a second \`ostree commit\`) | ${n_re} s | ${o_re} s | $(ratio "$n_re" "$o_re") | ≤ 0.5 |
| hard-link checkout (\`ostree checkout --require-hardlinks\`) | ${n_co} s | ${o_co} s | $(ratio "$n_co" "$o_co") | |
| store size (du) | ${n_size} KiB | ${o_size} KiB | $(ratio "$n_size" "$o_size") | |
EOT
