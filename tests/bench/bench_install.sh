#!/bin/sh
# Installing one big package into an empty root, against dpkg --unpack of a
# .deb with the same files into a fresh --instdir, and bsdtar -x of the same
# payload as .tar.zst followed by sync. Same run, warm cache of the inputs;
# each side starts from an empty directory.
#
# As root (with losetup and mkfs.ext4), every timed run gets a freshly made,
# journaled ext4 on a loop device, as a user's disk would be. Without that,
# on an ext4 without a journal (this machine's), the inodes that the
# previous run's rm -rf freed stay "recently deleted" for a minute and the
# inode allocator scans past them: a third of an install's time went there,
# for whichever side ran after a removal.
#
#   NIP=build/bin/nip tests/bench/bench_install.sh [TREE_DIRS...]
set -eu
: "${NIP:?}"
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
M=$W/mnt
dev=
trap 'umount "$M" 2>/dev/null; [ -z "$dev" ] || losetup -d "$dev"; rm -rf "$W"' EXIT
[ $# -gt 0 ] || set -- /usr/include /usr/lib/gcc /usr/share/doc
for c in hyperfine bsdtar; do
	command -v $c >/dev/null || { echo "bench: needs $c (apt-get install hyperfine libarchive-tools)"; exit 1; }
done
mkdir -p "$W/tree/usr" "$W/deb/DEBIAN" "$M"
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

# fresh: the prepare step that gives the next run an empty directory $M/t.
# The loop device does direct I/O, as a disk does: a buffered one copies
# every written page once more into this machine's page cache and writes
# it back from there, CPU time that a disk's DMA does not take and that,
# on two cores, the installs themselves were waiting for (LOOP=buffered
# measures that case).
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null && truncate -s $((mb * 4 + 512))M "$W/fs.img" &&
	dev=$(losetup --direct-io="$([ "${LOOP:-}" = buffered ] && echo off || echo on)" -f --show "$W/fs.img") &&
	mkfs.ext4 -q -F "$dev" && mount "$dev" "$M" && umount "$M"; then
	fs="a fresh journaled ext4 per run, on a loop device with direct I/O $([ "${LOOP:-}" = buffered ] && echo off || echo on)"
	fresh="umount $M 2>/dev/null; mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 $dev && mount $dev $M && mkdir $M/t"
else
	dev=
	fs="the same directory emptied by rm -rf before each run"
	fresh="rm -rf $M/t && mkdir $M/t"
fi

median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
run() { # NAME PREPARE CMD
	hyperfine --style none --runs "$RUNS" --prepare "$fresh; $2 sync" --export-json "$W/$1.json" "$3" >/dev/null
	median "$W/$1.json"
}
t_nip=$(run nip "$NIP --root $M/t/r trust add $W/k.pub;" "$NIP --root $M/t/r install $W/big.nip")
t_dpkg=$(run dpkg "mkdir -p $M/t/var/lib/dpkg/info $M/t/var/lib/dpkg/updates; touch $M/t/var/lib/dpkg/status;" \
	"dpkg --force-not-root --force-script-chrootless --instdir=$M/t --admindir=$M/t/var/lib/dpkg --unpack $W/big.deb")
if command -v eatmydata >/dev/null; then
	# fsync, fdatasync and syncfs made no-ops: what nip's durability costs.
	t_nosync=$(run nosync "$NIP --root $M/t/r trust add $W/k.pub;" "eatmydata $NIP --root $M/t/r install $W/big.nip")
fi
t_tar=$(run bsdtar "" "sh -c 'bsdtar -C $M/t -xf $W/big.tar.zst && sync'")
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
cat <<EOT
Tree: $files files, $mb MB ($*); $(nproc) CPUs; $fs; warm cache; median of $RUNS runs.

| operation | nip install | peer | peer command | ratio | target |
|---|---|---|---|---|---|
| install into an empty root | ${t_nip} s | ${t_dpkg} s | \`dpkg --unpack\` (fresh --instdir) | $(ratio "$t_nip" "$t_dpkg") | ≤ 0.35 |
| | ${t_nip} s | ${t_tar} s | \`bsdtar -x\` + \`sync\` | $(ratio "$t_nip" "$t_tar") | ≤ 1.2 |
EOT
[ -z "${t_nosync:-}" ] || echo "| fsync'd against fsync disabled (eatmydata) | ${t_nip} s | ${t_nosync} s | \`eatmydata nip install\` | $(ratio "$t_nip" "$t_nosync") | ≤ 1.25 |"
