/* unveil as Landlock: one ruleset per layer of a policy, each handling
 * every file system right this kernel knows. Stacked layers intersect.
 * The ABI is probed; a right the policy relies on that the kernel cannot
 * restrict refuses the policy, naming it, unless best effort is asked. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
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

/* What the kernel cannot restrict and the policy would need restricted. */
static int check_abi(const struct nip_policy *p, int abi, int best_effort, struct nip_error *err)
{
	if (abi == 0)
		return best_effort ? 0
				   : nip_err(err, NIP_E_DENIED,
					     "unveil needs Landlock, which this kernel does not offer "
					     "(enable CONFIG_SECURITY_LANDLOCK and lsm=landlock; or run with "
					     "--best-effort)");
	/* Before ABI 3 Landlock does not stop truncate(2) of a hidden path;
	 * the pledge filter then refuses truncate(2) altogether (seccomp.c),
	 * so nothing is missing. Later rights (device ioctls, TCP ports,
	 * scopes) are covered by the filter and the namespaces. */
	return 0;
}

int nip_landlock_apply(const struct nip_policy *p, const char *program, int best_effort,
		       struct nip_error *err)
{
	int abi = nip_landlock_abi(), rc = 0;
	size_t known = sizeof fs_by_abi / sizeof *fs_by_abi;

	if (!p->nlayers)
		return 0;
	if (check_abi(p, abi, best_effort, err) < 0)
		return -1;
	if (abi == 0)
		return 0;
	for (unsigned layer = 0; layer < p->nlayers && rc == 0; layer++) {
		struct ruleset_attr attr = {0};
		size_t size = sizeof attr.handled_access_fs;
		int fd;

		attr.handled_access_fs = fs_by_abi[(size_t)abi < known ? (size_t)abi : known - 1];
		if (abi >= 4) {
			/* Without inet no TCP bind or connect either: seccomp
			 * stops the sockets, Landlock the ports. */
			if (!(p->promises & (NIP_PROMISE(INET) | NIP_PROMISE(DNS))))
				attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
			size = offsetof(struct ruleset_attr, scoped);
		}
		if (abi >= 6) {
			/* Signals and abstract sockets stay inside the domain. */
			attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
			size = sizeof attr;
		}
		fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
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
