/* Dropping root after the socket is bound and the keys are read: a flaw
 * in request handling then runs as an unprivileged user. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "server.h"

int trackd_drop_to(const char *name, struct nip_error *err)
{
	struct passwd pw, *p = NULL;
	char buf[4096];
	int rc = getpwnam_r(name, &pw, buf, sizeof buf, &p);

	if (rc != 0)
		return nip_err_sys(err, NIP_E_IO, rc, "--user %s: looking up the user", name);
	if (!p)
		return nip_err(err, NIP_E_USAGE, "--user %s: no such user", name);
	if (geteuid() != 0) {
		if (geteuid() == p->pw_uid)
			return 0;
		return nip_err(err, NIP_E_DENIED, "--user %s: only root can change user", name);
	}
	/* Supplementary groups first (they need root), then gid, then uid. */
	if (setgroups(1, &p->pw_gid) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "--user %s: setgroups", name);
	if (setresgid(p->pw_gid, p->pw_gid, p->pw_gid) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "--user %s: setresgid", name);
	if (setresuid(p->pw_uid, p->pw_uid, p->pw_uid) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "--user %s: setresuid", name);
	/* A drop that can be undone is no drop: refuse to serve as root. */
	if (p->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0 || getuid() == 0))
		return nip_err(err, NIP_E_DENIED, "--user %s: root privileges remain after the drop",
			       name);
	/* Nothing trackd runs may gain privileges back (setuid binaries). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "--user %s: no_new_privs", name);
	return 0;
}
