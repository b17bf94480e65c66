#!/bin/sh
# shellcheck disable=SC2016 # sh -c '...' scripts expand their own "$1"
# The artifact's life: keys, pack, verify, inspect, cid; the CID, the
# payload root, the raw head frame and the trusted comment's binding of the
# payload frame recomputed independently; every single-bit flip of a small
# package refused; the payload extracted by GNU tar equals the staged tree;
# the same tree packs to the same bytes; minisign reads nip's signatures and
# nip reads minisign's keys; usage errors, help and --json.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$top/tests/e2e/lib.sh"

epoch=1700000000
unset SOURCE_DATE_EPOCH NIP_KEY NIP_PASSPHRASE_FILE
# A real encrypted key costs an scrypt of 1 GiB (~3 s here, memory-bound:
# two at once are slower than one after the other). The four that must be
# real (nip's key made and used, minisign's key made and used) run one after
# the other in the background and are checked near the end; the other
# passphrase cases use a key encrypted with cheap scrypt parameters.
# record NAME CMD...: CMD's output and exit status in NAME.out, .err, .rc;
# replay NAME gives them back, for check and expect.
record() {
	name=$1
	shift
	"$@" >"$name.out" 2>"$name.err"
	echo $? >"$name.rc"
}
replay() {
	cat "$1.out"
	cat "$1.err" >&2
	return "$(cat "$1.rc")"
}
# json FILE EXPR: FILE is one JSON document d for which the Python EXPR holds.
cid_of() {
	python3 -c 'import base64, hashlib, sys
d = open(sys.argv[1], "rb").read()
print("b" + base64.b32encode(bytes([1, 0x55, 0x12, 0x20]) + hashlib.sha256(d).digest()).decode().lower().rstrip("="))' "$1"
}
# head_of PKG DIR: .NIPINFO and .NIPSIG of PKG, extracted by GNU tar.
head_of() {
	mkdir -p "$2" && zstd -dcq "$1" | tar -x -C "$2" .NIPINFO .NIPSIG
}
# minisign writes the key id without leading zeros; nip prints all 16 digits
keyid() { sed -n '1s/.* \([0-9A-F]\{1,16\}\)$/000000000000000\1/p' "$1" | sed 's/.*\(.\{16\}\)$/\1/'; }
# py CODE ARGS...: python3 -c CODE, with tests/attacks/nipformat.py (the
# format's independent encoder) importable.
py() { PYTHONPATH="$top/tests/attacks" python3 -B -c "$@"; }
# zst_sha PKG: the SHA-256 of PKG's payload frame, its second zstd frame to
# the end of the file.
zst_sha() {
	py 'import hashlib, sys, nipformat
d = open(sys.argv[1], "rb").read()
print(hashlib.sha256(d[nipformat.frames(d)[1][0]:]).hexdigest())' "$1"
}

# ---- keys -------------------------------------------------------------------
mkdir small && printf 'small\n' >small/f
printf 'correct horse\n' >pw
printf 'wrong horse\n' >badpw
printf 'pw\n' >epw
# minisign reads the password from stdin (twice) when it is not a terminal.
encrypted_keys() {
	record kg "$NIP" key generate --passphrase-file pw enc
	record p1 "$NIP" pack --key enc --passphrase-file pw --name p1 --version 1 -o p1.nip small
	printf 'pw\npw\n' | minisign -G -p e.pub -s e.key >mgen.out 2>&1
	echo $? >mgen.rc
	[ "$(cat mgen.rc)" = 0 ] || return 0
	record menc env NIP_PASSPHRASE_FILE=epw "$NIP" pack --key e.key --name menc --version 1 \
		-o e.nip small
}
encrypted_keys &

check "key generate" "$NIP" key generate me
same "the secret key is 0600" "$(stat -c %a me)" 600
check "the public key is beside it" grep -q '^untrusted comment: minisign public key [0-9A-F]\{16\}$' me.pub
cp me me.orig
expect 2 'me already exists: not overwriting' "key generate refuses to overwrite a key" \
	"$NIP" key generate me
check "... and the key is unchanged" cmp me me.orig
: >lone.pub
expect 2 'lone.pub already exists' "key generate refuses when only PATH.pub exists" \
	"$NIP" key generate lone
check "... and writes no secret key" test ! -e lone
"$NIP" --json key generate jk >jk.json
check "key generate --json" json jk.json "d['keyid'] == '$(keyid jk.pub)' and d['encrypted'] is False"

# me, encrypted in minisign's format with scrypt parameters that cost
# milliseconds (libsodium's choice of N, r, p from opslimit and memlimit).
python3 - me pw cheap <<'PY'
import base64, hashlib, os, struct, sys
src, pwfile, dst = sys.argv[1:4]
comment, blob = open(src).read().splitlines()
b = bytearray(base64.b64decode(blob))
assert b[0:6] == b"Ed\0\0B2" and len(b) == 158
ops, mem, r = 1 << 16, 16 << 20, 8
if ops < mem // 32:
    p, maxn = 1, ops // (r * 4)
else:
    maxn = mem // (r * 128)
n = 1
while n < 63 and 1 << n <= maxn // 2:
    n += 1
if not ops < mem // 32:
    p = min((ops // 4) // (1 << n), 0x3FFFFFFF) // r
salt = os.urandom(32)
pw = open(pwfile, "rb").read().split(b"\n")[0]
stream = hashlib.scrypt(pw, salt=salt, n=1 << n, r=r, p=p, dklen=104)
b[2:4], b[6:38], b[38:54] = b"Sc", salt, struct.pack("<QQ", ops, mem)
b[54:] = bytes(x ^ y for x, y in zip(b[54:], stream))
fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, (comment + "\n" + base64.b64encode(bytes(b)).decode() + "\n").encode())
PY
check "pack --passphrase-file with an encrypted key (cheap scrypt)" \
	"$NIP" pack --key cheap --passphrase-file pw --name c1 --version 1 -o c1.nip small
check "... verifies" "$NIP" verify --key me.pub c1.nip
check "pack with NIP_PASSPHRASE_FILE (cheap scrypt)" \
	env NIP_PASSPHRASE_FILE=pw "$NIP" pack --key cheap --name c2 --version 1 -o c2.nip small
check "... verifies" "$NIP" verify --key me.pub c2.nip
expect 7 'cheap: secret key: wrong passphrase' "a wrong passphrase is refused clearly (exit 7)" \
	"$NIP" pack --key cheap --passphrase-file badpw --name c3 --version 1 -o c3.nip small
check "... nothing was written" test ! -e c3.nip
expect 2 'cheap.*encrypted.*--passphrase-file' "an encrypted key, no passphrase, no terminal (exit 2)" \
	setsid -w "$NIP" pack --key cheap --name x --version 1 -o x.nip small </dev/null
cp me gr && chmod 640 gr
expect 7 'gr: secret key is readable by others' "a group-readable secret key is refused (exit 7)" \
	"$NIP" pack --key gr --name x --version 1 -o x.nip small
ln -s me lnk
expect 7 'lnk: secret key is a symbolic link' "a secret key behind a symlink is refused (exit 7)" \
	"$NIP" pack --key lnk --name x --version 1 -o x.nip small
check "... nothing was written" test ! -e x.nip

# ---- the staged tree ----------------------------------------------------------
# Regular, empty, private and executable files, nested and empty
# directories, relative symlinks, a hard link pair, a 150-byte file name and
# a hard link to it (pax path and linkpath), a symlink with a 164-byte
# target, paths of exactly 100 bytes and directories at the ustar boundary,
# and a UTF-8 name.
long=$(printf 'L%.0s' $(seq 150))
d99=$(printf 'd%.0s' $(seq 99))
mkdir -p s/etc s/usr/bin s/usr/lib s/usr/share/doc/x s/var/empty s/private "s/$d99" \
	"s/${d99}e"
printf 'hello\n' >s/etc/conf
: >s/etc/empty
printf 'token\n' >s/etc/secret && chmod 600 s/etc/secret
printf '#!/bin/sh\necho tool\n' >s/usr/bin/tool && chmod 755 s/usr/bin/tool
ln -s tool s/usr/bin/alias
ln -s ../bin/tool s/usr/share/toolink
printf 'shared\n' >s/usr/share/doc/x/a
ln s/usr/share/doc/x/a s/usr/share/doc/x/b
printf 'long name\n' >"s/usr/lib/$long"
ln "s/usr/lib/$long" s/usr/lib/zlink
ln -s "../../usr/lib/$long" s/usr/share/longlink
printf 'exactly 100\n' >"s/usr/share/doc/$(printf 'h%.0s' $(seq 86))"
printf 'utf-8\n' >"s/usr/share/doc/$(printf 'caf\303\251')"
printf 'private\n' >s/private/p && chmod 700 s/private
chmod 750 s/usr/share/doc/x
entries=$(cd s && find . -mindepth 1 | wc -l)

# pack EPOCH ARGS...: the demo package; an empty EPOCH leaves
# SOURCE_DATE_EPOCH unset.
pack() {
	e=$1
	shift
	env ${e:+"SOURCE_DATE_EPOCH=$e"} "$NIP" pack --key me --name demo --version 1:2.0~rc1-3 \
		--arch x86_64 --kind lib --depends 'libc >= 2.36' --depends 'zlib|zlib-ng' \
		--provides 'so:libdemo.so.1' --conflicts 'olddemo<1' --summary 'a demo' --license MIT "$@"
}
check "pack" pack "$epoch" -o demo.nip s
check "verify" "$NIP" verify --key me.pub demo.nip
cid=$(cat "$T/.out")
check "verify prints a CIDv1 (b + 58 base32 characters)" \
	sh -c 'printf "%s\n" "$1" | grep -Eqx "b[a-z2-7]{58}"' sh "$cid"
same "nip cid equals what verify prints" "$("$NIP" cid demo.nip)" "$cid"
same "nip cid --key equals it too" "$("$NIP" cid --key me.pub demo.nip)" "$cid"
head_of demo.nip h
same "the CID is CIDv1(raw, sha2-256(.NIPINFO)), computed independently" "$(cid_of h/.NIPINFO)" "$cid"

"$NIP" --json inspect demo.nip >m.json
printf '\n' | cat h/.NIPINFO - >info.nl
check "inspect --json is the canonical manifest: .NIPINFO itself" cmp m.json info.nl
check "... valid JSON" python3 -c 'import json, sys; json.load(sys.stdin)' <m.json
check "... canonical: re-serialising with sorted keys and no space gives the same bytes" \
	python3 -c 'import json, sys
b = open(sys.argv[1], "rb").read()
sys.exit(json.dumps(json.loads(b), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() != b)' h/.NIPINFO
check "... its fields" json m.json "d['name'] == 'demo' and d['version'] == '1:2.0~rc1-3' and \
d['arch'] == 'x86_64' and d['kind'] == 'lib' and d['summary'] == 'a demo' and d['license'] == 'MIT' and \
d['relations']['depends'] == ['libc >= 2.36', 'zlib | zlib-ng'] and \
d['relations']['provides'] == ['so:libdemo.so.1'] and d['relations']['conflicts'] == ['olddemo < 1'] and \
d['provenance']['source_date_epoch'] == $epoch and d['provenance']['builder_key'] == '$(keyid me.pub)'"
check "... lists every entry of the tree" json m.json "len(d['files']) == $entries"
check "... with each file's size and SHA-256, recomputed independently" python3 -c '
import hashlib, json, os, sys
for f in json.load(open(sys.argv[1]))["files"]:
    if f["type"] == "file":
        data = open(os.path.join("s", f["path"]), "rb").read()
        assert f["size"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest(), f
' m.json
check "... the hard link pairs and links as hard links" json m.json \
	"{f['path']: f.get('target') for f in d['files'] if f['type'] == 'hardlink'} == \
{'usr/share/doc/x/b': 'usr/share/doc/x/a', 'usr/lib/zlink': 'usr/lib/$long'}"
check "... the payload root, recomputed independently (tests/attacks/nipformat.py)" py '
import json, sys, nipformat
d = json.load(open(sys.argv[1]))
sys.exit(nipformat.payload_root(d["files"]) != d["payload_root"])' m.json

# ---- the zstd layer -------------------------------------------------------------
check "two zstd frames: the head is .NIPINFO and .NIPSIG in raw 128 KiB blocks, rebuilt \
independently; the payload frame has a checksum and ends the file" py '
import subprocess, sys, nipformat
d = open(sys.argv[1], "rb").read()
(_, h1), (p0, p1) = nipformat.frames(d)
head = b"".join(nipformat.tar_header(n, "0", 0o644, len(b), int(sys.argv[2])) + b + nipformat.pad(len(b))
                for n, b in ((b".NIPINFO", open("h/.NIPINFO", "rb").read()),
                             (b".NIPSIG", open("h/.NIPSIG", "rb").read())))
sys.exit(not (d[:h1] == nipformat.raw_frame(head) and p0 == h1 and p1 == len(d) and d[p0 + 4] & 4))' \
	demo.nip "$epoch"
# 1500 files with 120-byte names: a manifest of ~280 KiB, a head of 3 blocks.
py 'import os
os.mkdir("many")
for i in range(1500):
    with open("many/%s%04d" % ("m" * 116, i), "w") as f:
        f.write("%d\n" % i)'
check "pack a package whose head is over 256 KiB" \
	"$NIP" pack --key me --name many --version 1 -o many.nip many
check "... it verifies" "$NIP" verify --key me.pub many.nip
check "... its head frame is 3 raw blocks: 128 KiB, 128 KiB and the rest, rebuilt independently" py '
import subprocess, sys, nipformat
d = open(sys.argv[1], "rb").read()
(_, h1), _ = nipformat.frames(d)
head = subprocess.run(["zstd", "-dcq"], input=d[:h1], stdout=subprocess.PIPE, check=True).stdout
sys.exit(not (2 * nipformat.RAW_BLOCK < len(head) <= 3 * nipformat.RAW_BLOCK
              and d[:h1] == nipformat.raw_frame(head)))' many.nip
rm -rf many many.nip

# Every byte is covered: the signature covers .NIPINFO and the trusted
# comment, the comment binds the payload frame's compressed bytes, the head
# frame's encoding is rebuilt from its content. So flipping any one bit of
# a package makes it fail to verify (exit 3, one error line): checked for
# every byte of a small package, a different bit in each.
"$NIP" pack --key me --name flip --version 1 -o flip.nip small
check "a small package to flip: $(stat -c %s flip.nip) bytes, under 4 KiB, that verifies" \
	sh -c '[ "$(stat -c %s flip.nip)" -lt 4096 ] && "$1" verify --key me.pub flip.nip' sh "$NIP"
mkdir flips
check "every single-bit flip of it is refused: exit 3, one 'nip: error:' line" py '
import collections, concurrent.futures, os, re, subprocess, sys
nip, pub, pkg = sys.argv[1:4]
data = open(pkg, "rb").read()

def one(i):
    b = bytearray(data)
    b[i] ^= 1 << i % 8
    path = "flips/%d.nip" % i
    with open(path, "wb") as f:
        f.write(b)
    r = subprocess.run([nip, "verify", "--key", pub, path], capture_output=True)
    os.unlink(path)
    return i, r.returncode, r.stderr.decode("utf-8", "replace").splitlines()

bad, why = [], collections.Counter()
with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
    for i, rc, lines in ex.map(one, range(len(data))):
        if rc != 3 or len(lines) != 1 or not lines[0].startswith("nip: error: flips/"):
            bad.append("byte %d: exit %d: %s" % (i, rc, lines))
        else:
            msg = re.sub("\x27[^\x27]*\x27", "\x27...\x27", lines[0].split(": ", 3)[-1])
            why[re.sub("0x[0-9a-f]+|[0-9A-F]{16}|[0-9]+", "N", msg)] += 1
with open("flips.txt", "w") as f:
    f.write("%d flips refused; the commonest reasons:\n" % (len(data) - len(bad)))
    f.writelines("%6d %s\n" % (n, m) for m, n in why.most_common(8))
    f.write("   and %d other reasons\n" % max(len(why) - 8, 0))
print("\n".join(bad[:20]), file=sys.stderr)
sys.exit(1 if bad else 0)' "$NIP" me.pub flip.nip
sed 's/^/# /' flips.txt

"$NIP" inspect --files demo.nip >files.txt
same "inspect --files lists every path" \
	"$(grep -E '^[0-7]{4} ' files.txt | awk '{print $4}' | LC_ALL=C sort)" \
	"$( (cd s && find . -mindepth 1 | sed 's|^\./||') | LC_ALL=C sort)"
check "inspect --files shows the symlink and its target" grep -q ' usr/bin/alias -> tool$' files.txt
check "inspect --files shows the hard link" grep -q ' usr/share/doc/x/b => usr/share/doc/x/a$' files.txt
check "inspect shows the name and CID" sh -c 'grep -q "^name: *demo$" "$1" && grep -q "^cid: *$2$" "$1"' \
	sh files.txt "$cid"

# ---- round trip through GNU tar ------------------------------------------------
mkdir out
zstd -dcq demo.nip | tar -xp -C out --exclude=.NIPINFO --exclude=.NIPSIG
check "GNU tar extracts the payload; diff -r finds no difference" diff -r --no-dereference s out
listing() { (cd "$1" && find . -mindepth 1 -printf '%M %p %l\n' | LC_ALL=C sort); }
same "modes, types and symlink targets are preserved" "$(listing out)" "$(listing s)"
same "the hard links are one inode" "$(stat -c %i out/usr/share/doc/x/a)" \
	"$(stat -c %i out/usr/share/doc/x/b)"
same "the long-named hard links are one inode" "$(stat -c %i "out/usr/lib/$long")" \
	"$(stat -c %i out/usr/lib/zlink)"
same "every mtime is SOURCE_DATE_EPOCH" "$(find out -mindepth 1 -printf '%Ts\n' | sort -u)" "$epoch"
same "every owner is 0/0" \
	"$(zstd -dcq demo.nip | tar -tv --numeric-owner | awk '{print $2}' | sort -u)" "0/0"
same "members in order: .NIPINFO, .NIPSIG, then the payload as the manifest lists it" \
	"$(zstd -dcq demo.nip | tar -t | sed 's|/$||')" \
	"$(printf '.NIPINFO\n.NIPSIG\n'; python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["files"]: print(f["path"])' m.json)"

# ---- reproducible ------------------------------------------------------------
# copy_reversed SRC DST: the same tree with every entry made in the opposite
# order (on tmpfs, when there is one, directories then list them in another
# order), hard links made from the other name, other owners and times.
copy_reversed() {
	mkdir "$2"
	: >"$T/inodes"
	(cd "$1" && find . -mindepth 1 -type d | sort -r) | while IFS= read -r p; do
		mkdir -p "$2/$p"
	done
	(cd "$1" && find . -mindepth 1 ! -type d | sort -r) | while IFS= read -r p; do
		if [ -L "$1/$p" ]; then
			ln -s "$(readlink "$1/$p")" "$2/$p"
			continue
		fi
		ino=$(stat -c %i "$1/$p")
		first=$(sed -n "s|^$ino ||p" "$T/inodes")
		if [ -n "$first" ]; then
			ln "$2/$first" "$2/$p"
		else
			cp "$1/$p" "$2/$p"
			echo "$ino $p" >>"$T/inodes"
		fi
		chmod "$(stat -c %a "$1/$p")" "$2/$p"
	done
	(cd "$1" && find . -type d) | while IFS= read -r p; do
		chmod "$(stat -c %a "$1/$p")" "$2/$p"
	done
	find "$2" -exec touch -h -d @1234567890 {} +
	if [ "$(id -u)" = 0 ]; then chown -hR 4242:4242 "$2"; fi
}
shm=$(mktemp -d /dev/shm/nip-e2e.XXXXXX 2>/dev/null) || shm=$T/copy
trap 'rm -rf "$shm"; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
copy_reversed s "$shm/s2"
# shellcheck disable=SC2012
if [ "$(ls -f s/etc | tr '\n' ' ')" = "$(ls -f "$shm/s2/etc" | tr '\n' ' ')" ]; then
	echo "# note: the reversed copy lists its directories in the same order"
fi
check "pack without SOURCE_DATE_EPOCH" pack "" -o n1.nip s
sleep 1
check "pack the reversed copy, a second later" pack "$epoch" -o r2.nip "$shm/s2"
check "pack the tree again, a second later" pack "$epoch" -o r3.nip s
check "pack without SOURCE_DATE_EPOCH again" pack "" -o n2.nip s
rm -rf "$shm"
check "same tree, same SOURCE_DATE_EPOCH, other order, owners, times: same bytes" cmp demo.nip r2.nip
check "same tree packed again later: same bytes" cmp demo.nip r3.nip
same "... and the same CID" "$("$NIP" cid r2.nip)" "$cid"
check "without SOURCE_DATE_EPOCH an unchanged tree packs the same" cmp n1.nip n2.nip
newest=$(find s -mindepth 1 -exec stat -c %Y {} + | sort -n | tail -n 1)
"$NIP" --json inspect n1.nip >n1.json
check "... its SOURCE_DATE_EPOCH is the newest mtime in the tree" \
	json n1.json "d['provenance']['source_date_epoch'] == $newest"

# Big enough for several zstd jobs.
mkdir big && seq 1 3000000 >big/numbers && printf 'x\n' >big/x
for t in 1 2 4; do
	SOURCE_DATE_EPOCH=$epoch "$NIP" pack --key me --name big --version 1 --threads $t \
		-o "t$t.nip" big
done
check "--threads 1 and 2 give the same bytes" cmp t1.nip t2.nip
check "--threads 1 and 4 give the same bytes" cmp t1.nip t4.nip
check "pack --level 19" pack "$epoch" --level 19 -o l19.nip s
same "the CID does not depend on the compression level" "$("$NIP" cid l19.nip)" "$cid"
check "... and it verifies" "$NIP" verify --key me.pub l19.nip
head_of l19.nip h19
check "... its signature binds its own payload frame" \
	grep -qx "trusted comment: nip package demo 1:2.0~rc1-3 x86_64 $cid zst-sha256=$(zst_sha l19.nip)" \
	h19/.NIPSIG
check "... a payload frame other than level 3's" test "$(zst_sha l19.nip)" != "$(zst_sha demo.nip)"

mkdir abs && ln -s /usr/bin/tool abs/t && ln -s / abs/root && mkdir abs/d && ln -s /etc/x abs/d/e
check "pack a tree with absolute symlinks" "$NIP" pack --key me --name abs --version 1 -o abs.nip abs
"$NIP" --json inspect abs.nip >abs.json
check "... stored as relative links to the same place" json abs.json \
	"{f['path']: f.get('target') for f in d['files'] if f['type'] == 'symlink'} == \
{'d/e': '../etc/x', 'root': '.', 't': 'usr/bin/tool'}"

# ---- minisign ------------------------------------------------------------------
check "minisign -V accepts nip's signature of .NIPINFO" \
	minisign -V -p me.pub -m h/.NIPINFO -x h/.NIPSIG
cp "$T/.out" minisign.out
check "... whose trusted comment names the package, its CID and the payload frame's SHA-256" \
	grep -qx "Trusted comment: nip package demo 1:2.0~rc1-3 x86_64 $cid zst-sha256=$(zst_sha demo.nip)" \
	minisign.out
minisign -G -W -p m.pub -s m.key >/dev/null </dev/null
check "nip pack --key with a key made by minisign -G -W" \
	"$NIP" pack --key m.key --name mini --version 1 -o mini.nip small
check "nip verify --key with minisign's public key" "$NIP" verify --key m.pub mini.nip
head_of mini.nip mh
check "... and minisign agrees" minisign -V -p m.pub -m mh/.NIPINFO -x mh/.NIPSIG

# ---- usage errors, help, --json -------------------------------------------------
expect 2 'libc >>>= 2' "malformed --depends: exit 2 naming it" \
	"$NIP" pack --key me --name x --version 1 --depends 'libc >>>= 2' -o x.nip small
expect 2 '--provides' "--provides with '>=' is refused" \
	"$NIP" pack --key me --name x --version 1 --provides 'x >= 1' -o x.nip small
expect 2 '--name' "missing --name: exit 2" "$NIP" pack --key me --version 1 -o x.nip small
expect 2 "'--bogus'" "unknown option: exit 2" "$NIP" pack --bogus small
expect 2 'kind' "unknown --kind: exit 2" \
	"$NIP" pack --key me --name x --version 1 --kind bogus -o x.nip small
expect 2 'threads' "--threads 0: exit 2" \
	"$NIP" pack --key me --name x --version 1 --threads 0 -o x.nip small
expect 2 'SOURCE_DATE_EPOCH' "SOURCE_DATE_EPOCH=yesterday: exit 2" \
	env SOURCE_DATE_EPOCH=yesterday "$NIP" pack --key me --name x --version 1 -o x.nip small
expect 2 '--key' "pack without a key: exit 2" "$NIP" pack --name x --version 1 small
expect 2 'nonexistent' "pack of a missing directory: exit 2" \
	"$NIP" pack --key me --name x --version 1 -o x.nip nonexistent
check "... nothing was written" test ! -e x.nip
# What verify would refuse, pack refuses first (exit 2), naming the field.
a33=$(printf 'a%.0s' $(seq 33))
s4097=$(printf 's%.0s' $(seq 4097))
v65=$(printf 'v%.0s' $(seq 65))
variants=$(for i in $(seq 65); do printf ' --variant v%s' "$i"; done)
for c in "arch:--arch $a33" "summary:--summary $s4097" "license:--license $s4097" \
	"variant:--variant $v65" "sources:--source $s4097" "name:--name $(printf 'n%.0s' $(seq 129))" \
	"version:--version 1.$(printf '0%.0s' $(seq 128))" "variant:$variants"; do
	# shellcheck disable=SC2086 # the options are split on purpose
	expect 2 "${c%%:*}" "pack refuses a reader's limit: ${c%%:*} ($(printf '%s' "${c#*:}" | wc -c) bytes of options)" \
		"$NIP" pack --key me --name lim --version 1 ${c#*:} -o lim.nip small
done
check "... and wrote nothing" test ! -e lim.nip
expect 2 'SOURCE_DATE_EPOCH=8589934592' "SOURCE_DATE_EPOCH past 11 octal digits: exit 2" \
	env SOURCE_DATE_EPOCH=8589934592 "$NIP" pack --key me --name x --version 1 -o x.nip small
for e in 0 8589934591; do
	check "SOURCE_DATE_EPOCH=$e packs" env SOURCE_DATE_EPOCH=$e "$NIP" pack --key me --name e \
		--version 1 -o "e$e.nip" small
	check "... and verifies" "$NIP" verify --key me.pub "e$e.nip"
done
expect 2 'me.pub: Not a directory' "pack of a file instead of a directory: exit 2" \
	"$NIP" pack --key me --name x --version 1 -o x.nip me.pub
expect 3 'me.pub: not a nip package' "verify of a file that is no package: exit 3" \
	"$NIP" verify --key me.pub me.pub
# shellcheck disable=SC2002 # a pipe, not a seekable file
same "verify reads a pipe (one pass, front to back)" \
	"$(cat demo.nip | "$NIP" verify --key me.pub /dev/stdin)" "$cid"
# shellcheck disable=SC2002 # a pipe, not a seekable file
same "cid reads a pipe (the head only)" "$(cat demo.nip | "$NIP" cid /dev/stdin)" "$cid"
check "\$NIP_KEY names the key" env NIP_KEY=me "$NIP" pack --name envkey --version 1 -o envkey.nip small
expect 2 '--key' "verify without --key: exit 2" "$NIP" verify demo.nip
expect 1 'nonexistent\.nip' "verify of a missing file: exit 1" "$NIP" verify --key me.pub nonexistent.nip
expect 2 "unknown command 'frobnicate'" "unknown command: exit 2" "$NIP" frobnicate
expect 2 'key' "key without a subcommand: exit 2" "$NIP" key
# shows CMD...: CMD succeeds and prints usage: on stdout
shows() {
	"$@" >shows.out 2>&1 && grep -q '^usage: nip' shows.out
}
for c in key pack verify inspect cid; do
	check "nip $c --help: exit 0, usage:" shows "$NIP" "$c" --help
	check "nip help $c: exit 0, usage:" shows "$NIP" help "$c"
done
check "nip --help" shows "$NIP" --help
check "nip help: lists the commands" sh -c '"$1" help | grep -q "^  verify "' sh "$NIP"
check "nip --version: nip VERSION" sh -c '"$1" --version | grep -Eqx "nip [0-9]+\.[0-9]+\.[0-9]+.*"' sh "$NIP"
"$NIP" --json --version >v.json
check "--json --version" json v.json "'version' in d"

cp demo.nip second.nip
same "verify several packages: one 'CID  PATH' line each" \
	"$("$NIP" verify --key me.pub demo.nip second.nip)" \
	"$(printf '%s  demo.nip\n%s  second.nip' "$cid" "$cid")"
"$NIP" --json verify --key me.pub demo.nip >v.json
check "verify --json" json v.json "d['packages'][0]['cid'] == '$cid' and \
d['packages'][0]['name'] == 'demo' and d['packages'][0]['signer'] == '$(keyid me.pub)'"
"$NIP" --json cid demo.nip second.nip >c.json
check "cid --json: one document for all packages" json c.json \
	"[(p['path'], p['cid']) for p in d['packages']] == [('demo.nip', '$cid'), ('second.nip', '$cid')]"
pack "$epoch" --json -o j.nip s >p.json
check "pack --json (global option after the command)" json p.json "d['cid'] == '$cid' and d['path'] == 'j.nip'"
head -c 100 demo.nip >cut.nip
"$NIP" --json verify --key me.pub cut.nip >e.json 2>/dev/null
check "an error under --json: {\"error\": ...} on stdout" json e.json \
	"d['error']['exit'] == 3 and 'cut.nip' in d['error']['message']"
"$NIP" --json pack --bogus small >e2.json 2>/dev/null
check "a usage error under --json" json e2.json "d['error']['exit'] == 2 and d['error']['code'] == 'usage'"

# ---- the real encrypted keys (background work) ----------------------------
wait
check "key generate --passphrase-file (real scrypt)" replay kg
check "... 0600, with its .pub" sh -c '[ "$(stat -c %a enc)" = 600 ] && [ -s enc.pub ]'
expect 2 'enc.*encrypted.*--passphrase-file' "... encrypted: without a passphrase or terminal, exit 2" \
	setsid -w "$NIP" pack --key enc --name x --version 1 -o x.nip small </dev/null
check "pack --passphrase-file with it" replay p1
check "... verifies" "$NIP" verify --key enc.pub p1.nip
if [ "$(cat mgen.rc)" = 0 ]; then
	check "an encrypted minisign key (minisign -G, password on stdin), NIP_PASSPHRASE_FILE" \
		replay menc
	check "... verifies" "$NIP" verify --key e.pub e.nip
else
	echo "# minisign -G could not be scripted (exit $(cat mgen.rc)): encrypted minisign key not tested"
	sed 's/^/# /' mgen.out
fi

done_testing
