#!/bin/sh
# Cell escapes: each attack runs as the program of a cell (tests/attacks/
# cells/probe.c) and must fail; each test names the attack and the
# mechanism that stops it, checked by the error the attempt gets (Landlock
# answers EACCES, the pledge filter EPERM, a read-only mount EROFS, a
# cross-mount link EXDEV) or by the signal the filter kills with.
top=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
: "${PROBE:?PROBE must name the escape probe (make builds it)}"

R=$T/root
mkdir -p "$T/secret" && echo topsecret >"$T/secret/key"
# What the attacks may do: files in /tmp, children; the secret is bound in
# read-only but not unveiled.
cat >"$T/attack.policy" <<'P'
pledge stdio rpath wpath cpath fattr proc
unveil /tmp rwc
rlimit nofile 64
P

run_probe() {
	"$NIP" --root "$R" run --policy "$T/attack.policy" --bind "$PROBE:/probe:ro" \
		--bind "$T/secret:/secret:ro" -- /probe "$@"
}

# attack NAME MECHANISM ERRNO-TEXT
attack() {
	out=$(run_probe "$1" /secret/key 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "^blocked $1: $3\$"; then
		pass "$1: stopped by $2 ($3)"
	else
		fail "$1: not stopped by $2 (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

# killed NAME MECHANISM: the filter kills the process (SIGSYS, 128 + 31).
killed() {
	out=$(run_probe "$1" 2>&1)
	rc=$?
	if [ $rc -eq 159 ] && [ -z "$out" ]; then
		pass "$1: killed by $2 (SIGSYS)"
	else
		fail "$1: not killed by $2 (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

check "the secret is readable outside the cell" cat "$T/secret/key"
LL="Landlock (not unveiled)"
attack read-direct "$LL" "Permission denied"
attack read-symlink "$LL, which checks the file a link resolves to" "Permission denied"
attack read-dotdot "$LL, which checks the resolved path" "Permission denied"
attack read-proc-root "$LL (/proc is not unveiled; /proc/self/root is the cell's root)" "Permission denied"
attack read-proc1-cwd "$LL (/proc is not unveiled; PID 1 is nip's, its cwd the cell's /)" "Permission denied"
attack hardlink "the mount boundary (a link cannot cross mounts) and Landlock's refer right" \
	"Invalid cross-device link"
attack write-deployment "the read-only bind of the deployment" "Read-only file system"
attack socket-inet "the pledge filter (no inet: socket(AF_INET) refused)" "Operation not permitted"
attack socket-inet6 "the pledge filter (no inet: socket(AF_INET6) refused)" "Operation not permitted"
for call in ptrace process_vm_readv mount umount pivot_root unshare setns keyctl add_key bpf \
	perf_event_open kexec_load init_module finit_module io_uring_setup personality; do
	attack "$call" "the pledge filter (in no promise)" "Operation not permitted"
done
attack tiocsti "the pledge filter's ioctl allow-list" "Operation not permitted"
attack tiocsti-high-bits "the pledge filter comparing ioctl's 32-bit command" "Operation not permitted"
attack tioclinux "the pledge filter's ioctl allow-list" "Operation not permitted"
attack chmod-suid "the pledge filter (fattr never sets setuid or setgid)" "Operation not permitted"
attack rlimit-raise "the policy's hard limit and no CAP_SYS_RESOURCE in the cell" \
	"Operation not permitted"
attack exec "the exec supervisor (no exec promise: only the program itself starts)" \
	"Operation not permitted"
killed int80 "the filter's architecture check (32-bit entry)"
killed x32 "the filter's architecture check (x32 entry)"

# An fd the caller opened does not enter the cell (nip closes all but stdio).
out=$("$NIP" --root "$R" run --policy "$T/attack.policy" --bind "$PROBE:/probe:ro" -- \
	/probe fd-passed 3<"$T/secret/key" 2>&1)
if printf '%s\n' "$out" | grep -q '^blocked fd-passed: Bad file descriptor$'; then
	pass "fd-passed: stopped by nip closing inherited descriptors (Bad file descriptor)"
else
	fail "fd-passed: the descriptor reached the program"
	printf '%s\n' "$out" | sed 's/^/# /'
fi

# kill -9 -1 reaches only the cell (PID namespace): a process outside lives.
sleep 30 &
victim=$!
run_probe kill-all >"$T/.kill" 2>&1
sleep 0.2
if kill -0 "$victim" 2>/dev/null; then
	pass "kill-all: kill -9 -1 stopped at the PID namespace ($(cat "$T/.kill"))"
else
	fail "kill-all: a process outside the cell died"
fi
kill "$victim" 2>/dev/null
wait "$victim" 2>/dev/null

# execpromises: what the program starts holds only them. The program may
# read (rpath) and start programs; the probe it starts tries to read the
# secret's neighbour that the policy unveils, beyond its execpromises.
cat >"$T/exec.policy" <<'P'
pledge stdio rpath proc exec
execpromises stdio
unveil /secret r
P
out=$("$NIP" --root "$R" run --policy "$T/exec.policy" --bind "$PROBE:/probe:ro" \
	--bind "$T/secret:/secret:ro" -- /probe exec-then /probe read /secret/key 2>&1)
if [ $? -eq 3 ] && printf '%s\n' "$out" | grep -qx 'blocked read: Operation not permitted'; then
	pass "execpromises: a started program's open (the probe's own executable started again, told apart by its auxiliary vector) stopped by the exec layer (Operation not permitted)"
else
	fail "execpromises: a started program read beyond its execpromises"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
out=$("$NIP" --root "$R" run --policy "$T/exec.policy" --bind "$PROBE:/probe:ro" \
	--bind "$T/secret:/secret:ro" -- /probe exec-then /probe exec-then /probe read /secret/key 2>&1)
if printf '%s\n' "$out" | grep -qx 'blocked exec-then: Operation not permitted'; then
	pass "execpromises: a started program cannot start another (no exec among them)"
else
	fail "execpromises: a started program started another"
	printf '%s\n' "$out" | sed 's/^/# /'
fi

# The program itself and pledged calls still work: the filter is not a wall.
out=$(run_probe read-direct /dev/zero 2>&1)
same "a read the policy allows succeeds inside (/dev/zero, unveiled for every program)" \
	"$(printf '%s\n' "$out" | grep -c '^ESCAPED')" 1

done_testing
