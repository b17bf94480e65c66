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

struct walked {
	uint8_t hash[8][NIP_SHA256_LEN];
	size_t n, reads;
};

static int walk_seen(void *ctx, const uint8_t hash[NIP_SHA256_LEN])
{
	struct walked *w = ctx;
	for (size_t i = 0; i < w->n; i++)
		if (memcmp(w->hash[i], hash, NIP_SHA256_LEN) == 0)
			return 1;
	CU_ASSERT_FATAL(w->n < 8);
	memcpy(w->hash[w->n++], hash, NIP_SHA256_LEN);
	w->reads++;
	return 0;
}

/* The bytes of a node, fixed: a type, the octal mode, the name, its NUL
 * and the raw hash; then walks that read each node once and stop at a
 * damaged one. */
static void test_node_bytes_and_walk(void)
{
	struct nip_file one[] = {tfile("a", NIP_FT_FILE, 0644, "x", NULL)};
	struct nip_file files[] = {
		tfile("a", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("a/b", NIP_FT_DIR, 0700, NULL, NULL),
		tfile("a/b/f", NIP_FT_FILE, 0644, "x", NULL),
		tfile("c", NIP_FT_DIR, 0755, NULL, NULL),
	};
	struct nip_file more[] = {
		tfile("a", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("a/b", NIP_FT_DIR, 0700, NULL, NULL),
		tfile("a/b/f", NIP_FT_FILE, 0644, "x", NULL),
		tfile("c", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("c/g", NIP_FT_FILE, 0644, "y", NULL),
	};
	struct seen s = {0};
	struct walked w = {0};
	struct tstore t;
	struct nip_error err;
	uint8_t root[NIP_SHA256_LEN], root2[NIP_SHA256_LEN], hx[NIP_SHA256_LEN];
	unsigned char want[8 + NIP_SHA256_LEN] = "f 644 a";
	char path[128];
	int fd;

	CU_ASSERT_EQUAL_FATAL(nip_files_root(one, 1, collect, &s, root, &err), 0);
	nip_sha256("x", 1, hx);
	memcpy(want + 8, hx, NIP_SHA256_LEN);
	CU_ASSERT_EQUAL(s.len[0], sizeof want);
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], want, sizeof want), 0);

	tstore_open(&t);
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, files, 4, root, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, more, 5, root2, &err), 0);
	CU_ASSERT_EQUAL(nip_tree_walk(t.fs, root, walk_seen, &w, &err), 0);
	CU_ASSERT_EQUAL(w.reads, 4); /* root, a, a/b, c */
	/* The second tree shares a and a/b: only its root and c are read. */
	CU_ASSERT_EQUAL(nip_tree_walk(t.fs, root2, walk_seen, &w, &err), 0);
	CU_ASSERT_EQUAL(w.reads, 6);
	/* A node whose bytes are not its name's, or missing, ends the walk. */
	tree_path(w.hash[w.n - 1], path);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, path, 0644, 0), 0);
	fd = openat(t.rootfd, path, O_WRONLY | O_APPEND);
	CU_ASSERT_EQUAL(write(fd, "z", 1), 1);
	close(fd);
	w.n = w.reads = 0;
	CU_ASSERT_EQUAL(nip_tree_walk(t.fs, root2, walk_seen, &w, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_FORMAT, "do not match its name");
	CU_ASSERT_EQUAL_FATAL(unlinkat(t.rootfd, path, 0), 0);
	w.n = w.reads = 0;
	CU_ASSERT_EQUAL(nip_tree_walk(t.fs, root2, walk_seen, &w, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "nexfs/trees/");
	tstore_close(&t);
}

NIP_UNIT_SUITE("nexfs/tree", NIP_TEST(test_node_bytes_and_walk), NIP_TEST(test_store_matches_root), NIP_TEST(test_empty_and_bad))
