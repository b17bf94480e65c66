/* unveil as Landlock: one ruleset per layer of a policy, each handling
 * every file system right this kernel knows. Stacked layers intersect.
 * The ABI is probed; a right the policy relies on that the kernel cannot
 * restrict refuses the policy, naming it, unless best effort is asked. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nip/cell.h"

/* Rights and scopes of ABIs newer than the installed headers. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define NET_BIND_TCP (1ULL << 0)
#define NET_CONNECT_TCP (1ULL << 1)
#define SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define SCOPE_SIGNAL (1ULL << 1)

/* The attribute as of ABI 6; an older kernel reads only its prefix. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

static const uint64_t fs_by_abi[] = {
	0,
	(1ULL << 13) - 1,			/* 1: execute .. make_sym */
	(1ULL << 14) - 1,			/* 2: + refer */
	(1ULL << 15) - 1,			/* 3: + truncate */
	(1ULL << 15) - 1,			/* 4: (net) */
	(1ULL << 16) - 1,			/* 5: + ioctl_dev */
	(1ULL << 16) - 1,			/* 6: (scopes) */
};

#define READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define CREATE                                                                                     \
	(LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                          \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER)
/* Rights that make sense on a file that is not a directory. */
#define FILE_RIGHTS                                                                        \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

int nip_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

static uint64_t rights(unsigned perms)
{
	uint64_t r = 0;
	if (perms & NIP_UNVEIL_R)
		r |= READ;
	if (perms & NIP_UNVEIL_W)
		r |= WRITE;
	if (perms & NIP_UNVEIL_X)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (perms & NIP_UNVEIL_C)
		r |= CREATE;
	return r;
}

static int add_path(int ruleset, const struct nip_unveil_rule *r, uint64_t handled,
		    struct nip_error *err)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(r->path, O_PATH | O_CLOEXEC), rc;

	if (fd < 0) {
		/* A path the cell does not have: nothing there to grant, and
		 * nothing can appear there that a parent rule does not cover. */
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return nip_err_sys(err, NIP_E_USAGE, errno, "unveil %s", r->path);
	}
	pb.allowed_access = rights(r->perms) & handled;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= FILE_RIGHTS;
	pb.parent_fd = fd;
	rc = pb.allowed_access ? (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) : 0;
	if (rc < 0)
		rc = nip_err_sys(err, NIP_E_DENIED, errno, "Landlock: adding %s", r->path);
	close(fd);
	return rc;
}

static int any_perm(const struct nip_policy *p, unsigned perm)
{
	for (size_t i = 0; i < p->nunveil; i++)
		if (p->unveil[i].perms & perm)
			return 1;
	return 0;
}

static void note(struct nip_landlock_plan *out, const char *text)
{
	size_t len = strlen(out->notes);
	snprintf(out->notes + len, sizeof out->notes - len, "%s%s", len ? "\n" : "", text);
}

int nip_landlock_plan(const struct nip_policy *p, int abi, int best_effort,
		      struct nip_landlock_plan *out, struct nip_error *err)
{
	size_t known = sizeof fs_by_abi / sizeof *fs_by_abi;

	memset(out, 0, sizeof *out);
	out->abi = abi;
	/* Before ABI 3 Landlock does not see truncate(2): the pledge filter
	 * refuses that call whatever the policy unveils (seccomp.c). */
	if (abi < 3 && (p->promises & NIP_PROMISE(WPATH)))
		note(out, "truncate(2) by path fails with EPERM: Landlock before ABI 3 cannot limit it "
			  "to the unveiled files (ftruncate and open with O_TRUNC work)");
	if (abi <= 0) {
		out->abi = 0;
		/* Nothing hides a file: a policy with unveil lines needs it. */
		if (p->nlayers && !best_effort)
			return nip_err(err, NIP_E_DENIED,
				       "unveil needs Landlock, which this kernel does not offer "
				       "(enable CONFIG_SECURITY_LANDLOCK and lsm=landlock; or run with "
				       "--best-effort)");
		if (p->nlayers)
			note(out, "unveil is not enforced: this kernel has no Landlock (--best-effort)");
		return 0;
	}
	out->handled_fs = fs_by_abi[(size_t)abi < known ? (size_t)abi : known - 1];
	out->attr_size = sizeof out->handled_fs;
	if (abi >= 4) {
		/* Without inet no TCP bind or connect either: seccomp stops the
		 * sockets, Landlock the ports. */
		if (!(p->promises & (NIP_PROMISE(INET) | NIP_PROMISE(DNS))))
			out->handled_net = NET_BIND_TCP | NET_CONNECT_TCP;
		out->attr_size = offsetof(struct ruleset_attr, scoped);
	}
	if (abi >= 6) {
		/* Signals and abstract sockets stay inside the domain. */
		out->scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
		out->attr_size = sizeof(struct ruleset_attr);
	}
	if (!p->nlayers)
		return 0;
	/* What this kernel cannot restrict is refused outright by other means,
	 * so nothing the policy hides becomes reachable; what it costs the
	 * program is said. Before ABI 2 Landlock
	 * refuses every rename or link into another directory (the refer
	 * right does not exist, so it cannot be granted). Device ioctls
	 * (ABI 5) are bounded by the filter's ioctl list, TCP ports (ABI 4) by
	 * the network namespace and the filter. */
	if (abi < 2 && any_perm(p, NIP_UNVEIL_C))
		note(out, "renaming or linking a file into another directory fails with EXDEV: "
			  "Landlock ABI 1 cannot allow it (the refer right needs ABI 2)");
	if (abi < 6 && (p->promises & NIP_PROMISE(UNIX)) &&
	    (p->promises & (NIP_PROMISE(INET) | NIP_PROMISE(DNS))))
		note(out, "abstract unix sockets of the host's network namespace stay reachable: "
			  "Landlock scopes them from ABI 6");
	return 0;
}

int nip_landlock_apply(const struct nip_policy *p, const char *program, int best_effort,
		       struct nip_error *err)
{
	struct nip_landlock_plan plan;
	int rc = 0;

	if (!p->nlayers)
		return 0;
	if (nip_landlock_plan(p, nip_landlock_abi(), best_effort, &plan, err) < 0)
		return -1;
	if (plan.abi == 0)
		return 0;
	for (unsigned layer = 0; layer < p->nlayers && rc == 0; layer++) {
		struct ruleset_attr attr = {plan.handled_fs, plan.handled_net, plan.scoped};
		int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, plan.attr_size, 0);

		if (fd < 0)
			return nip_err_sys(err, NIP_E_DENIED, errno, "Landlock: creating a ruleset");
		for (size_t i = 0; i < p->nunveil && rc == 0; i++)
			if (p->unveil[i].layer == layer)
				rc = add_path(fd, &p->unveil[i], attr.handled_access_fs, err);
		if (rc == 0 && program) {
			/* The program itself always starts, wherever it lies. */
			struct nip_unveil_rule self = {(char *)program, NIP_UNVEIL_R | NIP_UNVEIL_X, layer, 1};
			rc = add_path(fd, &self, attr.handled_access_fs, err);
		}
		if (rc == 0 && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
			rc = nip_err_sys(err, NIP_E_DENIED, errno, "Landlock: restricting");
		close(fd);
	}
	return rc;
}
