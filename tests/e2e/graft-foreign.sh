#!/bin/sh
# nip graft on pacman and Alpine packages. pacman packages are built here by
# Debian's makepkg (as an unprivileged user made for the test: makepkg
# refuses root) and installed by `pacman -U --root` first, so the input is
# known valid; apk v2 packages are built from the documented format.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"

"$NIP" key generate k >/dev/null 2>&1
"$NIP" --root r trust add k.pub --name me >/dev/null

# ---- pacman ----------------------------------------------------------------
if ! command -v makepkg >/dev/null || ! command -v pacman >/dev/null; then
	echo "# makepkg or pacman missing (tests/deps.sh installs them)"
	exit 1
fi
if [ "$(id -u)" = 0 ]; then
	user=nipmakepkg
	id "$user" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$user"
	run_user() { su "$user" -s /bin/sh -c "$1"; }
else
	run_user() { sh -c "$1"; }
fi
mkdir pkg
cat >pkg/PKGBUILD <<'PKGBUILD'
pkgname=niphello
pkgver=1.0rc1
pkgrel=2
epoch=1
pkgdesc="a test package for nip graft"
arch=('x86_64')
license=('MIT')
depends=('glibc>=2.36' 'sh')
provides=('hello-provider=1.0' 'libniphello.so=1-64')
conflicts=('oldhello<1.0')
replaces=('hello-legacy')
backup=('etc/niphello.conf')
optdepends=('bash: nicer shell')
install=niphello.install
options=('!strip' '!debug')
package() {
	mkdir -p "$pkgdir/usr/bin" "$pkgdir/etc"
	printf '#!/bin/sh\necho hello from pacman\n' >"$pkgdir/usr/bin/niphello"
	chmod 4755 "$pkgdir/usr/bin/niphello"
	echo "greeting=hi" >"$pkgdir/etc/niphello.conf"
	ln -s niphello "$pkgdir/usr/bin/nh"
}
PKGBUILD
printf 'post_install() {\n\techo installed\n}\n' >pkg/niphello.install
chmod 711 "$T" && chmod -R a+rwX pkg
for ext in zst xz; do
	check "makepkg builds a .pkg.tar.$ext" run_user "cd '$T/pkg' && SOURCE_DATE_EPOCH=1700000000 PKGEXT=.pkg.tar.$ext PKGDEST='$T/pkg' makepkg --nodeps --noconfirm -f"
done
zst=$(ls pkg/niphello-*.pkg.tar.zst)
xz=$(ls pkg/niphello-*.pkg.tar.xz)
printf '[options]\nArchitecture = auto\nSigLevel = Never\n' >pac.conf
mkdir -p pr/var/lib/pacman
check "pacman -U --root installs it (the input is valid)" pacman -U --root "$T/pr" --dbpath "$T/pr/var/lib/pacman" \
	--config pac.conf --noconfirm --nodeps --nodeps --noscriptlet "$zst"
check "graft the .pkg.tar.zst" "$NIP" graft --key k -o hello.nip "$zst"
check "graft the .pkg.tar.xz" "$NIP" graft --key k -o hello-xz.nip "$xz"
"$NIP" inspect --json hello.nip >h.json
if json h.json "d['name'] == 'niphello' and d['version'] == '1:1.0~rc1-2' and d['graft']['format'] == 'pacman' and d['graft']['identity'] == 'niphello 1:1.0rc1-2 x86_64'"; then
	pass "name, epoch and pkgrel mapped (rc sorts before the release)"
else fail "pacman name/version"; fi
if json h.json "d['relations']['depends'] == ['glibc >= 2.36', 'sh'] and d['relations']['provides'] == ['hello-provider = 1.0', 'libniphello.so = 1-64'] and d['relations']['conflicts'] == ['oldhello < 1.0'] and d['relations']['obsoletes'] == ['hello-legacy']"; then
	pass "depends, provides, conflicts and replaces mapped"
else fail "pacman relations"; fi
if json h.json "d['graft']['conffiles'] == ['etc/niphello.conf'] and d['graft']['scripts'] == ['install arbitrary'] and 'cell' in d['graft']['triggers'] and 'optdepend: bash: nicer shell' in d['graft']['fields'] and 'setuid bit stripped: usr/bin/niphello' in d['graft']['sanitised']"; then
	pass "backup is a conffile, .INSTALL kept and classified, optdepends kept, setuid stripped"
else fail "pacman graft section"; fi
same "pacman's own file list matches the grafted payload" \
	"$(cd pr && find usr etc | sort | tr '\n' ' ')" \
	"$(python3 -c 'import json,sys; print(" ".join(sorted(f["path"] for f in json.load(open(sys.argv[1]))["files"] if not f["path"].startswith("usr/share"))) + " ")' h.json)"
# What it depends on, as nip packages (a root has no glibc of pacman's).
mkdir empty
"$NIP" pack -q --key k --name glibc --version 2.38-1 --provides sh -o glibc.nip empty
check "install the grafted pacman package" "$NIP" --root r install glibc.nip hello.nip
same "its program runs" "$(sh r/cells/system/current/usr/bin/niphello)" "hello from pacman"

# ---- apk -------------------------------------------------------------------
python3 "$top/tests/attacks/mkforeign.py" apk tiny.apk
check "graft an apk" "$NIP" graft --key k -o tiny.nip tiny.apk
"$NIP" inspect --json tiny.nip >a.json
if json a.json "d['version'] == '2.1~rc1-3' and 'so:libc.musl-x86_64.so.1' in d['relations']['depends'] and 'cmd:sh' in d['relations']['depends'] and 'foo >= 1.2+p1-3' in d['relations']['depends'] and d['relations']['conflicts'] == ['tinyapk-old'] and 'so:libtiny.so.1 = 1.0' in d['relations']['provides']"; then
	pass "apk version, so:/cmd: depends, !conflicts and provides mapped"
else fail "apk mapping"; fi
if json a.json "'provides: cmd:[=1.36.1-r0' in d['graft']['fields'] and any(n.startswith('provides cmd:[=1.36.1-r0: not expressible') for n in d['graft']['sanitised'])"; then
	pass "a provides nip cannot express (cmd:[) is kept as a field and noted"
else fail "unexpressible apk provides"; fi
if json a.json "d['graft']['signature'].startswith('apk: signed by test@example.org-5f0e.rsa.pub') and d['graft']['scripts'] == ['post-install ldconfig'] and d['graft']['triggers'] == ['ldconfig']"; then
	pass "apk signer recorded; an ldconfig-only script becomes the ldconfig trigger"
else fail "apk graft section"; fi
"$NIP" pack -q --key k --name musl --version 1.2.4-0 --provides so:libc.musl-x86_64.so.1 --provides cmd:sh -o musl.nip empty
"$NIP" pack -q --key k --name foo --version 1.2-0 -o foo-old.nip empty
"$NIP" pack -q --key k --name foo --version 1.2+p2-0 -o foo-new.nip empty
expect 4 'foo >= 1\.2\+p1-3' "foo 1.2-r0 does not satisfy foo>=1.2_p1-r3 (apk order kept)" \
	"$NIP" --root r install musl.nip foo-old.nip tiny.nip
check "install the grafted apk with foo 1.2_p2" "$NIP" --root r install musl.nip foo-new.nip tiny.nip
same "its program runs" "$(sh r/cells/system/current/usr/bin/tinyapk)" "apk"
check "graft the apk again" "$NIP" graft --key k -o tiny2.nip tiny.apk
if cmp -s tiny.nip tiny2.nip; then pass "apk grafts reproducibly"; else fail "apk grafts reproducibly"; fi
# ---- the sysusers trigger ----------------------------------------------------
python3 "$top/tests/attacks/mkforeign.py" deb-sysusers users.deb
check "graft a .deb that ships usr/lib/sysusers.d" "$NIP" graft --key k -o users.nip users.deb
"$NIP" inspect --json users.nip >u.json
if json u.json "d['graft']['triggers'] == ['sysusers', 'tmpfiles']"; then pass "it asks for the sysusers and tmpfiles triggers"; else fail "sysusers and tmpfiles triggers in the manifest"; fi
if [ "$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then
	"$NIP" --root ur trust add k.pub --name me >/dev/null
	check "install it" "$NIP" --root ur install users.nip
	st=ur/cells/system/state/etc
	if grep -q '^root:x:0:0:' "$st/passwd" && grep -q '^niptiny:x:[0-9]*:[0-9]*:nip test user:/var/lib/niptiny:' "$st/passwd" &&
		grep -q '^nipgrp:x:' "$st/group"; then
		pass "the cell's passwd and group have the declared user and group, on top of the package's defaults"
	else fail "sysusers trigger ($(cat "$st/passwd" 2>&1))"; fi
	if [ "$(cat ur/cells/system/current/etc/passwd)" = "root:x:0:0:root:/root:/bin/sh" ]; then
		pass "the deployment's passwd is untouched"
	else fail "the deployment changed"; fi
	check "fsck finds the deployment whole" "$NIP" --root ur fsck
	if [ ! -e ur/cells/system/.sysusers ]; then pass "no scratch root is left"; else fail "scratch root left"; fi
	uid=$(grep '^niptiny:' "$st/passwd" | cut -d: -f3)
	gid=$(grep '^nipgrp:' "$st/group" | cut -d: -f3)
	same "tmpfiles: state/var/lib/niptiny made with its mode and owners" \
		"$(stat -c '%a %u %g' ur/cells/system/state/var/lib/niptiny 2>&1)" "750 $uid $gid"
	same "tmpfiles: state/etc/niptiny.conf written" "$(cat "$st/niptiny.conf" 2>&1)" "hello"
	if [ ! -e ur/cells/system/state/run ] && [ ! -e ur/cells/system/state/usr ]; then
		pass "tmpfiles: nothing outside var and etc, and the copied configuration is gone"
	else fail "tmpfiles left run/ or usr/ in the state"; fi
fi
done_testing
