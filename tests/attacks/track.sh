#!/bin/sh
# The attacks The Update Framework names, against installing by name from a
# real track served on loopback by an adversarial server
# (tests/attacks/trackserver.py): each must be refused with exit 3 (5 for a
# network failure), with nothing installed and nothing left in the cache.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

export SOURCE_DATE_EPOCH=1700000000
for k in root online pub evil; do "$NIP" key generate "$T/$k.key" >/dev/null; done
mkpkg() { # KEY NAME VERSION [pack options...]
	key=$1 name=$2 ver=$3
	shift 3
	mkdir -p "$T/s/$key-$name-$ver/usr/bin"
	printf '#!/bin/sh\necho %s %s %s\n' "$name" "$ver" "$key" >"$T/s/$key-$name-$ver/usr/bin/$name"
	chmod 755 "$T/s/$key-$name-$ver/usr/bin/$name"
	"$NIP" pack --key "$T/$key.key" --name "$name" --version "$ver" "$@" \
		-o "$T/$key-$name-$ver.nip" "$T/s/$key-$name-$ver" >/dev/null
}
mkpkg pub hello 1.0-1
mkpkg evil hello 1.0-1
mkpkg evil hello 2.0-1
mkpkg pub big 1.0-1
init() { # DIR PUBLISHER...
	d=$1
	shift
	args=""
	for p in "$@"; do args="$args --publisher $T/$p.key.pub"; done
	# shellcheck disable=SC2086 # one word per publisher option
	"$NIP" track init "$d" --root-key "$T/root.key" --online-key "$T/online.key.pub" $args \
		--name stable >/dev/null
}
init "$T/track" pub
"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/pub-hello-1.0-1.nip" \
	"$T/pub-big-1.0-1.nip" >/dev/null
# A copy taken now: the same keys, an older state (for mix-and-match).
cp -a "$T/track" "$T/old"

echo '{}' >"$T/rules.json"
python3 -u "$top/tests/attacks/trackserver.py" "$T/track" "$T/rules.json" >"$T/srv.log" 2>&1 &
srv=$!
pids="$pids $srv"
url=http://127.0.0.1:$(wait_port "$T/srv.log")
R=$T/r
"$NIP" --root "$R" track add stable "$url" --pubkey "$T/root.key.pub" >/dev/null
check "refresh" "$NIP" --root "$R" refresh
rules() { printf '%s\n' "$1" >"$T/rules.json"; }
untouched() { # DESC: nothing installed, nothing cached
	same "$1: nothing installed" "$("$NIP" --root "$R" generations | wc -l)" "0"
	same "$1: nothing in the cache" "$(ls "$R/cache" 2>/dev/null | wc -l)" "0"
}
target() { # NAME: the package's consistent-snapshot target path
	ls "$T/track/targets/pkgs" | grep "\.$1-" | head -n 1
}

# Arbitrary package: the target's bytes are another package (the same name
# and version, signed by a key the track does not authorise).
rules "{\"override\": {\"/$(target hello)\": \"$T/evil-hello-1.0-1.nip\"}}"
expect 3 'hello-1.0-1-x86_64.nip: sha256 differs from the signed metadata' "arbitrary package: another file at the target's path" \
	"$NIP" --root "$R" install hello
untouched "arbitrary package"

# Endless data: the right package, then more bytes than its signed length.
rules "{\"append\": [\"$(target big)\"]}"
expect 3 'big-1.0-1-x86_64.nip: more than the [0-9]* bytes signed' "endless data: a package longer than its signed length" \
	"$NIP" --root "$R" install big
untouched "endless data"

# Endless data in the metadata: a timestamp that does not end.
rules '{"append": ["timestamp.json"]}'
expect 3 'timestamp.json' "endless data: an endless timestamp" "$NIP" --root "$R" refresh
rules '{}'

# Mix-and-match: a new release published, then the server mixes the new
# timestamp and snapshot with the old bins and index.
mkpkg pub hello 1.1-1
"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/pub-hello-1.1-1.nip" >/dev/null
over=""
for f in $(cd "$T/track/metadata" && ls | grep -v -e root -e snapshot -e timestamp -e '^[0-9]*\.targets'); do
	[ -f "$T/old/metadata/$f" ] || continue
	cmp -s "$T/track/metadata/$f" "$T/old/metadata/$f" && continue
	over="$over${over:+, }\"/metadata/$f\": \"$T/old/metadata/$f\""
done
# The newest bin versions, as the new snapshot names them, served old.
for f in $(cd "$T/track/metadata" && ls | grep '^[0-9]*\.bin-'); do
	b=${f#*.}
	o=$(cd "$T/old/metadata" && ls | grep "\.$b\$" | sort -n | tail -n 1)
	[ -n "$o" ] && ! cmp -s "$T/track/metadata/$f" "$T/old/metadata/$o" &&
		over="$over${over:+, }\"/metadata/$f\": \"$T/old/metadata/$o\""
done
rules "{\"override\": {$over}}"
expect 3 'bin-' "mix-and-match: new snapshot, old bins" "$NIP" --root "$R" refresh
rules '{}'
check "the honest server again" "$NIP" --root "$R" refresh

# Rollback: the timestamp of the older state, validly signed.
rules "{\"override\": {\"/metadata/timestamp.json\": \"$T/old/metadata/timestamp.json\"}}"
expect 3 'rollback|version' "rollback: an older timestamp" "$NIP" --root "$R" refresh
rules '{}'

# Mirrors: the track's server turns hostile, an honest mirror serves the
# same track; every package is still checked against the signed metadata.
serve "$T/track"
R4=$T/r4
"$NIP" --root "$R4" track add stable "$url" --pubkey "$T/root.key.pub" --mirror "http://127.0.0.1:1" \
	--mirror "$url" >/dev/null
url_a=$(sed -n 's/.*port \([0-9]*\).*/http:\/\/127.0.0.1:\1/p' "$T/srv.log" | head -n 1)
check "a root with two mirrors (one down)" "$NIP" --root "$R4" track add stable2 "$url_a" \
	--pubkey "$T/root.key.pub" --mirror "http://127.0.0.1:1" --mirror "$url"
"$NIP" --root "$R4" track remove stable >/dev/null
check "refresh" "$NIP" --root "$R4" refresh
rules "{\"override\": {\"/$(target hello | sed 's/1\.0-1/1.1-1/')\": \"$T/evil-hello-1.0-1.nip\"}}"
check "malicious mirror: the track's server alters hello, the mirror serves it right" \
	"$NIP" --root "$R4" install hello
same "the publisher's hello runs" "$("$R4/cells/system/current/usr/bin/hello")" "hello 1.1-1 pub"
rules "{\"trickle\": [\"$(target big)\"]}"
check "slow retrieval: a trickling server is cut off, the mirror serves" \
	env NIP_FETCH_LOW_SPEED_TIME=2 "$NIP" --root "$R4" install big
rules "{\"append\": [\"pkgs/\"]}"
"$NIP" --root "$R4" remove big >/dev/null
rm -f "$R4"/cache/*
check "endless data from the server, the mirror serves" "$NIP" --root "$R4" install big
rules '{}'
check "fsck after the mirrors" "$NIP" --root "$R4" fsck

# A transfer cut in the middle resumes where it stopped (Range), from the
# same server.
mkpkg pub large 1.0-1
head -c 300000 /dev/urandom >"$T/s/pub-large-1.0-1/usr/bin/blob"
"$NIP" pack --key "$T/pub.key" --name large --version 1.0-1 -o "$T/pub-large-1.0-1.nip" \
	"$T/s/pub-large-1.0-1" >/dev/null
"$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/pub-large-1.0-1.nip" >/dev/null
check "refresh" "$NIP" --root "$R4" refresh
rules "{\"cut\": [\"$(target large)\"]}"
check "a transfer cut halfway resumes with Range" "$NIP" --root "$R4" install large
check "the server saw the Range request" grep -q "$(target large) [1-9]" "$T/rules.json.ranges"
# A server that ignores Range answers the retry with the whole file: the
# transfer starts again from the first byte, from the same server.
"$NIP" --root "$R4" remove large >/dev/null
rm -f "$R4"/cache/* "$T/rules.json.ranges" "$T/rules.json.cuts"
rules "{\"cut\": [\"$(target large)\"], \"norange\": [\"$(target large)\"]}"
check "a server that ignores Range: the transfer starts over" sh -c "'$NIP' --root '$R4' --json install large >'$T/large.json'"
check "retried on the same server, no mirror needed" python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])][:-1]
err = [e for e in ev if e["event"] == "fetch-error"]
assert err and all(e["retry"] and e["mirror"] is None for e in err), err
assert [e["name"] for e in ev if e["event"] == "fetch-done"] == ["large"]' "$T/large.json"
check "it asked for the rest" grep -q "$(target large) [1-9]" "$T/rules.json.ranges"
same "large runs from the whole file" "$("$NIP" --root "$R4" list | grep -c '^large ')" 1
rules '{}'


# Wrong key: a timestamp signed by a key the root does not name, made by a
# track that names it.
init "$T/forged" pub
"$NIP" publish --track "$T/forged" --online-key "$T/evil.key" >/dev/null 2>&1 ||
	{ rm -rf "$T/forged"; "$NIP" track init "$T/forged" --root-key "$T/evil.key" \
		--online-key "$T/evil.key.pub" --publisher "$T/pub.key.pub" --name stable >/dev/null;
	"$NIP" publish --track "$T/forged" --online-key "$T/evil.key" >/dev/null; }
rules "{\"override\": {\"/metadata/timestamp.json\": \"$T/forged/metadata/timestamp.json\"}}"
expect 3 'timestamp.json' "wrong key: a timestamp signed by another key" "$NIP" --root "$R" refresh
rules '{}'

# Indefinite freeze: the client's clock past the timestamp's expiry.
if [ -n "$faketime_lib" ]; then
	expect 3 'expire' "indefinite freeze: an expired timestamp" at +8d "$NIP" --root "$R" install hello
	untouched "freeze"
else
	echo "# faketime not installed: freeze not tested"
fi

# A package the root does not authorise: a track made with the same root
# and online keys but naming 'evil' as a publisher serves everything but
# the root: its index names hello 2.0 signed by evil.
init "$T/bad" pub evil
"$NIP" publish --track "$T/bad" --online-key "$T/online.key" "$T/pub-hello-1.0-1.nip" \
	"$T/evil-hello-2.0-1.nip" >/dev/null
kill $srv
python3 -u "$top/tests/attacks/trackserver.py" "$T/bad" "$T/rules.json" >"$T/srv2.log" 2>&1 &
srv=$!
pids="$pids $srv"
url2=http://127.0.0.1:$(wait_port "$T/srv2.log")
R2=$T/r2
"$NIP" --root "$R2" track add stable "$url2" --root-json "$T/track/metadata/1.root.json" >/dev/null
check "refresh against the bad track (its metadata is validly signed)" "$NIP" --root "$R2" refresh
expect 3 'hello' "an index naming a package signed by an unauthorised key" "$NIP" --root "$R2" install hello
same "unauthorised: nothing installed" "$("$NIP" --root "$R2" generations | wc -l)" "0"

# A rotated-out root key: after a rotation the old key signs a new root
# version; the client, which trusts the rotated root, refuses it.
kill $srv
cp -a "$T/track" "$T/pre"
"$NIP" key generate "$T/newroot.key" >/dev/null
"$NIP" key generate "$T/evilroot.key" >/dev/null
check "rotate the root key" "$NIP" track rotate "$T/track" --root-key "$T/root.key" --new-root-key "$T/newroot.key"
python3 -u "$top/tests/attacks/trackserver.py" "$T/track" "$T/rules.json" >"$T/srv3.log" 2>&1 &
srv=$!
pids="$pids $srv"
url3=http://127.0.0.1:$(wait_port "$T/srv3.log")
R3=$T/r3
"$NIP" --root "$R3" track add stable "$url3" --pubkey "$T/root.key.pub" >/dev/null
check "refresh walks to root 2" "$NIP" --root "$R3" refresh
# From the copy taken before the rotation, the old key rotates to a key
# of the attacker's: a root version 2, then a 3 signed only by old keys.
"$NIP" track rotate "$T/pre" --root-key "$T/root.key" --new-root-key "$T/evilroot.key" >/dev/null
"$NIP" key generate "$T/evilroot2.key" >/dev/null
"$NIP" track rotate "$T/pre" --root-key "$T/evilroot.key" --new-root-key "$T/evilroot2.key" >/dev/null
rules "{\"override\": {\"/metadata/3.root.json\": \"$T/pre/metadata/3.root.json\"}}"
expect 3 '3.root.json' "a root signed by a rotated-out key is refused" "$NIP" --root "$R3" refresh
rules '{}'
check "the root is still version 2" sh -c "'$NIP' --root '$R3' --json track list | grep -q '\"root_version\":2'"
check "and the track still installs" "$NIP" --root "$R3" install hello
done_testing
