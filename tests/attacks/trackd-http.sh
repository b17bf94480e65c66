#!/bin/sh
# trackd's HTTP side against hostile and demanding clients, on loopback:
# escaping paths, symlinks, huge headers, idle connections (slowloris), too
# many connections from one peer, oversized uploads; and what a client may
# rely on: HEAD, Range, If-None-Match, Cache-Control, Content-Length,
# keep-alive, a graceful stop that finishes a download, the log line, the
# drop to --user. Each refusal has its status and a JSON error body, and
# trackd goes on serving others afterwards.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}

for k in root online pub; do "$NIP" key generate "$T/$k.key" >/dev/null; done
mkdir -p "$T/s/usr/bin"
printf '#!/bin/sh\necho hello\n' >"$T/s/usr/bin/hello"
chmod 755 "$T/s/usr/bin/hello"
"$NIP" pack --key "$T/pub.key" --name hello --version 1.0-1 -o "$T/hello.nip" "$T/s" >/dev/null
"$NIP" track init "$T/track" --root-key "$T/root.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub" --name t >/dev/null
"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/hello.nip" >/dev/null
pkg=$(cd "$T/track" && ls targets/pkgs/*.hello-1.0-1-x86_64.nip)
idx=$(cd "$T/track" && find targets/index -type f | head -n 1)
# What trackd must not serve: its own state, and links out of the track.
mkdir -p "$T/track/.trackd"
echo secret >"$T/track/.trackd/secret"
echo outside >"$T/outside"
ln -s "$T/outside" "$T/track/targets/evil"
ln -s "$T" "$T/track/targets/evildir"
# A big file for the slow download (4 MiB).
head -c 4194304 /dev/urandom >"$T/track/targets/big.bin"


# start_trackd LOG [OPTION...]: runs trackd on a free port; sets $tpid, $u.
start_trackd() {
	log=$1
	shift
	"$TRACKD" --track "$T/track" --listen 127.0.0.1:0 --online-key "$T/online.key" "$@" \
		>"$log" 2>&1 &
	tpid=$!
	pids="$pids $tpid"
	port=$(wait_port "$log")
	u=http://127.0.0.1:$port
}

# get DESC STATUS ERROR CURL-ARGS...: the response has STATUS and, unless
# ERROR is -, a JSON body {"error": ERROR, "message": ...}.
get() {
	desc=$1 want=$2 code=$3
	shift 3
	rm -f "$T/body"
	st=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@")
	if [ "$st" != "$want" ]; then
		fail "$desc (status $st, wanted $want)"
		sed 's/^/# /' "$T/body" | head -n 5
	elif [ "$code" != - ] && ! json "$T/body" "d['error'] == '$code' and len(d['message']) > 0"; then
		fail "$desc (body is not a JSON error '$code')"
		sed 's/^/# /' "$T/body" | head -n 5
	else
		pass "$desc"
	fi
}

# header NAME: the value of header NAME in the last response.
header() {
	tr -d '\r' <"$T/hdr" | sed -n "s/^$1: //Ip" | head -n 1
}

# still_serving WHAT: a normal client is served after WHAT.
still_serving() {
	get "still serving after $1" 200 - "$u/metadata/root.json"
}

cat >"$T/raw.py" <<'PY'
import socket, sys, time, http.client

def conn(port, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def closed_within(s, secs):
    """True if the server closes s (EOF or reset) within secs seconds."""
    s.settimeout(secs)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

def served(port, src="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(src, 0))
    c.request("GET", "/metadata/root.json")
    r = c.getresponse()
    r.read()
    return r.status == 200

cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "slowloris":
    # Idle connections that never send a byte: a normal client is served
    # meanwhile, and each idle one is closed after the --timeout (argv[3]).
    timeout = int(sys.argv[3])
    idle = [conn(port) for _ in range(3)]
    time.sleep(0.3)
    print("served-meanwhile", served(port))
    t0 = time.monotonic()
    print("idle-closed", all(closed_within(s, timeout + 5) for s in idle))
    print("closed-after-timeout", time.monotonic() - t0 >= timeout - 1.5)
elif cmd == "perpeer":
    # argv[3] connections from 127.0.0.1 fill its quota; one more is cut
    # without a response, while 127.0.0.2 is still served.
    limit = int(sys.argv[3])
    held = [conn(port) for _ in range(limit)]
    time.sleep(0.3)
    extra = conn(port)
    extra.sendall(b"GET /metadata/root.json HTTP/1.1\r\nHost: x\r\n\r\n")
    print("extra-refused", closed_within(extra, 5))
    print("other-peer-served", served(port, "127.0.0.2"))
    for s in held:
        s.close()
    time.sleep(0.3)
    print("served-after", served(port))
elif cmd == "head":
    # HEAD argv[3]: the status line and how many bytes follow the headers.
    s = conn(port)
    s.sendall(b"HEAD " + sys.argv[3].encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    s.settimeout(5)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    head, _, rest = data.partition(b"\r\n\r\n")
    print(head.split(b"\r\n", 1)[0].decode(), "+", len(rest), "bytes")
elif cmd == "send":
    # One raw request (argv[3], with \r\n escapes): prints the status line.
    s = conn(port)
    s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
    s.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    print(data.split(b"\r\n", 1)[0].decode("latin-1"))
PY

start_trackd "$T/td.log" --timeout 2 --max-conn-per-peer 4 --max-upload 100000

# ---- paths that try to leave the track or reach what is not served ----
get "GET /../etc/passwd is refused" 400 bad-path --path-as-is "$u/../etc/passwd"
get "GET /metadata/../metadata/root.json is refused" 400 bad-path --path-as-is \
	"$u/metadata/../metadata/root.json"
get "GET %2e%2e is refused" 400 bad-path "$u/metadata/%2e%2e/%2e%2e/outside"
get "GET %2E%2E (upper case) is refused" 400 bad-path "$u/%2E%2E/outside"
get "GET %2f (an encoded separator) is refused" 400 bad-path "$u/metadata%2froot.json"
get "GET %00 is refused" 400 bad-path "$u/metadata/root.json%00.txt"
get "GET %5c (backslash) is refused" 400 bad-path "$u/metadata%5c..%5croot.json"
get "GET a broken escape is refused" 400 bad-path "$u/metadata/root.json%zz"
get "GET //etc/passwd is refused" 400 bad-path --path-as-is "$u//etc/passwd"
st=$(python3 "$T/raw.py" send "$port" 'GET ../outside HTTP/1.1\r\nHost: x\r\n\r\n')
case $st in
"HTTP/1.1 400"*) pass "a request target without '/' is refused ($st)" ;;
*) fail "a request target without '/' ($st)" ;;
esac
get "dot-files are not served" 404 not-found "$u/.trackd/secret"
get "nor under %2e" 404 not-found "$u/%2etrackd/secret"
get "a symlink to a file outside is refused" 403 denied "$u/targets/evil"
get "a symlink to a directory outside is refused" 403 denied "$u/targets/evildir/outside"
get "a directory is not listed" 404 not-found "$u/metadata/"
get "the root is not listed" 404 not-found "$u/"
get "a directory without '/' is not listed" 404 not-found "$u/targets"
get "a missing file is 404" 404 not-found "$u/metadata/9.root.json"
get "DELETE is 405" 405 method -X DELETE "$u/metadata/root.json"
same "405 names what is allowed" "$(header Allow)" "GET, HEAD"
get "GET /publish is 405" 405 method "$u/publish"
still_serving "the path attacks"

# ---- headers too large ----
big=$(head -c 10000 /dev/zero | tr '\0' a)
get "10 kB of headers: 431 with a JSON body" 431 headers-too-large -H "X-Big: $big" \
	"$u/metadata/root.json"
huge=$(head -c 100000 /dev/zero | tr '\0' a)
st=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Huge: $huge" "$u/metadata/root.json")
case $st in
431 | 400) pass "100 kB of headers: $st" ;;
*) fail "100 kB of headers: status $st" ;;
esac
still_serving "huge headers"

# ---- slowloris and connections per peer ----
python3 "$T/raw.py" slowloris "$port" 2 >"$T/slow.out" 2>&1
check "slowloris: a normal client is served meanwhile" grep -q '^served-meanwhile True' "$T/slow.out"
check "slowloris: idle connections are closed" grep -q '^idle-closed True' "$T/slow.out"
check "slowloris: ... after the --timeout, not before" grep -q '^closed-after-timeout True' "$T/slow.out"
still_serving "slowloris"
python3 "$T/raw.py" perpeer "$port" 4 >"$T/peer.out" 2>&1
check "a 5th connection from one peer (limit 4) is cut" grep -q '^extra-refused True' "$T/peer.out"
check "another peer is served meanwhile" grep -q '^other-peer-served True' "$T/peer.out"
check "the peer is served again once it lets go" grep -q '^served-after True' "$T/peer.out"
still_serving "too many connections"

# ---- uploads ----
head -c 200000 /dev/zero >"$T/big-upload"
get "an upload over --max-upload is refused" 413 too-large -X POST --data-binary @"$T/big-upload" \
	"$u/publish"
get "a chunked upload (no length) is refused" 411 length-required -X POST \
	-H 'Transfer-Encoding: chunked' --data-binary @"$T/hello.nip" "$u/publish"
# MHD's own parser refuses it first, with its own (HTML) body.
get "a bad Content-Length is refused" 400 - -X POST -H 'Content-Length: -5' "$u/publish"
# Past the HTTP checks, the publish side answers: 405 from a trackd that
# takes no publishes (readonly.c), 401 from one that does (no signature).
st=$(curl -s -o "$T/body" -w '%{http_code}' -X POST --data-binary @"$T/hello.nip" "$u/publish")
if { [ "$st" = 405 ] && json "$T/body" "d['error'] == 'usage'"; } ||
	{ [ "$st" = 401 ] && json "$T/body" "d['error'] == 'unsigned'"; }; then
	pass "an upload under the cap reaches the publish side ($st)"
else
	fail "an upload under the cap reaches the publish side (status $st)"
	sed 's/^/# /' "$T/body" | head -n 5
fi
still_serving "the uploads"

# ---- what clients rely on ----
size=$(stat -c %s "$T/track/$pkg")
get "GET a package" 200 - "$u/$pkg"
same "its Content-Length is its size" "$(header Content-Length)" "$size"
check "its bytes are the file's" cmp "$T/body" "$T/track/$pkg"
same "a package is immutable" "$(header Cache-Control)" "public, max-age=31536000, immutable"
same "a package is octet-stream" "$(header Content-Type)" "application/octet-stream"
same "a package's ETag is its hash" "$(header ETag)" "\"$(basename "$pkg" | cut -c1-64)\""
check "Last-Modified is an HTTP date" sh -c "grep -qiE '^Last-Modified: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' '$T/hdr'"
get "HEAD a package" 200 - -I "$u/$pkg"
same "HEAD has the Content-Length of GET" "$(header Content-Length)" "$size"
python3 "$T/raw.py" head "$port" "/$pkg" >"$T/head.out"
same "HEAD has no body" "$(cat "$T/head.out")" "HTTP/1.1 200 OK + 0 bytes"
get "GET timestamp.json" 200 - "$u/metadata/timestamp.json"
same "timestamp.json must be revalidated" "$(header Cache-Control)" "no-cache"
same "timestamp.json is JSON" "$(header Content-Type)" "application/json"
etag=$(header ETag)
get "GET root.json" 200 - "$u/metadata/root.json"
same "root.json must be revalidated" "$(header Cache-Control)" "no-cache"
get "GET 1.root.json" 200 - "$u/metadata/1.root.json"
same "a versioned metadata file is immutable" "$(header Cache-Control)" \
	"public, max-age=31536000, immutable"
get "GET an index part" 200 - "$u/$idx"
same "an index part is immutable" "$(header Cache-Control)" "public, max-age=31536000, immutable"
same "an index part is zstd" "$(header Content-Type)" "application/zstd"
get "If-None-Match with the ETag: 304" 304 - -H "If-None-Match: $etag" "$u/metadata/timestamp.json"
check "a 304 has no body" test ! -s "$T/body"
get "If-None-Match in a list, weak: 304" 304 - -H "If-None-Match: \"x\", W/$etag" \
	"$u/metadata/timestamp.json"
get "If-None-Match with another ETag: 200" 200 - -H 'If-None-Match: "other"' \
	"$u/metadata/timestamp.json"
tsize=$(stat -c %s "$T/track/metadata/timestamp.json")
get "Range bytes=0-9: 206" 206 - -r 0-9 "$u/metadata/timestamp.json"
same "... with Content-Range" "$(header Content-Range)" "bytes 0-9/$tsize"
same "... and 10 bytes" "$(header Content-Length)" 10
same "... which are the file's first 10" "$(cat "$T/body")" "$(head -c 10 "$T/track/metadata/timestamp.json")"
get "Range bytes=-5: the last 5 bytes" 206 - -H 'Range: bytes=-5' "$u/metadata/timestamp.json"
same "... with Content-Range" "$(header Content-Range)" "bytes $((tsize - 5))-$((tsize - 1))/$tsize"
get "Range bytes=10-: from byte 10 on" 206 - -H 'Range: bytes=10-' "$u/metadata/timestamp.json"
same "... $((tsize - 10)) bytes" "$(header Content-Length)" "$((tsize - 10))"
get "Range past the end: 416" 416 range -H "Range: bytes=$tsize-" "$u/metadata/timestamp.json"
same "... with Content-Range */size" "$(header Content-Range)" "bytes */$tsize"
get "a malformed Range is ignored: 200" 200 - -H 'Range: bytes=z-1' "$u/metadata/timestamp.json"
get "If-Range with a stale ETag: the whole file" 200 - -H 'Range: bytes=0-9' \
	-H 'If-Range: "stale"' "$u/metadata/timestamp.json"
get "/healthz" 200 - "$u/healthz"
check "/healthz names the timestamp version" json "$T/body" "d['status'] == 'ok' and d['timestamp_version'] == 1"
curl -sv -o /dev/null -o /dev/null "$u/metadata/root.json" "$u/metadata/timestamp.json" 2>"$T/keepalive"
check "keep-alive: curl re-uses the connection" grep -q 'Re-using existing connection' "$T/keepalive"

# ---- the log: one logfmt line per request ----
# Request lines are buffered per thread and written within a second or so.
for _ in $(seq 30); do grep -q 'path=/healthz' "$T/td.log" && break; sleep 0.1; done
re='^time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z peer=127\.0\.0\.1:[0-9]+ method=GET path=/healthz status=200 bytes=[0-9]+ ms=[0-9.]+ end=ok$'
check "a request's log line: time, peer, method, path, status, bytes, ms" grep -Eq "$re" "$T/td.log"
check "a hostile path is logged quoted, on one line" \
	grep -q 'path="/metadata/root.json%00.txt"\|path=/metadata/root.json%00.txt' "$T/td.log"

# ---- a graceful stop finishes the download in flight ----
curl -s --limit-rate 2M -o "$T/big.out" "$u/targets/big.bin" &
cpid=$!
sleep 0.5
kill -TERM "$tpid"
wait "$cpid"
same "SIGTERM during a download: curl completes" "$?" 0
check "... with every byte" cmp "$T/big.out" "$T/track/targets/big.bin"
wait "$tpid"
same "... and trackd exits 0" "$?" 0
check "... saying it stopped" grep -q 'msg=stopped' "$T/td.log"
check "no new connection is accepted once stopped" sh -c "! curl -s -m 2 '$u/healthz'"

# ---- bad options ----
expect_trackd() { # CODE PATTERN DESC ARGS...
	code=$1 pat=$2 desc=$3
	shift 3
	"$TRACKD" "$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	if [ "$rc" -eq "$code" ] && grep -q "^trackd: error: .*$pat" "$T/.err"; then pass "$desc"; else
		fail "$desc (exit $rc)"
		sed 's/^/# /' "$T/.err"
	fi
}
expect_trackd 2 "unknown" "an unknown option is exit 2" --track "$T/track" --bogus
expect_trackd 2 "--listen" "--listen is required" --track "$T/track" --online-key "$T/online.key"
expect_trackd 2 "--listen 'nonsense'" "a --listen without a port" --track "$T/track" \
	--online-key "$T/online.key" --listen nonsense
expect_trackd 2 "--track" "a missing track directory" --track "$T/nope" \
	--online-key "$T/online.key" --listen 127.0.0.1:0
expect_trackd 2 "--timeout" "a --timeout that is not a number" --track "$T/track" \
	--online-key "$T/online.key" --listen 127.0.0.1:0 --timeout x

# ---- IPv6 ----
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	"$TRACKD" --track "$T/track" --listen '[::1]:0' --online-key "$T/online.key" >"$T/td6.log" 2>&1 &
	p6=$!
	pids="$pids $p6"
	port6=$(wait_port "$T/td6.log")
	get "IPv6: [::1] serves" 200 - "http://[::1]:$port6/metadata/root.json"
	kill "$p6"
else
	echo "# no IPv6 loopback here: the [::1] check is skipped"
fi

# ---- dropping to --user ----
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	start_trackd "$T/td-user.log" --user nobody
	uid=$(id -u nobody)
	same "--user nobody: every uid is nobody's" \
		"$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$tpid/status")" "$uid $uid $uid $uid"
	same "--user nobody: no supplementary group but its own" \
		"$(awk '/^Groups:/ {print $2}' "/proc/$tpid/status")" "$(id -g nobody)"
	get "--user nobody: still serves the track" 200 - "$u/metadata/root.json"
	kill "$tpid"
	expect_trackd 2 "no such user" "--user with an unknown name" --track "$T/track" \
		--online-key "$T/online.key" --listen 127.0.0.1:0 --user no-such-user-xyz
else
	echo "# not root (or no user nobody): the --user drop is not checked"
fi

done_testing
