#!/bin/sh
# make install PREFIX=DIR gives a tree that works from there: the binary,
# the library and headers (a program links against them), the man pages.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"

check "make install PREFIX=$T/inst" make -s -C "$top" install SAN="${SAN:-}" PREFIX="$T/inst"
P=$T/inst
check "installed nip runs" "$P/bin/nip" --version
check "the rest of nip is installed beside it (lib/nip/libnip-cli.so)" test -f "$P/lib/nip/libnip-cli.so"
check "trackd is installed beside nip and runs" "$P/bin/trackd" --version
check "key generate with the installed nip" "$P/bin/nip" key generate "$T/k"
mkdir -p "$T/stage/bin" && printf 'x\n' >"$T/stage/bin/x"
check "pack with the installed nip" "$P/bin/nip" pack --key "$T/k" --name x --version 1 -o "$T/x.nip" "$T/stage"
check "verify with the installed nip" "$P/bin/nip" verify --key "$T/k.pub" "$T/x.nip"
for h in util crypto package limits; do
	check "header nip/$h.h installed" test -f "$P/include/nip/$h.h"
done
check "libnip.so installed" test -f "$P/lib/libnip.so.0"
cat >"$T/cid.c" <<'C'
#include <stdio.h>
#include <nip/crypto.h>
int main(void)
{
	uint8_t d[NIP_SHA256_LEN];
	char s[NIP_CID_STRLEN];
	nip_sha256("", 0, d);
	nip_cid_format(d, s);
	puts(s);
	return 0;
}
C
if command -v cc >/dev/null; then
	# Under SAN=1 the installed library is instrumented: so must the program be.
	san=""
	[ "${SAN:-}" = 1 ] && san="-fsanitize=address,undefined"
	# shellcheck disable=SC2086
	check "a program builds against the installed libnip" \
		cc $san -I"$P/include" -o "$T/cid" "$T/cid.c" -L"$P/lib" -lnip
	same "and computes the CID of the empty string" \
		"$(LD_LIBRARY_PATH=$P/lib "$T/cid")" "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
fi
check "libnipcell.so installed" test -f "$P/lib/libnipcell.so.0"
check "header nip/cell.h installed" test -f "$P/include/nip/cell.h"
check "a shipped policy installed" test -f "$P/share/nip/policies/net-client"
check "the installed nip finds its shipped policies by name" "$P/bin/nip" policy check net-client
check "the installed nip runs a program in a cell" "$P/bin/nip" --root "$T/none" run -- true
if command -v cc >/dev/null; then
	san=""
	[ "${SAN:-}" = 1 ] && san="-fsanitize=address,undefined"
	# shellcheck disable=SC2086
	check "a program confining itself links libnipcell alone" \
		cc $san -I"$P/include" -o "$T/confine" "$top/cells/example/confine.c" -L"$P/lib" -lnipcell -lseccomp
	mkdir -p "$T/cdir" && echo x >"$T/cdir/file"
	# LeakSanitizer stops the world with ptrace, which the pledge forbids.
	same "...and is confined" "$(ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH=$P/lib "$T/confine" "$T/cdir" /etc/passwd | grep outside)" \
		"outside: Permission denied"
fi
for p in nip.8 nip-pack.8 nip-package.5 nip-run.8 nip-policy.5 nip_pledge.3; do
	check "man page $p installed" sh -c "ls '$P'/share/man/man*/$p"
done
done_testing
