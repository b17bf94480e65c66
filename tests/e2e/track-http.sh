#!/bin/sh
# HTTP failures while pinning and refreshing a track: 404, 500, a redirect
# loop, and a body longer than its cap; each is one clear error naming the
# track and the URL, with the network (5) or trust (3) exit status.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

for k in root online; do "$NIP" key generate "$T/$k.key" >/dev/null; done
"$NIP" track init "$T/track" --root-key "$T/root.key" --online-key "$T/online.key.pub" --name t >/dev/null
"$NIP" publish --track "$T/track" --online-key "$T/online.key" >/dev/null

# /ok/ serves the track; /e500/ answers 500; /loop/ redirects to itself;
# /huge/ serves the track but an endless timestamp.json.
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
        if p.startswith("/e500/"):
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
            for pre in ("/ok/", "/huge/"):
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
trap 'kill $srv 2>/dev/null; rm -rf "$T"' EXIT
port=$(wait_port "$T/srv.log")
u=http://127.0.0.1:$port

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
check "no track was left behind" sh -c "! ls '$T/r/tracks' 2>/dev/null | grep -q ."

check "track add ok" "$NIP" --root "$T/r" track add ok "$u/ok" --pubkey "$T/root.key.pub"
check "track add huge" "$NIP" --root "$T/r" track add huge "$u/huge" --pubkey "$T/root.key.pub"
check "refresh ok" "$NIP" --root "$T/r" refresh ok
expect 3 'track huge: .*timestamp.json: more than the 16384 bytes' "endless data is cut at the cap" \
	"$NIP" --root "$T/r" refresh huge

# A track read from the file system, pinned by its root.json itself.
check "track add file:// --root-json" "$NIP" --root "$T/r" track add local "file://$T/track" \
	--root-json "$T/track/metadata/1.root.json"
check "refresh of a file:// track" "$NIP" --root "$T/r" refresh local
printf '{"signed":{}}' >"$T/bad-root.json"
expect 3 'track bad: root.json: field signatures' "a malformed pinned root.json is refused" \
	"$NIP" --root "$T/r" track add bad "file://$T/track" --root-json "$T/bad-root.json"

done_testing
