#!/bin/sh
# Hostile and broken foreign packages given to nip graft: each is refused
# with one `nip: error:` line and exit 3, and nothing is written. Inputs are
# built from the documented formats by mkforeign.py.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
mk() { python3 "$top/tests/attacks/mkforeign.py" "$1" "$2"; }

"$NIP" key generate k >/dev/null 2>&1
mkdir out

# refused CODE PATTERN DESC FILE: graft FILE into out/ fails so, leaving out/ empty.
refused() {
	expect "$1" "$2" "$3" "$NIP" graft --key k -o out/ "$4"
	if [ -n "$(ls -A out)" ]; then
		fail "$3: nothing written (out/ has $(find out -mindepth 1 | tr '\n' ' '))"
		rm -rf out && mkdir out
	else
		pass "$3: nothing written"
	fi
}

mk deb good.deb
mk apk good.apk
check "a well-formed .deb grafts" "$NIP" graft -q --key k -o good-deb.nip good.deb
check "a well-formed .apk grafts" "$NIP" graft -q --key k -o good-apk.nip good.apk

head -c 300 good.deb >trunc.deb
refused 3 'trunc\.deb: .*(truncated|Truncated|premature|no control|no data)' "a truncated .deb" trunc.deb
head -c 400 good.apk >trunc.apk
refused 3 'trunc\.apk: ' "a truncated .apk" trunc.apk
mk deb-lying-ar lying.deb
refused 3 'lying\.deb: .*(runcated|premature|unexpected|EOF)' "an ar member that claims more bytes than it has" lying.deb
mk deb-badenc badenc.deb
refused 3 'control: not UTF-8' "a control file that is not UTF-8" badenc.deb
mk deb-bigfield big.deb
refused 3 'control\.tar exceeds its limit' "a control file with a 100 MB field" big.deb
mk deb-dupfield dupfield.deb
refused 3 'field Version given twice' "a control file with a field twice" dupfield.deb
mk deb-dotdot dotdot.deb
refused 3 "data\.tar: member .*'\.' or '\.\.' in name" "a data.tar member with '..'" dotdot.deb
mk deb-linkout linkout.deb
refused 3 'symlink target \.\./\.\./etc/passwd leaves the package' "a symlink that leaves the package" linkout.deb
mk deb-hardlinkout hardout.deb
refused 3 'hard link target \.\./outside' "a hard link to outside" hardout.deb
mk deb-dup dup.deb
refused 3 'member usr/f: appears twice' "two members with the same path" dup.deb
mk deb-bomb bomb.deb
refused 3 'compression bomb' "a compression bomb (256 MiB of zeros in 40 KiB)" bomb.deb
mk apk-badcontrol badctl.apk
refused 3 'badctl\.apk: ' "an apk whose control segment is not a tar" badctl.apk
mk apk-dupkey dupkey.apk
refused 3 '\.PKGINFO: key pkgver given twice' "a .PKGINFO with a key twice" dupkey.apk
printf 'not a package' >junk.deb
refused 3 'junk\.deb: ' "a file that is no archive at all" junk.deb
expect 2 'no-such\.deb' "a missing input is a usage error" "$NIP" graft --key k -o out/ no-such.deb
expect 2 'required' "graft without a key is refused" "$NIP" graft -o out/ good.deb

# Sanitising that does not refuse: bits stripped, nodes dropped, links fixed.
mk deb-sanitise san.deb
"$NIP" graft --key k -o san.nip san.deb >/dev/null 2>san.err
check "a .deb with setuid files, a device node and a FIFO grafts" test -s san.nip
if [ "$(grep -c '^nip: warning: ' san.err)" -eq 5 ]; then pass "each change is a warning"; else fail "warnings: $(cat san.err)"; fi
"$NIP" inspect --json san.nip >san.json
if json san.json "'setuid bit stripped: usr/bin/su' in d['graft']['sanitised'] and 'setgid bit stripped: usr/bin/wall' in d['graft']['sanitised'] and 'dropped device node: usr/null' in d['graft']['sanitised'] and 'dropped FIFO: usr/fifo' in d['graft']['sanitised']"; then
	pass "the manifest lists what was stripped and dropped"
else fail "sanitised list"; fi
if json san.json "[f['mode'] for f in d['files'] if f['path'] == 'usr/bin/su'] == [0o755] and not [f for f in d['files'] if f['path'] in ('usr/null', 'usr/fifo')] and [f['target'] for f in d['files'] if f['path'] == 'usr/bin/abs'] == ['../../usr/bin/su'] and [f['target'] for f in d['files'] if f['path'] == 'usr/bin/mid'] == ['../../usr/bin/su']"; then
	pass "setuid stripped, nodes gone, absolute and '.'-bearing links made relative"
else fail "sanitised payload"; fi
printf 'allow setuid /usr/bin/su\n' >pol
"$NIP" graft --key k --policy pol -o san2.nip san.deb >/dev/null 2>&1
"$NIP" inspect --json san2.nip >san2.json
if json san2.json "[f['mode'] for f in d['files'] if f['path'] == 'usr/bin/su'] == [0o4755]"; then
	pass "a policy that allows setuid keeps the bit"
else fail "policy keeps setuid"; fi
done_testing
