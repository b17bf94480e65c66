#!/bin/sh
# The issue's user story against the real trackd on loopback: trackd holds
# the online key, a publisher sends signed packages with `nip publish
# --track URL --key`, a client adds the track, installs, and upgrades after
# a second publish. Then the online key's duty (an old timestamp is
# re-signed by trackd's tick), and publishes while clients refresh in a
# loop: no refresh may fail verification.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}

for k in root online pub; do "$NIP" key generate "$T/$k.key" >/dev/null; done
mkpkg pub hello 1.0-1
mkpkg pub hello 1.1-1
"$NIP" track init "$T/track" --root-key "$T/root.key" --online-key "$T/online.key.pub" \
	--publisher "$T/pub.key.pub" --name stable >/dev/null
"$NIP" publish --track "$T/track" --online-key "$T/online.key" >/dev/null

# start_trackd LOG: trackd with the online key and the environment $tenv,
# on the port of the first start (clients keep the URL they added); sets $u.
port=0
tenv=
start_trackd() {
	# shellcheck disable=SC2086 # tenv is a list of NAME=VALUE words
	env $tenv "$TRACKD" --track "$T/track" --listen "127.0.0.1:$port" --online-key "$T/online.key" \
		>"$1" 2>&1 &
	tpid=$!
	pids="$pids $tpid"
	port=$(wait_port "$1")
	u=http://127.0.0.1:$port
}
stop_trackd() {
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
}
start_trackd "$T/trackd.log"

# ---- publish, add, install, upgrade ----
"$NIP" --json publish --track "$u" --key "$T/pub.key" "$T/hello-1.0-1.nip" >"$T/pub.json" 2>"$T/pub.err"
same "nip publish --track URL succeeds" "$?" 0
check "it reports what was published" json "$T/pub.json" \
	"d['published'][0]['name'] == 'hello' and d['published'][0]['version'] == '1.0-1'"
check "the package is in the track directory" sh -c "ls '$T'/track/targets/pkgs/*.hello-1.0-1-x86_64.nip"
check "nip track add from trackd" "$NIP" --root "$T/r" track add stable "$u" --pubkey "$T/root.key.pub"
check "nip refresh from trackd" "$NIP" --root "$T/r" refresh
check "nip install hello from trackd" "$NIP" --root "$T/r" --yes install hello
"$NIP" --root "$T/r" --json list >"$T/list.json"
check "hello 1.0-1 is installed" json "$T/list.json" \
	"[p['version'] for p in d['packages'] if p['name'] == 'hello'] == ['1.0-1']"
check "a second publish" "$NIP" publish --track "$u" --key "$T/pub.key" "$T/hello-1.1-1.nip"
check "refresh sees it" "$NIP" --root "$T/r" refresh
check "nip upgrade" "$NIP" --root "$T/r" --yes upgrade
"$NIP" --root "$T/r" --json list >"$T/list.json"
check "hello 1.1-1 is installed" json "$T/list.json" \
	"[p['version'] for p in d['packages'] if p['name'] == 'hello'] == ['1.1-1']"
# trackd writes its log lines once a second.
logged_200() {
	for _ in $(seq 50); do
		grep -q 'method=POST path=/publish status=200' "$T/trackd.log" && return 0
		sleep 0.1
	done
	return 1
}
check "the publishes were logged as 200" logged_200
expect 3 'trackd: key [0-9A-F]+ is not a publisher' "a key that is not a publisher is refused (exit 3)" \
	"$NIP" publish --track "$u" --key "$T/online.key" "$T/hello-1.1-1.nip"
expect 5 'publish' "an unreachable trackd is a network error (exit 5)" \
	"$NIP" publish --track http://127.0.0.1:1 --key "$T/pub.key" "$T/hello-1.1-1.nip"
expect 2 'key' "--track URL with --online-key is a usage error" \
	"$NIP" publish --track "$u" --online-key "$T/online.key" "$T/hello-1.1-1.nip"

# ---- the online key's duty: re-sign before expiry ----
ts_version() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["version"])' \
		"$T/track/metadata/timestamp.json"
}
before=$(ts_version)
stop_trackd
if [ -n "$faketime_lib" ]; then
	# Four days on, less than half of the timestamp's seven are left.
	tenv="LD_PRELOAD=$asan_first$faketime_lib FAKETIME=+4d"
	start_trackd "$T/trackd-late.log"
	tenv=
	for _ in $(seq 50); do [ "$(ts_version)" != "$before" ] && break; sleep 0.1; done
	after=$(ts_version)
	check "trackd's tick re-signed the timestamp (version $before -> $after)" test "$after" -gt "$before"
	check "a client four days on still verifies it" at +4d "$NIP" --root "$T/r" refresh
	check "and so does a new client, which fetches every file" sh -c \
		"'$NIP' --root '$T/r4' track add stable '$u' --pubkey '$T/root.key.pub' >/dev/null"
	check "  ... four days on" at +4d "$NIP" --root "$T/r4" refresh
	check "and a client eight days on too (the old one expired after 7)" \
		at +8d "$NIP" --root "$T/r" refresh
	stop_trackd
else
	fail "libfaketime is missing (tests/deps.sh installs faketime)"
fi

# ---- publishes while clients refresh: never a mix ----
start_trackd "$T/trackd2.log"
i=0
while [ $i -lt 10 ]; do mkpkg pub "p$i" 1.0-1; i=$((i + 1)); done
c=0
loops=""
while [ $c -lt 4 ]; do
	check "client $c adds the track" "$NIP" --root "$T/c$c" track add stable "$u" --pubkey "$T/root.key.pub"
	(
		ok=0 bad=0
		while [ -d "$T" ] && [ ! -e "$T/done" ]; do
			[ $((ok + bad)) -eq 1 ] && touch "$T/c$c.started"
			if "$NIP" --root "$T/c$c" refresh >/dev/null 2>"$T/c$c.err"; then ok=$((ok + 1)); else
				bad=$((bad + 1))
				cat "$T/c$c.err" >>"$T/failures"
			fi
		done
		echo "$ok $bad" >"$T/c$c.count"
	) &
	loops="$loops $!"
	c=$((c + 1))
done
pids="$pids $loops"
# The publishes start once every client is refreshing.
for _ in $(seq 100); do
	started=0
	for f in "$T"/c*.started; do [ -e "$f" ] && started=$((started + 1)); done
	[ "$started" -eq 4 ] && break
	sleep 0.1
done
i=0
pubfail=0
while [ $i -lt 10 ]; do
	"$NIP" publish --track "$u" --key "$T/pub.key" "$T/p$i-1.0-1.nip" 2>>"$T/pubfail" || pubfail=$((pubfail + 1))
	i=$((i + 1))
done
touch "$T/done"
# shellcheck disable=SC2086 # a list of pids
wait $loops
refreshes=0 failures=0
for f in "$T"/c*.count; do
	read -r ok bad <"$f"
	refreshes=$((refreshes + ok + bad))
	failures=$((failures + bad))
done
same "10 publishes during the refresh loops all succeeded" "$pubfail" 0
[ -s "$T/pubfail" ] && sed 's/^/# /' "$T/pubfail" | head -n 5
check "the clients refreshed ($refreshes times)" test "$refreshes" -gt 0
same "no refresh failed verification ($failures of $refreshes)" "$failures" 0
[ -s "$T/failures" ] && sed 's/^/# /' "$T/failures" | head -n 5
check "a last refresh sees every package" "$NIP" --root "$T/c0" refresh
check "p9 is installable" "$NIP" --root "$T/c0" --yes install p9

done_testing
