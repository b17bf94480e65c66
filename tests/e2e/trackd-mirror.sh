#!/bin/sh
# trackd --mirror on loopback: it follows an upstream trackd with the full
# TUF client, serves the upstream's metadata byte for byte, and a client
# pinned to the upstream's root installs and upgrades through it. An
# upstream whose package was altered, or whose timestamp is signed by a key
# its root does not name, leaves the mirror serving its last good state;
# once the upstream is put right the mirror follows again. A mirror
# refuses publishes.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}

for k in root online pub eroot eonline; do "$NIP" key generate "$T/$k.key" >/dev/null; done
mkpkg pub hello 1.0-1
mkpkg pub hello 1.1-1
mkpkg pub hello 1.2-1
"$NIP" track init "$T/up" --root-key "$T/root.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub" --name stable >/dev/null
"$NIP" publish --track "$T/up" --online-key "$T/online.key" >/dev/null

"$TRACKD" --track "$T/up" --listen 127.0.0.1:0 --online-key "$T/online.key" >"$T/up.log" 2>&1 &
pids="$pids $!"
up=http://127.0.0.1:$(wait_port "$T/up.log")
mport=0
start_mirror() {
	"$TRACKD" --track "$T/mirror" --listen "127.0.0.1:$mport" --mirror "$up" \
		--mirror-root "$T/root.key.pub" --mirror-interval 1 >>"$T/mirror.log" 2>&1 &
	mpid=$!
	pids="$pids $mpid"
	mport=$(wait_port "$T/mirror.log")
	m=http://127.0.0.1:$mport
}
stop_mirror() {
	kill "$mpid"
	wait "$mpid" 2>/dev/null
}
# caught_up: the mirror serves the upstream's timestamp (waits up to 10 s).
caught_up() {
	for _ in $(seq 100); do
		cmp -s "$T/up/metadata/timestamp.json" "$T/mirror/metadata/timestamp.json" && return 0
		sleep 0.1
	done
	return 1
}
# same_metadata: every metadata file the mirror serves is the upstream's.
same_metadata() {
	for f in "$T"/mirror/metadata/*.json; do
		cmp -s "$f" "$T/up/metadata/$(basename "$f")" || return 1
	done
}

check "publish hello 1.0-1 upstream" "$NIP" publish --track "$up" --key "$T/pub.key" "$T/hello-1.0-1.nip"
start_mirror
check "the mirror catches up with the upstream" caught_up
check "it serves the upstream's metadata byte for byte" same_metadata
check "and the package, under its content address" \
	sh -c "cmp '$T'/up/targets/pkgs/*.hello-1.0-1-x86_64.nip '$T'/mirror/targets/pkgs/*.hello-1.0-1-x86_64.nip"
check "the mirror logs what it placed" grep -q 'mirror: now serving timestamp version' "$T/mirror.log"
check "a client pins the upstream root and adds the mirror" \
	"$NIP" --root "$T/r" track add stable "$m" --pubkey "$T/root.key.pub"
check "refresh through the mirror" "$NIP" --root "$T/r" refresh
check "install hello through the mirror" "$NIP" --root "$T/r" --yes install hello
check "publish hello 1.1-1 upstream" "$NIP" publish --track "$up" --key "$T/pub.key" "$T/hello-1.1-1.nip"
check "the mirror follows" caught_up
check "still byte for byte" same_metadata
check "refresh and upgrade through the mirror" sh -c \
	"'$NIP' --root '$T/r' refresh && '$NIP' --root '$T/r' --yes upgrade"
"$NIP" --root "$T/r" --json list >"$T/list.json"
check "hello 1.1-1 is installed" json "$T/list.json" \
	"[p['version'] for p in d['packages'] if p['name'] == 'hello'] == ['1.1-1']"
expect 3 'trackd: this trackd mirrors' "a mirror refuses publishes" \
	"$NIP" publish --track "$m" --key "$T/pub.key" "$T/hello-1.2-1.nip"
st=$(curl -s -o "$T/body" -w '%{http_code}' -X POST --data-binary x "$m/publish")
same "  ... with HTTP 403" "$st" 403
check "  ... and a JSON error 'mirror'" json "$T/body" "d['error'] == 'mirror'"

# ---- a tampered upstream ----
cp "$T/mirror/metadata/timestamp.json" "$T/good-ts"
stop_mirror
check "publish hello 1.2-1 upstream" "$NIP" publish --track "$up" --key "$T/pub.key" "$T/hello-1.2-1.nip"
pkg=$(ls "$T"/up/targets/pkgs/*.hello-1.2-1-x86_64.nip)
cp "$pkg" "$T/pkg.good"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(bytes(b))' "$pkg"
start_mirror
sleep 3
check "an altered package upstream: the mirror keeps its last good timestamp" \
	cmp -s "$T/good-ts" "$T/mirror/metadata/timestamp.json"
check "  ... never names the altered package" \
	sh -c "! ls '$T'/mirror/targets/pkgs/*.hello-1.2-1-x86_64.nip 2>/dev/null"
check "  ... and logs why" grep -q 'tick: .*hello-1.2-1' "$T/mirror.log"
check "  ... while clients still refresh through it" "$NIP" --root "$T/r" refresh
cp "$T/pkg.good" "$pkg"
check "the package put right, the mirror follows again" caught_up
check "  ... byte for byte" same_metadata

# A timestamp signed by a key the upstream's root does not name (another
# track's, with a higher version).
"$NIP" track init "$T/evil" --root-key "$T/eroot.key" --online-key "$T/eonline.key.pub" \
	--publisher "$T/pub.key.pub" --name stable >/dev/null
for _ in 1 2 3 4 5 6 7 8; do "$NIP" publish --track "$T/evil" --online-key "$T/eonline.key" >/dev/null; done
cp "$T/mirror/metadata/timestamp.json" "$T/good-ts"
cp "$T/up/metadata/timestamp.json" "$T/up-ts.good"
cp "$T/evil/metadata/timestamp.json" "$T/up/metadata/timestamp.json"
sleep 3
check "a timestamp signed by a wrong key: the mirror keeps its last good state" \
	cmp -s "$T/good-ts" "$T/mirror/metadata/timestamp.json"
check "  ... and logs a trust failure" grep -q 'tick: .*timestamp' "$T/mirror.log"
"$NIP" --root "$T/r2" track add stable "$m" --pubkey "$T/root.key.pub" >/dev/null 2>&1
check "a new client verifies everything the mirror serves" "$NIP" --root "$T/r2" refresh
cp "$T/up-ts.good" "$T/up/metadata/timestamp.json"
stop_mirror
done_testing
