/* Promise names, their meaning in words, and parsing a promise list. */
#include <string.h>

#include "nip/cell.h"
#include "nip/limits.h"

static const char *const names[] = {
#define NIP_X(id, name) name,
	NIP_PROMISES(NIP_X)
#undef NIP_X
};

static const char *const says[] = {
	[NIP_P_STDIO] = "basic I/O on open descriptors, memory, time, signals to itself, threads",
	[NIP_P_RPATH] = "open files read-only, stat, list directories, change directory",
	[NIP_P_WPATH] = "open existing files for writing",
	[NIP_P_CPATH] = "create, rename, link and remove files and directories",
	[NIP_P_DPATH] = "create FIFOs (never device nodes)",
	[NIP_P_TMPPATH] = "create and remove files under /tmp",
	[NIP_P_FATTR] = "change modes and times of files (never the setuid or setgid bit)",
	[NIP_P_CHOWN] = "change the owner of files",
	[NIP_P_FLOCK] = "lock files",
	[NIP_P_INET] = "IPv4 and IPv6 sockets; keeps the host's network",
	[NIP_P_MCAST] = "multicast socket options (with inet)",
	[NIP_P_UNIX] = "local (AF_UNIX) sockets",
	[NIP_P_DNS] = "name resolution: UDP and TCP sockets, /etc/resolv.conf and /etc/hosts; keeps the "
		      "host's network",
	[NIP_P_GETPW] = "read the user and group databases (/etc/passwd, /etc/group)",
	[NIP_P_SENDFD] = "send descriptors over sockets (part of sendmsg, allowed by stdio)",
	[NIP_P_RECVFD] = "receive descriptors over sockets (part of recvmsg, allowed by stdio)",
	[NIP_P_TTY] = "terminal control ioctls and /dev/tty (never TIOCSTI or TIOCLINUX)",
	[NIP_P_PROC] = "fork, signal other processes of the cell, process groups and sessions",
	[NIP_P_EXEC] = "start other programs (execve)",
	[NIP_P_PROT_EXEC] = "make anonymous memory executable (JIT compilers)",
	[NIP_P_SETTIME] = "set the clock (needs a capability the cell never has)",
	[NIP_P_PS] = "read other processes' information in /proc",
	[NIP_P_VMINFO] = "read memory and system statistics in /proc",
	[NIP_P_ID] = "change user and group ids (within what the cell maps)",
	[NIP_P_UNVEIL] = "narrow its own file system view further (Landlock)",
	[NIP_P_ERROR] = "a refused call fails with EPERM (the default)",
	[NIP_P_ABORT] = "a refused call kills the process (OpenBSD's default)",
};

const char *nip_promise_name(int p)
{
	return p >= 0 && p < NIP_P_COUNT_ ? names[p] : "?";
}

const char *nip_promise_says(int p)
{
	return p >= 0 && p < NIP_P_COUNT_ ? says[p] : "?";
}

/* OpenBSD promises with no Linux meaning: refused by name, so a policy
 * never silently grants less (or more) than its author read into it. */
static const char *const foreign[] = {"tape", "audio", "video", "bpf", "pf", "route", "wroute",
				       "vmm", "drm", "disklabel", "mcast_route", NULL};

int nip_promises_parse(const char *s, uint64_t *out, struct nip_error *err)
{
	uint64_t set = 0;
	char word[32], shown[64];

	while (*s) {
		size_t n = strcspn(s, " \t");
		int p;

		if (n == 0) {
			s++;
			continue;
		}
		if (n >= sizeof word)
			return nip_err(err, NIP_E_FORMAT, "unknown promise '%s'",
				       nip_shorten(s, shown, sizeof shown));
		memcpy(word, s, n);
		word[n] = '\0';
		for (p = 0; p < NIP_P_COUNT_ && strcmp(word, names[p]) != 0; p++)
			;
		if (p == NIP_P_COUNT_) {
			for (int i = 0; foreign[i]; i++)
				if (strcmp(word, foreign[i]) == 0)
					return nip_err(err, NIP_E_FORMAT,
						       "promise '%s' has no meaning on Linux", word);
			return nip_err(err, NIP_E_FORMAT, "unknown promise '%s'", word);
		}
		set |= UINT64_C(1) << p;
		s += n;
	}
	if ((set & NIP_PROMISE(ERROR)) && (set & NIP_PROMISE(ABORT)))
		return nip_err(err, NIP_E_FORMAT, "promises 'error' and 'abort' exclude each other");
	*out = set;
	return 0;
}
