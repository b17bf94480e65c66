#!/bin/sh
# Fetching 200 packages (1 MiB of incompressible content each) from a
# track on loopback: `nip fetch` (resolve, one load of the trusted metadata,
# 8 parallel transfers, each checked against its signed length and SHA-256,
# into the cache) against `curl --parallel --parallel-max 8` of the same
# URLs (no check at all). Same server, same run; the server is nginx when
# installed, else Python's threading http.server.
#
#   NIP=build/bin/nip tests/bench/bench_fetch.sh      (needs hyperfine, curl)
set -eu
: "${NIP:?}"
case $NIP in /*) ;; *) NIP=$PWD/$NIP ;; esac
N=${N:-200}
RUNS=${RUNS:-5}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
# Under set -e a failing command ends a trap early: a bare `kill` of an
# empty $server left nginx running and $W behind.
cleanup() {
	set +e
	[ -n "${server:-}" ] && kill "$server" 2>/dev/null
	[ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
server=
for c in hyperfine curl; do command -v $c >/dev/null || { echo "bench: needs $c"; exit 1; }; done
export SOURCE_DATE_EPOCH=1700000000
for k in root online pub; do "$NIP" key generate "$W/$k.key" >/dev/null; done
"$NIP" track init "$W/track" --root-key "$W/root.key" --online-key "$W/online.key.pub" \
	--publisher "$W/pub.key.pub" --name bench >/dev/null
names=""
for i in $(seq -w 1 "$N"); do
	mkdir -p "$W/s/p$i"
	head -c 1048576 /dev/urandom >"$W/s/p$i/data"
	"$NIP" pack --key "$W/pub.key" --name "p$i" --version 1 --level 1 -o "$W/p$i.nip" "$W/s/p$i" >/dev/null
	names="$names p$i"
done
"$NIP" publish --track "$W/track" --online-key "$W/online.key" "$W"/p*.nip >/dev/null

if command -v nginx >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$W/nginx.conf" <<EOF
user root; daemon on; pid $W/nginx.pid; error_log $W/nginx.err; worker_processes auto;
events { worker_connections 1024; }
http { access_log off; sendfile on; server { listen 127.0.0.1:$port; root $W/track; } }
EOF
	nginx -c "$W/nginx.conf"
	srv=nginx
else
	python3 -u -c 'import http.server, sys, functools
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
print("port", s.server_address[1], flush=True)
s.serve_forever()' "$W/track" >"$W/serve.log" 2>&1 &
	server=$!
	port=
	for _ in $(seq 50); do
		port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$W/serve.log" 2>/dev/null | head -n 1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	srv="python3 http.server (threading)"
fi
url=http://127.0.0.1:$port
R=$W/root
"$NIP" --root "$R" track add bench "$url" --pubkey "$W/root.key.pub"
"$NIP" --root "$R" refresh
(cd "$W/track/targets/pkgs" && ls) | sed "s#^#$url/targets/pkgs/#" >"$W/urls"
# shellcheck disable=SC2086 # one word per name
hyperfine --style none --runs "$RUNS" --prepare "rm -rf $R/cache" --export-json "$W/nip.json" \
	"$NIP --root $R fetch $names" >/dev/null
hyperfine --style none --runs "$RUNS" --prepare "rm -rf $W/curl && mkdir $W/curl" --export-json "$W/curl.json" \
	"sh -c 'cd $W/curl && curl -s --parallel --parallel-max 8 --remote-name-all \$(cat $W/urls)'" >/dev/null
bytes=$(cat "$W"/track/targets/pkgs/* | wc -c)
python3 - "$W/nip.json" "$W/curl.json" "$bytes" "$N" "$srv" <<'EOF'
import json, sys
nip = json.load(open(sys.argv[1]))["results"][0]
curl = json.load(open(sys.argv[2]))["results"][0]
b = int(sys.argv[3])
tn, tc = nip["mean"], curl["mean"]
print(f"{sys.argv[4]} packages, {b/1e6:.1f} MB, served by {sys.argv[5]} on loopback; means of hyperfine runs.")
print()
print("| operation | nip fetch | curl --parallel (8) | ratio (throughput) | target |")
print("|---|---|---|---|---|")
print(f"| fetch into the cache | {tn:.3f} s ({b/tn/1e6:.0f} MB/s) | {tc:.3f} s ({b/tc/1e6:.0f} MB/s) | {tc/tn:.2f} | ≥ 0.9 |")
# CPU time says what the wall clock hides on a shared machine: nip hashes
# every byte and checks every package's signature, curl does neither.
cn, cc = nip["user"] + nip["system"], curl["user"] + curl["system"]
print(f"| CPU time (user + system) | {cn:.3f} s | {cc:.3f} s | {cc/cn:.2f} | |")
EOF
