#!/bin/sh
# trackd against nginx serving the same track directory on loopback, in
# the same run: requests per second and p99 latency (wrk, keep-alive) for
# metadata/timestamp.json, the index part under targets/index/, and a
# 5 MB package. Both log each request (trackd to a file; nginx buffered),
# both use sendfile and one worker per CPU. Target: trackd >= 0.8x nginx.
#
#   TRACKD=build/bin/trackd NIP=build/bin/nip tests/bench/bench_trackd.sh
#   DURATION=2s ROUNDS=1 ... for a quick check (default 10s, 3 rounds, 64 connections)
# Each round runs trackd then nginx on each file; the table has the medians
# over the rounds, which keeps a busy neighbour from deciding the ratio.
set -eu
: "${NIP:?}"
case $NIP in /*) ;; *) NIP=$PWD/$NIP ;; esac
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}
case $TRACKD in /*) ;; *) TRACKD=$PWD/$TRACKD ;; esac
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
missing=""
for c in wrk nginx; do command -v $c >/dev/null || missing="$missing $c"; done
if [ -n "$missing" ]; then
	echo "bench: installing$missing"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
tpid=
trap '[ -n "$tpid" ] && kill "$tpid" 2>/dev/null; [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null; rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
for k in root online pub; do "$NIP" key generate "$W/$k.key" >/dev/null; done
"$NIP" track init "$W/track" --root-key "$W/root.key" --online-key "$W/online.key.pub" \
	--publisher "$W/pub.key.pub" --name bench >/dev/null
mkdir -p "$W/s/big" "$W/s/hello"
head -c 5242880 /dev/urandom >"$W/s/big/data"
echo hello >"$W/s/hello/hello"
"$NIP" pack --key "$W/pub.key" --name big --version 1 --level 1 -o "$W/big.nip" "$W/s/big" >/dev/null
"$NIP" pack --key "$W/pub.key" --name hello --version 1 -o "$W/hello.nip" "$W/s/hello" >/dev/null
"$NIP" publish --track "$W/track" --online-key "$W/online.key" "$W/big.nip" "$W/hello.nip" >/dev/null
big=$(cd "$W/track" && ls targets/pkgs/*.big-1-*.nip)
idx=$(cd "$W/track" && find targets/index -type f | head -n 1)

"$TRACKD" --track "$W/track" --listen 127.0.0.1:0 --online-key "$W/online.key" \
	--max-conn-per-peer 4096 2>"$W/trackd.log" &
tpid=$!
tport=
for _ in $(seq 50); do
	tport=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$W/trackd.log" | head -n 1)
	[ -n "$tport" ] && break
	sleep 0.1
done
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=""
[ "$(id -u)" = 0 ] && user="user root;"
cat >"$W/nginx.conf" <<NGX
$user daemon on; pid $W/nginx.pid; error_log $W/nginx.err; worker_processes auto;
events { worker_connections 4096; }
http {
    access_log $W/access.log combined buffer=64k flush=1s;
    sendfile on; tcp_nopush on; keepalive_timeout 65; keepalive_requests 1000000;
    client_body_temp_path $W/nb; proxy_temp_path $W/np; fastcgi_temp_path $W/nf;
    uwsgi_temp_path $W/nu; scgi_temp_path $W/ns;
    types { application/json json; application/zstd zst; }
    server { listen 127.0.0.1:$nport; root $W/track; }
}
NGX
nginx -e "$W/nginx.err" -c "$W/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$nport/$idx" && break; sleep 0.1; done

# run SERVER NAME PATH: one wrk run; appends "NAME SERVER rps p99_ms".
run() {
	wrk -t "$THREADS" -c "$CONNS" -d "$DURATION" --latency "$1/$3" >"$W/wrk.out" 2>&1
	python3 - "$W/wrk.out" "$2" "$4" >>"$W/results" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", t).group(1))
m = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)\s*$", t, re.M)
p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
if errs:
    sys.exit(f"bench: {sys.argv[3]} {sys.argv[2]}: {errs.group(1)} error responses")
print(sys.argv[2], sys.argv[3], rps, p99)
PY
}
: >"$W/results"
# Warm both up (page cache, thread pools, connection memory).
wrk -t "$THREADS" -c "$CONNS" -d 1s "http://127.0.0.1:$tport/$idx" >/dev/null 2>&1
wrk -t "$THREADS" -c "$CONNS" -d 1s "http://127.0.0.1:$nport/$idx" >/dev/null 2>&1
for _ in $(seq "$ROUNDS"); do
	for what in "timestamp metadata/timestamp.json" "index $idx" "package-5MB $big"; do
		# shellcheck disable=SC2086 # name and path
		set -- $what
		run "http://127.0.0.1:$tport" "$1" "$2" trackd
		run "http://127.0.0.1:$nport" "$1" "$2" nginx
	done
done
python3 - "$W/results" "$DURATION" "$CONNS" "$THREADS" "$(nproc)" "$ROUNDS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, srv, rps, p99 = line.split()
    runs.setdefault(name, {}).setdefault(srv, []).append((float(rps), float(p99)))
rows = {name: {srv: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v))
               for srv, v in d.items()} for name, d in runs.items()}
print(f"wrk -t{sys.argv[4]} -c{sys.argv[3]} -d{sys.argv[2]} on loopback, {sys.argv[5]} CPUs, "
      f"medians of {sys.argv[6]} alternating rounds; trackd and nginx serve the same "
      "directory with sendfile, one worker per CPU, both logging each request.")
print()
print("| file | trackd req/s | nginx req/s | ratio | trackd p99 | nginx p99 | target |")
print("|---|---|---|---|---|---|---|")
for name, r in rows.items():
    (tr, tp), (nr, np_) = r["trackd"], r["nginx"]
    print(f"| {name} | {tr:.0f} | {nr:.0f} | {tr / nr:.2f} | {tp:.2f} ms | {np_:.2f} ms | >= 0.8 |")
PY
