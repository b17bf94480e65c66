/* nip/lib/nexfs/fsck.c: every object and tree re-hashed against its name. */
#include "nexfs_test.h"

struct report {
	int n;
	char what[8][16], name[8][128], why[8][160];
};

static void on_bad(void *ctx, const char *what, const char *name, const char *why)
{
	struct report *r = ctx;
	if (r->n < 8) {
		snprintf(r->what[r->n], sizeof r->what[0], "%s", what);
		snprintf(r->name[r->n], sizeof r->name[0], "%s", name);
		snprintf(r->why[r->n], sizeof r->why[0], "%s", why);
	}
	r->n++;
}

static void flip_first_byte(int rootfd, const char *path)
{
	int fd = openat(rootfd, path, O_RDWR);
	unsigned char c;
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, &c, 1, 0), 1);
	c ^= 0x01;
	CU_ASSERT_EQUAL(pwrite(fd, &c, 1, 0), 1);
	close(fd);
}

/* Two files, a symlink object and the two trees of a small list. */
static void fill(struct tstore *t, uint8_t root[NIP_SHA256_LEN], uint8_t tool[NIP_SHA256_LEN])
{
	struct nip_file files[] = {
		tfile("bin", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("bin/t", NIP_FT_SYMLINK, 0777, NULL, "tool"),
		tfile("bin/tool", NIP_FT_FILE, 0755, "#!/bin/sh\n", NULL),
		tfile("readme", NIP_FT_FILE, 0644, "read me\n", NULL),
	};
	struct nip_error err;

	put_text(t->fs, "#!/bin/sh\n", 0755, tool);
	put_text(t->fs, "read me\n", 0644, NULL);
	CU_ASSERT_EQUAL_FATAL(nip_object_put_link(t->fs, "tool", &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t->fs, files, 4, root, &err), 0);
}

static void test_clean(void)
{
	struct tstore t;
	struct nip_error err;
	struct nip_fsck_stats st;
	struct report r = {0};
	uint8_t root[NIP_SHA256_LEN], tool[NIP_SHA256_LEN];

	tstore_open(&t);
	fill(&t, root, tool);
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_fsck(t.fs, 0, on_bad, &r, &st, &err), 0);
	CU_ASSERT_EQUAL(st.objects, 3);
	CU_ASSERT_EQUAL(st.trees, 2);
	CU_ASSERT_EQUAL(st.bad, 0);
	CU_ASSERT_EQUAL(r.n, 0);
	tstore_close(&t);
}

static void test_corruption_found_and_repaired(void)
{
	struct tstore t;
	struct nip_error err;
	struct nip_fsck_stats st;
	struct report r = {0};
	uint8_t root[NIP_SHA256_LEN], tool[NIP_SHA256_LEN];
	char obj[128], tree[128], name[NIP_OBJECT_NAME_MAX], hex[NIP_SHA256_HEX];

	tstore_open(&t);
	fill(&t, root, tool);
	/* Make the object writable, flip a byte, make it read-only again:
	 * only the content is wrong. */
	object_path(tool, 0755, 0, obj);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, obj, 0755, 0), 0);
	flip_first_byte(t.rootfd, obj);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, obj, 0555, 0), 0);
	nip_hex(root, NIP_SHA256_LEN, hex);
	snprintf(tree, sizeof tree, "nexfs/trees/%.2s/%s", hex, hex);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, tree, 0644, 0), 0);
	flip_first_byte(t.rootfd, tree);

	CU_ASSERT_EQUAL_FATAL(nip_nexfs_fsck(t.fs, 0, on_bad, &r, &st, &err), 0);
	CU_ASSERT_EQUAL(st.bad, 2);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	nip_object_name(tool, 0755, 0, name);
	CU_ASSERT_STRING_EQUAL(r.what[0], "object");
	CU_ASSERT_STRING_EQUAL(r.name[0], name);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.why[0], "SHA-256"));
	CU_ASSERT_STRING_EQUAL(r.what[1], "tree");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.name[1], hex));
	CU_ASSERT(exists_at(t.rootfd, obj)); /* no repair: untouched */

	memset(&r, 0, sizeof r);
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_fsck(t.fs, 1, on_bad, &r, &st, &err), 0);
	CU_ASSERT_EQUAL(st.bad, 2);
	CU_ASSERT(!exists_at(t.rootfd, obj));
	CU_ASSERT(!exists_at(t.rootfd, tree));
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_fsck(t.fs, 0, NULL, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(st.bad, 0);
	CU_ASSERT_EQUAL(st.objects, 2);
	CU_ASSERT_EQUAL(st.trees, 1);
	/* The next import of the same bytes restores it. */
	put_text(t.fs, "#!/bin/sh\n", 0755, NULL);
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_fsck(t.fs, 0, NULL, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(st.objects, 3);
	CU_ASSERT_EQUAL(st.bad, 0);
	tstore_close(&t);
}

/* A writable object (someone chmodded it) and stray entries. */
static void test_mode_and_strays(void)
{
	struct tstore t;
	struct nip_error err;
	struct nip_fsck_stats st;
	struct report r = {0};
	uint8_t root[NIP_SHA256_LEN], tool[NIP_SHA256_LEN];
	char obj[128], stray[160];
	int fd;

	tstore_open(&t);
	fill(&t, root, tool);
	object_path(tool, 0755, 0, obj);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, obj, 0755, 0), 0);
	snprintf(stray, sizeof stray, "%.16s/junk", obj);
	fd = openat(t.rootfd, stray, O_CREAT | O_WRONLY, 0644);
	close(fd);
	snprintf(stray, sizeof stray, "%.16s/lnk", obj);
	CU_ASSERT_EQUAL_FATAL(symlinkat("/etc/passwd", t.rootfd, stray), 0);

	CU_ASSERT_EQUAL_FATAL(nip_nexfs_fsck(t.fs, 1, on_bad, &r, &st, &err), 0);
	CU_ASSERT_EQUAL(st.bad, 3);
	CU_ASSERT_EQUAL_FATAL(r.n, 3);
	for (int i = 0; i < 3; i++) {
		int stray_name = strstr(r.name[i], "junk") || strstr(r.name[i], "lnk");
		CU_ASSERT_STRING_EQUAL(r.why[i], stray_name ? "not an object name"
							    : "mode 0755, expected 0555");
	}
	CU_ASSERT(!exists_at(t.rootfd, stray));
	CU_ASSERT(!exists_at(t.rootfd, obj));
	tstore_close(&t);
}

/* A symlink object pointing elsewhere, and a file posing as one. */
static void test_link_objects(void)
{
	struct tstore t;
	struct nip_error err;
	struct nip_fsck_stats st;
	struct report r = {0};
	uint8_t root[NIP_SHA256_LEN], tool[NIP_SHA256_LEN], h[NIP_SHA256_LEN];
	char path[128], other[128], path2[32];
	int fd;

	tstore_open(&t);
	fill(&t, root, tool);
	nip_sha256("tool", 4, h);
	object_path(h, 0, 1, path);
	CU_ASSERT_EQUAL_FATAL(unlinkat(t.rootfd, path, 0), 0);
	CU_ASSERT_EQUAL_FATAL(symlinkat("/etc/shadow", t.rootfd, path), 0);
	nip_sha256("other", 5, h);
	object_path(h, 0, 1, other);
	snprintf(path2, sizeof path2, "%.16s", other);
	mkdirat(t.rootfd, path2, 0755);
	fd = openat(t.rootfd, other, O_CREAT | O_WRONLY, 0444);
	CU_ASSERT_EQUAL(write(fd, "other", 5), 5);
	close(fd);

	CU_ASSERT_EQUAL_FATAL(nip_nexfs_fsck(t.fs, 1, on_bad, &r, &st, &err), 0);
	CU_ASSERT_EQUAL(st.bad, 2);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	for (int i = 0; i < 2; i++) {
		const char *want = strstr(other, r.name[i]) ? "not a symlink" : "target's SHA-256";
		CU_ASSERT_PTR_NOT_NULL(strstr(r.why[i], want));
	}
	CU_ASSERT(!exists_at(t.rootfd, path));
	CU_ASSERT(!exists_at(t.rootfd, other));
	tstore_close(&t);
}

NIP_UNIT_SUITE("nexfs/fsck", NIP_TEST(test_clean), NIP_TEST(test_corruption_found_and_repaired),
	       NIP_TEST(test_mode_and_strays), NIP_TEST(test_link_objects))
