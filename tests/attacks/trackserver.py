#!/usr/bin/env python3
"""An adversarial track server for the attack suite: serves DIR as a static
server would, except as RULES (a JSON file re-read on every request, so a
test changes behaviour without a restart) says:
  {"override": {"URL-PATH-SUFFIX": "FILE"},  serve FILE instead
   "append": ["URL-PATH-SUBSTRING"],           add endless bytes after it
   "trickle": ["URL-PATH-SUBSTRING"],          one byte a second
   "cut": ["URL-PATH-SUBSTRING"],              half the body, then close,
                                               unless a Range asks for the rest
   "norange": ["URL-PATH-SUBSTRING"]}          ignore Range: the whole body, 200
                                               (and a cut only the first time)
Range requests are honoured (206), and each is noted in RULES.ranges.
Prints "port N" once listening on 127.0.0.1."""
import http.server
import json
import os
import sys
import time

root, rules_path = sys.argv[1], sys.argv[2]


def rules():
    try:
        with open(rules_path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)

    def log_message(self, *a):
        pass

    def do_GET(self):
        r = rules()
        path = self.path.split("?")[0]
        body = None
        for suffix, f in r.get("override", {}).items():
            if path.endswith(suffix):
                with open(f, "rb") as fh:
                    body = fh.read()
        if body is None:
            local = os.path.join(root, path.lstrip("/"))
            if not os.path.isfile(local):
                return self.send_error(404)
            with open(local, "rb") as fh:
                body = fh.read()
        endless = any(s in path for s in r.get("append", []))
        slow = any(s in path for s in r.get("trickle", []))
        cut = any(s in path for s in r.get("cut", []))
        norange = any(s in path for s in r.get("norange", []))
        rng = self.headers.get("Range", "")
        if rng:
            with open(rules_path + ".ranges", "a") as f:
                f.write(f"{path} {rng[6:-1]}\n")
        if norange:
            rng = ""
            cuts = rules_path + ".cuts"
            done = os.path.exists(cuts) and path in open(cuts).read().split("\n")
            if cut and not done:
                with open(cuts, "a") as f:
                    f.write(path + "\n")
            cut = cut and not done
        if rng.startswith("bytes=") and rng.endswith("-") and rng[6:-1].isdigit():
            start = int(rng[6:-1])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            self.wfile.write(body[start:])
            return
        self.send_response(200)
        if not endless:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        try:
            if slow:
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(1)
            else:
                self.wfile.write(body)
            if endless:
                for _ in range(4096):
                    self.wfile.write(b"\0" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", s.server_address[1], flush=True)
s.serve_forever()
