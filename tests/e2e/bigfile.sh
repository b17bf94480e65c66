#!/bin/sh
# A file over 4 GiB through pack and verify, its size and SHA-256 in the
# manifest checked against the file; and a 200 MiB file of zeros, which
# compresses far past the ratio cap and verifies. Timings go to TAP comments
# only.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$top/tests/e2e/lib.sh"

unset SOURCE_DATE_EPOCH NIP_KEY NIP_PASSPHRASE_FILE
# The file, the payload nip compresses into a temporary file beside the
# output, and the package it copies that into: three times the size at peak.
# On tmpfs when memory allows (the disk here writes ~250 MB/s, which would
# make this test a minute long), else in the test's directory.
need_kib=$((13 * 1024 * 1024))
avail_kib() { df -Pk "$1" | awk 'NR == 2 {print $4}'; }
mem_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null)
base=${NIP_BIGFILE_DIR:-}
if [ -z "$base" ] && [ -d /dev/shm ] && [ "${mem_kib:-0}" -gt $((need_kib + 4 * 1024 * 1024)) ] &&
	[ "$(avail_kib /dev/shm)" -gt "$need_kib" ]; then
	base=/dev/shm
fi
W=$T
if [ -n "$base" ] && W=$(mktemp -d "$base/nip-e2e.XXXXXX"); then
	trap 'rm -rf "$W"; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
else
	W=$T
fi
if [ "$(avail_kib "$W")" -lt "$need_kib" ]; then
	echo "needs 13 GiB free in $W for a 4 GiB file, has $(($(avail_kib "$W") / 1048576)) GiB"
	exit 77
fi
echo "# working in $W"
cd "$W" || exit 1

now() { date +%s.%N; }
took() { echo "# $1: $(echo "$2 $(now)" | awk '{printf "%.1f", $2 - $1}') s"; }

"$NIP" key generate k || { echo "Bail out! nip key generate failed"; exit 1; }

# ---- a file of zeros ------------------------------------------------------------
# 200 MiB of zeros pack into ~7 KiB, a ratio of ~28000:1. The reader caps the
# ratio at 1024:1 (after 16 MiB) only until the signature is verified: from
# then on the signed sizes bound the output (tests/attacks/package.sh checks
# the cap on a head that is no package's, and a signed manifest whose stream
# ends early). So what pack makes, verify accepts.
mkdir zero && head -c 200M /dev/zero >zero/zeros
check "pack a 200 MiB file of zeros" "$NIP" pack --key k --name zero --version 1 -o zero.nip zero
echo "# 200 MiB of zeros packed into $(stat -c %s zero.nip) bytes"
check "... it verifies, far past the ratio cap: the signed sizes bound it" \
	"$NIP" verify --key k.pub zero.nip
check "... and inspect reads it" "$NIP" inspect zero.nip
rm -rf zero zero.nip

# ---- over 4 GiB ----------------------------------------------------------------
# An 8 MiB random block repeated, and 1 MiB more: zstd's 2-8 MiB windows
# find no repeat, so it compresses about 1:1 and the ratio cap stays away.
mib=${NIP_BIGFILE_MIB:-4097}
mkdir big
t=$(now)
sum=$(python3 - big/big "$mib" <<'PY'
import hashlib, os, sys
path, mib = sys.argv[1], int(sys.argv[2])
block, h = os.urandom(8 << 20), hashlib.sha256()
with open(path, "wb") as f:
    for _ in range(mib // 8):
        f.write(block)
        h.update(block)
    tail = os.urandom((mib % 8) << 20)
    f.write(tail)
    h.update(tail)
print(h.hexdigest())
PY
) || { echo "Bail out! could not write the big file"; exit 1; }
took "writing and hashing the $mib MiB file" "$t"
size=$(stat -c %s big/big)

t=$(now)
check "pack a $mib MiB file" "$NIP" pack --key k --name big --version 1 -o big.nip big
took "pack" "$t"
echo "# package: $(stat -c %s big.nip) bytes for $size"
rm -f big/big
t=$(now)
check "verify it" "$NIP" verify --key k.pub big.nip
took "verify" "$t"
cid=$(cat "$T/.out")
same "nip cid agrees" "$("$NIP" cid big.nip)" "$cid"
"$NIP" --json inspect big.nip >m.json
check "the manifest's size and SHA-256 are the file's" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
sys.exit(not (f["path"] == "big" and f["size"] == int(sys.argv[2]) and f["sha256"] == sys.argv[3]))' \
	m.json "$size" "$sum"

done_testing
