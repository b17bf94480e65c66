#!/bin/sh
# Installs the Debian 12 packages that nip needs to build, test and demo,
# if any is missing (as root, else through sudo).
set -eu
pkgs="gcc make libc6-dev pkg-config libsodium-dev libssl-dev libjansson-dev libzstd-dev
libarchive13 libcurl4 libcurl4-openssl-dev libcunit1-dev libsqlite3-dev libsolv-dev minisign zstd python3 tar groff-base faketime
libseccomp-dev busybox-static bubblewrap
libarchive-dev pacman-package-manager makepkg fakeroot libarchive-tools xz-utils
libmicrohttpd-dev nginx curl"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
