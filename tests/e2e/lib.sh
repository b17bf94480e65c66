# shellcheck shell=sh
# TAP helpers for end-to-end tests: each test runs the real nip in its own
# temporary directory.
set -u
: "${NIP:?NIP must name the nip binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/nip-e2e.XXXXXX")
# Background servers a test starts go in pids (pids="$pids $!"): the one
# exit trap stops them all, runs the test's own at_exit (shell text), and
# removes the directory.
pids=""
at_exit=""
trap 'kill $pids 2>/dev/null; eval "$at_exit"; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
n=0
failed=0

todo=
pass() {
	n=$((n + 1))
	echo "ok $n - $1${todo:+ # TODO $todo}"
	todo=
}
fail() {
	n=$((n + 1))
	if [ -n "$todo" ]; then
		echo "not ok $n - $1 # TODO $todo"
		todo=
		return
	fi
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

# todo WHY: the next assertion tests what a known bug breaks, so its failure
# is a TAP TODO (reported with WHY, not counted) until the bug is fixed.
todo() { todo=$1; }

# check DESC CMD...: CMD must succeed.
check() {
	desc=$1
	shift
	if "$@" >"$T/.out" 2>"$T/.err"; then pass "$desc"; else
		fail "$desc (exit $?)"
		sed 's/^/# /' "$T/.err"
	fi
}

# expect CODE PATTERN DESC CMD...: CMD exits CODE and prints exactly one
# stderr line, "nip: error: ..." matching the grep -E PATTERN (STYLE.md
# allows "nip: hint: ..." lines beside it; they are not matched).
expect() {
	code=$1 pat=$2 desc=$3
	shift 3
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	# -a, C locale: a message may quote bytes that are not text.
	LC_ALL=C grep -av '^nip: hint: ' "$T/.err" | LC_ALL=C grep -a . >"$T/.err1"
	if [ "$rc" -ne "$code" ]; then
		fail "$desc (exit $rc, wanted $code)"
		sed 's/^/# /' "$T/.err"
	elif [ "$(LC_ALL=C grep -ac . "$T/.err1")" -ne 1 ] ||
		! LC_ALL=C grep -aq '^nip: error: ' "$T/.err1"; then
		fail "$desc (stderr is not one 'nip: error:' line)"
		sed 's/^/# /' "$T/.err"
	elif ! LC_ALL=C grep -aEq -- "$pat" "$T/.err1"; then
		fail "$desc (message does not match '$pat')"
		sed 's/^/# /' "$T/.err"
	else
		pass "$desc"
	fi
}

# same DESC A B: the two strings are equal.
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 ('$2' != '$3')"; fi
}

# json FILE EXPR: FILE is one JSON document d for which the Python
# expression EXPR is true.
json() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

# at OFFSET CMD...: CMD with its clock moved by OFFSET (libfaketime's
# FAKETIME syntax, e.g. +8d); faketime_lib is empty without libfaketime.
# An LD_PRELOAD under ASan must put the sanitizer's runtime first:
# asan_first is that runtime and a colon, or nothing.
faketime_lib=
for f in /usr/lib/*/faketime/libfaketime.so.1; do [ -e "$f" ] && faketime_lib=$f; done
asan_first=
[ "${SAN:-}" = 1 ] && asan_first="$(${CC:-cc} -print-file-name=libasan.so):"
at() {
	off=$1
	shift
	LD_PRELOAD="$asan_first$faketime_lib" FAKETIME=$off "$@"
}

# mkpkg KEY NAME VERSION [pack options...]: $T/NAME-VERSION.nip, signed by
# $T/KEY.key, holding usr/bin/NAME, a script that prints its name and version.
mkpkg() {
	key=$1 name=$2 ver=$3
	shift 3
	mkdir -p "$T/s/$name-$ver/usr/bin"
	printf '#!/bin/sh\necho %s %s\n' "$name" "$ver" >"$T/s/$name-$ver/usr/bin/$name"
	chmod 755 "$T/s/$name-$ver/usr/bin/$name"
	"$NIP" pack --key "$T/$key.key" --name "$name" --version "$ver" "$@" \
		-o "$T/$name-$ver.nip" "$T/s/$name-$ver" >/dev/null
}

# wait_port LOG: the port a server printed ("... port N ..." or "port N")
# into LOG, once it is listening; empty after 5 s.
wait_port() {
	port=
	for _ in $(seq 50); do
		port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null | head -n 1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	echo "$port"
}

# serve DIR: python's static server for DIR on a free loopback port, killed
# at exit; sets $url.
serve() {
	python3 -u -m http.server 0 --bind 127.0.0.1 -d "$1" >"$T/.serve.log" 2>&1 &
	pids="$pids $!"
	# shellcheck disable=SC2034 # for the test that sources this file
	url=http://127.0.0.1:$(wait_port "$T/.serve.log")
}

done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
