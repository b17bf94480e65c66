#!/bin/sh
# Installing by name from a track served on loopback: resolve with libsolv
# against the track's cache, fetch into cache/, verify each package against
# the publishers the track's root authorises, one transaction; dry runs,
# upgrades, pins, --offline, and a publisher allowed only some names.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

export SOURCE_DATE_EPOCH=1700000000
for k in root online pub other; do "$NIP" key generate "$T/$k.key" >/dev/null; done
# events FILE EXPR: FILE is JSON progress events, one a line, then the
# final document; EXPR is true of ev (the events), doc (the last line),
# kinds (the events' names in order), of(KIND) (those of one kind) and
# cache (the root's cache directory).
events() {
	python3 -c 'import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ev, doc = lines[:-1], lines[-1]
assert all("event" in e for e in ev) and "event" not in doc
kinds = [e["event"] for e in ev]
of = lambda k: [e for e in ev if e["event"] == k]
cache = sys.argv[3]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" "$R/cache"
}
mkpkg pub hello 1.0-1 --depends 'libgreet >= 2.0'
mkpkg pub hello 1.1-1 --depends 'libgreet >= 2.1'
mkpkg pub libgreet 2.0-1
mkpkg pub libgreet 2.1-1
mkpkg pub cowsay 3.0-1 --provides 'greeter = 1' --summary 'a talking cow'
mkpkg other tool 1.0-1
"$NIP" track init "$T/track" --root-key "$T/root.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub" --publisher "$T/other.key.pub:tool*" --name stable >/dev/null
check "publish" "$NIP" publish --track "$T/track" --online-key "$T/online.key" \
	"$T/hello-1.0-1.nip" "$T/libgreet-2.0-1.nip" "$T/cowsay-3.0-1.nip" "$T/tool-1.0-1.nip"
serve "$T/track"
R=$T/r
check "track add" "$NIP" --root "$R" track add stable "$url" --pubkey "$T/root.key.pub"
check "refresh" "$NIP" --root "$R" refresh
check "the solver's cache is built by refresh" test -s "$R/tracks/stable/index.solv"

check "search by summary, any case" "$NIP" --root "$R" search COW
same "finds cowsay" "$(cut -d' ' -f1-4 .out)" "cowsay 3.0-1 x86_64 (stable)"
check "search --json" sh -c "'$NIP' --root '$R' --json search greet >found.json"
check "finds libgreet by name" json found.json "[p['name'] for p in d['packages']] == ['libgreet']"
# info on what is not installed: from the track.
check "info cowsay, not installed" "$NIP" --root "$R" info cowsay
cp .out info.out
check "shows version, track, relations, 'installed: no'" sh -c "grep -qx 'version:     3.0-1' info.out && grep -qx 'track:       stable' info.out && grep -qx 'provides     greeter = 1' info.out && grep -qx 'installed:   no' info.out && grep -qx 'available:   3.0-1 x86_64 (stable)' info.out"
check "info --json cowsay" sh -c "'$NIP' --root '$R' --json info cowsay >info.json"
check "--json: CID, size and relations as published" json info.json \
	"d['installed'] is False and d['newer'] is None and len(d['available']) == 1 and d['available'][0]['version'] == '3.0-1' and d['available'][0]['cid'] == '$("$NIP" cid "$T/cowsay-3.0-1.nip")' and d['available'][0]['size'] == $(wc -c <"$T/cowsay-3.0-1.nip") and d['available'][0]['relations']['provides'] == ['greeter = 1'] and d['available'][0]['summary'] == 'a talking cow'"
check "info hello: its dependency" sh -c "'$NIP' --root '$R' --json info hello >info.json"
check "depends as published" json info.json "d['available'][0]['relations']['depends'] == ['libgreet >= 2.0'] and d['available'][0]['relations']['provides'] == []"
expect 4 'nosuch is not installed in cell system, nor in any track' "info on an unknown name: exit 4" "$NIP" --root "$R" info nosuch
check "fetch cowsay into the cache only" "$NIP" --root "$R" fetch cowsay
same "one package in the cache" "$(ls "$R/cache" | wc -l)" "1"
same "nothing installed" "$("$NIP" --root "$R" generations | wc -l)" "0"

# --json: what the fetch does, one event a line, then the document.
rm -f "$R"/cache/*
check "fetch --json cowsay" sh -c "'$NIP' --root '$R' --json fetch cowsay >fetch.json"
check "events: plan, start, verify, done, then the document" events fetch.json \
	"kinds[0] == 'fetch-plan' and [k for k in kinds if k != 'fetch-progress'] == ['fetch-plan', 'fetch-start', 'verify', 'fetch-done'] and doc['plan'] == ['+ cowsay 3.0-1 (stable)']"
check "the sizes add up: plan, start, done, progress, the cached file" events fetch.json \
	"of('fetch-plan')[0]['packages'] == 1 and of('fetch-plan')[0]['size'] == of('fetch-start')[0]['size'] == of('fetch-done')[0]['size'] == os.path.getsize(os.path.join(cache, of('fetch-done')[0]['cid'] + '.nip')) and all(0 < p['got'] <= p['size'] == of('fetch-done')[0]['size'] for p in of('fetch-progress'))"
check "each event names the package and track" events fetch.json \
	"all((e['name'], e['version'], e['track']) == ('cowsay', '3.0-1', 'stable') for e in ev[1:]) and of('verify')[0]['cached'] is False and of('verify')[0]['cid'] == of('fetch-done')[0]['cid']"
check "fetch --json again: from the cache" sh -c "'$NIP' --root '$R' --json fetch cowsay >again.json"
check "nothing to fetch; verified as cached" events again.json \
	"kinds == ['verify', 'fetch-plan'] and of('fetch-plan')[0]['size'] == 0 and of('verify')[0]['cached'] is True"
# A progress bar for a person at a terminal, nothing for a pipe or a file.
rm -f "$R"/cache/*
if command -v script >/dev/null; then
	script -qec "'$NIP' --root '$R' fetch cowsay" /dev/null </dev/null >tty.out 2>&1
	check "on a terminal: a progress bar" grep -q 'fetching \[#*\] 100% .* 1 of 1 packages' tty.out
	rm -f "$R"/cache/*
	script -qec "'$NIP' --root '$R' fetch cowsay | cat" /dev/null </dev/null >pipe.out 2>&1
	same "stdout a pipe: no bar" "$(cat pipe.out)" ""
else
	pass "# SKIP script(1) missing: no terminal to test the bar on"
	pass "# SKIP script(1) missing"
fi
rm -f "$R"/cache/*
check "not a terminal: quiet" "$NIP" --root "$R" fetch cowsay
same "nothing printed" "$(cat .out .err)" ""
rm -f "$R"/cache/*
check "install hello --dry-run" "$NIP" --root "$R" install --dry-run hello
cp .out dry.out
check "the plan names hello and its dependency" grep -qx '+ hello 1.0-1 (stable)' dry.out
check "and libgreet" grep -qx '+ libgreet 2.0-1 (stable)' dry.out
same "a dry run fetched nothing" "$(ls "$R/cache" 2>/dev/null | wc -l)" "0"
same "and made no generation" "$("$NIP" --root "$R" generations | wc -l)" "0"

check "install hello: no trust add needed" sh -c "'$NIP' --root '$R' --json install hello >install.json"
check "install --json: both fetched and verified, then install, then the document" events install.json \
	"sorted(e['name'] for e in of('fetch-done')) == ['hello', 'libgreet'] and sorted(e['name'] for e in of('verify')) == ['hello', 'libgreet'] and kinds[-1] == 'install' and of('install')[0]['packages'] == 2 and doc['generation'] == 1 and doc['added'] == 2"
check "install --json: the sizes add up" events install.json \
	"of('fetch-plan')[0]['packages'] == 2 and of('fetch-plan')[0]['size'] == sum(e['size'] for e in of('fetch-done')) == sum(os.path.getsize(os.path.join(cache, e['cid'] + '.nip')) for e in of('fetch-done'))"
same "it runs" "$("$R/cells/system/current/usr/bin/hello")" "hello 1.0-1"
same "libgreet came along" "$("$NIP" --root "$R" list | cut -d' ' -f1 | tr '\n' ' ')" "hello libgreet "
same "two packages in the cache" "$(ls "$R/cache" | wc -l)" "2"
check "list --explicit names hello only" sh -c "'$NIP' --root '$R' list --explicit | grep -q '^hello ' && ! '$NIP' --root '$R' list --explicit | grep -q libgreet"
check "a virtual name installs its provider" "$NIP" --root "$R" install greeter
same "cowsay installed" "$("$R/cells/system/current/usr/bin/cowsay")" "cowsay 3.0-1"
expect 4 'nothing provides requested nosuch' "an unknown name: exit 4" "$NIP" --root "$R" install nosuch
expect 4 'hello >= 9' "an impossible version: exit 4" "$NIP" --root "$R" install 'hello>=9'

# A new release: refresh, then upgrade; a pin holds one package back.
check "publish 1.1" "$NIP" publish --track "$T/track" --online-key "$T/online.key" \
	"$T/hello-1.1-1.nip" "$T/libgreet-2.1-1.nip"
check "upgrade before refresh changes nothing" "$NIP" --root "$R" upgrade
same "still 1.0" "$("$R/cells/system/current/usr/bin/hello")" "hello 1.0-1"
check "refresh" "$NIP" --root "$R" refresh
check "info --json hello: installed, a newer one in the track" sh -c "'$NIP' --root '$R' --json info hello >info.json"
check "newer: 1.1-1 from stable; both versions listed, newest first" json info.json \
	"d['installed'] is True and d['manifest']['version'] == '1.0-1' and d['newer'] == {'version': '1.1-1', 'track': 'stable'} and [a['version'] for a in d['available']] == ['1.1-1', '1.0-1'] and [a['newer'] for a in d['available']] == [True, False] and d['available'][0]['relations']['depends'] == ['libgreet >= 2.1']"
check "info hello: the newer one marked" "$NIP" --root "$R" info hello
cp .out info.out
check "'available: 1.1-1 ... newer'" grep -qx 'available:   1.1-1 x86_64 (stable) newer' info.out
check "search marks what is installed" "$NIP" --root "$R" search hello
cp .out search.out
check "hello 1.0-1 [installed], 1.1-1 [installed: 1.0-1]" sh -c "grep -qx 'hello 1.0-1 x86_64 (stable) \\[installed\\]' search.out && grep -qx 'hello 1.1-1 x86_64 (stable) \\[installed: 1.0-1\\]' search.out"
check "search --json marks it too" sh -c "'$NIP' --root '$R' --json search greet >found.json"
check "installed, installed_version" json found.json \
	"sorted((p['name'], p['version'], p['installed'], p['installed_version']) for p in d['packages']) == [('libgreet', '2.0-1', True, '2.0-1'), ('libgreet', '2.1-1', False, '2.0-1')]"
check "pin hello" "$NIP" --root "$R" pin hello
check "upgrade --dry-run" "$NIP" --root "$R" --json upgrade --dry-run
cp .out up.json
check "--json plan: libgreet up, hello held" json up.json \
	"d['dry_run'] and d['plan'] == ['~ libgreet 2.0-1 -> 2.1-1 (stable)'] and d['changed'] == 1"
check "unpin hello" "$NIP" --root "$R" unpin hello
check "upgrade" "$NIP" --root "$R" upgrade
same "hello 1.1 runs" "$("$R/cells/system/current/usr/bin/hello")" "hello 1.1-1"
check "rollback" "$NIP" --root "$R" rollback
same "hello 1.0 again" "$("$R/cells/system/current/usr/bin/hello")" "hello 1.0-1"
check "install an exact older version" "$NIP" --root "$R" install 'hello=1.0-1'
check "log names the pin" sh -c "'$NIP' --root '$R' log | grep -q pin"
check "log names the pinned track's root key" sh -c "'$NIP' --root '$R' log | grep -q 'track=stable root-key='"

# The name glob: 'other' may publish tool*, and its tool installs.
check "install tool (publisher limited to tool*)" "$NIP" --root "$R" install tool
same "tool runs" "$("$R/cells/system/current/usr/bin/tool")" "tool 1.0-1"

# Two tracks: a track of higher priority wins whatever the versions.
mkpkg pub hello 9.0-1
"$NIP" key generate "$T/broot.key" >/dev/null
"$NIP" track init "$T/beta" --root-key "$T/broot.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub" --name beta >/dev/null
"$NIP" publish --track "$T/beta" --online-key "$T/online.key" "$T/hello-9.0-1.nip" >/dev/null
stable_url=$url
serve "$T/beta"
check "track add beta --priority -1" "$NIP" --root "$R" track add beta "$url" --pubkey "$T/broot.key.pub" --priority -1
check "refresh both" "$NIP" --root "$R" refresh
check "upgrade --dry-run: stable's hello, beta ranks lower" "$NIP" --root "$R" upgrade --dry-run hello
grep -q '^~ hello 1.0-1 -> 1.1-1 (stable)$' .out && pass "the plan keeps to stable" || fail "the plan keeps to stable ($(cat .out))"
check "track remove beta" "$NIP" --root "$R" track remove beta
check "track add beta --priority 5" "$NIP" --root "$R" track add beta "$url" --pubkey "$T/broot.key.pub" --priority 5
check "refresh" "$NIP" --root "$R" refresh beta
check "upgrade --dry-run: beta's hello now" "$NIP" --root "$R" upgrade --dry-run hello
grep -q '^~ hello 1.0-1 -> 9.0-1 (beta)$' .out && pass "the plan takes beta's" || fail "the plan takes beta's ($(cat .out))"
check "track remove beta" "$NIP" --root "$R" track remove beta
url=$stable_url

# A cache entry torn by a crash (entries are not synced) or damaged is
# never trusted: it is fetched again, or refused offline.
cid=$("$NIP" cid "$T/hello-1.0-1.nip")
check "remove hello" "$NIP" --root "$R" remove --cascade hello
: >"$R/cache/$cid.nip"
check "install hello over an empty cache entry" "$NIP" --root "$R" install 'hello=1.0-1'
check "the entry was fetched again" cmp "$R/cache/$cid.nip" "$T/hello-1.0-1.nip"
check "remove hello" "$NIP" --root "$R" remove --cascade hello
printf 'garbage!' | dd of="$R/cache/$cid.nip" bs=1 seek=100 conv=notrunc 2>/dev/null
check "install hello over a damaged entry of the right size" "$NIP" --root "$R" install 'hello=1.0-1'
check "fetched again" cmp "$R/cache/$cid.nip" "$T/hello-1.0-1.nip"
check "remove hello" "$NIP" --root "$R" remove --cascade hello
head -c 1000 "$T/hello-1.0-1.nip" >"$R/cache/$cid.nip"
expect 5 'hello-1.0-1: the cached copy was damaged \(removed\) and --offline forbids' \
	"--offline over a torn entry: exit 5" "$NIP" --root "$R" install --offline 'hello=1.0-1'
check "and the torn entry is gone" test ! -e "$R/cache/$cid.nip"
check "install hello" "$NIP" --root "$R" install 'hello=1.0-1'

# Offline: what is in the cache installs; what is not is exit 5.
# shellcheck disable=SC2086 # one word per pid
kill $pids 2>/dev/null
check "remove hello" "$NIP" --root "$R" remove --cascade hello
check "install --offline from the cache" "$NIP" --root "$R" install --offline hello
same "hello is back" "$("$NIP" --root "$R" list | grep -c '^hello ')" "1"
rm -f "$R"/cache/*
check "remove cowsay" "$NIP" --root "$R" remove cowsay
expect 5 'not in the cache and --offline' "--offline without the package: exit 5" \
	"$NIP" --root "$R" install --offline cowsay
expect 5 'cowsay-3.0-1' "the server gone: exit 5 naming the package" "$NIP" --root "$R" install cowsay
expect 5 'cowsay-3.0-1' "the same with --json" "$NIP" --root "$R" --json install cowsay
cp .out gone.json
check "--json: fetch-error events, retries, then the error document" events gone.json \
	"of('fetch-error') and all(e['name'] == 'cowsay' and e['url'].startswith('$url/') for e in of('fetch-error')) and [e['retry'] for e in of('fetch-error')] == [True] * (len(of('fetch-error')) - 1) + [False] and of('fetch-error')[-1]['mirror'] is None and doc['error']['exit'] == 5"
same "nothing changed by the failures" "$("$NIP" --root "$R" list | grep -c '^cowsay ')" "0"
expect 2 'not both' "files and names in one call: exit 2" "$NIP" --root "$R" install hello "$T/tool-1.0-1.nip"
# A track never refreshed does not hide what is installed from info.
check "a root with a local hello" sh -c "'$NIP' --root '$T/r5' trust add '$T/pub.key.pub' && '$NIP' --root '$T/r5' install '$T/libgreet-2.0-1.nip' '$T/hello-1.0-1.nip'"
check "and a track, not refreshed" "$NIP" --root "$T/r5" track add stable "file://$T/track" --pubkey "$T/root.key.pub"
check "info hello: the installed manifest" "$NIP" --root "$T/r5" info hello
cp .out info.out
cp .err info.err
check "with a warning about the track" sh -c "grep -qx 'version:     1.0-1' info.out && grep -q '^nip: warning: track stable: .*refresh' info.err"
expect 2 'track stable: no index yet' "info on what only a track could have: its error" "$NIP" --root "$T/r5" info cowsay
check "fsck" "$NIP" --root "$R" fsck
check "log verify" "$NIP" --root "$R" log verify
done_testing
