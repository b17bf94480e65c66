#!/bin/sh
# Cells: create, list, remove; installing into one; nip run against its
# deployment (busybox, static, packaged by nip pack) with its policy; the
# exit status rules of CLI.md; state surviving upgrades and rollbacks; the
# network namespace; ProvChain records of cell starts and violations; an
# unprivileged run; nip policy check; the C API used alone.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
R=$T/root
P=$top/policies
export SOURCE_DATE_EPOCH=1700000000
BB=$(command -v busybox)
if [ -z "$BB" ] || ldd "$BB" >/dev/null 2>&1; then
	echo "# a static busybox is needed (apt-get install busybox-static)"
	exit 77
fi

# ---- policies -------------------------------------------------------------
for p in default net-client net-server cli-tool build; do
	check "policies/$p parses" "$NIP" policy check "$P/$p"
done
"$NIP" --json policy check "$P/net-client" >"$T/pc.json"
check "policy check --json is JSON" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['network']=='host' and 'inet' in d['pledge']" "$T/pc.json"
"$NIP" policy check "$P/cli-tool" >"$T/pc.txt"
check "policy check says, in words, that cli-tool has no network" grep -q 'only loopback' "$T/pc.txt"
check "...and that it starts no other program" grep -q 'cannot start any other' "$T/pc.txt"
check "a shipped policy by name" "$NIP" policy check net-client
printf 'pledge stdio rpath bogus\n' >"$T/bad1"
expect 3 "bad1:1: unknown promise 'bogus'" "an unknown promise: exit 3 naming file and line" "$NIP" policy check "$T/bad1"
printf 'pledge stdio\nunveil /etc/../root r\n' >"$T/bad2"
expect 3 "bad2:2: unveil: the path must be absolute" "an unveil path with '..': refused" "$NIP" policy check "$T/bad2"
printf 'pledge stdio audio\n' >"$T/bad3"
expect 3 "promise 'audio' has no meaning on Linux" "an OpenBSD promise Linux lacks: refused by name" "$NIP" policy check "$T/bad3"
printf 'unveil /tmp r\n' >"$T/bad4"
expect 3 "no 'pledge' line" "a policy without pledge: refused (an allow-list needs its list)" "$NIP" policy check "$T/bad4"
expect 2 "neither a policy file" "a policy name with odd bytes: exit 2" "$NIP" policy check 'x y'

# ---- cells ------------------------------------------------------------------
check "cell create web --policy net-client" "$NIP" --root "$R" cell create web --policy "$P/net-client"
expect 2 "cell web exists already" "creating it again: exit 2" "$NIP" --root "$R" cell create web
expect 2 "is not a cell name" "a cell name with a slash: exit 2" "$NIP" --root "$R" cell create a/b
check "cell create plain (default policy)" "$NIP" --root "$R" cell create plain
"$NIP" --root "$R" cell list >"$T/cells"
check "cell list shows web with its own policy" grep -Eq '^web +generation 0 +policy own' "$T/cells"
"$NIP" --root "$R" --json cell list >"$T/cells.json"
check "cell list --json" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert [c['name'] for c in d['cells']]==['plain','web']" "$T/cells.json"
check "the cell's policy is kept beside it" cmp "$R/cells/web/policy" "$P/net-client"

# busybox as a package: the shell, wget, cat; a fake /etc/shadow to refuse.
mkdir -p bb/bin bb/etc
cp "$BB" bb/bin/busybox
for a in sh wget cat echo ls id hostname sleep true; do ln -s busybox "bb/bin/$a"; done
printf 'root:x:0:0::/:/bin/sh\n' >bb/etc/passwd
printf 'root:SECRET:1::::::\n' >bb/etc/shadow
"$NIP" key generate me >/dev/null
"$NIP" pack --key me --name busybox --version 1 -o busybox.nip bb >/dev/null
mkdir -p bb2/usr/share && cp -a bb/. bb2/ && printf 'two\n' >bb2/usr/share/version
"$NIP" pack --key me --name busybox --version 2 -o busybox-2.nip bb2 >/dev/null
"$NIP" --root "$R" trust add me.pub >/dev/null
check "install --cell web busybox.nip" "$NIP" --root "$R" install --cell web busybox.nip
check "the system cell is untouched" test ! -e "$R/cells/system/current"

# A server on the host's loopback.
mkdir -p www && printf 'hello from the host\n' >www/index.html
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory www >/dev/null 2>&1 &
srv=$!
i=0
while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
same "run --cell web -- wget: allowed by net-client" \
	"$("$NIP" --root "$R" run --cell web -- wget -qO- "http://127.0.0.1:$port/" 2>&1)" "hello from the host"
"$NIP" --root "$R" run --cell web -- cat /etc/shadow >"$T/.out" 2>"$T/.err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'Permission denied' "$T/.err" && ! grep -q SECRET "$T/.out"; then
	pass "run --cell web -- cat /etc/shadow: refused, not unveiled (exit $rc)"
else
	fail "cat /etc/shadow was not refused (exit $rc)"
fi
"$NIP" --root "$R" run --cell plain -- /bin/true >/dev/null 2>&1
same "a cell without a deployment runs the host's programs" "$?" 0
out=$("$NIP" --root "$R" run --cell plain --net -- wget -qO- "http://127.0.0.1:$port/" 2>&1)
case $out in *"hello from the host"*) fail "the default policy reached the network with --net: pledge must still refuse" ;;
*) pass "--net without inet: the filter still refuses sockets" ;; esac
printf 'pledge stdio rpath wpath cpath proc exec\n' >"$T/noinet"
"$NIP" --root "$R" run --cell web --policy "$T/noinet" -- wget -qO- "http://127.0.0.1:$port/" >"$T/.out" 2>&1
rc=$?
same "--policy narrows web's policy: without inet, wget fails" "$([ $rc -ne 0 ] && echo refused)" "refused"
# A package carrying its own policy (no inet) in a cell whose policy has
# inet: the package's narrows the cell's.
printf 'pledge stdio rpath wpath cpath proc exec\n' >"$T/pkg.policy"
"$NIP" pack --key me --name busybox --version 3 --policy "$T/pkg.policy" -o busybox-3.nip bb >/dev/null
"$NIP" --root "$R" cell create pkg --policy "$P/net-client" >/dev/null
check "install a package with its own policy" "$NIP" --root "$R" install --cell pkg busybox-3.nip
"$NIP" --root "$R" run --cell pkg -- wget -qO- "http://127.0.0.1:$port/" >"$T/.out" 2>&1
rc=$?
same "the package's policy narrows the cell's: no inet, wget fails" "$([ $rc -ne 0 ] && echo refused)" refused
same "...while what both allow works" "$("$NIP" --root "$R" run --cell pkg -- echo fine)" fine
# That answer came from the run index written with the deployment, which
# names the package and its policy; without the index nip asks the database.
check "the deployment has its run index" grep -q "pledge stdio rpath" "$R/cells/pkg/.run/pkg-1"
check "which names the package's files" grep -qa "bin/busybox" "$R/cells/pkg/.run/pkg-1"
rm "$R/cells/pkg/.run/pkg-1"
"$NIP" --root "$R" run --cell pkg -- wget -qO- "http://127.0.0.1:$port/" >"$T/.out" 2>&1
rc=$?
same "without the index, the database gives the same answer" "$([ $rc -ne 0 ] && echo refused)" refused
printf 'nip-run-index-1\0busybox\0' >"$R/cells/pkg/.run/pkg-1"
"$NIP" --root "$R" run --cell pkg -- wget -qO- "http://127.0.0.1:$port/" >"$T/.out" 2>&1
rc=$?
same "a torn index is not trusted: the database answers" "$([ $rc -ne 0 ] && echo refused)" refused
check "cell remove pkg" "$NIP" --root "$R" cell remove --purge pkg
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null

# ---- the run: namespaces, status, environment ---------------------------------
same "the program is PID 2 of its own PID namespace" "$("$NIP" --root "$R" run --cell web -- sh -c 'echo $$')" 2
same "the hostname is the cell's name" "$("$NIP" --root "$R" run --cell web -- hostname)" web
same "the program's exit status is nip's" "$("$NIP" --root "$R" run --cell web -- sh -c 'exit 42'; echo $?)" 42
same "a signal's death is 128 + the signal" "$("$NIP" --root "$R" run --cell plain -- sh -c 'kill -TERM $$'; echo $?)" 143
expect 127 'nosuch: No such file or directory' "a program that is not there: 127" "$NIP" --root "$R" run --cell web -- nosuch
expect 126 '/etc/passwd: Permission denied' "a file that is not executable: 126" "$NIP" --root "$R" run --cell web -- /etc/passwd
expect 2 'no cell nope' "an unknown cell: exit 2" "$NIP" --root "$R" run --cell nope -- true
expect 2 'expected -- CMD' "no program: exit 2" "$NIP" --root "$R" run --cell web
expect 125 'unveil needs Landlock|--bind /nonexistent' "a bind source that is missing: 125" "$NIP" --root "$R" run --cell web --bind /nonexistent:/x -- true
same "the environment is cleared" "$(NIP_SECRET=x "$NIP" --root "$R" run --cell web -- sh -c 'echo ${NIP_SECRET:-unset}')" unset
same "--env passes one variable" "$(NIP_SECRET=x "$NIP" --root "$R" run --cell web --env NIP_SECRET -- sh -c 'echo $NIP_SECRET')" x
printf 'pledge stdio rpath\n' >"$T/readonly.policy"
"$NIP" --root "$R" run --policy "$T/readonly.policy" -- /bin/sh -c 'echo hi > /tmp/x' >/dev/null 2>&1
rc=$?
same "run --policy readonly -- sh -c 'echo hi > /tmp/x': refused" "$([ $rc -ne 0 ] && echo refused)" refused
# PID 1 forwards a signal sent to nip: the program dies of it, nip exits 143.
"$NIP" --root "$R" run --cell plain -- sleep 20 &
sleeper=$!
sleep 0.5
kill -TERM "$sleeper"
wait "$sleeper"
same "SIGTERM to nip reaches the program (143)" "$?" 143
same "stdin and stdout pass through" "$(echo piped | "$NIP" --root "$R" run --cell web -- cat)" piped

# ---- state survives upgrades and rollbacks ------------------------------------
check "the program writes its state" "$NIP" --root "$R" run --cell web -- sh -c 'echo kept > /var/data'
check "upgrade busybox in web" "$NIP" --root "$R" install --cell web busybox-2.nip
same "...the new generation is seen" "$("$NIP" --root "$R" run --cell web -- cat /usr/share/version)" two
same "...and the state is still there" "$("$NIP" --root "$R" run --cell web -- cat /var/data)" kept
check "rollback web" "$NIP" --root "$R" --cell web rollback
same "after the rollback the state is still there" "$("$NIP" --root "$R" run --cell web -- cat /var/data)" kept
check "the deployment stays read-only" sh -c "! '$NIP' --root '$R' run --cell web -- sh -c 'echo x > /bin/x' 2>/dev/null"

# The cell's /etc changes (state/etc) lie over the deployment's /etc.
printf 'pledge stdio rpath proc exec\nunveil /etc r\n' >"$T/etc.policy"
"$NIP" --root "$R" cell create conf --policy "$T/etc.policy" >/dev/null
"$NIP" --root "$R" install --cell conf busybox.nip >/dev/null
mkdir -p "$R/cells/conf/state/etc" && printf 'local\n' >"$R/cells/conf/state/etc/passwd"
same "a local change in state/etc is what the cell sees" "$("$NIP" --root "$R" run --cell conf -- cat /etc/passwd)" local
same "...the package's other files stay visible" "$("$NIP" --root "$R" run --cell conf -- cat /etc/shadow)" "root:SECRET:1::::::"
check "cell remove conf" "$NIP" --root "$R" cell remove --purge conf

# ---- ProvChain ---------------------------------------------------------------
"$NIP" --root "$R" log >"$T/log"
check "cell starts are in ProvChain" grep -q 'cell-start' "$T/log"
printf 'pledge stdio rpath proc\n' >"$T/noexec"
"$NIP" --root "$R" run --cell web --policy "$T/noexec" -- sh -c '/bin/true' >/dev/null 2>&1
"$NIP" --root "$R" log -n 3 >"$T/log2"
check "a refused exec is logged as a violation" grep -q 'cell-violation' "$T/log2"
check "the log still verifies" "$NIP" --root "$R" log verify

# ---- removing cells -----------------------------------------------------------
expect 2 'system cell cannot be removed' "cell remove system: exit 2" "$NIP" --root "$R" cell remove system
expect 2 'keeps data in' "a cell with state is not removed without --purge" "$NIP" --root "$R" cell remove web
check "cell remove --purge web" "$NIP" --root "$R" cell remove --purge web
check "its directory is gone" test ! -e "$R/cells/web"
same "cell list no longer shows it" "$("$NIP" --root "$R" cell list | grep -c '^web ')" 0
check "cell remove plain (no state)" "$NIP" --root "$R" cell remove plain
check "fsck after removals" "$NIP" --root "$R" fsck

# ---- unprivileged ---------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x "$NIP" ]; then
	out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups env NIP_ROOT=/nonexistent "$NIP" run -- /bin/sh -c 'id -u' 2>&1)
	if [ "$out" = 65534 ]; then
		pass "an unprivileged user runs a cell (user namespace)"
	else
		todo "the binary may not be reachable by nobody here"
		fail "unprivileged run: $out"
	fi
fi

# ---- nip's start ------------------------------------------------------------------------
# nip run starts without the libraries only the rest of nip needs
# (DESIGN.md, Rules): the executable links libc and libseccomp.
check "nip links neither SQLite, libcrypto, libsolv, libsodium, Jansson nor zstd" \
	sh -c "! ldd '$NIP' | grep -Eq 'sqlite|crypto|solv|sodium|jansson|zstd'"
check "...and loads them for the other commands (nip list)" "$NIP" --root "$R" list

# ---- /dev/pts (tty) and /dev/shm (cpath, tmppath) -------------------------------------------
PTY='import os; m, s = os.openpty(); print(os.ttyname(s))'
SHM='import _posixshmem as p, mmap, os
fd = p.shm_open("/nip-test", os.O_CREAT | os.O_RDWR, 0o600); os.ftruncate(fd, 4096)
m = mmap.mmap(fd, 4096); m[0] = 7; p.shm_unlink("/nip-test"); print(m[0])'
check "openpty works with tty pledged (the default): a devpts of the cell's own" \
	sh -c "'$NIP' run -- python3 -c '$PTY' | grep -qx /dev/pts/0"
printf 'pledge stdio rpath wpath cpath proc\n' >"$T/notty.policy"
check "...and is refused without tty (no /dev/ptmx)" \
	sh -c "! '$NIP' run --policy '$T/notty.policy' -- python3 -c '$PTY' 2>'$T/pty.err' && grep -q 'No such file' '$T/pty.err'"
check "shm_open works with cpath and /dev/shm unveiled (the default): a private tmpfs" \
	sh -c "'$NIP' run -- python3 -c '$SHM' | grep -qx 7"
printf 'pledge stdio rpath tmppath\n' >"$T/tmppath.policy"
"$NIP" --root "$R" cell create shm --policy "$T/tmppath.policy" >/dev/null
check "...and with tmppath, which unveils /dev/shm by itself" \
	sh -c "'$NIP' --root '$R' run --cell shm -- python3 -c '$SHM' | grep -qx 7"
printf 'pledge stdio rpath wpath\n' >"$T/noshm.policy"
check "...and is refused without cpath or tmppath" \
	sh -c "! '$NIP' run --policy '$T/noshm.policy' -- python3 -c '$SHM' 2>/dev/null"
check "/dev/shm is not there without cpath or tmppath" \
	sh -c "! '$NIP' run --policy '$T/noshm.policy' -- test -e /dev/shm"

# ---- execpromises ---------------------------------------------------------------------
if [ -n "${PROBE:-}" ]; then
	mkdir -p "$T/xdata" && echo data >"$T/xdata/f"
	printf 'pledge stdio rpath proc exec\nexecpromises stdio\nunveil /tmp/xdata r\n' >"$T/xp.policy"
	printf 'pledge stdio rpath proc exec\nunveil /tmp/xdata r\n' >"$T/nxp.policy"
	xrun() { # POLICY PROBE-ARGS...
		pol=$1
		shift
		"$NIP" run --policy "$pol" --bind "$PROBE:/probe:ro" --bind "$T/xdata:/tmp/xdata:ro" -- /probe "$@"
	}
	refused() { # DESC PROBE-ARGS...: the probe exits 3 saying its read was refused
		desc=$1
		shift
		out=$(xrun "$T/xp.policy" "$@" 2>&1)
		rc=$?
		if [ $rc -eq 3 ] && printf '%s\n' "$out" | grep -qx 'blocked read: Operation not permitted'; then
			pass "$desc"
		else
			fail "$desc (exit $rc)"
			printf '%s\n' "$out" | sed 's/^/# /'
		fi
	}
	check "execpromises: the program itself keeps its promises (reads)" \
		xrun "$T/xp.policy" read /tmp/xdata/f
	check "...and so does a fork of it" xrun "$T/xp.policy" fork-then read /tmp/xdata/f
	refused "...a program it starts holds only stdio: its open is refused" exec-then /probe read /tmp/xdata/f
	refused "...also when a fork of it starts one" fork-then exec-then /probe read /tmp/xdata/f
	if command -v setarch >/dev/null; then
		expect 125 'execpromises needs address space randomisation' \
			"...refused where nip runs without address space randomisation (setarch -R)" \
			setarch -R "$NIP" run --policy "$T/xp.policy" -- /bin/true
	fi
	check "without execpromises a started program reads as the cell permits" \
		xrun "$T/nxp.policy" exec-then /probe read /tmp/xdata/f
	check "nip policy check names the execpromises" sh -c "'$NIP' policy check '$T/xp.policy' | grep -qx 'programs: it may start others, which hold only (execpromises): stdio'"
fi

# ---- the C API alone ---------------------------------------------------------------
if [ -n "${NIP_EXAMPLE:-}" ]; then
	mkdir -p "$T/cdir" && echo x >"$T/cdir/file"
	# LeakSanitizer stops the world with ptrace, which the pledge forbids.
	ASAN_OPTIONS=detect_leaks=0 "$NIP_EXAMPLE" "$T/cdir" /etc/passwd >"$T/ex"
	check "the example reads inside what it unveiled" grep -qx 'inside: readable' "$T/ex"
	check "...not outside" grep -qx 'outside: Permission denied' "$T/ex"
	check "...opens no socket" grep -qx 'socket: Operation not permitted' "$T/ex"
	check "...cannot widen its pledge" grep -qx 'widen: Operation not permitted' "$T/ex"
	check "...cannot unveil after locking" grep -qx 'unveil after lock: Operation not permitted' "$T/ex"
	check "...may narrow" grep -qx 'narrow: ok' "$T/ex"
	if [ -n "${PROBE:-}" ]; then
		ASAN_OPTIONS=detect_leaks=0 "$NIP_EXAMPLE" --exec stdio "$PROBE" read /etc/passwd >"$T/ex2"
		check "nip_pledge(\"stdio rpath proc exec\", \"stdio\"): the caller still reads" grep -qx 'self: readable' "$T/ex2"
		check "...the program it starts cannot open a file" grep -qx 'blocked read: Operation not permitted' "$T/ex2"
		ASAN_OPTIONS=detect_leaks=0 "$NIP_EXAMPLE" --exec - "$PROBE" read /etc/passwd >"$T/ex3"
		check "nip_pledge(..., NULL): the started program reads under the caller's promises" \
			grep -qx "read /etc/passwd" "$T/ex3"
	fi
	check "the example links only libc and libseccomp" sh -c "! ldd '$NIP_EXAMPLE' | grep -Eq 'sodium|sqlite|crypto|solv'"
fi
done_testing
