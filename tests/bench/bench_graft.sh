#!/bin/sh
# Grafting python3's closure (real .debs from Debian's archive, cached under
# build/debs) and installing it into an empty root, against Debian's and
# Arch's own tools on the same files in the same run:
#   dpkg --unpack of the same .debs (maintainer scripts removed, so that
#     dpkg runs none: it would run preinst on the host) into a fresh
#     --instdir; dpkg fsyncs every file;
#   pacman -U --root of the same files packed with makepkg (one package per
#     .deb); pacman fsyncs nothing, so it is also timed followed by sync;
#   nip install flushes its objects with one syncfs before it commits.
# One run each (the machine is shared), each into a fresh journaled ext4 on
# a loop device when run as root, else a fresh directory.
#   NIP=build/bin/nip tests/bench/bench_graft.sh
set -eu
: "${NIP:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${NIP_DEB_CACHE:-$(cd "$(dirname "$NIP")/.." && pwd)/debs}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/nip-bench-graft.XXXXXX")
M=$W/mnt
trap 'umount "$M" 2>/dev/null || true; rm -rf "$W"' EXIT INT TERM
# shellcheck source=tests/debcache.sh
. "$top/tests/debcache.sh"
debcache_python3 "$CACHE" || exit 77
debs=$CACHE/python3
n=$(find "$debs" -name '*.deb' | wc -l)
mkdir -p "$M"

now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null && truncate -s 2G "$W/fs.img" &&
	mkfs.ext4 -q -F "$W/fs.img" && mount -o loop "$W/fs.img" "$M" && umount "$M"; then
	fs="a fresh journaled ext4 (loop device) per run"
	fresh() { umount "$M" 2>/dev/null || true; mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$W/fs.img" &&
		mount -o loop "$W/fs.img" "$M" && mkdir "$M/t" && sync; }
else
	fs="a fresh directory per run"
	fresh() { rm -rf "$M/t" && mkdir "$M/t" && sync; }
fi

# ---- inputs for the peers (not timed) ----------------------------------------
mkdir "$W/plain" "$W/x" "$W/pkgs" "$W/build"
for d in "$debs"/*.deb; do
	b=$(basename "$d")
	rm -rf "$W/x/p" && dpkg-deb -R "$d" "$W/x/p"
	rm -f "$W/x/p/DEBIAN/preinst" "$W/x/p/DEBIAN/postinst" "$W/x/p/DEBIAN/prerm" "$W/x/p/DEBIAN/postrm" "$W/x/p/DEBIAN/config"
	dpkg-deb -b "$W/x/p" "$W/plain/$b" >/dev/null
done
user=nipmakepkg
id "$user" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$user"
chmod 755 "$W"
for d in "$debs"/*.deb; do
	name=$(dpkg-deb -f "$d" Package)
	mkdir -p "$W/build/$name/data"
	dpkg-deb -x "$d" "$W/build/$name/data"
	cat >"$W/build/$name/PKGBUILD" <<PKGBUILD
pkgname=$name
pkgver=1
pkgrel=1
pkgdesc=bench
arch=('x86_64')
options=('!strip' '!zipman' '!purge' '!debug' '!emptydirs' '!libtool' '!staticlibs')
package() { cp -a "$W/build/$name/data/." "\$pkgdir/"; }
PKGBUILD
done
chown -R "$user" "$W/build" "$W/pkgs"
chmod -R a+rX "$W/build"
su "$user" -s /bin/sh -c "cd '$W/build' && for p in */; do (cd \"\$p\" && PKGEXT=.pkg.tar.zst PKGDEST='$W/pkgs' makepkg --nodeps --noconfirm -f >/dev/null 2>&1) || exit 1; done"
printf '[options]\nArchitecture = auto\nSigLevel = Never\n' >"$W/pac.conf"
"$NIP" key generate "$W/k" >/dev/null 2>&1

# ---- timed ---------------------------------------------------------------
fresh
s=$(now); "$NIP" graft -q --key "$W/k" -o "$M/t/out/" "$debs"/*.deb; t_graft=$(since "$s")
cp -a "$M/t/out" "$W/out"
fresh
"$NIP" --root "$M/t/r" trust add "$W/k.pub" --name bench >/dev/null
sync
s=$(now); "$NIP" --root "$M/t/r" install "$W"/out/*.nip >/dev/null; t_nip=$(since "$s")
chroot "$M/t/r/cells/system/current" /usr/bin/python3 -c 'print(1)' >/dev/null
fresh
mkdir -p "$M/t/var/lib/dpkg/info" "$M/t/var/lib/dpkg/updates" && touch "$M/t/var/lib/dpkg/status" && sync
s=$(now)
dpkg --force-not-root --force-script-chrootless --force-depends --force-conflicts --force-breaks \
	--instdir="$M/t" --admindir="$M/t/var/lib/dpkg" --unpack "$W"/plain/*.deb >/dev/null 2>&1
t_dpkg=$(since "$s")
fresh
mkdir -p "$M/t/var/lib/pacman" && sync
s=$(now)
pacman -U --root "$M/t" --dbpath "$M/t/var/lib/pacman" --config "$W/pac.conf" --noconfirm --nodeps --nodeps \
	--noscriptlet "$W"/pkgs/*.pkg.tar.zst >/dev/null 2>&1
t_pac=$(since "$s")
sync
t_pacsync=$(since "$s")
mb=$(du -sm --apparent-size "$M/t/usr" | cut -f1)
total=$(python3 -c "import sys; print('%.3f' % (float(sys.argv[1]) + float(sys.argv[2])))" "$t_graft" "$t_nip")

cat <<EOT
python3's closure: $n .debs ($(du -sm "$debs" | cut -f1) MB; ~$mb MB under usr/ installed); $(nproc) CPUs; $fs; warm cache; one run each.

| step | nip | peer | peer command | ratio | target |
|---|---|---|---|---|---|
| graft $n .debs (parallel) | ${t_graft} s | | \`nip graft -o out/ *.deb\` | | |
| install into an empty root | ${t_nip} s | ${t_dpkg} s | \`dpkg --unpack\` (fsyncs each file) | $(ratio "$t_nip" "$t_dpkg") | ≤ 0.35 |
| | ${t_nip} s | ${t_pac} s | \`pacman -U --root\` (no fsync) | $(ratio "$t_nip" "$t_pac") | ≤ 1.0 |
| | ${t_nip} s | ${t_pacsync} s | \`pacman -U --root\` + \`sync\` | $(ratio "$t_nip" "$t_pacsync") | ≤ 1.0 |
| graft + install | ${total} s | ${t_dpkg} s | \`dpkg --unpack\` | $(ratio "$total" "$t_dpkg") | |
EOT
