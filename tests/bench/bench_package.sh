#!/bin/sh
# Packing and verifying a real tree against tar+zstd and zstd alone, in the
# same run on the same files, warm page cache (each command runs once
# before timing). Prints a Markdown table of medians and ratios.
#
#   NIP=build/bin/nip tests/bench/bench_package.sh [TREE_DIRS...]
#
# The default tree is /usr/include + /usr/share/man + /usr/lib/gcc of the
# machine (about 30k files, 460 MB on Debian 12 with gcc installed).
set -eu
: "${NIP:?}"
RUNS=${RUNS:-5}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ $# -gt 0 ] || set -- /usr/include /usr/share/man /usr/lib/gcc
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (apt-get install hyperfine)"; exit 1; }

mkdir -p "$W/tree"
for d in "$@"; do cp -a "$d" "$W/tree/"; done
files=$(find "$W/tree" -type f | wc -l)
mb=$(du -sm --apparent-size "$W/tree" | cut -f1)
"$NIP" key generate "$W/k"
export SOURCE_DATE_EPOCH=1700000000

median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
time_it() { # NAME CMD
	hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$W/$1.json" "$2" >/dev/null 2>&1 ||
		hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$W/$1.json" "$2" >/dev/null
	median "$W/$1.json"
}
peak_kb() { /usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -n 1; }

t_tar=$(time_it tar "sh -c 'tar -cf - -C $W/tree . | zstd -3 -T0 -q > $W/tree.tar.zst'")
t_pack=$(time_it pack "$NIP pack --key $W/k --name bench --version 1 -o $W/b.nip $W/tree")
t_zstd=$(time_it zstd "sh -c 'zstd -dcq $W/b.nip > /dev/null'")
t_verify=$(time_it verify "$NIP verify --key $W/k.pub $W/b.nip")
m_verify=$(peak_kb "$NIP verify --key $W/k.pub $W/b.nip")
m_pack=$(peak_kb "$NIP pack --key $W/k --name bench --version 1 -o $W/c.nip $W/tree")
m_zstd=$(peak_kb "zstd -dcq $W/b.nip")

ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
cat <<EOT
Tree: $files files, $mb MB ($*); $(nproc) CPUs; warm cache; median of $RUNS runs.
.nip: $(du -m "$W/b.nip" | cut -f1) MB, .tar.zst: $(du -m "$W/tree.tar.zst" | cut -f1) MB

| operation | nip | peer | peer command | ratio | target |
|---|---|---|---|---|---|
| pack | ${t_pack} s | ${t_tar} s | \`tar -c \| zstd -3 -T0\` | $(ratio "$t_pack" "$t_tar") | ≤ 1.25 |
| verify | ${t_verify} s | ${t_zstd} s | \`zstd -dc > /dev/null\` | $(ratio "$t_verify" "$t_zstd") | ≤ 1.5 |

Peak RSS: nip verify ${m_verify} KB (zstd -dc ${m_zstd} KB), nip pack ${m_pack} KB.
EOT

# Verify's memory against package size: one file of growing size, so the
# manifest stays the same and only the bytes grow.
echo
echo "| one file of | nip verify peak RSS | time |"
echo "|---|---|---|"
for mb in 16 256 1024; do
	rm -rf "$W/one" && mkdir -p "$W/one"
	head -c $((mb << 20)) /dev/urandom >"$W/one/blob"
	"$NIP" pack --key "$W/k" --name one --version 1 -o "$W/one.nip" "$W/one"
	t=$( { /usr/bin/time -f '%M %e' "$NIP" verify --key "$W/k.pub" "$W/one.nip" >/dev/null; } 2>&1 | tail -n 1)
	echo "| $mb MiB | ${t% *} KB | ${t#* } s |"
done
