/* nip/lib/nexfs/tree.c: directory nodes stored as nip_files_root hashes
 * them. */
#include "nexfs_test.h"

struct seen {
	uint8_t hash[8][NIP_SHA256_LEN];
	unsigned char bytes[8][512];
	size_t len[8], n;
};

static int collect(void *ctx, const uint8_t hash[NIP_SHA256_LEN], const void *bytes, size_t len,
		   struct nip_error *err)
{
	struct seen *s = ctx;
	CU_ASSERT_FATAL(s->n < 8 && len <= 512);
	memcpy(s->hash[s->n], hash, NIP_SHA256_LEN);
	memcpy(s->bytes[s->n], bytes, len);
	s->len[s->n++] = len;
	return 0;
}

static void tree_path(const uint8_t hash[NIP_SHA256_LEN], char out[128])
{
	char hex[NIP_SHA256_HEX];
	nip_hex(hash, NIP_SHA256_LEN, hex);
	snprintf(out, 128, "nexfs/trees/%.2s/%s", hex, hex);
}

static void test_store_matches_root(void)
{
	struct nip_file files[] = {
		tfile("bin", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("bin/t", NIP_FT_SYMLINK, 0777, NULL, "tool"),
		tfile("bin/tool", NIP_FT_FILE, 0755, "#!/bin/sh\n", NULL),
		tfile("etc", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("etc/x", NIP_FT_DIR, 0700, NULL, NULL),
		tfile("etc/x/empty", NIP_FT_FILE, 0644, "", NULL),
	};
	const size_t n = sizeof files / sizeof files[0];
	struct tstore t;
	struct nip_error err;
	uint8_t root[NIP_SHA256_LEN], want[NIP_SHA256_LEN];
	struct seen s = {0};
	struct stat st, again;
	char path[128];

	tstore_open(&t);
	CU_ASSERT_EQUAL_FATAL(nip_files_root(files, n, collect, &s, want, &err), 0);
	CU_ASSERT_EQUAL(s.n, 4); /* bin, etc/x, etc, root */
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, files, n, root, &err), 0);
	CU_ASSERT_EQUAL(memcmp(root, want, sizeof root), 0);
	for (size_t i = 0; i < s.n; i++) {
		unsigned char buf[600];
		int fd;
		tree_path(s.hash[i], path);
		fd = openat(t.rootfd, path, O_RDONLY);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_EQUAL(read(fd, buf, sizeof buf), (ssize_t)s.len[i]);
		CU_ASSERT_EQUAL(memcmp(buf, s.bytes[i], s.len[i]), 0);
		CU_ASSERT_EQUAL(fstat(fd, &st), 0);
		CU_ASSERT_EQUAL(st.st_mode & 07777, 0444);
		close(fd);
	}
	/* Storing it again writes nothing: same inodes, no temporaries. */
	tree_path(root, path);
	CU_ASSERT_EQUAL(fstatat(t.rootfd, path, &st, 0), 0);
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, files, n, root, &err), 0);
	CU_ASSERT_EQUAL(fstatat(t.rootfd, path, &again, 0), 0);
	CU_ASSERT_EQUAL(st.st_ino, again.st_ino);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/tmp"), 0);
	tstore_close(&t);
}

static void test_empty_and_bad(void)
{
	struct nip_file bad[] = {
		tfile("a/b", NIP_FT_FILE, 0644, "x", NULL),
	};
	struct tstore t;
	struct nip_error err;
	uint8_t root[NIP_SHA256_LEN], want[NIP_SHA256_LEN];
	char path[128];

	tstore_open(&t);
	/* The empty tree is a node too (an empty package). */
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, NULL, 0, root, &err), 0);
	nip_sha256("", 0, want);
	CU_ASSERT_EQUAL(memcmp(root, want, sizeof root), 0);
	tree_path(root, path);
	CU_ASSERT(exists_at(t.rootfd, path));
	CU_ASSERT_EQUAL(nip_tree_store(t.fs, bad, 1, root, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "a/b");
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "storing a tree");
	tstore_close(&t);
}

NIP_UNIT_SUITE("nexfs/tree", NIP_TEST(test_store_matches_root), NIP_TEST(test_empty_and_bad))
