#!/bin/sh
# Runs TAP end-to-end scripts; exit 77 from a script is a skip, which the
# script must explain in its output. Ends with one summary line.
set -u
pass=0 fail=0 skip=0
for t in "$@"; do
	name=$(basename "$t" .sh)
	out=$(sh "$t" 2>&1)
	rc=$?
	if [ $rc -eq 77 ]; then
		skip=$((skip + 1))
		echo "SKIP $name: $(printf '%s\n' "$out" | tail -n 1)"
	elif [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $name ($(printf '%s\n' "$out" | grep -c '^ok'))"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/    /'
	fi
done
echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
