#!/bin/sh
# HTTP failures while pinning and refreshing a track, and while fetching
# its packages: 404, 500, a redirect loop, a body longer than its cap, a
# TLS server whose certificate nothing vouches for; each is one clear error
# naming the track and the URL (of the file), with the network (5) or
# trust (3) exit status. tls/ holds a self-signed certificate for
# 127.0.0.1 (made once with openssl req -x509; valid for a century).
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

for k in root online pub; do "$NIP" key generate "$T/$k.key" >/dev/null; done
"$NIP" track init "$T/track" --root-key "$T/root.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub" --name t >/dev/null
mkdir -p "$T/s/usr/bin"
printf '#!/bin/sh\necho hello\n' >"$T/s/usr/bin/hello"
SOURCE_DATE_EPOCH=1700000000 "$NIP" pack --key "$T/pub.key" --name hello --version 1.0-1 \
	-o "$T/hello.nip" "$T/s" >/dev/null
"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/hello.nip" >/dev/null

# /ok/ serves the track; /e500/ answers 500; /loop/ redirects to itself;
# /huge/ serves the track but an endless timestamp.json; /p500/, /p404/
# and /ploop/ serve the metadata but answer 500, 404 or a redirect to
# itself for the packages.
cat >"$T/srv.py" <<'PY'
import http.server, os, sys
root = sys.argv[1]
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
    def log_message(self, *a):
        pass
    def do_GET(self):
        p = self.path
        pkg = "/targets/pkgs/" in p
        if p.startswith("/p500/") and pkg:
            self.send_error(500)
        elif p.startswith("/p404/") and pkg:
            self.send_error(404)
        elif p.startswith("/ploop/") and pkg:
            self.send_response(302)
            self.send_header("Location", p)
            self.end_headers()
        elif p.startswith("/e500/"):
            self.send_error(500)
        elif p.startswith("/loop/"):
            self.send_response(302)
            self.send_header("Location", p)
            self.end_headers()
        elif p.startswith("/huge/") and p.endswith("/timestamp.json"):
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(4096):
                    self.wfile.write(b" " * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            for pre in ("/ok/", "/huge/", "/p500/", "/p404/", "/ploop/"):
                if p.startswith(pre):
                    self.path = p[len(pre) - 1:]
                    return super().do_GET()
            self.send_error(404)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", s.server_address[1], flush=True)
s.serve_forever()
PY
python3 -u "$T/srv.py" "$T/track" >"$T/srv.log" 2>&1 &
srv=$!
# The same track over TLS, with a certificate no CA signed.
python3 -u -c 'import http.server, functools, ssl, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = c.wrap_socket(s.socket, server_side=True)
print("port", s.server_address[1], flush=True)
s.serve_forever()' "$T/track" "$top/tests/e2e/tls/cert.pem" "$top/tests/e2e/tls/key.pem" >"$T/tls.log" 2>&1 &
tls=$!
pids="$pids $srv $tls"
port=$(wait_port "$T/srv.log")
u=http://127.0.0.1:$port
tu=https://127.0.0.1:$(wait_port "$T/tls.log")

expect 5 'track a: .*/nope/metadata/1.root.json: not found' "track add: 404" \
	"$NIP" --root "$T/r" track add a "$u/nope" --pubkey "$T/root.key.pub"
expect 5 'track a: .*HTTP status 500' "track add: 500" \
	"$NIP" --root "$T/r" track add a "$u/e500" --pubkey "$T/root.key.pub"
expect 5 'track a: .*too many redirects' "track add: a redirect loop" \
	"$NIP" --root "$T/r" track add a "$u/loop" --pubkey "$T/root.key.pub"
expect 5 "track a: .*127.0.0.1:1/metadata/1.root.json" "track add: nothing listens on the port" \
	"$NIP" --root "$T/r" track add a http://127.0.0.1:1 --pubkey "$T/root.key.pub"
expect 2 "URL 'ftp://x'" "track add: a URL nip cannot fetch" \
	"$NIP" --root "$T/r" track add a ftp://x --pubkey "$T/root.key.pub"
expect 5 "track a: $tu/metadata/1.root.json: SSL certificate problem" \
	"track add: a TLS certificate nothing vouches for" \
	"$NIP" --root "$T/r" track add a "$tu" --pubkey "$T/root.key.pub"
check "no track was left behind" sh -c "! ls '$T/r/tracks' 2>/dev/null | grep -q ."

check "track add ok" "$NIP" --root "$T/r" track add ok "$u/ok" --pubkey "$T/root.key.pub"
check "track add huge" "$NIP" --root "$T/r" track add huge "$u/huge" --pubkey "$T/root.key.pub"
check "refresh ok" "$NIP" --root "$T/r" refresh ok
expect 3 'track huge: .*timestamp.json: more than the 16384 bytes' "endless data is cut at the cap" \
	"$NIP" --root "$T/r" refresh huge

# The metadata is there, the package is not: each root pins one track.
pkgerr() { # NAME PREFIX CODE PATTERN DESC [track add options]
	name=$1 pre=$2 code=$3 pat=$4 desc=$5
	shift 5
	check "track add $name" "$NIP" --root "$T/$name" track add "$name" "$u/$pre" --pubkey "$T/root.key.pub" "$@"
	check "refresh $name" "$NIP" --root "$T/$name" refresh
	expect "$code" "$pat" "$desc" "$NIP" --root "$T/$name" fetch hello
	same "nothing named in the cache ($name)" "$(find "$T/$name/cache" -name '*.nip' | wc -l)" 0
}
file='targets/pkgs/[0-9a-f]+\.hello-1\.0-1-[^ ]*\.nip'
pkgerr p404 p404 5 "track p404: $u/p404/$file: not found on the server \(HTTP status 404\)$" \
	"a package the server does not have: exit 5 naming the track and the file"
pkgerr p500 p500 5 "track p500: $u/p500/$file: HTTP status 500$" \
	"a package the server fails on (after retries): exit 5 naming the track and the file"
pkgerr ploop ploop 5 "track ploop: $u/ploop/$file: too many redirects$" \
	"a package behind a redirect loop: exit 5 naming the track and the file"
# The track's server lacks the package; its mirror speaks TLS with a
# certificate nothing vouches for: the mirror's failure is the one named,
# and it is not retried (no retry can fix a certificate).
pkgerr mirror p404 5 "track mirror: $tu/$file: SSL certificate problem" \
	"a mirror's TLS error: exit 5 naming the mirror's URL" --mirror "$tu"
"$NIP" --root "$T/mirror" --json fetch hello >"$T/mirror.json" 2>/dev/null
check "--json: a fetch-error naming the mirror tried next, then the mirror's, no retry" python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])][:-1]
err = [e for e in ev if e["event"] == "fetch-error"]
assert len(err) == 2, err
assert err[0]["mirror"] == sys.argv[2] and "404" in err[0]["error"] and not err[0]["retry"], err[0]
assert err[1]["mirror"] is None and not err[1]["retry"] and "certificate" in err[1]["error"] and err[1]["url"].startswith(sys.argv[2] + "/"), err[1]' "$T/mirror.json" "$tu"
check "a mirror that has it serves it" "$NIP" --root "$T/r2" track add m2 "$u/p404" \
	--mirror "$u/ok" --pubkey "$T/root.key.pub"
check "refresh m2" "$NIP" --root "$T/r2" refresh
check "fetch from the mirror" "$NIP" --root "$T/r2" fetch hello
same "in the cache" "$(find "$T/r2/cache" -name '*.nip' | wc -l)" 1

# A track read from the file system, pinned by its root.json itself.
check "track add file:// --root-json" "$NIP" --root "$T/r" track add local "file://$T/track" \
	--root-json "$T/track/metadata/1.root.json"
check "refresh of a file:// track" "$NIP" --root "$T/r" refresh local
printf '{"signed":{}}' >"$T/bad-root.json"
expect 3 'track bad: root.json: field signatures' "a malformed pinned root.json is refused" \
	"$NIP" --root "$T/r" track add bad "file://$T/track" --root-json "$T/bad-root.json"

done_testing
