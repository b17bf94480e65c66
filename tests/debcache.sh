# shellcheck shell=sh
# Real .debs from Debian's archive, downloaded once into a cache under the
# build directory (tests and benchmarks share it). Each function returns 1,
# after saying why, when the archive cannot be reached and nothing is cached.

debcache_get() { # DIR PACKAGE...
	dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && apt-get download "$@" >/dev/null 2>&1)
}

debcache_busybox() {
	ls "$1"/busybox/busybox-static_*.deb >/dev/null 2>&1 && return 0
	if ! debcache_get "$1/busybox" busybox-static; then
		echo "# skip: Debian's archive is unreachable (apt-get download busybox-static failed) and $1 has no copy"
		return 1
	fi
}

# The Depends/Pre-Depends closure of python3, as apt resolves it here.
debcache_python3() {
	ls "$1"/python3/python3_*.deb >/dev/null 2>&1 && return 0
	pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances python3 2>/dev/null | grep '^[a-z0-9]' | sort -u)
	# shellcheck disable=SC2086 # one word per package
	if [ -z "$pkgs" ] || ! debcache_get "$1/python3.tmp" $pkgs; then
		rm -rf "$1/python3.tmp"
		echo "# skip: Debian's archive is unreachable (apt-get download of python3's closure failed) and $1 has no copy"
		return 1
	fi
	mv "$1/python3.tmp" "$1/python3"
}
