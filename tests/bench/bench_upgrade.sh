#!/bin/sh
# Bytes written by an upgrade that shares 90% of its files with what is
# installed (100 files of 1 MiB, 10 of them changed), against the first
# install: NexFS stores each object once, so only what changed is written.
# Bytes from /proc/PID/io (write_bytes) of a shell that ran nip.
#
#   NIP=build/bin/nip tests/bench/bench_upgrade.sh
set -eu
: "${NIP:?}"
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
"$NIP" key generate "$W/k"
mkdir -p "$W/a/usr/lib"
for i in $(seq 1 100); do head -c 1048576 /dev/urandom >"$W/a/usr/lib/f$i"; done
cp -a "$W/a" "$W/b"
for i in $(seq 1 10); do head -c 1048576 /dev/urandom >"$W/b/usr/lib/f$i"; done
"$NIP" pack --key "$W/k" --name big --version 1 -o "$W/v1.nip" "$W/a"
"$NIP" pack --key "$W/k" --name big --version 2 -o "$W/v2.nip" "$W/b"
"$NIP" --root "$W/r" trust add "$W/k.pub"
written() { sync; sh -c "\"$NIP\" --root \"$W/r\" install \"$1\" && sed -n 's/^write_bytes: //p' /proc/\$\$/io"; }
w1=$(written "$W/v1.nip")
w2=$(written "$W/v2.nip")
echo "first install wrote $w1 bytes; the 90%-shared upgrade wrote $w2 bytes: $(python3 -c "import sys; print('%.1f%%' % (100 * int(sys.argv[2]) / int(sys.argv[1])))" "$w1" "$w2") (target <= 15%)"
