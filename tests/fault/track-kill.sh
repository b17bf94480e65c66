#!/bin/sh
# kill -9 of publishes and refreshes at random moments: each time, the
# track directory still serves a whole track (old or new) and the next
# publish finishes; the pinned track still reads (old or new) and the next
# refresh finishes with every package.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
export SOURCE_DATE_EPOCH=1700000000
for k in root online pub; do "$NIP" key generate "$T/$k.key" >/dev/null; done
mkdir -p "$T/s/usr/bin" && printf '#!/bin/sh\n' >"$T/s/usr/bin/x"
for i in $(seq 1 120); do
	"$NIP" pack --key "$T/pub.key" --name "p$i" --version 1.0-1 -o "$T/p$i.nip" "$T/s"
done
"$NIP" track init "$T/t0" --root-key "$T/root.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub" --name k
first=$(seq 1 60 | sed "s|.*|$T/p&.nip|")
second=$(seq 61 120 | sed "s|.*|$T/p&.nip|")
# shellcheck disable=SC2086
"$NIP" publish --track "$T/t0" --online-key "$T/online.key" $first

rnd() { # a random delay of 0 to 255 * $1 ms, as seconds
	ms=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') * $1))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

ok=0 runs=10
for _ in $(seq 1 $runs); do
	rm -rf "$T/t" && cp -a "$T/t0" "$T/t"
	# shellcheck disable=SC2086
	"$NIP" publish --track "$T/t" --online-key "$T/online.key" $second 2>/dev/null &
	pid=$!
	sleep "$(rnd 1)"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rm -rf "$T/rk"
	# The track as a client sees it now, then the publish done again.
	# shellcheck disable=SC2086
	"$NIP" --root "$T/rk" track add k "$T/t" --pubkey "$T/root.key.pub" &&
		"$NIP" --root "$T/rk" refresh &&
		"$NIP" publish --track "$T/t" --online-key "$T/online.key" $second &&
		"$NIP" --root "$T/rk" --json refresh | grep -q '"packages":120' && ok=$((ok + 1))
done
same "kill -9 of a publish: the track stays whole and the publish can be redone" "$ok" "$runs"

# Two publishes at once take turns (the metadata directory is locked).
rm -rf "$T/c" && cp -a "$T/t0" "$T/c"
(for i in $(seq 61 90); do "$NIP" publish --track "$T/c" --online-key "$T/online.key" "$T/p$i.nip"; done) &
a=$!
(for i in $(seq 91 120); do "$NIP" publish --track "$T/c" --online-key "$T/online.key" "$T/p$i.nip"; done) &
b=$!
wait $a
wait $b
check "concurrent publishes: the track verifies" "$NIP" --root "$T/rc" track add c "$T/c" --pubkey "$T/root.key.pub"
"$NIP" --root "$T/rc" --json refresh >"$T/rc.json"
check "concurrent publishes: no package lost" grep -q '"packages":120' "$T/rc.json"

serve "$T/t"
"$NIP" --root "$T/r0" track add k "$url" --pubkey "$T/root.key.pub"
ok=0 old=0 new=0
for _ in $(seq 1 $runs); do
	rm -rf "$T/r" && cp -a "$T/r0" "$T/r"
	"$NIP" --root "$T/r" refresh 2>/dev/null &
	pid=$!
	sleep "$(rnd 4)"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	cnt=$("$NIP" --root "$T/r" --json track list | sed -n 's/.*"packages":\([0-9]*\).*/\1/p')
	case $cnt in 0) old=$((old + 1)) ;; 120) new=$((new + 1)) ;; esac
	case $cnt in 0 | 120) "$NIP" --root "$T/r" --json refresh | grep -q '"packages":120' && ok=$((ok + 1)) ;; esac
	[ "$(find "$T/r/tracks/k" -maxdepth 1 -name 'gen.*' | wc -l)" -eq 1 ] || ok=$((ok - 1))
done
echo "# killed $runs refreshes: $old left the old state, $new the new"
same "kill -9 of a refresh: old or new, and the next refresh finishes" "$ok" "$runs"

done_testing
