#!/bin/sh
# Interoperability: tuf-js (the npm registry's TUF client, 3.x) refreshes a
# nip-published track served on loopback and downloads a package; after the
# track is tampered with it must refuse. tuf-js is installed with the
# machine's npm into a cache under the build directory; exit 77 only when
# npm's registry cannot be reached.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "# node and npm are needed (the machine's Node.js 20); not found"
	exit 77
fi
if [ "${SAN:-}" = 1 ]; then cache=$top/build-san/npm-tuf-js; else cache=$top/build/npm-tuf-js; fi
if [ ! -f "$cache/node_modules/tuf-js/package.json" ]; then
	mkdir -p "$cache"
	if ! (cd "$cache" && npm install --no-audit --no-fund --silent tuf-js@3 >"$T/npm.log" 2>&1); then
		if grep -Eq 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network' "$T/npm.log"; then
			echo "# npm's registry is unreachable: cannot install tuf-js ($(tail -n 1 "$T/npm.log"))"
			exit 77
		fi
		fail "npm install tuf-js@3"
		sed 's/^/# /' "$T/npm.log"
		done_testing
		exit 1
	fi
fi
ver=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$cache/node_modules/tuf-js/package.json")
case $ver in 3.*) pass "tuf-js $ver installed" ;; *) fail "tuf-js is $ver, not 3.x" ;; esac

for k in root online pub; do "$NIP" key generate "$T/$k.key" >/dev/null; done
mkdir -p "$T/stage/usr/bin" && printf '#!/bin/sh\necho hello\n' >"$T/stage/usr/bin/hello"
chmod 755 "$T/stage/usr/bin/hello"
"$NIP" pack --key "$T/pub.key" --name hello --version 1.0-1 -o "$T/hello.nip" "$T/stage" >/dev/null
check "track init" "$NIP" track init "$T/track" --root-key "$T/root.key" \
	--online-key "$T/online.key.pub" --publisher "$T/pub.key.pub" --name stable
check "publish" "$NIP" publish --track "$T/track" --online-key "$T/online.key" "$T/hello.nip"

serve "$T/track"

tufjs() { # METADATA_DIR OUT_DIR [TARGET]
	NODE_PATH=$cache/node_modules node "$top/tests/e2e/tuf-js/check.js" "$1" \
		"$T/track/metadata/1.root.json" "$url/metadata" "$url/targets" \
		"${3:-pkgs/hello-1.0-1-x86_64.nip}" "$2"
}

check "tuf-js refreshes the track and downloads the package" tufjs "$T/md1" "$T/out1"
check "tuf-js downloaded the published bytes" cmp "$T/out1/hello-1.0-1-x86_64.nip" "$T/hello.nip"
check "tuf-js finds the index part through the hashed bins" tufjs "$T/md1b" "$T/out1b" \
	"index/$(sed -n 's/.*"\(index\/[0-9a-f]*\)\.json\.zst".*/\1/p' "$T"/track/metadata/*.bin-*.json | head -n 1 | cut -d/ -f2).json.zst"

# Tampered package on the server: its hash no longer matches.
p=$(ls "$T"/track/targets/pkgs/*.hello-1.0-1-x86_64.nip)
cp "$p" "$T/saved"
printf 'X' | dd of="$p" bs=1 seek=200 conv=notrunc 2>/dev/null
if tufjs "$T/md2" "$T/out2" >"$T/o" 2>&1; then fail "tuf-js accepts a tampered package"; else
	pass "tuf-js refuses a tampered package ($(tail -n 1 "$T/o"))"
fi
cp "$T/saved" "$p"

# Tampered metadata: a bin whose bytes differ from what snapshot signed.
bin=$(grep -l 'hello-1.0-1' "$T"/track/metadata/*.bin-*.json)
sed -i 's/"length":[0-9]*/"length":1/' "$bin"
if tufjs "$T/md3" "$T/out3" >"$T/o" 2>&1; then fail "tuf-js accepts a tampered bin"; else
	pass "tuf-js refuses a tampered bin ($(tail -n 1 "$T/o"))"
fi

done_testing
