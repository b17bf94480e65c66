#!/bin/sh
# Regenerates the seed corpus of fuzz_archive from packages nip makes:
# each seed in both modes (whole file; manifest + raw payload).
#   NIP=build/bin/nip tests/fuzz/make-archive-seeds.sh
set -eu
: "${NIP:?}"
out=$(cd "$(dirname "$0")" && pwd)/corpus/archive
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$out" "$W/a/bin" "$W/a/share/doc" "$W/b" "$W/c/d/e"
"$NIP" key generate "$W/k"
printf 'hello\n' >"$W/a/bin/hello"
chmod 755 "$W/a/bin/hello"
ln "$W/a/bin/hello" "$W/a/bin/hello2"
ln -s hello "$W/a/bin/hi"
: >"$W/a/share/doc/empty"
long=$(printf 'x%.0s' $(seq 1 140))
printf 'long\n' >"$W/c/d/e/$long"
ln -s "../../$(printf 'y%.0s' $(seq 1 120))" "$W/c/d/e/l"
export SOURCE_DATE_EPOCH=1700000000
for t in a b c; do
	"$NIP" pack --key "$W/k" --name "seed-$t" --version 1.0-1 --depends 'libc >= 2.36 | musl' \
		-o "$W/$t.nip" "$W/$t"
	python3 - "$W/$t.nip" "$out/$t" <<'PY'
import struct, subprocess, sys
raw = open(sys.argv[1], 'rb').read()
tar = subprocess.run(['zstd', '-dcq'], input=raw, capture_output=True, check=True).stdout
pad = lambda n: (512 - n % 512) % 512
msize = int(tar[124:135], 8)
manifest = tar[512:512 + msize]
off = 512 + msize + pad(msize)
ssize = int(tar[off + 124:off + 135], 8)
payload = tar[off + 512 + ssize + pad(ssize):]
open(sys.argv[2] + '-file', 'wb').write(b'\0' + raw)
open(sys.argv[2] + '-parts', 'wb').write(b'\1' + struct.pack('<I', len(manifest)) + manifest + payload)
PY
done
