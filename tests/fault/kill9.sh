#!/bin/sh
# kill -9 of real installs at random moments (a bounded loop), and a full
# file system (a small tmpfs): each time the root answers, runs the old or
# the new generation, checks clean, and the next install finishes.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
export SOURCE_DATE_EPOCH=1700000000
"$NIP" key generate me >/dev/null
mkdir -p a/usr/lib b/usr/lib
# Enough files that an install takes long enough to be hit mid-way.
i=0
while [ $i -lt 400 ]; do
	head -c 4096 /dev/urandom >a/usr/lib/f$i
	head -c 4096 /dev/urandom >b/usr/lib/f$i
	i=$((i + 1))
done
printf 'one\n' >a/usr/lib/which
printf 'two\n' >b/usr/lib/which
"$NIP" pack --key me --name t --version 1 -o t1.nip a
"$NIP" pack --key me --name t --version 2 -o t2.nip b
"$NIP" --root R0 trust add me.pub
"$NIP" --root R0 install t1.nip

consistent() { # ROOT: old or new, agreeing with the database; clean
	which=$(cat "$1/cells/system/current/usr/lib/which" 2>/dev/null)
	case $which in one | two) ;; *) return 1 ;; esac
	"$NIP" --root "$1" fsck >/dev/null 2>&1 && "$NIP" --root "$1" log verify 2>/dev/null &&
		"$NIP" --root "$1" install t2.nip 2>/dev/null &&
		[ "$(cat "$1/cells/system/current/usr/lib/which")" = two ]
}

ok=0 runs=12 seen_old=0 seen_new=0
for k in $(seq 1 $runs); do
	rm -rf R && cp -a R0 R
	"$NIP" --root R install t2.nip 2>/dev/null &
	pid=$!
	# 0 to ~60 ms: an install here takes about 100 ms.
	sleep "0.0$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	case $(cat R/cells/system/current/usr/lib/which 2>/dev/null) in
	one) seen_old=$((seen_old + 1)) ;;
	two) seen_new=$((seen_new + 1)) ;;
	esac
	consistent R && ok=$((ok + 1))
done
echo "# killed $runs installs at random moments: $seen_old left the old generation, $seen_new the new"
same "kill -9 at random moments: old or new, and recoverable, every time" "$ok" "$runs"

# A full file system.
if [ "$(id -u)" != 0 ] || ! mkdir -p small || ! mount -t tmpfs -o size=3m tmpfs small 2>/dev/null; then
	echo "# skipped the ENOSPC case: mounting a tmpfs needs root"
else
	cp -a R0 small/R 2>/dev/null || { umount small; fail "the small tmpfs cannot hold the first root"; }
	expect 1 'No space left on device' "an install that fills the disk: one clear error" \
		"$NIP" --root small/R install t2.nip
	same "the old generation still runs" "$(cat small/R/cells/system/current/usr/lib/which)" "one"
	check "fsck is clean after ENOSPC" "$NIP" --root small/R fsck
	check "ProvChain verifies after ENOSPC" "$NIP" --root small/R log verify
	check "gc frees what the failed install left" "$NIP" --root small/R gc
	umount small
fi
done_testing
