#!/bin/sh
# Hostile and unlucky publishes against the real trackd on loopback:
# unsigned, signed by a key that is no publisher, replayed, with another
# body, expired (faketime), oversized; a publisher not authorised for the
# name; packages that do not verify; kill -9 of trackd at every step of a
# publish (the fault injector) then a restart: clients see the old set or
# the new one, never a mix; disk full (a small tmpfs): 507 and the old
# state still served. Each refusal has its HTTP status and a JSON error,
# and trackd keeps serving everyone else.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}

for k in root online pub pub2 stranger; do "$NIP" key generate "$T/$k.key" >/dev/null; done
# mkpkg KEY NAME VERSION [BYTES]: $T/NAME-VERSION.nip signed by KEY, with
# BYTES of random payload.
mkpkg() {
	rm -rf "$T/s"
	mkdir -p "$T/s/usr/share/$2"
	printf '%s %s\n' "$2" "$3" >"$T/s/usr/share/$2/version"
	[ -n "${4:-}" ] && head -c "$4" /dev/urandom >"$T/s/usr/share/$2/blob"
	"$NIP" pack --key "$T/$1.key" --name "$2" --version "$3" -o "$T/$2-$3.nip" "$T/s" >/dev/null
}
mkpkg pub hello 1.0-1
mkpkg pub hello 1.1-1
mkpkg pub2 other 1.0-1
mkpkg pub2 hello 9.0-1
mkpkg stranger hello 8.0-1
mkpkg pub big 1.0-1 300000
# pub may publish hello* and big; pub2 only other*.
"$NIP" track init "$T/track" --root-key "$T/root.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub:hello*" --publisher "$T/pub2.key.pub:other*" --name t >/dev/null
"$NIP" track authorize "$T/track" --root-key "$T/root.key" --publisher "$T/pub.key.pub:[bh]*" >/dev/null
"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/hello-1.0-1.nip" >/dev/null
cp -a "$T/track" "$T/pristine"

at_exit='umount "$T/small" 2>/dev/null'
port=0
# start_trackd LOG DIR [OPTION...]: trackd for DIR on the port of the first
# start, with the environment $tenv (the fault injector's); sets $u, $tpid.
tenv=
start_trackd() {
	log=$1 dir=$2
	shift 2
	# shellcheck disable=SC2086 # tenv is a list of NAME=VALUE words
	env $tenv "$TRACKD" --track "$dir" --listen "127.0.0.1:$port" --online-key "$T/online.key" "$@" \
		>"$log" 2>&1 &
	tpid=$!
	pids="$pids $tpid"
	p=$(wait_port "$log")
	# A trackd killed while it starts prints no port: keep the old one.
	[ -n "$p" ] && port=$p
	u=http://127.0.0.1:$port
}
stop_trackd() {
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
}
start_trackd "$T/trackd.log" "$T/track" --max-upload 200000

# mark; ...; logged STATUS: a publish trackd logged after the mark had
# STATUS. trackd writes each thread's log lines once a second, so they come
# a moment late and not in order: the new lines are those not in the mark.
mark() { grep 'path=/publish' "$log" >"$T/mark"; }
logged() {
	for _ in $(seq 100); do
		grep 'path=/publish' "$log" | grep -vxF -f "$T/mark" | grep -q "status=$1 " && return 0
		sleep 0.1
	done
	return 1
}
# refused EXIT STATUS PATTERN DESC KEY FILE...: nip publish exits EXIT with
# trackd's reason matching PATTERN, and trackd answered STATUS.
refused() {
	code=$1 st=$2 pat=$3 desc=$4 key=$5
	shift 5
	mark
	expect "$code" "trackd: $pat" "$desc" "$NIP" publish --track "$u" --key "$T/$key.key" "$@"
	if logged "$st"; then pass "  ... with HTTP $st"; else
		fail "  ... with HTTP $st"
		grep 'path=/publish' "$log" | grep -vxF -f "$T/mark" | sed 's/^/# /'
	fi
}
still_serving() {
	st=$(curl -s -o /dev/null -w '%{http_code}' "$u/metadata/timestamp.json")
	same "still serving after $1" "$st" 200
}

cat >"$T/raw.py" <<'PY'
# capture PORT UPSTREAM-PORT FILE: a one-request proxy that keeps the raw
# request (the signed headers and body) in FILE.
# send PORT FILE [tamper]: sends a kept request to trackd as it is, or with
# its body or its signature altered; prints the status and the JSON body.
import json, socket, sys

def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data:
        data += c.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(body) < n:
        body += c.recv(65536)
    return head, body

def exchange(port, raw):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(raw)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    return out

if sys.argv[1] == "capture":
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print("port", ls.getsockname()[1], flush=True)
    c, _ = ls.accept()
    head, body = read_request(c)
    head = head.replace(b"Connection: keep-alive", b"Connection: close")
    raw = head + b"\r\nConnection: close\r\n\r\n" + body if b"Connection:" not in head else head + b"\r\n\r\n" + body
    open(sys.argv[3], "wb").write(raw)
    c.sendall(exchange(int(sys.argv[2]), raw))
    c.close()
else:
    raw = open(sys.argv[3], "rb").read()
    head, _, body = raw.partition(b"\r\n\r\n")
    if len(sys.argv) > 4 and sys.argv[4] == "body":
        body = body[:-1] + bytes([body[-1] ^ 1])
    if len(sys.argv) > 4 and sys.argv[4] == "sig":
        i = head.index(b"sig=") + 4
        head = head[:i] + (b"0" if head[i:i+1] != b"0" else b"1") + head[i+1:]
    out = exchange(int(sys.argv[2]), head + b"\r\n\r\n" + body)
    status = out.split(b" ", 2)[1].decode()
    doc = json.loads(out.partition(b"\r\n\r\n")[2])
    print(status, doc["error"], doc["message"])
PY

# ---- the request's signature ----
st=$(curl -s -o "$T/body" -w '%{http_code}' -X POST --data-binary @"$T/hello-1.1-1.nip" "$u/publish")
same "unsigned: 401" "$st" 401
check "  ... with a JSON error 'unsigned'" json "$T/body" "d['error'] == 'unsigned' and d['message']"
st=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'Authorization: NIP1-Ed25519 key=zz' \
	--data-binary @"$T/hello-1.1-1.nip" "$u/publish")
same "a malformed Authorization: 400" "$st" 400
check "  ... with a JSON error 'malformed'" json "$T/body" "d['error'] == 'malformed'"
refused 3 401 'key [0-9A-F]+ is not a publisher' "signed by a key that is no publisher: refused" \
	stranger hello-1.1-1.nip
[ -n "$faketime_lib" ] || fail "libfaketime is missing (tests/deps.sh installs faketime)"
mark
expect 3 'trackd: the request was signed at' "an expired request (clock an hour behind) is refused" \
	at -1h "$NIP" publish --track "$u" --key "$T/pub.key" "$T/hello-1.1-1.nip"
if logged 401; then pass "  ... with HTTP 401"; else fail "  ... with HTTP 401"; fi
expect 3 'trackd: the request was signed at' "a request from the future (an hour ahead) is refused" \
	at +1h "$NIP" publish --track "$u" --key "$T/pub.key" "$T/hello-1.1-1.nip"

# A request captured on its way, then sent again or altered.
python3 -u "$T/raw.py" capture "$port" "$T/req" >"$T/proxy.log" 2>&1 &
pids="$pids $!"
pport=$(wait_port "$T/proxy.log")
check "a publish through a recording proxy succeeds" \
	"$NIP" publish --track "http://127.0.0.1:$pport" --key "$T/pub.key" "$T/hello-1.1-1.nip"
python3 "$T/raw.py" send "$port" "$T/req" >"$T/replay.out"
check "the same request again: 401 replayed" grep -q '^401 replayed ' "$T/replay.out"
python3 "$T/raw.py" send "$port" "$T/req" body >"$T/replay.out"
check "its headers with another body: 401" grep -q '^401 bad-signature .*not the one that was signed' "$T/replay.out"
python3 "$T/raw.py" send "$port" "$T/req" sig >"$T/replay.out"
check "its signature altered: 401 (replay is checked after the signature)" \
	grep -q '^401 bad-signature ' "$T/replay.out"
stop_trackd
start_trackd "$T/trackd-restarted.log" "$T/track" --max-upload 200000
python3 "$T/raw.py" send "$port" "$T/req" >"$T/replay.out"
check "after a restart, still 401 replayed (nonces persist)" grep -q '^401 replayed ' "$T/replay.out"
still_serving "the signature refusals"

# ---- who may publish what; what verifies ----
refused 3 413 '.*(limit|too large)' "an upload over --max-upload: refused" pub "$T/big-1.0-1.nip"
refused 3 403 "publisher [0-9A-F]+ may not publish 'hello'" \
	"a publisher authorised for other* only, uploading hello: 403" pub2 "$T/hello-9.0-1.nip"
refused 3 403 ".*may not publish 'hello'" \
	"the same, with a package the right publisher signed: still 403" pub2 "$T/hello-1.1-1.nip"
refused 3 422 'hello-8.0-1.nip' "a package signed by no publisher: 422" pub "$T/hello-8.0-1.nip"
cp "$T/hello-1.1-1.nip" "$T/hello-2.0-1.nip"
# The last bytes are the zstd frame's checksum: the payload no longer verifies.
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-2]^=0xff; open(p,"wb").write(bytes(b))' \
	"$T/hello-2.0-1.nip"
refused 3 422 'hello-2.0-1.nip' "a package whose payload does not verify: 422" pub "$T/hello-2.0-1.nip"
mkpkg pub hello 1.1-1
refused 3 409 '.*already published with other content' \
	"other bytes under a published name and version: 409" pub "$T/hello-1.1-1.nip"
check "other may be published by pub2" "$NIP" publish --track "$u" --key "$T/pub2.key" "$T/other-1.0-1.nip"
still_serving "the package refusals"
stop_trackd

# ---- kill -9 at each step of a publish ----
# versions ROOT: the versions of hello a client of ROOT sees, one line.
versions() {
	"$NIP" --root "$1" --json search hello | python3 -c 'import json,sys
print(" ".join(sorted(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "hello")))'
}
if [ -n "${NIP_INJECT:-}" ] && [ -f "$NIP_INJECT" ]; then
	rm -rf "$T/k" && cp -a "$T/pristine" "$T/k"
	tenv="NIP_FAULT_COUNT=$T/count LD_PRELOAD=$asan_first$NIP_INJECT"
	start_trackd "$T/count.log" "$T/k"
	"$NIP" publish --track "$u" --key "$T/pub.key" "$T/hello-1.1-1.nip" >/dev/null 2>&1
	stop_trackd
	tenv=
	total=$(sed -n 's/^calls //p' "$T/count" | tail -n 1)
	check "a clean publish makes $total mutating calls" test "${total:-0}" -gt 0
	step=$(((total + 24) / 25))
	k=1 mixed=0 bad=0 trials=0 olds=0 news=0
	while [ "$k" -le "${total:-0}" ]; do
		rm -rf "$T/k" "$T/kr" && cp -a "$T/pristine" "$T/k"
		tenv="NIP_FAULT_N=$k LD_PRELOAD=$asan_first$NIP_INJECT"
		start_trackd "$T/kill.log" "$T/k"
		tenv=
		"$NIP" publish --track "$u" --key "$T/pub.key" "$T/hello-1.1-1.nip" >/dev/null 2>&1
		stop_trackd
		start_trackd "$T/after.log" "$T/k"
		trials=$((trials + 1))
		if "$NIP" --root "$T/kr" track add t "$u" --pubkey "$T/root.key.pub" >/dev/null 2>&1 &&
			"$NIP" --root "$T/kr" refresh >/dev/null 2>"$T/kr.err"; then
			v=$(versions "$T/kr")
			case "$v" in
			"1.0-1") olds=$((olds + 1)) ;;
			"1.0-1 1.1-1") news=$((news + 1)) ;;
			*) mixed=$((mixed + 1)) && echo "# after a kill at call $k: '$v'" ;;
			esac
			# A publish after the restart goes through.
			"$NIP" publish --track "$u" --key "$T/pub.key" "$T/hello-1.1-1.nip" >/dev/null 2>"$T/kr.err" ||
				{ bad=$((bad + 1)) && echo "# after a kill at call $k, a publish failed: $(cat "$T/kr.err")"; }
		else
			bad=$((bad + 1))
			echo "# after a kill at call $k: $(cat "$T/kr.err" 2>/dev/null)"
		fi
		stop_trackd
		k=$((k + step))
	done
	same "kill -9 at $trials calls: every restart verifies and publishes ($olds old, $news new)" "$bad" 0
	same "  ... and no client saw a mix" "$mixed" 0
else
	fail "NIP_INJECT is not set (make e2e-run builds the fault injector)"
fi

# ---- disk full ----
mkdir -p "$T/small"
if mount -t tmpfs -o size=3m tmpfs "$T/small" 2>/dev/null; then
	cp -a "$T/pristine/." "$T/small/"
	mkpkg pub big 2.0-1 4000000
	start_trackd "$T/full.log" "$T/small"
	mark
	expect 1 'trackd: .*No space left' "a publish that fills the disk: refused" \
		"$NIP" publish --track "$u" --key "$T/pub.key" "$T/big-2.0-1.nip"
	if logged 507; then pass "  ... with HTTP 507"; else fail "  ... with HTTP 507"; fi
	rm -rf "$T/fr"
	check "the old state is still served and verifies" sh -c \
		"'$NIP' --root '$T/fr' track add t '$u' --pubkey '$T/root.key.pub' && '$NIP' --root '$T/fr' refresh"
	same "  ... and it is the old set" "$(versions "$T/fr")" "1.0-1"
	check "a small publish still works" "$NIP" publish --track "$u" --key "$T/pub.key" "$T/hello-1.1-1.nip"
	still_serving "a full disk"
	stop_trackd
	umount "$T/small"
else
	pass "disk full # SKIP mounting a tmpfs needs root (CAP_SYS_ADMIN)"
fi

done_testing
