/* nip_pledge and nip_unveil: OpenBSD's calls for a program that confines
 * itself. The state below mirrors what the kernel holds for the process
 * (its seccomp filters, its Landlock domain), which is per process by
 * nature; it only remembers what was granted so that a later call can be
 * refused for widening. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "nip/cell.h"
#include "nip/limits.h"

#define MODE_BITS (NIP_PROMISE(ERROR) | NIP_PROMISE(ABORT))

static struct {
	int pledged;
	uint64_t promises, execpromises;
	int locked;
	struct nip_policy pending; /* unveil rules not yet applied */
	int hidden;                /* an unveil layer is in force */
} self;

static int errno_of(const struct nip_error *err)
{
	if (err->code == NIP_E_FORMAT || err->code == NIP_E_USAGE)
		return err->errnum ? err->errnum : EINVAL;
	return err->errnum ? err->errnum : EPERM;
}

static void clear_pending(void)
{
	for (size_t i = 0; i < self.pending.nunveil; i++)
		free(self.pending.unveil[i].path);
	free(self.pending.unveil);
	memset(&self.pending, 0, sizeof self.pending);
}

/* Landlock rules reach the kernel only as a whole ruleset. */
static int apply_pending(struct nip_error *err)
{
	int rc;

	if (!self.pending.nunveil)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return nip_err_sys(err, NIP_E_DENIED, errno, "no_new_privs");
	self.pending.nlayers = 1;
	self.pending.promises = self.promises;
	rc = nip_landlock_apply(&self.pending, NULL, 0, err);
	clear_pending();
	if (rc == 0)
		self.hidden = 1;
	return rc;
}

int nip_pledge(const char *promises, const char *execpromises)
{
	struct nip_error err;
	uint64_t set = self.pledged ? self.promises : ~UINT64_C(0) & ~MODE_BITS, exec = self.execpromises;

	if (promises && nip_promises_parse(promises, &set, &err) < 0)
		goto fail;
	if (execpromises && nip_promises_parse(execpromises, &exec, &err) < 0)
		goto fail;
	if (self.pledged) {
		if (set & ~self.promises & ~MODE_BITS) {
			errno = EPERM;
			return -1;
		}
		/* A process already killed on violation stays so. */
		set |= self.promises & NIP_PROMISE(ABORT);
		if (execpromises && (exec & ~self.execpromises & ~MODE_BITS)) {
			errno = EPERM;
			return -1;
		}
	}
	if (!execpromises)
		exec = self.pledged ? self.execpromises : set;
	if (apply_pending(&err) < 0)
		goto fail;
	if (promises) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
			nip_err_sys(&err, NIP_E_DENIED, errno, "no_new_privs");
			goto fail;
		}
		if (nip_seccomp_apply(set, 0, NULL, &err) < 0)
			goto fail;
		self.pledged = 1;
		self.promises = set;
	}
	self.execpromises = exec;
	return 0;
fail:
	errno = errno_of(&err);
	return -1;
}

int nip_unveil(const char *path, const char *permissions)
{
	struct nip_error err;
	struct nip_unveil_rule *v;
	struct stat st;
	unsigned perms = 0;

	if (!path && !permissions) {
		if (apply_pending(&err) < 0) {
			errno = errno_of(&err);
			return -1;
		}
		self.locked = 1;
		return 0;
	}
	if (!path || !permissions) {
		errno = EINVAL;
		return -1;
	}
	if (self.locked) {
		errno = EPERM;
		return -1;
	}
	for (const char *c = permissions; *c; c++) {
		unsigned bit = *c == 'r' ? NIP_UNVEIL_R : *c == 'w' ? NIP_UNVEIL_W
				: *c == 'x' ? NIP_UNVEIL_X : *c == 'c' ? NIP_UNVEIL_C : 0;
		if (!bit) {
			errno = EINVAL;
			return -1;
		}
		perms |= bit;
	}
	if (nip_landlock_abi() == 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (stat(path, &st) < 0)
		return -1; /* Landlock names existing files only */
	if (self.pending.nunveil >= NIP_UNVEIL_MAX) {
		errno = E2BIG;
		return -1;
	}
	v = realloc(self.pending.unveil, (self.pending.nunveil + 1) * sizeof *v);
	if (!v)
		return -1;
	self.pending.unveil = v;
	v += self.pending.nunveil;
	memset(v, 0, sizeof *v);
	if (!(v->path = strdup(path)))
		return -1;
	v->perms = perms;
	self.pending.nunveil++;
	return 0;
}
