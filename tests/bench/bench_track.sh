#!/bin/sh
# Signed tracks: publishing N packages into a 256-bin track, then one more
# (it re-signs the bins it touches, snapshot and timestamp, whatever N);
# the first refresh of a pinned track from a loopback static server, and a
# second refresh with nothing new (target: at most 50 ms), against the
# floor of one plain fetch of timestamp.json by curl.
#
#   NIP=build/bin/nip N=500 tests/bench/bench_track.sh
set -eu
: "${NIP:?}"
N=${N:-500}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
srv=
trap '[ -z "$srv" ] || kill "$srv"; rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
for k in root online pub; do "$NIP" key generate "$W/$k.key" >/dev/null; done
mkdir -p "$W/s/usr/bin" && printf '#!/bin/sh\n' >"$W/s/usr/bin/x"
for i in $(seq 1 "$N"); do
	"$NIP" pack --key "$W/pub.key" --name "p$i" --version 1.0-1 -o "$W/p$i.nip" "$W/s"
done
"$NIP" pack --key "$W/pub.key" --name extra --version 1.0-1 -o "$W/extra.nip" "$W/s"
"$NIP" track init "$W/track" --root-key "$W/root.key" --online-key "$W/online.key.pub" \
	--publisher "$W/pub.key.pub" --name bench >/dev/null
echo "publish $N packages in one call (256 bins):"
/usr/bin/time -f "  %e s, %M KB peak RSS" "$NIP" -q publish --track "$W/track" --online-key "$W/online.key" "$W"/p*.nip
hyperfine -N --warmup 2 --runs 20 \
	"$NIP -q publish --track $W/track --online-key $W/online.key $W/extra.nip" 2>&1 | grep -E 'Benchmark|Time'

python3 -u -m http.server 0 --bind 127.0.0.1 -d "$W/track" >"$W/srv.log" 2>&1 &
srv=$!
sleep 1
port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$W/srv.log" | head -n 1)
url=http://127.0.0.1:$port
"$NIP" --root "$W/r" track add bench "$url" --pubkey "$W/root.key.pub"
echo "first refresh ($((N + 1)) packages, 256 bins, sequential requests):"
/usr/bin/time -f "  %e s" "$NIP" --root "$W/r" refresh
hyperfine -N --warmup 3 --runs 50 "$NIP --root $W/r refresh" \
	"curl -s -o /dev/null $url/metadata/timestamp.json" 2>&1 | grep -E 'Benchmark|Time'
