#!/bin/sh
# A one-package change on a large system: install, then remove, a package
# of one file on a root of N packages (default 400) made from directories
# of this machine (files over 64 KiB left out), against dpkg doing the same
# (`dpkg -i`, `dpkg -r`) on an --instdir holding the same packages as
# .debs. Each nip transaction makes a generation (a deployment of the
# whole system) and collects the one past the keep policy.
#
#   NIP=build/bin/nip [N=400] tests/bench/bench_small_change.sh
set -eu
: "${NIP:?}"
N=${N:-400}
RUNS=${RUNS:-10}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench.XXXXXX")
trap 'chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"' EXIT
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine"; exit 1; }
export SOURCE_DATE_EPOCH=1700000000
"$NIP" key generate "$W/k" >/dev/null
mkdir -p "$W/d/var/lib/dpkg/info" "$W/d/var/lib/dpkg/updates"
touch "$W/d/var/lib/dpkg/status"
dpkg="dpkg --force-not-root --force-script-chrootless --instdir=$W/d --admindir=$W/d/var/lib/dpkg"
mkdeb() { # NAME DIR
	mkdir -p "$2/DEBIAN"
	printf 'Package: %s\nVersion: 1\nArchitecture: all\nMaintainer: bench <b@localhost>\nDescription: bench\n' \
		"$1" >"$2/DEBIAN/control"
	dpkg-deb -b "$2" "$W/$1.deb" >/dev/null
	rm -rf "$2/DEBIAN"
}
i=0
for d in $(find /usr/share /usr/lib /usr/include -mindepth 2 -maxdepth 3 -type d 2>/dev/null | sort); do
	c=$(find "$d" -type f 2>/dev/null | wc -l)
	[ "$c" -ge 40 ] && [ "$c" -le 2000 ] || continue
	i=$((i + 1))
	mkdir -p "$W/src/p$i/usr/p$i"
	cp -a "$d" "$W/src/p$i/usr/p$i/" 2>/dev/null || true
	find "$W/src/p$i" -type f -size +64k -delete
	"$NIP" pack --key "$W/k" --name "p$i" --version 1 -o "$W/p$i.nip" "$W/src/p$i" >/dev/null
	mkdeb "p$i" "$W/src/p$i"
	[ "$i" -lt "$N" ] || break
done
mkdir -p "$W/src/extra/usr/share/extra" && echo x >"$W/src/extra/usr/share/extra/x"
"$NIP" pack --key "$W/k" --name extra --version 1 -o "$W/extra.nip" "$W/src/extra" >/dev/null
mkdeb extra "$W/src/extra"
files=$(find "$W/src" -type f | wc -l)
"$NIP" --root "$W/r" trust add "$W/k.pub"
"$NIP" --root "$W/r" install "$W"/p*.nip
# shellcheck disable=SC2086 # $dpkg holds its options
$dpkg --unpack "$W"/p*.deb >/dev/null 2>&1
# Three transactions first, so that every timed one drops a generation.
for _ in 1 2; do "$NIP" --root "$W/r" install "$W/extra.nip" && "$NIP" --root "$W/r" remove extra; done
hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$W/h.json" \
	"sh -c '$NIP --root $W/r install $W/extra.nip && $NIP --root $W/r remove extra'" \
	"sh -c '$dpkg -i $W/extra.deb >/dev/null && $dpkg -r extra >/dev/null'" >/dev/null
python3 - "$W/h.json" "$i" "$files" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
nip, dpkg = r[0]["median"], r[1]["median"]
print(f"System: {sys.argv[2]} packages, {sys.argv[3]} files; install + remove of a one-file package, median of {len(r[0]['times'])}:")
print(f"| nip install + remove | {nip * 1000:.0f} ms | dpkg -i + dpkg -r | {dpkg * 1000:.0f} ms | ratio {nip / dpkg:.2f} |")
EOF
