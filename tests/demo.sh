#!/bin/sh
# make demo: make a key, build and pack a small real program, verify it,
# show its manifest and CID, check the signature with minisign itself; then
# install it into a root, upgrade it, and roll back atomically; graft
# busybox-static from Debian's archive and run it; then publish hello to a
# signed track served on loopback by trackd, install it from there by name,
# publish an upgrade through trackd, upgrade and roll back.
set -eu
: "${NIP:?}"
top=$(cd "$(dirname "$0")/.." && pwd)
D=$(mktemp -d "${TMPDIR:-/tmp}/nip-demo.XXXXXX")
trap 'rm -rf "$D"' EXIT
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "nip key generate $D/me"
"$NIP" key generate "$D/me"
ls -l "$D/me" "$D/me.pub"

step "build hello (static: it needs nothing from the root) and stage it under $D/stage"
mkdir -p "$D/stage/usr/bin" "$D/stage/usr/share/doc/hello"
cc -static -O2 -o "$D/stage/usr/bin/hello" "$top/userland/hello/hello.c"
cp "$top/userland/hello/hello.c" "$D/stage/usr/share/doc/hello/"
ln -s hello "$D/stage/usr/bin/hi"
"$D/stage/usr/bin/hello" nip

step "SOURCE_DATE_EPOCH=1700000000 nip pack ... -o hello-1.0-1-x86_64.nip"
SOURCE_DATE_EPOCH=1700000000 "$NIP" pack --key "$D/me" --name hello --version 1.0-1 \
	--arch x86_64 --provides 'greeter = 1.0' \
	--summary 'greets the world' --license MIT -o "$D/hello-1.0-1-x86_64.nip" "$D/stage"
ls -l "$D/hello-1.0-1-x86_64.nip"

step "nip verify --key me.pub hello-1.0-1-x86_64.nip"
"$NIP" verify --key "$D/me.pub" "$D/hello-1.0-1-x86_64.nip"

step "nip inspect --files hello-1.0-1-x86_64.nip"
"$NIP" inspect --key "$D/me.pub" --files "$D/hello-1.0-1-x86_64.nip"

step "nip cid hello-1.0-1-x86_64.nip"
"$NIP" cid "$D/hello-1.0-1-x86_64.nip"

step "the signature checked by minisign itself (it does not know nip)"
zstd -dcq "$D/hello-1.0-1-x86_64.nip" | tar -x -C "$D" .NIPINFO .NIPSIG
minisign -V -p "$D/me.pub" -m "$D/.NIPINFO" -x "$D/.NIPSIG"

step "a flipped byte is caught (exit 3)"
cp "$D/hello-1.0-1-x86_64.nip" "$D/bad.nip"
size=$(stat -c %s "$D/bad.nip")
printf '\377' | dd of="$D/bad.nip" bs=1 seek=$((size / 2)) conv=notrunc status=none
if "$NIP" verify --key "$D/me.pub" "$D/bad.nip"; then exit 1; else echo "exit $?"; fi

step "install into a root: nip --root \$R trust add me.pub; nip --root \$R install hello-1.0-1-x86_64.nip"
R=$D/root
"$NIP" --root "$R" trust add "$D/me.pub" --name me
"$NIP" --root "$R" install "$D/hello-1.0-1-x86_64.nip"
"$R/cells/system/current/usr/bin/hello" nip

step "upgrade to hello 1.1 (a new generation), then roll back"
sed 's/Hello, %s!/Hello again, %s!/' "$top/userland/hello/hello.c" >"$D/hello11.c"
cc -static -O2 -o "$D/stage/usr/bin/hello" "$D/hello11.c"
SOURCE_DATE_EPOCH=1700000100 "$NIP" pack --key "$D/me" --name hello --version 1.1-1 \
	--arch x86_64 --provides 'greeter = 1.1' \
	--summary 'greets the world' --license MIT -o "$D/hello-1.1-1-x86_64.nip" "$D/stage"
"$NIP" --root "$R" install "$D/hello-1.1-1-x86_64.nip"
"$R/cells/system/current/usr/bin/hello" nip
"$NIP" --root "$R" generations
"$NIP" --root "$R" diff 1 2
"$NIP" --root "$R" rollback
ls -l "$R/cells/system/current"
"$R/cells/system/current/usr/bin/hello" nip

step "ProvChain: every change, signed and hash-chained"
"$NIP" --root "$R" log
"$NIP" --root "$R" log verify && echo "log verified"

step "graft a real Debian package: busybox-static from Debian's archive"
CACHE=$(cd "$(dirname "$NIP")/.." && pwd)/debs
# shellcheck source=tests/debcache.sh
. "$top/tests/debcache.sh"
if debcache_busybox "$CACHE"; then
	bb=$(ls "$CACHE"/busybox/busybox-static_*.deb)
	lists=/var/lib/apt/lists
	echo "nip graft --key me --apt-lists $lists -o busybox-static.nip $(basename "$bb")"
	"$NIP" graft --key "$D/me" --apt-lists "$lists" -o "$D/busybox-static.nip" "$bb"
	"$NIP" inspect --key "$D/me.pub" "$D/busybox-static.nip"
	step "install the grafted busybox next to hello, and run it"
	"$NIP" --root "$R" install "$D/busybox-static.nip"
	# shellcheck disable=SC2016 # expanded by busybox's own sh
	"$R/cells/system/current/bin/busybox" sh -c 'echo "busybox $(busybox | head -n 1 | cut -d" " -f2) runs from a nip root"'
	"$NIP" --root "$R" list
else
	echo "(skipped: Debian's archive is unreachable and nothing is cached)"
fi

step "a signed track: root key offline, online key for the metadata, me as its publisher"
for k in track-root track-online; do "$NIP" key generate "$D/$k" >/dev/null; done
"$NIP" track init "$D/track" --root-key "$D/track-root" --online-key "$D/track-online.pub" \
	--publisher "$D/me.pub" --name stable
"$NIP" publish --track "$D/track" --online-key "$D/track-online" "$D/hello-1.0-1-x86_64.nip"
ls "$D/track/metadata" | grep -v '^1\.bin-'
echo "... and $(ls "$D/track/metadata" | grep -c '^1\.bin-') hashed bins (1.bin-00.json ... 1.bin-ff.json)"

step "served on loopback by trackd, which holds the online key and accepts signed publishes"
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}
"$TRACKD" --track "$D/track" --listen 127.0.0.1:0 --online-key "$D/track-online" >"$D/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$D"' EXIT
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$D/serve.log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.1
done
echo "http://127.0.0.1:$port"

step "a new root pins the track's root key, refreshes, installs hello by name (no trust add)"
T=$D/root2
"$NIP" --root "$T" track add stable "http://127.0.0.1:$port" --pubkey "$D/track-root.pub"
"$NIP" --root "$T" refresh
"$NIP" --root "$T" install --dry-run hello
"$NIP" --root "$T" install hello
"$T/cells/system/current/usr/bin/hello" nip

step "the publisher ships 1.1 to trackd (a request signed with its key); refresh, upgrade, roll back"
"$NIP" publish --track "http://127.0.0.1:$port" --key "$D/me" "$D/hello-1.1-1-x86_64.nip"
"$NIP" --root "$T" refresh
"$NIP" --root "$T" upgrade --dry-run
"$NIP" --root "$T" upgrade
"$T/cells/system/current/usr/bin/hello" nip
"$NIP" --root "$T" rollback
"$T/cells/system/current/usr/bin/hello" nip
"$NIP" --root "$T" log
