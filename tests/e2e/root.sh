#!/bin/sh
# A root's life: trust, install with dependencies, upgrade, generations,
# diff, rollback, remove (and --cascade), gc, fsck, ProvChain and its
# verification, the lock. Real packages made by nip pack.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
R=$T/root
export SOURCE_DATE_EPOCH=1700000000

"$NIP" key generate me >/dev/null
"$NIP" key generate stranger >/dev/null
mk() { # NAME VERSION DIR [pack flags...]
	name=$1 version=$2 dir=$3
	shift 3
	"$NIP" pack --key me --name "$name" --version "$version" -o "$name-$version.nip" "$@" "$dir"
}
mkdir -p g2/usr/lib h1/usr/bin h11/usr/bin
printf 'greet v2\n' >g2/usr/lib/libgreet.txt
printf '#!/bin/sh\necho hello 1.0\n' >h1/usr/bin/hello
printf '#!/bin/sh\necho hello 1.1\n' >h11/usr/bin/hello
chmod 755 h1/usr/bin/hello h11/usr/bin/hello
mk libgreet 2.0-1 g2
mk hello 1.0-1 h1 --depends 'libgreet >= 2.0'
mk hello 1.1-1 h11 --depends 'libgreet >= 2.0'
"$NIP" pack --key stranger --name evil --version 1 -o evil-1.nip h1

expect 3 'no signer is trusted' "install before any trust: exit 3" "$NIP" --root "$R" install hello-1.0-1.nip
check "trust add" "$NIP" --root "$R" trust add me.pub --name me
same "trust list names it" "$("$NIP" --root "$R" trust list | cut -d' ' -f2)" "me"
"$NIP" key generate other >/dev/null 2>&1
check "trust add --json" sh -c "'$NIP' --root '$R' --json trust add other.pub --name other >added.json"
check "it names what it added" json added.json "d['added']['name'] == 'other' and len(d['added']['keyid']) == 16"
check "trust remove --json" sh -c "'$NIP' --root '$R' --json trust remove other >removed.json"
check "it names what it removed" json removed.json "d == {'removed': 'other'}"
expect 3 'not by the trusted key' "an untrusted signer: exit 3" "$NIP" --root "$R" install evil-1.nip
expect 4 'nothing provides libgreet >= 2.0 needed by hello-1.0-1' "a missing dependency: exit 4 in libsolv's words" \
	"$NIP" --root "$R" install hello-1.0-1.nip
cp .err solve.err
check "with libsolv's solutions as hints" grep -q '^nip: hint:   solution 1: do not ask to install hello-1.0-1' solve.err
same "a failed install made no generation" "$("$NIP" --root "$R" generations | wc -l)" "0"
check "install hello and libgreet: one transaction" "$NIP" --root "$R" install hello-1.0-1.nip libgreet-2.0-1.nip
same "the program runs from the generation" "$("$R"/cells/system/current/usr/bin/hello)" "hello 1.0"
same "one generation" "$("$NIP" --root "$R" generations | wc -l)" "1"
check "installing it again changes nothing" "$NIP" --root "$R" install hello-1.0-1.nip
same "...and makes no generation" "$("$NIP" --root "$R" generations | wc -l)" "1"
check "upgrade to hello 1.1" "$NIP" --root "$R" install hello-1.1-1.nip
same "the new version runs" "$("$R"/cells/system/current/usr/bin/hello)" "hello 1.1"
same "diff 1 2" "$("$NIP" --root "$R" diff 1 2)" "~ hello 1.0-1 -> 1.1-1"
check "list --json is JSON" sh -c "'$NIP' --root '$R' list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d[\"packages\"]) == 2'"
same "owner of usr/bin/hello" "$("$NIP" --root "$R" owner /usr/bin/hello)" "hello 1.1-1"
check "files hello lists usr/bin/hello" sh -c "'$NIP' --root '$R' files hello | grep -qx usr/bin/hello"
# The mode, not test -w: root may write anything.
same "deployed files are read-only (0755 stored as 0555)" "$(stat -L -c %a "$R/cells/system/current/usr/bin/hello")" "555"
check "rollback" "$NIP" --root "$R" rollback
same "generation 1 runs again" "$("$R"/cells/system/current/usr/bin/hello)" "hello 1.0"
same "the switch is a symlink to generation 1" "$(readlink "$R/cells/system/current")" "../../deploy/system-1"
check "a bare rollback again goes back to 2, like cd -" "$NIP" --root "$R" rollback
same "generation 2 is back" "$("$R"/cells/system/current/usr/bin/hello)" "hello 1.1"

# A corrupted object: fsck names it; --repair removes it, and says which
# deployments it leaves without it; installing the package file again
# restores the object, and --repair then checks the older deployments
# (still linked to the bad inode) out again.
obj=$(find "$R/nexfs/objects" -inum "$(stat -c %i "$R/cells/system/current/usr/bin/hello")")
chmod u+w "$obj" && printf 'evil\n' >"$obj"
expect 3 'bad entries' "fsck finds a corrupted object: exit 3" "$NIP" --root "$R" fsck
cp .out fsck1
check "it names the object" grep -q "^bad object ${obj#"$R/nexfs/objects/"}: " fsck1
expect 3 'install their packages again' "fsck --repair: the deployments now lack that object" \
	"$NIP" --root "$R" fsck --repair
cp .out fsck2
check "it names the deployment's file" grep -q '^bad deployment system-2/usr/bin/hello: its object is missing' fsck2
check "installing the package again restores it" "$NIP" --root "$R" install hello-1.1-1.nip
same "and it runs" "$("$R"/cells/system/current/usr/bin/hello)" "hello 1.1"
expect 3 'bad entries' "fsck: generation 2 still holds the bad inode" "$NIP" --root "$R" fsck --json
cp .out fsck3
check "--json: one document naming it" json fsck3 \
	"d['bad'] == 1 and d['problems'][0]['name'] == 'system-2/usr/bin/hello' and d['deployments'] == 3"
check "fsck --repair checks it out again" "$NIP" --root "$R" fsck --repair
check "fsck is clean again" "$NIP" --root "$R" fsck
check "rollback to 2" "$NIP" --root "$R" rollback 2
same "generation 2 runs" "$("$R"/cells/system/current/usr/bin/hello)" "hello 1.1"
check "log names the repair" sh -c "'$NIP' --root '$R' log | grep -q 'checked out 1 deployments again'"

# A deployment changed by hand: a file added, one replaced.
d1=$R/deploy/system-1/usr/bin
chmod u+w "$d1" && touch "$d1/planted" && cp "$d1/hello" "$d1/new" && echo >>"$d1/new" &&
	chmod 555 "$d1/new" && mv "$d1/new" "$d1/hello"
expect 3 'bad entries' "fsck finds a changed deployment" "$NIP" --root "$R" fsck
cp .out fsck4
check "the planted file" grep -q '^bad deployment system-1/usr/bin/planted: not part of the generation' fsck4
check "the replaced file" grep -q '^bad deployment system-1/usr/bin/hello: not its object.s inode, and its bytes differ' fsck4
check "the writable directory" grep -q '^bad deployment system-1/usr/bin: directory is not read-only' fsck4
check "fsck --repair" "$NIP" --root "$R" fsck --repair
check "clean" "$NIP" --root "$R" fsck
check "rollback 3" "$NIP" --root "$R" rollback 3

expect 2 'cell name "../x"' "a cell name that is a path: exit 2" "$NIP" --root "$R" --cell ../x install hello-1.0-1.nip
[ ! -e "$R/x" ] && pass "no ROOT/x" || fail "no ROOT/x"

# Another cell's files survive this cell's automatic gc.
check "install into cell other" "$NIP" --root "$R" --cell other install hello-1.0-1.nip libgreet-2.0-1.nip
check "upgrade in system (runs gc)" "$NIP" --root "$R" install hello-1.0-1.nip
check "gc --keep 1 in system" "$NIP" --root "$R" gc --keep 1
same "cell other still runs" "$("$R"/cells/other/current/usr/bin/hello)" "hello 1.0"
check "fsck clean with two cells" "$NIP" --root "$R" fsck
expect 4 'requires libgreet >= 2.0.*--cascade' "remove libgreet with a dependent: exit 4" "$NIP" --root "$R" remove libgreet
check "remove --cascade libgreet" "$NIP" --root "$R" remove --cascade libgreet
same "nothing installed" "$("$NIP" --root "$R" list | wc -l)" "0"
check "gc --keep 1" "$NIP" --root "$R" gc --keep 1
same "one generation left" "$("$NIP" --root "$R" generations | wc -l)" "1"
check "fsck is clean" "$NIP" --root "$R" fsck
check "log verify" "$NIP" --root "$R" log verify
check "log shows the history" sh -c "'$NIP' --root '$R' log | grep -q rollback"

# The lock: a second writer waits, then gives up with exit 6.
flock "$R/lock" sleep 3 &
sleep 0.3
expect 6 'locked by another nip' "a second writer: exit 6 after --lock-timeout" \
	"$NIP" --root "$R" --lock-timeout 1 install hello-1.0-1.nip
wait

# Tampering with ProvChain is named.
python3 - "$R/nip.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE provchain SET details = 'nothing to see' WHERE seq = 2")
db.commit()
PY
expect 3 'entry 2' "an altered ProvChain entry is named: exit 3" "$NIP" --root "$R" log verify
done_testing
