#!/bin/sh
# Installing one big package into an empty root, against dpkg --unpack of a
# .deb with the same files into a fresh --instdir, and GNU tar -x of the
# same payload as .tar.zst followed by sync (bsdtar, the issue's peer, is in
# libarchive-tools; GNU tar here). Same run, same disk, warm cache; each
# side starts from an empty directory.
#
#   NIP=build/bin/nip tests/bench/bench_install.sh [TREE_DIRS...]
set -eu
: "${NIP:?}"
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ $# -gt 0 ] || set -- /usr/include /usr/lib/gcc /usr/share/doc
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine"; exit 1; }
mkdir -p "$W/tree/usr" "$W/deb/DEBIAN"
for d in "$@"; do cp -a "$d" "$W/tree/usr/"; done
files=$(find "$W/tree" -type f | wc -l)
mb=$(du -sm --apparent-size "$W/tree" | cut -f1)
export SOURCE_DATE_EPOCH=1700000000
"$NIP" key generate "$W/k"
"$NIP" pack --key "$W/k" --name big --version 1 -o "$W/big.nip" "$W/tree"
cp -a "$W/tree/." "$W/deb/"
printf 'Package: big\nVersion: 1\nArchitecture: all\nMaintainer: bench <b@localhost>\nDescription: bench\n' \
	>"$W/deb/DEBIAN/control"
dpkg-deb -Zzstd -b "$W/deb" "$W/big.deb" >/dev/null 2>&1 || dpkg-deb -b "$W/deb" "$W/big.deb" >/dev/null
tar -C "$W/tree" -cf - . | zstd -3 -T0 -q >"$W/big.tar.zst"

median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
run() { # NAME PREPARE CMD
	hyperfine --style none --runs "$RUNS" --prepare "$2" --export-json "$W/$1.json" "$3" >/dev/null
	median "$W/$1.json"
}
t_nip=$(run nip "rm -rf $W/r; $NIP --root $W/r trust add $W/k.pub; sync" \
	"$NIP --root $W/r install $W/big.nip")
t_dpkg=$(run dpkg "rm -rf $W/i; mkdir -p $W/i/var/lib/dpkg/info $W/i/var/lib/dpkg/updates; touch $W/i/var/lib/dpkg/status; sync" \
	"dpkg --force-not-root --force-script-chrootless --instdir=$W/i --admindir=$W/i/var/lib/dpkg --unpack $W/big.deb")
if command -v eatmydata >/dev/null; then
	# fsync, fdatasync and syncfs made no-ops: what nip's durability costs.
	t_nosync=$(run nosync "rm -rf $W/r; $NIP --root $W/r trust add $W/k.pub; sync" \
		"eatmydata $NIP --root $W/r install $W/big.nip")
fi
t_tar=$(run tar "rm -rf $W/x; mkdir $W/x; sync" "sh -c 'tar -C $W/x --zstd -xf $W/big.tar.zst && sync'")
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
cat <<EOT
Tree: $files files, $mb MB ($*); $(nproc) CPUs; warm cache; median of $RUNS runs.

| operation | nip install | peer | peer command | ratio | target |
|---|---|---|---|---|---|
| install into an empty root | ${t_nip} s | ${t_dpkg} s | \`dpkg --unpack\` (fresh --instdir) | $(ratio "$t_nip" "$t_dpkg") | ≤ 0.35 |
| | ${t_nip} s | ${t_tar} s | \`tar --zstd -x\` + \`sync\` | $(ratio "$t_nip" "$t_tar") | ≤ 1.2 (vs bsdtar) |
EOT
[ -z "${t_nosync:-}" ] || echo "| fsync'd against fsync disabled (eatmydata) | ${t_nip} s | ${t_nosync} s | \`eatmydata nip install\` | $(ratio "$t_nip" "$t_nosync") | ≤ 1.25 |"
