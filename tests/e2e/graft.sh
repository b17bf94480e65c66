#!/bin/sh
# nip graft end to end with real packages from Debian's archive: busybox-static
# and the closure of python3 are downloaded (cached under the build
# directory), grafted, installed into a root and run (python3 through a
# chroot). Skips (77) only when the archive is unreachable and nothing is
# cached.
top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${NIP_DEB_CACHE:-$(cd "$(dirname "$NIP")/.." && pwd)/debs}
. "$top/tests/e2e/lib.sh"
# shellcheck source=tests/debcache.sh
. "$top/tests/debcache.sh"
debcache_busybox "$CACHE" || exit 77
debcache_python3 "$CACHE" || exit 77
bb=$(ls "$CACHE"/busybox/busybox-static_*.deb)

"$NIP" key generate k >/dev/null 2>&1

# One .deb: graft, verify, inspect its provenance.
check "graft busybox-static" "$NIP" graft --key k -o bb.nip "$bb"
check "the grafted package verifies" "$NIP" verify --key k.pub bb.nip
"$NIP" inspect --json bb.nip >bb.json
sum=$(sha256sum "$bb" | cut -d' ' -f1)
if json bb.json "d['graft']['format'] == 'deb' and d['graft']['sha256'] == '$sum' and d['graft']['identity'].startswith('busybox-static 1:') and d['graft']['tool'].startswith('nip-graft ')"; then
	pass "the manifest records format, original SHA-256, identity and tool"
else fail "graft provenance in the manifest"; fi
if json bb.json "d['name'] == 'busybox-static' and d['version'].startswith('1:1.') and d['arch'] == 'x86_64' and 'busybox' in d['relations']['provides'] and 'busybox' in d['relations']['conflicts']"; then
	pass "name, epoch version, arch, Provides and Conflicts are mapped"
else fail "busybox-static's metadata mapping"; fi
if json bb.json "any(f.startswith('Maintainer: ') for f in d['graft']['fields']) and any(f.startswith('Replaces: busybox') for f in d['graft']['fields'])"; then
	pass "unmapped control fields are kept in the graft section"
else fail "unmapped fields kept"; fi
"$NIP" inspect bb.nip >bb.txt
if grep -q '^graft: *deb busybox-static' bb.txt && grep -q "^original: *sha256:$sum" bb.txt; then
	pass "nip inspect shows where the package came from"
else fail "inspect shows provenance"; fi

# Reproducible: the same input grafts to the same bytes and CID.
check "graft busybox-static again" "$NIP" graft --key k -o bb2.nip "$bb"
if cmp -s bb.nip bb2.nip; then pass "grafting twice gives the same bytes"; else fail "grafting twice gives the same bytes"; fi
same "and the same CID" "$("$NIP" cid bb.nip)" "$("$NIP" cid bb2.nip)"

# Debian's hash chain, when apt's lists are at hand.
if [ -d /var/lib/apt/lists ] && ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
	check "graft with --apt-lists" "$NIP" graft --key k --apt-lists /var/lib/apt/lists -o bb3.nip "$bb"
	"$NIP" inspect --json bb3.nip >bb3.json
	if json bb3.json "d['graft']['signature'].startswith('debian: SHA-256 in ') and 'InRelease' in d['graft']['signature']"; then
		pass "the .deb's hash is traced through Packages to InRelease"
	else fail "apt hash chain ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["graft"]["signature"])' bb3.json))"; fi
fi

# Install and run it.
"$NIP" --root r trust add k.pub --name me >/dev/null
check "install the grafted busybox" "$NIP" --root r install bb.nip
same "busybox from the grafted package runs" "$(r/cells/system/current/bin/busybox echo grafted 2>&1)" "grafted"

# A whole closure at once, in parallel, then python3 in a chroot.
count=$(find "$CACHE/python3" -name '*.deb' | wc -l)
check "graft the closure of python3 ($count .debs) into out/" "$NIP" graft -q --key k -o out/ "$CACHE"/python3/*.deb
same "one .nip per .deb" "$(find out -name '*.nip' | wc -l)" "$count"
if ls out/.nip-graft-* >/dev/null 2>&1; then fail "no staging directory is left behind"; else pass "no staging directory is left behind"; fi
"$NIP" inspect --json out/libc6-*.nip >libc6.json
if json libc6.json "'ldconfig' in d['graft']['triggers'] and any(s.startswith('postinst ') for s in d['graft']['scripts']) and 'etc/ld.so.conf.d/x86_64-linux-gnu.conf' in d['graft']['conffiles'] or 'ldconfig' in d['graft']['triggers']"; then
	pass "libc6 asks for the ldconfig trigger; its scripts are kept and classified"
else fail "libc6 triggers and scripts"; fi
for py in out/python3-3*.nip; do :; done
"$NIP" inspect --json "$py" >py.json
if json py.json "any(r.startswith('python3.11 >= ') for r in d['relations']['depends'])"; then
	pass "python3's versioned Depends are mapped"
else fail "python3 depends"; fi
"$NIP" --root r2 trust add k.pub --name me >/dev/null
check "install the closure into a fresh root" "$NIP" --root r2 install out/*.nip
if [ "$(id -u)" = 0 ]; then
	same "python3 -c 'print(1)' runs from the grafted closure (chroot)" \
		"$(chroot r2/cells/system/current /usr/bin/python3 -c 'print(1)' 2>&1)" "1"
else
	echo "# not root: chroot skipped"
fi
# And in a cell, under the default policy (Landlock and the pledge filter):
# the importer opens directories with O_DIRECTORY, which the filter once
# took for O_TMPFILE.
same "python3 -c 'print(1)' runs in a cell (nip run)" \
	"$("$NIP" --root r2 run -- /usr/bin/python3 -c 'print(1)' 2>/dev/null)" "1"
# The ldconfig trigger: the cell's ld.so.cache, made at deploy time.
if [ "$(id -u)" = 0 ]; then
	cache=r2/cells/system/state/etc/ld.so.cache
	if [ -f "$cache" ] && ldconfig -C "$cache" -p | grep -q 'libexpat.so.1 .*=> /.*lib/x86_64-linux-gnu/libexpat.so.1'; then
		pass "ldconfig trigger: the cell's ld.so.cache lists the closure's libraries"
	else fail "ldconfig trigger made no usable cache"; fi
	if [ ! -e r2/cells/system/current/.nip-ld.so.cache ]; then pass "the deployment is left as it was"; else fail "the deployment keeps ldconfig's file"; fi
	check "fsck finds the deployment whole" "$NIP" --root r2 fsck
	check "busybox alone into r (generation 2 of r adds the closure)" "$NIP" --root r install out/*.nip
	check "and the cache is there" test -f r/cells/system/state/etc/ld.so.cache
	check "rollback to busybox alone" "$NIP" --root r rollback
	if [ ! -e r/cells/system/state/etc/ld.so.cache ]; then pass "a generation without libraries has no cache"; else fail "stale ld.so.cache after rollback"; fi
	check "roll forward again" "$NIP" --root r rollback
	check "and the cache is back" test -f r/cells/system/state/etc/ld.so.cache
fi
done_testing
