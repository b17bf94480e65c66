/* nip/lib/nexfs/deploy.c, checkout.c and remove.c: hard-link checkouts,
 * whole or absent, read-only, and their removal. */
#include <errno.h>
#include <linux/capability.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "nexfs_test.h"

#define TOOL "#!/bin/sh\necho hi\n"

static struct nip_file tree[] = {
	{.path = "bin", .type = NIP_FT_DIR, .mode = 0755},
	{.path = "bin/t", .type = NIP_FT_SYMLINK, .mode = 0777, .target = "tool"},
	{.path = "bin/tool", .type = NIP_FT_FILE, .mode = 0755},
	{.path = "bin/tool2", .type = NIP_FT_HARDLINK, .mode = 0755, .target = "bin/tool"},
	{.path = "etc", .type = NIP_FT_DIR, .mode = 0755},
	{.path = "etc/empty", .type = NIP_FT_FILE, .mode = 0600},
	{.path = "etc/fifo", .type = NIP_FT_FIFO, .mode = 0644},
	{.path = "etc/sub", .type = NIP_FT_DIR, .mode = 0750},
	{.path = "etc/sub/conf", .type = NIP_FT_FILE, .mode = 0644},
	{.path = "etc/tool.conf", .type = NIP_FT_FILE, .mode = 0644},
};
#define NTREE (sizeof tree / sizeof tree[0])

/* Fills in the hashes of `tree` and stores its objects. */
static void store_tree(struct nip_nexfs *fs)
{
	static const struct {
		size_t i;
		const char *text;
	} content[] = {{2, TOOL}, {5, ""}, {8, "x = 1\n"}, {9, "setting = 1\n"}};
	struct nip_error err;
	uint8_t root[NIP_SHA256_LEN];

	for (size_t k = 0; k < sizeof content / sizeof content[0]; k++) {
		struct nip_file *f = &tree[content[k].i];
		f->size = strlen(content[k].text);
		put_text(fs, content[k].text, f->mode, f->sha256);
	}
	memcpy(tree[3].sha256, tree[2].sha256, NIP_SHA256_LEN);
	/* The list is a valid archive order. */
	CU_ASSERT_EQUAL_FATAL(nip_files_root(tree, NTREE, NULL, NULL, root, &err), 0);
}

static void stat_at(int rootfd, const char *path, struct stat *st)
{
	CU_ASSERT_EQUAL_FATAL(fstatat(rootfd, path, st, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_checkout(void)
{
	struct tstore t;
	struct nip_error err;
	struct stat st, obj, st2;
	char path[128], buf[64];

	tstore_open(&t);
	store_tree(t.fs);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, tree, NTREE, "gen1", &err), 0);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 1);
	stat_at(t.rootfd, "deploy/gen1", &st);
	CU_ASSERT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555);
	stat_at(t.rootfd, "deploy/gen1/bin", &st);
	CU_ASSERT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555);
	stat_at(t.rootfd, "deploy/gen1/etc/sub", &st);
	CU_ASSERT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0550);

	/* Files and hard links are the objects' inodes, read-only. */
	object_path(tree[2].sha256, 0755, 0, path);
	stat_at(t.rootfd, path, &obj);
	stat_at(t.rootfd, "deploy/gen1/bin/tool", &st);
	CU_ASSERT_EQUAL(st.st_ino, obj.st_ino);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0555);
	stat_at(t.rootfd, "deploy/gen1/bin/tool2", &st);
	CU_ASSERT_EQUAL(st.st_ino, obj.st_ino);
	CU_ASSERT_EQUAL(obj.st_nlink, 3);
	object_path(tree[5].sha256, 0600, 0, path);
	stat_at(t.rootfd, path, &obj);
	stat_at(t.rootfd, "deploy/gen1/etc/empty", &st);
	CU_ASSERT_EQUAL(st.st_ino, obj.st_ino);
	CU_ASSERT_EQUAL(st.st_size, 0);
	stat_at(t.rootfd, "deploy/gen1/etc/tool.conf", &st);
	CU_ASSERT_EQUAL(st.st_size, 12);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0444);
	stat_at(t.rootfd, "deploy/gen1/etc/sub/conf", &st);
	CU_ASSERT_EQUAL(st.st_size, 6);

	CU_ASSERT_EQUAL(readlinkat(t.rootfd, "deploy/gen1/bin/t", buf, sizeof buf), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "tool", 4), 0);
	/* Symlinks too are links to an object, made on first checkout. */
	{
		uint8_t h[NIP_SHA256_LEN];
		nip_sha256("tool", 4, h);
		object_path(h, 0, 1, path);
		stat_at(t.rootfd, path, &obj);
		stat_at(t.rootfd, "deploy/gen1/bin/t", &st);
		CU_ASSERT(S_ISLNK(obj.st_mode));
		CU_ASSERT_EQUAL(st.st_ino, obj.st_ino);
	}
	stat_at(t.rootfd, "deploy/gen1/etc/fifo", &st);
	CU_ASSERT(S_ISFIFO(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0644);

	/* A second generation shares every inode with the first. */
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, tree, NTREE, "gen2", &err), 0);
	stat_at(t.rootfd, "deploy/gen1/etc/tool.conf", &st);
	stat_at(t.rootfd, "deploy/gen2/etc/tool.conf", &st2);
	CU_ASSERT_EQUAL(st.st_ino, st2.st_ino);
	CU_ASSERT_EQUAL(st2.st_nlink, 3);
	stat_at(t.rootfd, "deploy/gen2/bin/t", &st2);
	CU_ASSERT(S_ISLNK(st2.st_mode));
	CU_ASSERT_EQUAL(st2.st_nlink, 3);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 2);
	tstore_close(&t);
}

static void test_checkout_refusals(void)
{
	static const char *const bad[] = {"", "a/b", ".hidden", ".tmp-x", ".."};
	struct tstore t;
	struct nip_error err;
	char longname[300];

	tstore_open(&t);
	store_tree(t.fs);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, tree, NTREE, "gen1", &err), 0);
	CU_ASSERT_EQUAL(nip_deploy_checkout(t.fs, tree, NTREE, "gen1", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "deploy/gen1");
	CU_ASSERT_EQUAL(err.errnum, EEXIST);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(nip_deploy_checkout(t.fs, tree, NTREE, bad[i], &err), -1);
		CU_ASSERT_ERR(err, NIP_E_USAGE, "deployment name");
	}
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	CU_ASSERT_EQUAL(nip_deploy_checkout(t.fs, tree, NTREE, longname, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "longer than");
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 1);
	tstore_close(&t);
}

static void test_checkout_failures_leave_nothing(void)
{
	struct nip_file missing[] = {
		tfile("bin", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("bin/a", NIP_FT_FILE, 0644, "stored", NULL),
		tfile("bin/ghost", NIP_FT_FILE, 0644, "never stored", NULL),
	};
	struct nip_file orphan[] = {
		tfile("bin", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("bin/x/y", NIP_FT_FILE, 0644, "stored", NULL),
	};
	struct nip_file dangling[] = {
		tfile("a", NIP_FT_HARDLINK, 0644, NULL, "b"),
	};
	struct tstore t;
	struct nip_error err;
	struct stat st;
	char hex[NIP_SHA256_HEX], path[128];

	tstore_open(&t);
	put_text(t.fs, "stored", 0644, NULL);
	CU_ASSERT_EQUAL(nip_deploy_checkout(t.fs, missing, 3, "gen1", &err), -1);
	nip_hex(missing[2].sha256, NIP_SHA256_LEN, hex);
	CU_ASSERT_ERR(err, NIP_E_IO, "bin/ghost");
	CU_ASSERT_ERR(err, NIP_E_IO, "missing");
	CU_ASSERT_ERR(err, NIP_E_IO, hex);
	CU_ASSERT_ERR(err, NIP_E_IO, "deploy/gen1");
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 0);

	CU_ASSERT_EQUAL(nip_deploy_checkout(t.fs, orphan, 2, "gen1", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "bin/x/y");
	CU_ASSERT_EQUAL(nip_deploy_checkout(t.fs, dangling, 1, "gen1", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "hard link");
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 0);
	/* The store is untouched by all of it. */
	object_path(missing[1].sha256, 0644, 0, path);
	stat_at(t.rootfd, path, &st);
	CU_ASSERT_EQUAL(st.st_nlink, 1);
	tstore_close(&t);
}

/* 300 nested directories: far past the descriptor window, with files
 * placed on the way back up so that parents are reopened. */
static void test_deep(void)
{
	enum { DEPTH = 300 };
	struct nip_file *files = calloc(2 * DEPTH, sizeof *files);
	uint64_t missing;
	struct tstore t;
	struct nip_error err;
	uint8_t h[NIP_SHA256_LEN];
	int fd, ok = 1;

	CU_ASSERT_FATAL(files != NULL);
	tstore_open(&t);
	put_text(t.fs, "leaf", 0644, h);
	for (size_t k = 0; k < DEPTH; k++) {
		char *p = malloc(2 * DEPTH + 3);
		CU_ASSERT_FATAL(p != NULL);
		p[0] = 'd';
		for (size_t j = 1; j <= k; j++) {
			p[2 * j - 1] = '/';
			p[2 * j] = 'd';
		}
		p[2 * k + 1] = '\0';
		files[k] = tfile(p, NIP_FT_DIR, 0755, NULL, NULL);
	}
	for (size_t k = 0; k < DEPTH; k++) {
		const char *dir = files[DEPTH - 1 - k].path;
		char *p = malloc(strlen(dir) + 3);
		CU_ASSERT_FATAL(p != NULL);
		snprintf(p, strlen(dir) + 3, "%s/f", dir);
		files[DEPTH + k] = tfile(p, NIP_FT_FILE, 0644, "leaf", NULL);
	}
	CU_ASSERT_EQUAL_FATAL(nip_files_root(files, 2 * DEPTH, NULL, NULL, h, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, files, 2 * DEPTH, "deep", &err), 0);
	fd = openat(t.rootfd, "deploy/deep", O_RDONLY | O_DIRECTORY);
	for (size_t k = 0; k < DEPTH && fd >= 0; k++) {
		struct stat st;
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		ok &= fstatat(next, "f", &st, 0) == 0 && st.st_size == 4 && (st.st_mode & 0777) == 0444;
		ok &= fstat(next, &st) == 0 && (st.st_mode & 0777) == 0555;
		close(fd);
		fd = next;
	}
	CU_ASSERT(fd >= 0);
	CU_ASSERT(ok);
	if (fd >= 0)
		close(fd);
	CU_ASSERT_EQUAL(nip_deploy_check(t.fs, files, 2 * DEPTH, "deep", NULL, NULL, &missing, &err), 0);
	CU_ASSERT_EQUAL(nip_deploy_remove(t.fs, "deep", &err), 0);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 0);
	for (size_t k = 0; k < 2 * DEPTH; k++)
		free(files[k].path);
	free(files);
	tstore_close(&t);
}

static void test_remove(void)
{
	struct tstore t;
	struct nip_error err;
	struct stat st;
	char path[128];

	tstore_open(&t);
	store_tree(t.fs);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, tree, NTREE, "gen1", &err), 0);
	CU_ASSERT_EQUAL(nip_deploy_remove(t.fs, "gen1", &err), 0);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 0);
	object_path(tree[2].sha256, 0755, 0, path);
	stat_at(t.rootfd, path, &st);
	CU_ASSERT_EQUAL(st.st_nlink, 1);
	CU_ASSERT_EQUAL(nip_deploy_remove(t.fs, "gen1", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "deploy/gen1");
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	CU_ASSERT_EQUAL(nip_deploy_remove(t.fs, "../nexfs", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_USAGE, "deployment name");
	CU_ASSERT(exists_at(t.rootfd, "nexfs/objects"));
	tstore_close(&t);
}

static struct nip_file devices[] = {
	{.path = "dev", .type = NIP_FT_DIR, .mode = 0755},
	{.path = "dev/null", .type = NIP_FT_CHAR, .mode = 0666, .rdev_major = 1, .rdev_minor = 3},
};

/* In a child without CAP_MKNOD: 0 if the checkout failed as it should
 * (NIP_E_DENIED naming the path, nothing left in deploy/). */
static int devices_denied(struct tstore *t)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	struct nip_error err;

	if (syscall(SYS_capget, &h, d) < 0)
		return 2;
	d[0].effective &= ~(1u << CAP_MKNOD);
	if (syscall(SYS_capset, &h, d) < 0)
		return 3;
	if (nip_deploy_checkout(t->fs, devices, 2, "nodev", &err) == 0)
		return 4;
	if (err.code != NIP_E_DENIED || !strstr(err.msg, "dev/null"))
		return 5;
	return count_entries(t->rootfd, "deploy") == 1 ? 0 : 6;
}

static void test_devices(void)
{
	struct tstore t;
	struct nip_error err;
	struct stat st;
	int status;
	pid_t pid;

	tstore_open(&t);
	if (nip_deploy_checkout(t.fs, devices, 2, "dev", &err) == 0) {
		stat_at(t.rootfd, "deploy/dev/dev/null", &st);
		CU_ASSERT(S_ISCHR(st.st_mode));
		CU_ASSERT_EQUAL(major(st.st_rdev), 1);
		CU_ASSERT_EQUAL(minor(st.st_rdev), 3);
		CU_ASSERT_EQUAL(st.st_mode & 07777, 0666);
		/* And as a process that may not make devices. */
		pid = fork();
		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0)
			_exit(devices_denied(&t));
		CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	} else {
		/* Without CAP_MKNOD: a clear refusal naming the path. */
		CU_ASSERT_ERR(err, NIP_E_DENIED, "dev/null");
		CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 0);
	}
	tstore_close(&t);
}

/* ext4 caps an inode at 65,000 links: past that, a checkout copies the
 * object (read-only, same bytes) instead of failing. Only ext4 has a cap
 * this low enough to reach in a test. */
static void test_link_limit_copies(void)
{
	struct nip_file files[] = {tfile("f", NIP_FT_FILE, 0644, "many", NULL)};
	struct tstore t;
	struct nip_error err;
	struct statfs sfs;
	struct stat st, obj;
	char path[128], name[32], buf[8];
	int links, fd, full = 0;
	uint64_t missing;

	tstore_open(&t);
	if (fstatfs(t.rootfd, &sfs) < 0 || sfs.f_type != 0xEF53) {
		tstore_close(&t);
		return;
	}
	put_text(t.fs, "many", 0644, NULL);
	object_path(files[0].sha256, 0644, 0, path);
	CU_ASSERT_EQUAL_FATAL(mkdirat(t.rootfd, "links", 0755), 0);
	links = openat(t.rootfd, "links", O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 70000 && !full; i++) {
		snprintf(name, sizeof name, "%d", i);
		if (linkat(t.rootfd, path, links, name, 0) < 0) {
			CU_ASSERT_EQUAL_FATAL(errno, EMLINK);
			full = 1;
		}
	}
	CU_ASSERT_FATAL(full);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, files, 1, "gen", &err), 0);
	stat_at(t.rootfd, path, &obj);
	stat_at(t.rootfd, "deploy/gen/f", &st);
	CU_ASSERT_NOT_EQUAL(st.st_ino, obj.st_ino);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0444);
	CU_ASSERT_EQUAL(nip_deploy_check(t.fs, files, 1, "gen", NULL, NULL, &missing, &err), 0);
	fd = openat(t.rootfd, "deploy/gen/f", O_RDONLY);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof buf), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "many", 4), 0);
	close(fd);
	/* By dirfd: far faster than the runner's path-based cleanup. */
	for (int i = 0; i < 70000; i++) {
		snprintf(name, sizeof name, "%d", i);
		if (unlinkat(links, name, 0) < 0)
			break;
	}
	close(links);
	tstore_close(&t);
}

struct bad_list {
	int n;
	char lines[8][160];
};

static void note_bad(void *ctx, const char *what, const char *name, const char *why)
{
	struct bad_list *b = ctx;
	if (b->n < 8)
		snprintf(b->lines[b->n], sizeof b->lines[0], "%s %s: %s", what, name, why);
	b->n++;
}

/* fsck of a deployment: whole, then changed by hand, then redone. */
static void test_check_and_redo(void)
{
	struct tstore t;
	struct nip_error err;
	struct bad_list b = {0};
	uint64_t missing;
	struct stat before, after;

	tstore_open(&t);
	store_tree(t.fs);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, tree, NTREE, "gen", &err), 0);
	CU_ASSERT_EQUAL(nip_deploy_check(t.fs, tree, NTREE, "gen", note_bad, &b, &missing, &err), 0);
	CU_ASSERT_EQUAL(b.n, 0);
	/* A symlink retargeted, a FIFO removed, a file planted. */
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, "deploy/gen/bin", 0755, 0), 0);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, "deploy/gen/etc", 0755, 0), 0);
	CU_ASSERT_EQUAL_FATAL(unlinkat(t.rootfd, "deploy/gen/bin/t", 0), 0);
	CU_ASSERT_EQUAL_FATAL(symlinkat("/etc/shadow", t.rootfd, "deploy/gen/bin/t"), 0);
	CU_ASSERT_EQUAL_FATAL(unlinkat(t.rootfd, "deploy/gen/etc/fifo", 0), 0);
	close(openat(t.rootfd, "deploy/gen/etc/planted", O_WRONLY | O_CREAT, 0444));
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, "deploy/gen/bin", 0555, 0), 0);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, "deploy/gen/etc", 0555, 0), 0);
	CU_ASSERT_EQUAL(nip_deploy_check(t.fs, tree, NTREE, "gen", note_bad, &b, &missing, &err), 3);
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_STRING_EQUAL(b.lines[0], "deployment gen/bin/t: symlink points elsewhere");
	CU_ASSERT_STRING_EQUAL(b.lines[1], "deployment gen/etc/planted: not part of the generation");
	CU_ASSERT_STRING_EQUAL(b.lines[2], "deployment gen/etc/fifo: missing");
	/* Redone in place: a new tree at the same name, whole again. */
	stat_at(t.rootfd, "deploy/gen", &before);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_redo(t.fs, tree, NTREE, "gen", &err), 0);
	stat_at(t.rootfd, "deploy/gen", &after);
	CU_ASSERT_NOT_EQUAL(before.st_ino, after.st_ino);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 1);
	b.n = 0;
	CU_ASSERT_EQUAL(nip_deploy_check(t.fs, tree, NTREE, "gen", note_bad, &b, &missing, &err), 0);
	/* Redo needs a deployment to replace. */
	CU_ASSERT_EQUAL(nip_deploy_redo(t.fs, tree, NTREE, "none", &err), -1);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 1);
	CU_ASSERT_EQUAL(nip_deploy_remove(t.fs, "gen", &err), 0);
	b.n = 0;
	CU_ASSERT_EQUAL(nip_deploy_check(t.fs, tree, NTREE, "gen", note_bad, &b, &missing, &err), 1);
	CU_ASSERT_STRING_EQUAL(b.lines[0], "deployment gen/.: the deployment is missing");
	tstore_close(&t);
}

NIP_UNIT_SUITE("nexfs/deploy", NIP_TEST(test_checkout), NIP_TEST(test_checkout_refusals),
	       NIP_TEST(test_checkout_failures_leave_nothing), NIP_TEST(test_deep),
	       NIP_TEST(test_remove), NIP_TEST(test_devices), NIP_TEST(test_link_limit_copies),
	       NIP_TEST(test_check_and_redo))
