#!/bin/sh
# Kill (SIGKILL) and fail (EIO, ENOSPC) an upgrade at every mutating step in
# turn, then check: the root answers, the current generation runs and is
# old or new (never a mix), the store checks clean, ProvChain verifies, and
# the next install finishes. The same for rollback and gc. (ostree's
# destructive test, made exhaustive.)
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
: "${NIP_INJECT:?NIP_INJECT must name the fault injector (make builds it)}"
PRE=$NIP_INJECT
if [ "${SAN:-}" = 1 ]; then
	# ASan must come first in the library list; the injector follows it.
	PRE="$(${CC:-cc} -print-file-name=libasan.so) $NIP_INJECT"
fi
export SOURCE_DATE_EPOCH=1700000000
"$NIP" key generate me >/dev/null
mkdir -p a/usr/bin a/usr/share b/usr/bin
printf '#!/bin/sh\necho one\n' >a/usr/bin/t
printf '#!/bin/sh\necho two\n' >b/usr/bin/t
chmod 755 a/usr/bin/t b/usr/bin/t
printf 'shared\n' >a/usr/share/data
"$NIP" pack --key me --name t --version 1 -o t1.nip a
"$NIP" pack --key me --name t --version 2 -o t2.nip b
"$NIP" --root R0 trust add me.pub
"$NIP" --root R0 install t1.nip

fault() { # MODE N CMD...: run CMD under the injector
	m=$1 k=$2
	shift 2
	LD_PRELOAD="$PRE" NIP_FAULT_MODE=$m NIP_FAULT_N=$k "$@" >"$T/.fout" 2>"$T/.ferr"
}

# Old or new, never a mix; everything checks; the next change works.
after() { # WHAT
	what=$1
	bad=""
	out=$(R/cells/system/current/usr/bin/t 2>/dev/null) || bad="the current generation does not run"
	[ -z "$bad" ] && ! "$NIP" --root R fsck >/dev/null 2>"$T/.err" && bad="fsck: $(cat "$T/.err")"
	cur=$("$NIP" --root R --json generations |
		python3 -c 'import json,sys; print([g["number"] for g in json.load(sys.stdin)["generations"] if g["current"]][0])' 2>/dev/null)
	[ -z "$bad" ] && [ "$(readlink R/cells/system/current)" != "../../deploy/system-$cur" ] &&
		bad="the symlink ($(readlink R/cells/system/current)) disagrees with the database ($cur)"
	[ -z "$bad" ] && case $out in one | two) ;; *) bad="ran '$out'" ;; esac
	[ -z "$bad" ] && ! "$NIP" --root R log verify 2>"$T/.err" && bad="log verify: $(cat "$T/.err")"
	[ -z "$bad" ] && ! "$NIP" --root R install t2.nip 2>"$T/.err" && bad="next install: $(cat "$T/.err")"
	[ -z "$bad" ] && [ "$(R/cells/system/current/usr/bin/t)" != two ] && bad="the next install did not take"
	if [ -n "$bad" ]; then
		fail "$what: $bad"
		return 1
	fi
	return 0
}

# Every fault at every mutating call of an upgrade of a copy of ROOT; a
# clean run counts the calls first.
upgrade_faults() { # ROOT WHAT
	rm -rf R && cp -a "$1" R
	rm -f "$T/count"
	LD_PRELOAD="$PRE" NIP_FAULT_COUNT=$T/count "$NIP" --root R install t2.nip
	calls=$(sed -n 's/^calls //p' "$T/count" | tail -n 1)
	echo "# $2 makes $calls mutating calls"
	for mode in kill eio enospc; do
		ok=0 k=1
		while [ "$k" -le "$calls" ]; do
			rm -rf R && cp -a "$1" R
			fault "$mode" "$k" "$NIP" --root R install t2.nip
			rc=$?
			if [ "$mode" != kill ] && [ "$rc" -ne 0 ] && [ "$(grep -c . "$T/.ferr")" -ne 1 ]; then
				fail "$2, $mode at call $k: not one error line"
				sed 's/^/# /' "$T/.ferr"
			elif after "$2, $mode at call $k of $calls (exit $rc)"; then
				ok=$((ok + 1))
			fi
			k=$((k + 1))
		done
		same "$2, $mode at each of $calls calls: old or new every time" "$ok" "$calls"
	done
}
upgrade_faults R0 "an upgrade"
# With three generations kept, the upgrade turns the oldest one's
# deployment into its own (recycle.c): every step of that too.
rm -rf R2 && cp -a R0 R2 && "$NIP" --root R2 install t2.nip && "$NIP" --root R2 install t1.nip
rm -rf R && cp -a R2 R && "$NIP" --root R install t2.nip && "$NIP" --root R log >"$T/.log"
check "the upgrade of a root with three generations recycles a deployment" \
	grep -q "its deployment recycled for 4" "$T/.log"
upgrade_faults R2 "an upgrade that recycles"

# Rollback and gc, killed at every step.
rm -rf R1 && cp -a R0 R1 && "$NIP" --root R1 install t2.nip
for op in rollback "gc --keep 1"; do
	rm -rf R && cp -a R1 R
	rm -f "$T/count"
	# shellcheck disable=SC2086 # op holds its own arguments
	LD_PRELOAD="$PRE" NIP_FAULT_COUNT=$T/count "$NIP" --root R $op >/dev/null
	ncalls=$(sed -n 's/^calls //p' "$T/count" | tail -n 1)
	ok=0 k=1
	while [ "$k" -le "$ncalls" ]; do
		rm -rf R && cp -a R1 R
		# shellcheck disable=SC2086
		fault kill "$k" "$NIP" --root R $op
		after "$op killed at call $k of $ncalls" && ok=$((ok + 1))
		k=$((k + 1))
	done
	same "$op killed at each of $ncalls calls: old or new every time" "$ok" "$ncalls"
done
done_testing
