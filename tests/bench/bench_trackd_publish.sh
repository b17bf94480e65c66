#!/bin/sh
# trackd under publishing load: P publishes (one package each, through
# `nip publish --track URL`) while C clients refresh in a loop, each in its
# own nip root. Reports the publishes' wall time, the number of refreshes
# and the number that failed verification, which must be 0 (a client
# never sees a mix of two publishes). Then one publish into a large track
# (N packages already in it) through trackd.
#
#   NIP=build/bin/nip P=100 C=16 N=1000 tests/bench/bench_trackd_publish.sh
set -eu
: "${NIP:?}"
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}
P=${P:-100}
C=${C:-16}
N=${N:-1000}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
tpid=
trap '[ -z "$tpid" ] || kill "$tpid"; rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
for k in root online pub; do "$NIP" key generate "$W/$k.key" >/dev/null; done
mkdir -p "$W/s/usr/bin" && printf '#!/bin/sh\n' >"$W/s/usr/bin/x"
for i in $(seq 1 "$P"); do
	"$NIP" pack --key "$W/pub.key" --name "q$i" --version 1.0-1 -o "$W/q$i.nip" "$W/s"
done
"$NIP" track init "$W/track" --root-key "$W/root.key" --online-key "$W/online.key.pub" \
	--publisher "$W/pub.key.pub" --name bench >/dev/null
"$NIP" -q publish --track "$W/track" --online-key "$W/online.key"

start() {
	"$TRACKD" --track "$W/track" --listen 127.0.0.1:0 --online-key "$W/online.key" >"$W/trackd.log" 2>&1 &
	tpid=$!
	port=
	while [ -z "$port" ]; do
		sleep 0.1
		port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$W/trackd.log" | head -n 1)
	done
	url=http://127.0.0.1:$port
}
start

c=0
while [ "$c" -lt "$C" ]; do
	"$NIP" --root "$W/c$c" track add bench "$url" --pubkey "$W/root.key.pub" >/dev/null
	(
		ok=0 bad=0
		while [ -d "$W" ] && [ ! -e "$W/done" ]; do
			[ $((ok + bad)) -eq 1 ] && touch "$W/c$c.started"
			if "$NIP" --root "$W/c$c" refresh >/dev/null 2>>"$W/c$c.err"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
		done
		echo "$ok $bad" >"$W/c$c.count"
	) &
	c=$((c + 1))
done
# The publishes start once every client is refreshing.
# count GLOB: how many files match.
count() {
	k=0
	for f in "$@"; do [ -e "$f" ] && k=$((k + 1)); done
	echo "$k"
}
while [ "$(count "$W"/c*.started)" -lt "$C" ]; do sleep 0.1; done
pubfail=0
t0=$(date +%s.%N)
for i in $(seq 1 "$P"); do
	"$NIP" publish --track "$url" --key "$W/pub.key" "$W/q$i.nip" 2>>"$W/pub.err" || pubfail=$((pubfail + 1))
done
t1=$(date +%s.%N)
touch "$W/done"
while [ "$(count "$W"/c*.count)" -lt "$C" ]; do sleep 0.1; done
refreshes=0 failures=0
for f in "$W"/c*.count; do
	read -r ok bad <"$f"
	refreshes=$((refreshes + ok + bad))
	failures=$((failures + bad))
done
echo "$P publishes through trackd with $C clients refreshing in a loop:"
echo "  publishes: $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s wall, $pubfail failed"
echo "  refreshes: $refreshes, failed verification: $failures (must be 0)"
[ "$failures" -eq 0 ] || sed 's/^/  # /' "$W"/c*.err | sort | uniq -c | head -n 5

# One publish into a large track.
kill "$tpid"
wait "$tpid" 2>/dev/null || true
tpid=
for i in $(seq 1 "$N"); do
	"$NIP" pack --key "$W/pub.key" --name "p$i" --version 1.0-1 -o "$W/p$i.nip" "$W/s"
done
"$NIP" pack --key "$W/pub.key" --name extra --version 1.0-1 -o "$W/extra.nip" "$W/s"
"$NIP" -q publish --track "$W/track" --online-key "$W/online.key" "$W"/p*.nip
start
echo "one publish through trackd into a track of $((N + P)) packages:"
/usr/bin/time -f "  %e s" "$NIP" publish --track "$url" --key "$W/pub.key" "$W/extra.nip"
