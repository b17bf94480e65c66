#!/bin/sh
# Resolving against Debian's whole archive: a nip track of bookworm main's
# ~63,000 packages (names, versions and relations from its Packages file,
# empty payloads), published, served on loopback, refreshed into a root.
# In the same run:
#   - the solver cache from the index (nip) against libsolv's own Debian
#     reader turning the same Packages text into a .solv;
#   - a second refresh with nothing new;
#   - `nip install --dry-run` of four closures as whole processes, against
#     a bare libsolv program solving the same request from the same .solv,
#     and `apt-get install -s` with an empty dpkg status.
#
#   NIP=build/bin/nip tests/bench/bench_resolve.sh     (needs hyperfine, apt)
set -eu
: "${NIP:?}"
NIP=$(command -v "$NIP" || echo "$NIP")
case $NIP in /*) ;; *) NIP=$PWD/$NIP ;; esac
B=${B:-build}
RUNS=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'kill $server 2>/dev/null; rm -rf "$W"' EXIT
server=
lists=/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine"; exit 1; }
if ls "$lists".lz4 >/dev/null 2>&1; then
	/usr/lib/apt/apt-helper cat-file "$lists".lz4 >"$W/Packages"
elif [ -f "$lists" ]; then
	cp "$lists" "$W/Packages"
else
	echo "bench: needs Debian's bookworm main Packages (apt-get update)"
	exit 1
fi
LIBS="-lsodium -lcrypto -ljansson -lzstd -lsqlite3 -lsolv -lpthread -ldl"
cc -std=c17 -D_GNU_SOURCE -O2 -Inip/include -o "$W/mkstubs" "$here/resolve/mkstubs.c" "$B/libnip.a" $LIBS
cc -std=c17 -D_GNU_SOURCE -O2 -Inip/include -o "$W/solv-nip" "$here/resolve/solv-nip.c" "$B/libnip.a" $LIBS
cc -std=c17 -O2 -o "$W/solv-deb" "$here/resolve/solv-deb.c" -lsolvext -lsolv -lz -llzma -lzstd
cc -std=c17 -O2 -o "$W/solv-solve" "$here/resolve/solv-solve.c" -lsolv

python3 "$here/resolve/debian-index.py" <"$W/Packages" >"$W/index.jsonl"
for k in root online pub; do "$NIP" key generate "$W/$k.key" >/dev/null; done
mkdir -p "$W/empty" "$W/stubs"
"$W/mkstubs" "$W/pub.key" "$W/empty" "$W/stubs" <"$W/index.jsonl"
"$NIP" track init "$W/track" --root-key "$W/root.key" --online-key "$W/online.key.pub" \
	--publisher "$W/pub.key.pub" --name debian >/dev/null
t0=$(date +%s.%N)
(cd "$W/stubs" && find . -name '*.nip' -print0 | xargs -0 -n 8000 "$NIP" publish --track "$W/track" \
	--online-key "$W/online.key" >/dev/null)
t_publish=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
npkgs=$(find "$W/stubs" -name '*.nip' | wc -l)
# One more package into the full track: what a single publish costs.
mkdir -p "$W/one"
echo '{"name":"nip-bench-extra","version":"1.0-1","arch":"noarch","summary":"","depends":[],"provides":[],"conflicts":[],"recommends":[]}' |
	"$W/mkstubs" "$W/pub.key" "$W/empty" "$W/one" 2>/dev/null
t_one=$(hyperfine --style none --runs 1 --export-json "$W/one.json" \
	"$NIP publish --track $W/track --online-key $W/online.key $W/one/nip-bench-extra-1.0-1-noarch.nip" >/dev/null &&
	python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$W/one.json")

python3 -u -m http.server 0 --bind 127.0.0.1 -d "$W/track" >"$W/serve.log" 2>&1 &
server=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$W/serve.log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.1
done
R=$W/root
"$NIP" --root "$R" track add debian "http://127.0.0.1:$port" --pubkey "$W/root.key.pub"
t0=$(date +%s.%N)
"$NIP" --root "$R" refresh
t_refresh1=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")

mean() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f ± %.1f" % (r["mean"]*1000, r["stddev"]*1000))' "$1"; }
ms() { python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["mean"]*1000))' "$1"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
hf() { # NAME CMD...
	n=$1
	shift
	hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$W/$n.json" "$@" >/dev/null
}

hf refresh2 "$NIP --root $R refresh"
hf solvnip "$W/solv-nip $R debian"
hf solvdeb "$W/solv-deb $W/Packages $W/deb.solv"
mkdir -p "$W/apt/lists/partial" "$W/apt/cache/archives/partial"
: >"$W/apt/status"
cp /var/lib/apt/lists/*_Packages* "$W/apt/lists/" 2>/dev/null || true
cp /var/lib/apt/lists/*Release* "$W/apt/lists/" 2>/dev/null || true
APT="apt-get -q -o Dir::State::status=$W/apt/status -o Dir::State::Lists=$W/apt/lists -o Dir::Cache=$W/apt/cache"

cat <<EOT
Track: $npkgs packages of Debian bookworm main (empty payloads), 256 bins; $(nproc) CPUs.
Publishing them, in batches of 8,000: ${t_publish} s; one more package into the full track: ${t_one} s.
First refresh (256 bins and index parts, one request at a time, and the .solv): ${t_refresh1} s.

| operation | nip | peer | ratio | target |
|---|---|---|---|---|
| .solv from the index (\`solv-nip\`: nip_solv_from_index) vs libsolv's Debian reader on Packages (\`solv-deb\`) | $(mean "$W/solvnip.json") ms | $(mean "$W/solvdeb.json") ms | $(ratio "$(ms "$W/solvnip.json")" "$(ms "$W/solvdeb.json")") | ≤ 1.0 |
| second \`nip refresh\`, nothing new | $(mean "$W/refresh2.json") ms | | | ≤ 50 ms |
EOT
for p in coreutils python3 libreoffice gnome; do
	hf "nip-$p" "$NIP --root $R install --dry-run $p"
	hf "solv-$p" "$W/solv-solve $R/tracks/debian/index.solv $p"
	hf "apt-$p" "$APT -s install $p"
	n_nip=$("$NIP" --root "$R" install --dry-run "$p" | grep -c '^+')
	n_solv=$("$W/solv-solve" "$R/tracks/debian/index.solv" "$p" | cut -d' ' -f1)
	n_apt=$($APT -s install "$p" | grep -c '^Inst ')
	echo "| \`install --dry-run $p\` ($n_nip packages; libsolv $n_solv, apt $n_apt) | $(mean "$W/nip-$p.json") ms | libsolv $(mean "$W/solv-$p.json") ms | $(ratio "$(ms "$W/nip-$p.json")" "$(ms "$W/solv-$p.json")") | ≤ 1.2 |"
	echo "| | | \`apt-get install -s\` $(mean "$W/apt-$p.json") ms | $(ratio "$(ms "$W/nip-$p.json")" "$(ms "$W/apt-$p.json")") | |"
done
