#!/bin/sh
# Hostile packages: each must be refused with exit 3 and one clean error
# line naming the problem. tests/attacks/hostile.py writes them with an
# independent encoder of the format (tests/attacks/nipformat.py; checked
# first: its baseline is the very file nip writes, byte for byte: raw head
# frame, signature and its binding of the payload frame, payload frame),
# signed by minisign with a key made by `minisign -G -W`, so each case
# differs from a valid package by exactly its defect. Then the staged trees
# that `nip pack` must refuse, and leave no file behind.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$top/tests/e2e/lib.sh"

epoch=1700000000
unset SOURCE_DATE_EPOCH NIP_KEY NIP_PASSPHRASE_FILE
die() {
	echo "Bail out! $*"
	exit 1
}
# minisign writes the key id without leading zeros; nip prints all 16 digits
keyid() { sed -n '1s/.* \([0-9A-F]\{1,16\}\)$/000000000000000\1/p' "$1" | sed 's/.*\(.\{16\}\)$/\1/'; }

minisign -G -W -p m.pub -s m.key >/dev/null </dev/null || die "minisign -G -W failed"
for k in other third; do "$NIP" key generate $k || die "nip key generate failed"; done
me=$(keyid m.pub) other=$(keyid other.pub)

# The baseline tree: a directory and an executable, a file and its hard
# link, a symlink, a 141-byte path and a 120-byte symlink target (pax).
mkdir -p s/bin s/etc s/share/long
printf '#!/bin/sh\necho tool\n' >s/bin/tool
chmod 755 s/bin/tool
printf 'x=1\n' >s/etc/conf
ln s/etc/conf s/etc/conf2
ln -s ../etc s/share/doc
printf 'long\n' >"s/share/long/$(printf 'n%.0s' $(seq 130))"
ln -s "../../$(printf 'y%.0s' $(seq 114))" s/share/long/link
SOURCE_DATE_EPOCH=$epoch "$NIP" pack --key m.key --name hostile --version 1.0 \
	--arch x86_64 -o ref.nip s || die "nip pack of the baseline tree failed"

start=$(date +%s)
python3 "$top/tests/attacks/hostile.py" --tree s --key m.key --pub m.pub --epoch $epoch \
	--name hostile --version 1.0 --arch x86_64 --nip ref.nip --out c >cases ||
	die "hostile.py failed"
echo "# hostile.py wrote $(wc -l <cases) cases in $(($(date +%s) - start)) s"

zstd -dcq ref.nip >ref.tar
zstd -dcq c/baseline.nip >baseline.tar
check "nipformat.py's baseline is the tar stream nip writes, signature included" \
	cmp ref.tar baseline.tar
check "... and the very file: raw head frame, trusted comment, payload frame" \
	cmp ref.nip c/baseline.nip
check "the baseline verifies" "$NIP" verify --key m.pub c/baseline.nip

# clean DESC: after expect passed, its error line holds no control character
# (hostile bytes must not reach a terminal: escape sequences, forged lines).
clean() {
	if [ "$failed" = "$f0" ] && LC_ALL=C grep -aq '[[:cntrl:]]' "$T/.err1"; then
		fail "$1: control characters in the message"
		LC_ALL=C sed -n 'l 1000' "$T/.err1" | sed 's/^/# /'
	fi
}

# bad CASE PATTERN DESC: verify refuses c/CASE.nip with exit 3, one clean
# error line matching PATTERN, and prints no CID.
bad() {
	f0=$failed
	expect 3 "$2" "$3" timeout 60 "$NIP" verify --key m.pub "c/$1.nip"
	clean "$3"
	if [ "$failed" = "$f0" ] && [ -s "$T/.out" ]; then fail "$3: printed on stdout"; fi
}
good() { check "$2" "$NIP" verify --key m.pub "c/$1.nip"; }

# --- keys and signatures ---------------------------------------------------
expect 3 "signed by key $me, not by the trusted key $other" \
	"wrong key: names both key ids" "$NIP" verify --key other.pub ref.nip
expect 3 "signed by key $me, which is not trusted" \
	"no trusted key among several: names the signer" \
	"$NIP" verify --key other.pub --key third.pub ref.nip
check "the right key among several is found by its id" \
	"$NIP" verify --key other.pub --key m.pub ref.nip
expect 3 "signed by key $me, not by the trusted key $other" \
	"inspect --key with the wrong key" "$NIP" inspect --key other.pub ref.nip
expect 3 "signed by key $me, not by the trusted key $other" \
	"cid --key with the wrong key" "$NIP" cid --key other.pub ref.nip
# other's public key relabelled with the signer's key id: chosen by id, it
# must still fail on the signature.
python3 - other.pub m.pub forged.pub <<'PY'
import base64, sys
other, signer, out = sys.argv[1:4]
o = bytearray(base64.b64decode(open(other).read().splitlines()[1]))
s = base64.b64decode(open(signer).read().splitlines()[1])
o[2:10] = s[2:10]
open(out, "w").write(open(signer).read().splitlines()[0] + "\n" + base64.b64encode(bytes(o)).decode() + "\n")
PY
expect 3 "signature by key $me does not match" "a key with the signer's id but another public key" \
	"$NIP" verify --key forged.pub ref.nip
bad flip-manifest 'does not match the signed data' "manifest changed after signing"
bad flip-signature 'does not match the signed data' "flipped bit in the signature"
bad flip-global-sig 'trusted comment' "flipped bit in the trusted-comment signature"
bad swapped-sig 'does not match the signed data' \
	"valid signature by the same key over another manifest"
bad wrong-trusted-comment 'NIPSIG: trusted comment does not name this manifest' \
	"validly signed trusted comment naming another package"
bad wrong-untrusted-comment 'untrusted comment' "foreign untrusted comment"
bad legacy-sig 'legacy' "legacy unhashed signature (minisign -l)"
bad builder-key-mismatch 'builder key 0123456789ABCDEF' \
	"manifest names another builder key than its signer"
bad sig-extra-line 'more than 4 lines' "a fifth line in .NIPSIG"
bad sig-crlf 'NIPSIG.*0x0d' ".NIPSIG with CRLF line ends"
bad sig-no-final-newline 'NIPSIG: not in canonical form' ".NIPSIG without its final newline"
bad unsigned 'NIPSIG.*empty' "empty .NIPSIG"

# --- the zstd layer ----------------------------------------------------------
bad empty-file 'not a nip package \(empty file\)' "empty file"
bad trunc-head-header 'truncated \(in a zstd frame header\)' "cut inside the first frame header"
bad trunc-head 'truncated \(in a zstd frame\)' "cut inside the head frame"
bad trunc-boundary 'bin: truncated$' "cut between the head and payload frames"
bad trunc-payload 'truncated \(in a zstd frame\)' "cut inside the payload frame"
bad trunc-last-byte 'truncated \(in a zstd frame\)' "last byte cut"
# The middle of the head frame is a manifest byte, stored as is.
bad flip-head-raw "signature by key $me does not match the signed data" \
	"flipped bit in the raw head frame (a manifest byte)"
bad flip-payload-raw 'corrupt compressed data' "flipped bit in the payload frame"
bad flip-last-byte "corrupt compressed data: Restored data doesn't match checksum" \
	"flipped bit in the last byte (the frame checksum)"
bad trailing-garbage 'data after the last zstd frame' "garbage after the last frame"
bad trailing-zeros 'data after the last zstd frame' "zero bytes after the last frame"
bad third-frame 'data after the end of the archive' "a third frame of zeros"
# An empty frame decompresses to nothing: only the frame count stops it
# when the signature binds it too.
bad third-frame-empty '3 zstd frames where a \.nip has 2' "a third, empty zstd frame"
bad third-frame-empty-signed '3 zstd frames where a \.nip has 2' \
	"a third, empty zstd frame, bound by the signature"
bad skippable-first 'skippable zstd frame' "skippable frame before the head"
bad skippable-between 'skippable zstd frame' "skippable frame between head and payload"
bad skippable-end 'skippable zstd frame' "skippable frame at the end"
bad nocheck-payload 'zstd frame without a checksum' "payload frame without checksum"
bad big-window 'zstd window of 268435456 bytes exceeds the limit of 134217728' \
	"2^28 window (over the 2^27 cap)"
bad dict-frame 'zstd frame needs a dictionary' "frame that needs a dictionary"
# The format is two frames; other framings of the same tar are other bytes
# for the same package.
bad one-frame 'first zstd frame must end after \.NIPSIG' "head and payload in one frame"
bad split-payload '3 zstd frames where a \.nip has 2' \
	"payload split into two frames (both bound by the signature)"
# The head frame carries the signature, so no signature covers its
# encoding: it has exactly one, raw blocks of 128 KiB, which the reader
# rebuilds from the head and compares. Each case is another valid zstd
# encoding of the same head; m-deep (below) is a valid head of 33 blocks.
for c in "head-compressed:compressed (with a checksum) instead of raw" \
	"nocheck-head:compressed without a checksum" \
	"head-checksum:raw, with a content checksum" \
	"head-split:raw, split in two blocks at 1 KiB" \
	"head-64k-blocks:raw in blocks of 64 KiB (m-deep's 4 MiB head)" \
	"head-empty-last:raw, then an empty last block" \
	"head-rle:raw, with its final zeros as an RLE block" \
	"head-content-size:raw, with a Frame_Content_Size field" \
	"head-window:raw, with a 256 KiB window"; do
	bad "${c%%:*}" 'the head frame is not in canonical form \(tar headers or raw zstd blocks\)' \
		"head frame ${c#*:}"
done
good head-whole-blocks "a head tar of exactly two 128 KiB blocks: the second full, flagged last"
# The payload frame's compressed bytes are bound by their SHA-256 in the
# signed trusted comment ("... CID zst-sha256=HEX").
bad payload-flip-benign "the payload frame's compressed bytes do not match the signature" \
	"a bit of compressed data flipped that decompresses to the same bytes"
good payload-flip-benign-signed "... the same frame, signed as it is, verifies"
bad tc-zst-sha-wrong "the payload frame's compressed bytes do not match the signature" \
	"trusted comment with the hash of the decompressed payload"
bad tc-no-zst 'NIPSIG: trusted comment lacks the payload frame.s hash' \
	"trusted comment without zst-sha256 (names only the package and CID)"
for c in "tc-zst-size:a zst-size field after the hash" "tc-zst-sha-short:63 hex digits" \
	"tc-zst-upper-hex:upper-case hex"; do
	bad "${c%%:*}" "NIPSIG: trusted comment lacks the payload frame's hash" \
		"trusted comment: ${c#*:}"
done

# --- metadata members ----------------------------------------------------
bad head-mtime 'the head frame is not in canonical form \(tar headers or raw zstd blocks\)' ".NIPINFO header with another mtime"
bad head-order 'expected member \.NIPINFO' ".NIPSIG before .NIPINFO"
bad head-typeflag "\.NIPINFO: must be a regular file \(tar type '0', not 0x37\)" \
	".NIPINFO as a contiguous file (typeflag 7): names the type"
bad head-size-base256 'NIPINFO: malformed size field' ".NIPINFO size in base-256"
bad head-extra-member 'first zstd frame must end after \.NIPSIG' "a third member in the head frame"
bad manifest-too-big 'NIPINFO.*exceeds the limit' ".NIPINFO claiming 100 MiB"

# --- payload members against the manifest ------------------------------------
bad hdr-mtime 'etc/conf: archive header differs' "member header: only the mtime differs"
bad hdr-uid 'etc/conf: archive header differs' "member header: only the uid differs"
bad hdr-mode 'etc/conf: archive header differs' "member header: setuid mode"
bad hdr-nul-name 'etc/conf: archive header differs' \
	"member name with a NUL and more bytes (tar header only)"
bad hdr-dotdot "found member '\.\./etc/conf'" "member header named ../etc/conf"
bad hdr-extra-pax "expected member 'etc/conf'" "extra pax record (uid)"
bad hdr-pax-path "expected member 'etc/conf'" "pax path record renaming a member"
bad hdr-pax-long "found member '\.\./\.\./" "long name's pax path pointing outside"
bad hdr-gnu-longname 'LongLink' "GNU ././@LongLink header instead of pax"
bad hdr-symlink-target 'share/doc: archive header differs' "symlink retargeted in the header"
bad member-extra-end "'zzz' is not in the manifest" "member not in the manifest (at the end)"
bad member-extra-middle "found member 'etc/evil'" "member not in the manifest (inside)"
bad member-missing "expected member 'etc/conf'" "member missing"
bad member-missing-last 'share/long/n+: truncated$' \
	"last member missing (its pax header is longer than the end blocks)"
bad member-dup "found member 'etc/conf'" "member duplicated"
bad member-order "expected member 'etc/conf', found member 'etc/conf2'" "members out of order"
bad flip-payload 'etc/conf: content does not match' "payload byte changed (recompressed)"
bad flip-padding 'etc/conf: non-zero padding' "non-zero padding after a member"
bad flip-end-block 'end of the archive' "non-zero byte in the end-of-archive blocks"
bad short-end 'end of archive: truncated' "one end-of-archive block instead of two"
bad extra-end 'after the end of the archive' "three end-of-archive blocks"
bad m-size-lie 'etc/conf: content does not match' "manifest size one byte more"
bad m-hash-lie 'etc/conf: content does not match' "manifest hash of other content"

# --- signed manifests that break the rules -------------------------------------
bad m-dotdot "etc/\.\./evil: '\.' or '\.\.' in path" "path with .."
bad m-dotdot-lead "\.\./evil: '\.' or '\.\.' in path" "path starting with .."
bad m-absolute '/etc/evil: absolute path' "absolute path"
bad m-empty-component 'empty path component' "empty path component"
bad m-long-path '"path": too long' "path over 4096 bytes"
bad m-long-component 'component too long' "path component over 255 bytes"
bad m-control-char 'control character' "escape sequence in a path"
bad m-nul-path 'u0000|NUL' "NUL in a manifest path"
bad m-newline-path 'control character' "newline in a path (a forged second line)"
# C1 controls (U+0080 to U+009F) are controls too: U+009B is CSI.
expect 3 'etc/a.*b: control character' "a C1 control (U+009B, CSI) in a path" \
	"$NIP" verify --key m.pub c/m-c1-path.nip
expect 3 'etc/a.*b: (control character|setuid bit not allowed)' \
	"the same path with a setuid bit: refused, naming it" "$NIP" verify --key m.pub c/m-c1-setuid.nip
# shellcheck disable=SC2016 # sh -c's script expands its own "$1"
check "... in a line without C1 controls" \
	sh -c '! LC_ALL=C grep -aq "$(printf "\302[\200-\237]")" "$1"' sh "$T/.err1"
bad m-ctl-target 'control character' "escape sequence in a symlink target"
bad m-ctl-field 'unknown field' "escape sequence in an unknown field's name"
bad m-ctl-name 'NIPSIG: signature: line 3: control character 0x1b' \
	"escape sequence in the package name (so in the trusted comment)"
bad m-ctl-relation 'control character' "escape sequence in a relation"
good m-deep "2048 nested directories (a 4095-byte path) are legal; a head frame of 33 raw blocks"
bad m-long-ctl 'control character' \
	"4000-byte path with an escape byte at its end: the message keeps its reason"
bad m-dot "'\.' or '\.\.' in path" "the path ."
bad m-trailing-slash "etc/evil/: trailing '/'" "path with a trailing /"
bad m-mode-big '"mode": expected an integer in \[0, 4095\]' "mode 010644"
bad m-symlink-dotdot-top 'a -> \.\.: symlink target leaves the package' "top-level symlink to .."
bad m-hardlink-mode 'etc/conf2: hard link mode differs' "hard link with another mode than its file"
bad m-hardlink-chain 'etc/conf3: hard link target etc/conf2 is not a regular file' \
	"hard link to a hard link"
bad m-reserved '\.NIPINFO: reserved name' "payload member named .NIPINFO"
bad m-no-parent 'nodir/evil: its parent directory' "member without its directory"
bad m-through-symlink 'share/doc/evil: its parent directory' "member below a symlink"
bad m-dup 'etc/conf: listed twice' "path listed twice"
bad m-order 'share/doc: out of order' "paths out of order"
bad m-symlink-up 'etc/evil -> \.\./\.\./etc/passwd: symlink target leaves the package' \
	"symlink ../../etc/passwd at depth 1"
bad m-symlink-abs 'etc/evil -> /etc/passwd: absolute symlink target' \
	"symlink to an absolute target"
bad m-symlink-mid-dotdot "etc/evil -> x/\.\./" "symlink with .. after its start"
bad m-symlink-mode 'symlink mode' "symlink with mode 0755"
bad m-hardlink-outside 'hard link target /etc/passwd' "hard link to /etc/passwd"
bad m-hardlink-dotdot 'hard link target \.\./etc/passwd' "hard link to ../etc/passwd"
bad m-hardlink-later 'bin/evil: hard link target etc/conf is not a regular file earlier' \
	"hard link to a file later in the package"
bad m-hardlink-to-dir 'hard link target bin is not a regular file' "hard link to a directory"
bad m-char-device 'etc/mem: device node not allowed' "character device without policy"
bad m-block-device 'etc/sda: device node not allowed' "block device without policy"
bad m-fifo 'etc/pipe: FIFO not allowed' "FIFO without policy"
good m-char-device-allowed "character device allowed by 'allow device /etc/null'"
bad m-setuid 'bin/tool: setuid bit not allowed' "setuid file without policy"
good m-setuid-allowed "setuid file allowed by 'allow setuid /bin/tool'"
bad m-setuid-other-path 'bin/tool: setuid bit not allowed' \
	"setuid file, policy allowing another path"
bad m-setgid 'bin/tool: setgid bit not allowed' "setgid file, policy allowing setuid only"
bad m-hardlink-setuid 'bin/zz: setuid bit not allowed' \
	"setuid hard link to an allowed setuid file"
bad m-sticky-file 'etc/conf: sticky bit' "sticky bit on a file"
bad m-unknown-field 'unknown field "zzz_extra"' "unknown top-level field"
bad m-unknown-file-field 'files\[0\]: unknown field "owner"' "unknown field in a file entry"
bad m-missing-field 'missing field "license"' "missing field"
bad m-string-mode 'files\[0\]: "mode": expected an integer' "mode as a string"
bad m-float-size '"size": expected an integer' "size as a float"
bad m-format2 'format 2 is not supported' "unknown format version"
bad m-bad-root 'payload_root' "payload root not matching the files"
bad m-upper-hash 'sha256 is not 64 lower-case' "upper-case hash"
bad m-duplicate-key 'duplicate' "duplicate JSON key"
bad m-space 'not in canonical form' "extra space in the JSON"
bad m-trailing-newline 'not in canonical form' "newline after the JSON"
bad m-unsorted-keys 'not in canonical form' "keys not sorted"
bad m-escaped-slash 'not in canonical form' "escaped slash"
bad m-unicode-escape 'not in canonical form' "needless \\u escape"
bad m-not-json 'invalid JSON' "not JSON"
bad m-relation-noncanonical '"libc>=2\.36" is not canonical' "relation not in canonical form"
bad m-relation-bad 'libc >>>= 2' "malformed relation"
bad m-relation-unsorted 'depends: not sorted' "relations not sorted"
bad m-bad-name 'name "Evil' "package name with / and .."
bad m-too-many-files-total 'payload exceeds' "two 40 GiB files: over the payload cap"
start=$(date +%s)
bad m-bomb-100g '"size": expected an integer' "zstd bomb claiming a 100 GiB file: size cap"
# Signed by the trusted key, the sizes are the signer's word (nip lifts the
# ratio cap after the signature: the signed sizes bound the output), so the
# read goes on to the stream's end, after 256 MiB of zeros.
bad m-bomb-60g 'etc/zero: truncated$' \
	"zstd bomb of a 60 GiB zero file, signed: truncated where the stream ends"
bad head-bomb '\.NIPINFO: compression ratio exceeds 1024:1' \
	"zstd bomb before the signature (60 MiB .NIPINFO): ratio cap"
echo "# the bombs took $(($(date +%s) - start)) s"

# Reading only the head (inspect, cid) parses the manifest just as strictly.
for c in m-symlink-up m-duplicate-key legacy-sig; do
	expect 3 . "inspect refuses $c" "$NIP" inspect "c/$c.nip"
	expect 3 . "cid refuses $c" "$NIP" cid "c/$c.nip"
done

# --- staged trees that nip pack refuses ----------------------------------------
# nopack CODE PATTERN DESC TREE [PACK OPTIONS]: refused, and no file appears.
nopack() {
	code=$1 pat=$2 desc=$3 tree=$4
	shift 4
	rm -rf out && mkdir out
	f0=$failed
	expect "$code" "$pat" "$desc" "$NIP" pack --key m.key --name x --version 1 "$@" \
		-o out/x.nip "$tree"
	clean "$desc"
	if [ "$failed" = "$f0" ] && [ -n "$(ls -A out)" ]; then
		fail "$desc: left $(ls -A out) behind"
	fi
}

mkdir -p su/bin && printf 'x' >su/bin/x && chmod 4755 su/bin/x
nopack 7 'bin/x: setuid bit refused' "pack: setuid file refused (exit 7)" su
printf 'allow setuid /bin/x\n' >setuid.policy
rm -rf out && mkdir out
check "pack: setuid file with --policy 'allow setuid /bin/x'" \
	"$NIP" pack --key m.key --name x --version 1 --policy setuid.policy -o out/x.nip su
check "... and it verifies" "$NIP" verify --key m.pub out/x.nip
"$NIP" --json inspect out/x.nip >su.json
check "... keeping mode 4755" python3 -c '
import json, sys
f = [f for f in json.load(open(sys.argv[1]))["files"] if f["path"] == "bin/x"]
sys.exit(f[0]["mode"] != 0o4755)' su.json
chmod 6755 su/bin/x
nopack 7 'setgid' "pack: setuid+setgid file, policy allowing setuid only: names setgid" \
	su --policy setuid.policy
mkdir -p sg/bin && printf 'x' >sg/bin/x && chmod 2755 sg/bin/x
nopack 7 'bin/x: setgid bit refused' "pack: setgid file refused (exit 7)" sg

mkdir fifo && mkfifo fifo/p
nopack 7 'p: FIFO refused' "pack: FIFO refused (exit 7)" fifo
mkdir sock && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock/s")'
nopack 2 's: sockets cannot be packaged' "pack: socket refused (exit 2)" sock
mkdir dev
if mknod dev/null c 1 3 2>/dev/null; then
	nopack 7 'null: device node refused' "pack: device node refused (exit 7)" dev
else
	echo "# no mknod here (not root?): device node at pack time not tested"
fi
mkdir -p esc/a && ln -s ../../etc/passwd esc/a/l
nopack 2 'a/l -> \.\./\.\./etc/passwd: symlink target leaves the package' \
	"pack: symlink escaping the tree refused (exit 2)" esc
mkdir nl && : >"nl/$(printf 'a\nb')"
nopack 2 'control character' "pack: file name with a newline: refused on one line" nl
mkdir utf && : >"utf/$(printf 'a\377b')"
nopack 2 'UTF-8' "pack: file name that is not UTF-8: refused, naming it (exit 2)" utf
x250=$(printf 'x%.0s' $(seq 250))
mkdir -p "long/$(for _ in $(seq 17); do printf '%s/' "$x250"; done)"
nopack 2 'longer than 4096' "pack: a path over 4096 bytes: refused (exit 2), the reason kept" long
mkdir rsv && : >rsv/.NIPINFO
nopack 2 '\.NIPINFO: reserved name' "pack: a file named .NIPINFO refused (exit 2)" rsv

done_testing
