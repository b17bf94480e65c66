#!/bin/sh
# /etc across upgrades: defaults in the deployment, local changes in the
# cell's state, a three-way merge on upgrade (OSTree's rule): a local change
# wins; a changed default that conflicts is written beside it as .nipnew; an
# untouched local copy gives way to the new default.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
R=$T/root
S=$R/cells/system/state
export SOURCE_DATE_EPOCH=1700000000
"$NIP" key generate me >/dev/null
conf() { # VERSION APP OTHER
	mkdir -p "c$1/etc"
	printf '%s\n' "$2" >"c$1/etc/app.conf"
	printf '%s\n' "$3" >"c$1/etc/other.conf"
	"$NIP" pack --key me --name conf --version "$1" -o "conf-$1.nip" "c$1"
}
conf 1 'a=1' 'x'
conf 2 'a=2' 'x'
conf 3 'a=2' 'y'
"$NIP" --root "$R" trust add me.pub
check "install conf 1" "$NIP" --root "$R" install conf-1.nip
same "the default is in the deployment" "$(cat "$R/cells/system/current/etc/app.conf")" "a=1"
check "the cell has a state directory" test -d "$S"
mkdir -p "$S/etc"
printf 'a=local\n' >"$S/etc/app.conf"       # a local change
cp "$R/cells/system/current/etc/other.conf" "$S/etc/other.conf" # a copy never changed
"$NIP" --root "$R" install conf-2.nip 2>"$T/warn"
same "upgrade with a conflicting default: the local change wins" "$(cat "$S/etc/app.conf")" "a=local"
same "...and the new default is beside it" "$(cat "$S/etc/app.conf.nipnew")" "a=2"
check "...and it is reported" grep -q 'etc/app.conf.nipnew' "$T/warn"
same "an unchanged default leaves the local copy alone" "$(cat "$S/etc/other.conf")" "x"
rm "$S/etc/app.conf.nipnew"
check "upgrade to conf 3" "$NIP" --root "$R" install conf-3.nip
check "a default that did not change makes no .nipnew" test ! -e "$S/etc/app.conf.nipnew"
check "an untouched local copy gives way to the new default" test ! -e "$S/etc/other.conf"
same "the new default shows" "$(cat "$R/cells/system/current/etc/other.conf")" "y"
same "the local change survives a rollback too" "$("$NIP" --root "$R" rollback && cat "$S/etc/app.conf")" "a=local"
done_testing
