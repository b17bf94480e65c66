#!/bin/sh
# The generation switch (a whole `nip rollback`: lock, SQLite commit,
# ProvChain entry, one rename) for a root of 1 package and one of 50: it
# must not grow with the size of the system. A bare rollback toggles
# between the last two generations, so it can be repeated.
#
#   NIP=build/bin/nip tests/bench/bench_switch.sh
set -eu
: "${NIP:?}"
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
"$NIP" key generate "$W/k"
for n in 1 50; do
	"$NIP" --root "$W/r$n" trust add "$W/k.pub"
	files=""
	for i in $(seq 1 $n); do
		mkdir -p "$W/p$i/usr/share/p$i"
		head -c 65536 /dev/urandom >"$W/p$i/usr/share/p$i/data"
		[ -f "$W/p$i.nip" ] || "$NIP" pack --key "$W/k" --name "p$i" --version 1 -o "$W/p$i.nip" "$W/p$i"
		files="$files $W/p$i.nip"
	done
	# shellcheck disable=SC2086
	"$NIP" --root "$W/r$n" install $files
	mkdir -p "$W/extra/usr/share/extra" && printf x >"$W/extra/usr/share/extra/x"
	[ -f "$W/extra.nip" ] || "$NIP" pack --key "$W/k" --name extra --version 1 -o "$W/extra.nip" "$W/extra"
	"$NIP" --root "$W/r$n" install "$W/extra.nip"
done
hyperfine -N --warmup 5 --runs 100 "$NIP --root $W/r1 rollback" "$NIP --root $W/r50 rollback" 2>&1 |
	grep -E 'Benchmark|Time'
