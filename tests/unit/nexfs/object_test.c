/* nip/lib/nexfs/store.c, tmp.c and object.c: opening the store, writing
 * objects once, read-only, deduplicated. */
#include "nexfs_test.h"

static void test_open_layout(void)
{
	struct tstore t;
	struct nip_nexfs *again;
	struct nip_error err;

	tstore_open(&t);
	CU_ASSERT(exists_at(t.rootfd, "nexfs/objects"));
	CU_ASSERT(exists_at(t.rootfd, "nexfs/trees"));
	CU_ASSERT(exists_at(t.rootfd, "nexfs/tmp"));
	CU_ASSERT(exists_at(t.rootfd, "deploy"));
	CU_ASSERT_EQUAL(nip_nexfs_deploy_fd(t.fs) >= 0, 1);
	/* Opening an existing store is fine. */
	CU_ASSERT_EQUAL(nip_nexfs_open(t.rootfd, &again, &err), 0);
	nip_nexfs_close(again);
	CU_ASSERT_EQUAL(nip_nexfs_sync(t.fs, &err), 0);
	tstore_close(&t);
	nip_nexfs_close(NULL);
}

static void test_open_refuses_symlink(void)
{
	const char *dir = nip_unit_tmpdir();
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct nip_nexfs *fs = NULL;
	struct nip_error err;

	CU_ASSERT_FATAL(rootfd >= 0);
	CU_ASSERT_EQUAL_FATAL(mkdirat(rootfd, "elsewhere", 0755), 0);
	CU_ASSERT_EQUAL_FATAL(symlinkat("elsewhere", rootfd, "nexfs"), 0);
	CU_ASSERT_EQUAL(nip_nexfs_open(rootfd, &fs, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "nexfs");
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT_EQUAL(count_entries(rootfd, "elsewhere"), 0);
	close(rootfd);
}

static void test_names(void)
{
	uint8_t h[NIP_SHA256_LEN];
	char name[NIP_OBJECT_NAME_MAX], hex[NIP_SHA256_HEX], want[NIP_OBJECT_NAME_MAX];

	nip_sha256("x", 1, h);
	nip_hex(h, sizeof h, hex);
	nip_object_name(h, 0755, 0, name);
	snprintf(want, sizeof want, "%.2s/%s.0755", hex, hex);
	CU_ASSERT_STRING_EQUAL(name, want);
	nip_object_name(h, 04711, 0, name);
	snprintf(want, sizeof want, "%.2s/%s.4711", hex, hex);
	CU_ASSERT_STRING_EQUAL(name, want);
	/* File-type bits are not part of the name. */
	nip_object_name(h, 0100644, 0, name);
	snprintf(want, sizeof want, "%.2s/%s.0644", hex, hex);
	CU_ASSERT_STRING_EQUAL(name, want);
	nip_object_name(h, 0644, 1, name);
	snprintf(want, sizeof want, "%.2s/%s.link", hex, hex);
	CU_ASSERT_STRING_EQUAL(name, want);
}

static void test_commit(void)
{
	struct tstore t;
	uint8_t h[NIP_SHA256_LEN];
	char path[128], buf[64];
	struct stat st;
	int fd;

	tstore_open(&t);
	put_text(t.fs, "#!/bin/sh\necho hi\n", 0755, h);
	object_path(h, 0755, 0, path);
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	CU_ASSERT(S_ISREG(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0555);
	CU_ASSERT_EQUAL(st.st_size, 18);
	fd = openat(t.rootfd, path, O_RDONLY);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof buf), 18);
	CU_ASSERT_EQUAL(memcmp(buf, "#!/bin/sh\necho hi\n", 18), 0);
	close(fd);
	CU_ASSERT_EQUAL(nip_object_has(t.fs, h, 0755, 0), 1);
	CU_ASSERT_EQUAL(nip_object_has(t.fs, h, 0644, 0), 0);
	CU_ASSERT_EQUAL(nip_object_has(t.fs, h, 0, 1), 0);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/tmp"), 0);
	tstore_close(&t);
}

/* Write bits go, setuid/setgid/sticky stay: the object is the inode
 * every deployment links. */
static void test_modes_read_only(void)
{
	static const struct {
		uint32_t mode, want;
	} cases[] = {{0644, 0444}, {0600, 0400}, {04755, 04555}, {02711, 02511}, {0777, 0555}};
	struct tstore t;

	tstore_open(&t);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t h[NIP_SHA256_LEN];
		char path[128];
		struct stat st;
		put_text(t.fs, "same bytes", cases[i].mode, h);
		object_path(h, cases[i].mode, 0, path);
		CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, path, &st, 0), 0);
		CU_ASSERT_EQUAL(st.st_mode & 07777, cases[i].want);
	}
	tstore_close(&t);
}

static void test_dedup(void)
{
	struct tstore t;
	uint8_t h[NIP_SHA256_LEN];
	char path[128], sub[32];
	struct stat a, b;

	tstore_open(&t);
	put_text(t.fs, "shared", 0644, h);
	object_path(h, 0644, 0, path);
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, path, &a, 0), 0);
	put_text(t.fs, "shared", 0644, NULL);
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, path, &b, 0), 0);
	CU_ASSERT_EQUAL(a.st_ino, b.st_ino);
	CU_ASSERT_EQUAL(b.st_nlink, 1);
	snprintf(sub, sizeof sub, "%.16s", path); /* nexfs/objects/AB */
	CU_ASSERT_EQUAL(count_entries(t.rootfd, sub), 1);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/tmp"), 0);
	/* The same bytes with another mode are another object. */
	put_text(t.fs, "shared", 0755, NULL);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, sub), 2);
	tstore_close(&t);
}

static void test_abort_and_empty(void)
{
	struct tstore t;
	struct nip_object_writer *w;
	struct nip_error err;
	uint8_t h[NIP_SHA256_LEN];
	char path[128];
	struct stat st;

	tstore_open(&t);
	CU_ASSERT_EQUAL_FATAL(nip_object_begin(t.fs, &w, &err), 0);
	CU_ASSERT_EQUAL(nip_object_write(w, "partial", 7, &err), 0);
	nip_object_abort(w);
	nip_object_abort(NULL);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/tmp"), 0);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/objects"), 0);
	/* An empty file is an object like any other. */
	put_text(t.fs, "", 0600, h);
	object_path(h, 0600, 0, path);
	CU_ASSERT_EQUAL(fstatat(t.rootfd, path, &st, 0), 0);
	CU_ASSERT_EQUAL(st.st_size, 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0400);
	tstore_close(&t);
}

/* A symlink object is a symlink to the text, so checkouts can link it. */
static void test_put_link(void)
{
	struct tstore t;
	struct nip_error err;
	uint8_t h[NIP_SHA256_LEN];
	char path[128], buf[64];
	struct stat a, b;

	tstore_open(&t);
	CU_ASSERT_EQUAL(nip_object_put_link(t.fs, "../lib/libgreet.so.2", &err), 0);
	nip_sha256("../lib/libgreet.so.2", 20, h);
	CU_ASSERT_EQUAL(nip_object_has(t.fs, h, 0, 1), 1);
	CU_ASSERT_EQUAL(nip_object_has(t.fs, h, 0644, 0), 0);
	object_path(h, 0, 1, path);
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, path, &a, AT_SYMLINK_NOFOLLOW), 0);
	CU_ASSERT(S_ISLNK(a.st_mode));
	CU_ASSERT_EQUAL(readlinkat(t.rootfd, path, buf, sizeof buf), 20);
	CU_ASSERT_EQUAL(memcmp(buf, "../lib/libgreet.so.2", 20), 0);
	CU_ASSERT_EQUAL(nip_object_put_link(t.fs, "../lib/libgreet.so.2", &err), 0);
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, path, &b, AT_SYMLINK_NOFOLLOW), 0);
	CU_ASSERT_EQUAL(a.st_ino, b.st_ino);
	CU_ASSERT_EQUAL(nip_object_put_link(t.fs, "", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "empty target");
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/tmp"), 0);
	tstore_close(&t);
}

NIP_UNIT_SUITE("nexfs/object", NIP_TEST(test_open_layout), NIP_TEST(test_open_refuses_symlink),
	       NIP_TEST(test_names), NIP_TEST(test_commit), NIP_TEST(test_modes_read_only),
	       NIP_TEST(test_dedup), NIP_TEST(test_abort_and_empty), NIP_TEST(test_put_link))
