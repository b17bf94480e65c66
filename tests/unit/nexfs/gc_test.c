/* nip/lib/nexfs/gc.c: what the callbacks keep stays, the rest goes, and
 * the counts say what went. */
#include "nexfs_test.h"

struct hashes {
	uint8_t h[8][NIP_SHA256_LEN];
	size_t n;
	uint64_t bytes;
};

static int add_node(void *ctx, const uint8_t hash[NIP_SHA256_LEN], const void *bytes, size_t len,
		    struct nip_error *err)
{
	struct hashes *s = ctx;
	CU_ASSERT_FATAL(s->n < 8);
	memcpy(s->h[s->n++], hash, NIP_SHA256_LEN);
	s->bytes += len;
	return 0;
}

static int has(const struct hashes *s, const uint8_t hash[NIP_SHA256_LEN])
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->h[i], hash, NIP_SHA256_LEN) == 0)
			return 1;
	return 0;
}

struct keep {
	struct hashes objects, trees;
	const char *deploy;
};

static int keep_object(void *ctx, const uint8_t hash[NIP_SHA256_LEN], uint32_t mode, int is_link)
{
	return has(&((struct keep *)ctx)->objects, hash);
}
static int keep_tree(void *ctx, const uint8_t hash[NIP_SHA256_LEN])
{
	return has(&((struct keep *)ctx)->trees, hash);
}
static int keep_deploy(void *ctx, const char *name)
{
	return strcmp(name, ((struct keep *)ctx)->deploy) == 0;
}

static const struct nip_gc_ops ops = {keep_object, keep_tree, keep_deploy};

/* Debris of a crash: a half-built read-only checkout and a temporary. */
static void leave_debris(int rootfd)
{
	int fd;
	CU_ASSERT_EQUAL_FATAL(mkdirat(rootfd, "deploy/.tmp-gen3-0123456789abcdef", 0755), 0);
	CU_ASSERT_EQUAL_FATAL(mkdirat(rootfd, "deploy/.tmp-gen3-0123456789abcdef/bin", 0755), 0);
	fd = openat(rootfd, "deploy/.tmp-gen3-0123456789abcdef/bin/x", O_CREAT | O_WRONLY, 0444);
	close(fd);
	CU_ASSERT_EQUAL(fchmodat(rootfd, "deploy/.tmp-gen3-0123456789abcdef/bin", 0555, 0), 0);
	fd = openat(rootfd, "nexfs/tmp/w-0123456789abcdef", O_CREAT | O_WRONLY, 0600);
	CU_ASSERT_EQUAL(write(fd, "0123456789", 10), 10);
	close(fd);
}

static void test_gc(void)
{
	struct nip_file one[] = {
		tfile("x", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("x/a", NIP_FT_FILE, 0644, "alpha", NULL),
		tfile("x/b", NIP_FT_FILE, 0644, "bravo bytes", NULL),
	};
	struct nip_file two[] = {
		tfile("x", NIP_FT_DIR, 0755, NULL, NULL),
		tfile("x/a", NIP_FT_FILE, 0644, "alpha", NULL),
		tfile("x/c", NIP_FT_FILE, 0755, "charlie", NULL),
	};
	struct tstore t;
	struct nip_error err;
	struct keep k = {.deploy = "gen2"};
	struct hashes gone = {0};
	struct nip_gc_stats st = {9, 9, 9, 9};
	uint8_t root[NIP_SHA256_LEN], d[NIP_SHA256_LEN];
	char path[128];

	tstore_open(&t);
	put_text(t.fs, "alpha", 0644, k.objects.h[0]);
	put_text(t.fs, "bravo bytes", 0644, NULL);
	put_text(t.fs, "charlie", 0755, k.objects.h[1]);
	put_text(t.fs, "delta", 0600, d);
	k.objects.n = 2;
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, one, 3, root, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, two, 3, root, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_files_root(one, 3, add_node, &gone, root, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_files_root(two, 3, add_node, &k.trees, root, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, one, 3, "gen1", &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, two, 3, "gen2", &err), 0);
	leave_debris(t.rootfd);

	CU_ASSERT_EQUAL_FATAL(nip_nexfs_gc(t.fs, &ops, &k, &st, &err), 0);
	CU_ASSERT_EQUAL(st.deployments, 1);
	CU_ASSERT_EQUAL(st.objects, 2); /* bravo (its deployment went first), delta */
	CU_ASSERT_EQUAL(st.trees, 2);
	CU_ASSERT_EQUAL(st.bytes, 11 + 5 + 10 + gone.bytes);

	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 1);
	CU_ASSERT(exists_at(t.rootfd, "deploy/gen2/x/c"));
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/tmp"), 0);
	object_path(k.objects.h[0], 0644, 0, path);
	CU_ASSERT(exists_at(t.rootfd, path));
	object_path(k.objects.h[1], 0755, 0, path);
	CU_ASSERT(exists_at(t.rootfd, path));
	object_path(one[2].sha256, 0644, 0, path);
	CU_ASSERT(!exists_at(t.rootfd, path));
	object_path(d, 0600, 0, path);
	CU_ASSERT(!exists_at(t.rootfd, path));
	for (size_t i = 0; i < k.trees.n; i++) {
		char hex[NIP_SHA256_HEX];
		nip_hex(k.trees.h[i], NIP_SHA256_LEN, hex);
		snprintf(path, sizeof path, "nexfs/trees/%.2s/%s", hex, hex);
		CU_ASSERT(exists_at(t.rootfd, path));
	}

	/* A second run finds nothing more. */
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_gc(t.fs, &ops, &k, &st, &err), 0);
	CU_ASSERT(st.deployments == 0 && st.objects == 0 && st.trees == 0 && st.bytes == 0);
	tstore_close(&t);
}

/* An object still linked from a kept deployment frees no bytes. */
static void test_gc_bytes_only_for_last_link(void)
{
	struct nip_file files[] = {tfile("e", NIP_FT_FILE, 0644, "echo", NULL)};
	struct tstore t;
	struct nip_error err;
	struct keep k = {.deploy = "gen1"};
	struct nip_gc_stats st;
	uint8_t root[NIP_SHA256_LEN];

	tstore_open(&t);
	put_text(t.fs, "echo", 0644, NULL);
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, files, 1, root, &err), 0);
	memcpy(k.trees.h[0], root, sizeof root);
	k.trees.n = 1;
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, files, 1, "gen1", &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_gc(t.fs, &ops, &k, &st, &err), 0);
	CU_ASSERT_EQUAL(st.objects, 1);
	CU_ASSERT_EQUAL(st.bytes, 0);
	CU_ASSERT(exists_at(t.rootfd, "deploy/gen1/e"));
	tstore_close(&t);
}

/* No callback for a kind keeps all of it: a forgotten callback must not
 * empty the store. Debris goes regardless. */
static void test_gc_null_keeps(void)
{
	struct nip_file files[] = {tfile("e", NIP_FT_FILE, 0644, "echo", NULL)};
	static const struct nip_gc_ops none = {NULL, NULL, NULL};
	struct tstore t;
	struct nip_error err;
	struct nip_gc_stats st;
	uint8_t root[NIP_SHA256_LEN];

	tstore_open(&t);
	put_text(t.fs, "echo", 0644, NULL);
	CU_ASSERT_EQUAL_FATAL(nip_tree_store(t.fs, files, 1, root, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, files, 1, "gen1", &err), 0);
	leave_debris(t.rootfd);
	CU_ASSERT_EQUAL_FATAL(nip_nexfs_gc(t.fs, &none, NULL, &st, &err), 0);
	CU_ASSERT(st.deployments == 0 && st.objects == 0 && st.trees == 0);
	CU_ASSERT_EQUAL(st.bytes, 10);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 1);
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "nexfs/tmp"), 0);
	CU_ASSERT(exists_at(t.rootfd, "deploy/gen1/e"));
	CU_ASSERT_EQUAL(nip_nexfs_gc(t.fs, NULL, NULL, NULL, &err), 0);
	CU_ASSERT(exists_at(t.rootfd, "deploy/gen1/e"));
	tstore_close(&t);
}

NIP_UNIT_SUITE("nexfs/gc", NIP_TEST(test_gc), NIP_TEST(test_gc_bytes_only_for_last_link),
	       NIP_TEST(test_gc_null_keeps))
