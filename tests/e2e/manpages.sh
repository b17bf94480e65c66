#!/bin/sh
# The man pages against the binary: every command that `nip help` lists has
# a page, `--help` works, and every long option its help prints is on its
# page; nip.8 names every command and global option; every page renders
# with groff without a warning.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
doc=$top/doc

# A page's source as plain text: \- is -, font and zero-width escapes go.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$1"
}

# mentions PAGE WORD: WORD stands in PAGE, not as part of a longer option.
mentions() {
	plain "$1" | grep -Eq -- "(^|[^a-z-])$2([^a-z-]|\$)"
}

# long_options FILE: the --options printed in FILE, one per line.
long_options() {
	grep -oE -- '--[a-z][a-z-]*' "$1" | sort -u
}

# The command list: the lines after "commands:" up to the next blank line.
"$NIP" help >"$T/help" 2>"$T/help.err"
same "nip help exits 0" "$?" 0
cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$T/help")
if [ -n "$cmds" ]; then
	pass "nip help lists commands: $(printf '%s' "$cmds" | tr '\n' ' ')"
else
	fail "nip help lists no command"
fi

if [ -f "$doc/nip.8" ]; then pass "doc/nip.8 exists"; else fail "doc/nip.8 is missing"; fi
"$NIP" --help >"$T/ghelp" 2>&1
for opt in $(long_options "$T/ghelp"); do
	if mentions "$doc/nip.8" "$opt"; then pass "nip.8 documents global $opt"; else
		fail "nip.8 does not mention global option $opt"
	fi
done

for cmd in $cmds; do
	page=$doc/nip-$cmd.8
	if mentions "$doc/nip.8" "nip-$cmd"; then pass "nip.8 lists $cmd (nip-$cmd(8))"; else
		fail "nip.8 does not list $cmd (no reference to nip-$cmd)"
	fi
	check "nip $cmd --help exits 0" "$NIP" "$cmd" --help
	cp "$T/.out" "$T/help.$cmd"
	if [ ! -s "$T/help.$cmd" ]; then fail "nip $cmd --help prints nothing"; fi
	if [ ! -f "$page" ]; then
		fail "doc/nip-$cmd.8 is missing"
		continue
	fi
	pass "doc/nip-$cmd.8 exists"
	for opt in $(long_options "$T/help.$cmd"); do
		if mentions "$page" "$opt"; then pass "nip-$cmd.8 documents $opt"; else
			fail "nip-$cmd.8 does not mention $opt (printed by nip $cmd --help)"
		fi
	done
done

if command -v groff >/dev/null 2>&1; then
	for f in "$doc"/*.[1-8]; do
		[ -f "$f" ] || continue
		name=$(basename "$f")
		if groff -man -Tutf8 -ww "$f" >/dev/null 2>"$T/groff.err" && [ ! -s "$T/groff.err" ]; then
			pass "$name renders without warnings"
		else
			fail "$name: groff -man -Tutf8 -ww warns or fails"
			sed 's/^/# /' "$T/groff.err"
		fi
	done
else
	echo "# groff is not installed: the rendering checks are skipped (apt-get install groff-base)"
fi

done_testing
