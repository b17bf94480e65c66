#!/bin/sh
# nip run's start-up against bubblewrap and unshare(1) in the same run:
# the median wall time of starting /bin/true confined (hyperfine -N), with
# no root (the host's programs, the `default` policy), and with a root whose
# cell logs the start to ProvChain. Then what the pledge filter adds per
# system call: 10^6 getppid() inside a cell against outside.
#
#   NIP=build/bin/nip tests/bench/bench_run.sh
set -eu
: "${NIP:?}"
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
RUNS=${RUNS:-300}
"$NIP" --root "$W/r" cell create bench >/dev/null
hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$W/run.json" \
	"$NIP --root $W/none run -- /bin/true" \
	"$NIP --root $W/r --cell bench run -- /bin/true" \
	"bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent /bin/true" \
	"unshare -Urmpf --mount-proc true" >/dev/null
python3 - "$W/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = [x["median"] * 1e3 for x in r]
names = ["nip run (no root, default policy)", "nip run (a root's cell, logged)",
         "bwrap --unshare-all", "unshare -Urmpf --mount-proc"]
for n, m in zip(names, med):
    print(f"{n:36s} median {m:6.2f} ms")
print(f"nip run / bwrap                      {med[0] / med[2]:.2f}x (logged: {med[1] / med[2]:.2f}x)")
print(f"nip run / unshare                    {med[0] / med[3]:.2f}x")
PY
cat >"$W/getppid.c" <<'C'
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 1000000; i++)
		getppid();
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e6);
	return 0;
}
C
cc -O2 -static -o "$W/getppid" "$W/getppid.c"
best() { # the fastest of 5: the least disturbed by the other load
	for i in 1 2 3 4 5; do "$@"; done | sort -n | head -n 1
}
out=$(best "$W/getppid")
in=$(best "$NIP" run --bind "$W/getppid:/getppid:ro" -- /getppid)
echo "getppid outside a cell                 $out ns/call"
echo "getppid inside (pledge filter)         $in ns/call (+$(echo "$in $out" | awk '{printf "%.1f", $1 - $2}') ns)"
