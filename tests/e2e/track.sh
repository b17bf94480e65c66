#!/bin/sh
# Signed tracks end to end: a publisher makes a track directory, a static
# server on loopback serves it, a root pins and refreshes it; tampering,
# rollback and a missing file are refused without replacing anything.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

# state: every file under the pinned track with its hash, and where the
# index link points: what "nothing replaced" compares.
state() {
	(cd "$T/r/tracks/stable" && find . -type f -exec sha256sum {} + | sort && readlink current) |
		sha256sum
}

pkg() { # NAME VERSION KEY
	mkdir -p "$T/stage-$1-$2/usr/bin"
	printf '#!/bin/sh\necho %s %s\n' "$1" "$2" >"$T/stage-$1-$2/usr/bin/$1"
	chmod 755 "$T/stage-$1-$2/usr/bin/$1"
	"$NIP" pack --key "$3" --name "$1" --version "$2" --depends 'libc >= 2.36' \
		-o "$T/$1-$2.nip" "$T/stage-$1-$2" >/dev/null
}

for k in root online pub other newroot; do "$NIP" key generate "$T/$k.key" >/dev/null; done
pkg hello 1.0-1 "$T/pub.key"
pkg world 1.0-1 "$T/pub.key"
pkg helium 1.0-1 "$T/other.key"

check "track init" "$NIP" track init "$T/track" --root-key "$T/root.key" \
	--online-key "$T/online.key.pub" --publisher "$T/pub.key.pub=hel*" --name stable
expect 2 'already there' "track init refuses an existing track" "$NIP" track init "$T/track" \
	--root-key "$T/root.key" --online-key "$T/online.key.pub" --name stable
check "publish hello" "$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/hello-1.0-1.nip"
check "the package is a consistent-snapshot target" \
	sh -c "ls '$T'/track/targets/pkgs/*.hello-1.0-1-x86_64.nip"
expect 3 'world: signer .* may not publish' "a name outside the publisher's glob is refused" \
	"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/world-1.0-1.nip"
expect 3 'helium' "a signer root.json does not name is refused" \
	"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/helium-1.0-1.nip"
expect 3 'online key' "a key root.json does not name cannot sign the track" \
	"$NIP" publish --track "$T/track" --online-key "$T/other.key" "$T/hello-1.0-1.nip"

serve "$T/track"
expect 3 'pinned root key' "track add with the wrong root key is refused" \
	"$NIP" --root "$T/r" track add stable "$url" --pubkey "$T/other.key.pub"
expect 2 'track name' "a track name that is a path is refused" \
	"$NIP" --root "$T/r" track add ../x "$url" --pubkey "$T/root.key.pub"
check "track add" "$NIP" --root "$T/r" track add stable "$url" --pubkey "$T/root.key.pub"
expect 2 'already added' "adding a track twice is refused" \
	"$NIP" --root "$T/r" track add stable "$url" --pubkey "$T/root.key.pub"
check "refresh" "$NIP" --root "$T/r" refresh
check "the index names hello" grep -q '"name":"hello"' "$T/r/tracks/stable/current/index/"*.json
"$NIP" --root "$T/r" --json refresh >"$T/out.json"
check "a second refresh changes nothing" grep -q '"changed":false' "$T/out.json"
"$NIP" --root "$T/r" --json track list >"$T/list.json"
check "track list --json" grep -q '"name":"stable".*"packages":1' "$T/list.json"

pkg hello 1.1-1 "$T/pub.key"
check "publish hello 1.1" "$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/hello-1.1-1.nip"
"$NIP" --root "$T/r" --json refresh >"$T/out.json"
check "refresh sees the new version" grep -q '"changed":true.*"packages":2' "$T/out.json"
cp "$T/track/metadata/timestamp.json" "$T/old-timestamp.json"

# Tampering: a new publish whose bin is altered on the server.
pkg hello 1.2-1 "$T/pub.key"
check "publish hello 1.2" "$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/hello-1.2-1.nip"
before=$(state)
bin=$(grep -l 'hello-1.2-1' "$T"/track/metadata/*.bin-*.json)
sed -i 's/hello-1.2-1/hellx-1.2-1/' "$bin"
expect 3 'bin-.*(hash|signatures)' "a tampered bin is refused (exit 3)" "$NIP" --root "$T/r" refresh
same "nothing was replaced" "$(state)" "$before"
sed -i 's/hellx-1.2-1/hello-1.2-1/' "$bin"

# A package altered on the server: its download fails its signed hash.
p=$(ls "$T"/track/targets/pkgs/*.hello-1.2-1-x86_64.nip)
cp "$p" "$T/saved.nip"
printf 'X' | dd of="$p" bs=1 seek=100 conv=notrunc 2>/dev/null
check "refresh after restoring the bin" "$NIP" --root "$T/r" refresh
before=$(state)
mkdir -p "$T/md" "$T/dl"
# The package through the TUF client alone (tests/tuf-client, what the
# conformance suite drives): the altered bytes fail their signed hash.
tc=${TUF_CLIENT:-$top/tests/tuf-client}
tc_download() {
	"$tc" --metadata-dir "$T/md" --metadata-url "$url/metadata" --target-base-url "$url/targets" \
		--target-dir "$T/dl" --target-name pkgs/hello-1.2-1-x86_64.nip download
}
check "tuf-client init" "$tc" --metadata-dir "$T/md" init "$T/track/metadata/1.root.json"
if tc_download 2>"$T/tc.err"; then fail "an altered package downloads"; else
	pass "an altered package is refused by its hash"
fi
cp "$T/saved.nip" "$p"
if tc_download 2>"$T/tc.err"; then pass "the intact package downloads"; else
	fail "the intact package does not download"
	sed 's/^/# /' "$T/tc.err"
fi
cp "$T/saved.nip" "$p"

# Rollback: an older, validly signed timestamp.
cp "$T/track/metadata/timestamp.json" "$T/new-timestamp.json"
cp "$T/old-timestamp.json" "$T/track/metadata/timestamp.json"
expect 3 'rollback' "an older timestamp is refused" "$NIP" --root "$T/r" refresh
same "nothing was replaced by the rollback" "$(state)" "$before"
# A timestamp whose signature no longer matches.
sed 's/"version":[0-9]*/"version":999/' "$T/new-timestamp.json" >"$T/track/metadata/timestamp.json"
expect 3 'timestamp.json: signatures' "a forged timestamp is refused" "$NIP" --root "$T/r" refresh
rm "$T/track/metadata/timestamp.json"
expect 5 'timestamp.json: not found' "a missing timestamp is a network error (exit 5)" \
	"$NIP" --root "$T/r" refresh
cp "$T/new-timestamp.json" "$T/track/metadata/timestamp.json"
check "refresh after the server is repaired" "$NIP" --root "$T/r" refresh

# Root rotation: the client walks 2.root.json, signed by old and new keys.
check "track rotate" "$NIP" track rotate "$T/track" --root-key "$T/root.key" --new-root-key "$T/newroot.key"
check "refresh walks the rotated root" "$NIP" --root "$T/r" refresh
"$NIP" --root "$T/r" --json track list >"$T/list.json"
check "the pinned root is now version 2" grep -q '"root_version":2' "$T/list.json"
expect 3 'not the track' "the old root key can no longer rotate" "$NIP" track rotate "$T/track" \
	--root-key "$T/root.key" --new-root-key "$T/other.key"

# The online key rotated: the next publish re-signs targets and every bin
# with the new key, and the client drops its timestamp and snapshot, which
# the old key signed (fast-forward recovery).
"$NIP" key generate "$T/online2.key" >/dev/null
check "track rotate --online-key" "$NIP" track rotate "$T/track" --root-key "$T/newroot.key" \
	--new-root-key "$T/newroot.key" --online-key "$T/online2.key.pub"
expect 3 'online key' "the old online key can no longer publish" "$NIP" publish --track "$T/track" \
	--online-key "$T/online.key"
check "publish with the new online key" "$NIP" publish --track "$T/track" --online-key "$T/online2.key"
check "refresh after the online key rotated" "$NIP" --root "$T/r" refresh
"$NIP" --root "$T/r" --json track list >"$T/list.json"
check "root 3, and the index still holds every package" grep -q '"root_version":3.*"packages":3' "$T/list.json"

# Publishers: authorised and revoked by new root versions.
check "track authorize" "$NIP" track authorize "$T/track" --root-key "$T/newroot.key" \
	--publisher "$T/pub.key.pub=*"
check "the newly authorised name publishes" "$NIP" publish --track "$T/track" \
	--online-key "$T/online2.key" "$T/world-1.0-1.nip"
check "track revoke" "$NIP" track revoke "$T/track" --root-key "$T/newroot.key" \
	--publisher "$T/pub.key.pub"
expect 3 'authorises no publisher' "a revoked publisher cannot publish" "$NIP" publish --track "$T/track" \
	--online-key "$T/online2.key" "$T/hello-1.0-1.nip"
expect 2 'not authorised' "revoking twice" "$NIP" track revoke "$T/track" \
	--root-key "$T/newroot.key" --publisher "$T/pub.key.pub"
check "refresh walks roots 4 and 5" "$NIP" --root "$T/r" refresh
"$NIP" --root "$T/r" --json track list >"$T/list.json"
check "the pinned root is now version 5, with 4 packages" grep -q '"root_version":5.*"packages":4' "$T/list.json"

check "track remove" "$NIP" --root "$T/r" track remove stable
"$NIP" --root "$T/r" --json track list >"$T/list.json"
same "no track left" "$(cat "$T/list.json")" '{"tracks":[]}'
expect 2 'not added' "refresh of an unknown track" "$NIP" --root "$T/r" refresh nosuch

done_testing
