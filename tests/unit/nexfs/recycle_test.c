/* nip/lib/nexfs/recycle.c: one generation's deployment turned into the
 * next one's by changing only what differs, ending exactly where a fresh
 * checkout would. */
#include "nexfs_test.h"

#define F(p, m, c) tfile(p, NIP_FT_FILE, m, c, NULL)
#define D(p, m) tfile(p, NIP_FT_DIR, m, NULL, NULL)
#define L(p, t) tfile(p, NIP_FT_SYMLINK, 0777, NULL, t)
#define H(p, m, t) tfile(p, NIP_FT_HARDLINK, m, NULL, t)

static const char *texts[] = {"tool v1\n", "tool v2\n", "", "conf\n", "conf 2\n", "doc\n"};

static void store_texts(struct nip_nexfs *fs)
{
	static const uint32_t modes[] = {0755, 0700, 0600, 0644};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		for (size_t j = 0; j < sizeof modes / sizeof modes[0]; j++)
			put_text(fs, texts[i], modes[j], NULL);
}

/* Hard links take their target's hash, as a manifest gives it. */
static void link_hashes(struct nip_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].type == NIP_FT_HARDLINK) {
			const struct nip_file *t = nip_files_find(f, i, f[i].target);
			CU_ASSERT_PTR_NOT_NULL_FATAL(t);
			memcpy(f[i].sha256, t->sha256, NIP_SHA256_LEN);
		}
}

static void lists(struct nip_file *a, size_t *na, struct nip_file *b, size_t *nb)
{
	struct nip_file old[] = {
		D("bin", 0755),
		L("bin/t", "tool"),
		F("bin/tool", 0755, "tool v1\n"),
		H("bin/tool2", 0755, "bin/tool"),
		D("etc", 0755),
		F("etc/empty", 0600, ""),
		D("etc/sub", 0755),
		F("etc/sub/conf", 0644, "conf\n"),
		F("etc/tool.conf", 0644, "conf\n"),
		F("keep", 0644, "conf\n"),
	};
	struct nip_file new[] = {
		D("bin", 0755),
		L("bin/t", "tool2"),                /* retargeted */
		F("bin/tool", 0700, "tool v2\n"),   /* new content and mode */
		H("bin/tool2", 0700, "bin/tool"),   /* follows its target */
		D("etc", 0750),                     /* mode only */
		D("etc/empty", 0755),               /* a file became a directory */
		F("etc/empty/x", 0644, "conf\n"),
		F("etc/sub", 0644, "conf 2\n"),     /* a directory became a file */
		F("etc/tool.conf", 0644, "conf\n"), /* unchanged */
		F("keep", 0644, "conf\n"),
		D("share", 0755), /* a new subtree */
		D("share/doc", 0755),
		F("share/doc/README", 0644, "doc\n"),
	};
	memcpy(a, old, sizeof old);
	memcpy(b, new, sizeof new);
	*na = sizeof old / sizeof old[0];
	*nb = sizeof new / sizeof new[0];
	link_hashes(a, *na);
	link_hashes(b, *nb);
}

static void test_recycle(void)
{
	struct tstore t;
	struct nip_error err;
	struct nip_file a[16], b[16];
	struct nip_deploy_plan *p;
	struct stat kept1, kept2;
	uint64_t missing;
	size_t na, nb;

	lists(a, &na, b, &nb);
	tstore_open(&t);
	store_texts(t.fs);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, a, na, "g1", &err), 0);
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, "deploy/g1/etc/tool.conf", &kept1, 0), 0);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_plan(a, na, b, nb, &p, &err), 0);
	/* Removed: t, tool, tool2, empty, sub/conf, sub (6); made: t, tool,
	 * tool2, empty/, empty/x, sub, share/, doc/, README (9). */
	CU_ASSERT_EQUAL(nip_deploy_plan_changes(p), 15);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_recycle(t.fs, "g1", "g2", p, &err), 0);
	nip_deploy_plan_free(p);

	CU_ASSERT_FALSE(exists_at(t.rootfd, "deploy/g1"));
	CU_ASSERT_EQUAL(count_entries(t.rootfd, "deploy"), 1);
	/* What a fresh checkout of the new list is, and no more. */
	CU_ASSERT_EQUAL(nip_deploy_check(t.fs, b, nb, "g2", NULL, NULL, &missing, &err), 0);
	CU_ASSERT_EQUAL(missing, 0);
	/* An unchanged entry is the very same link, not made again. */
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, "deploy/g2/etc/tool.conf", &kept2, 0), 0);
	CU_ASSERT_EQUAL(kept1.st_ino, kept2.st_ino);
	CU_ASSERT_EQUAL_FATAL(fstatat(t.rootfd, "deploy/g2/etc", &kept2, 0), 0);
	CU_ASSERT_EQUAL(kept2.st_mode & 07777, 0550);
	tstore_close(&t);
}

static void test_nothing_to_change(void)
{
	struct nip_file a[16], b[16];
	struct nip_deploy_plan *p;
	struct nip_error err;
	size_t na, nb;

	lists(a, &na, b, &nb);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_plan(a, na, a, na, &p, &err), 0);
	CU_ASSERT_EQUAL(nip_deploy_plan_changes(p), 0);
	nip_deploy_plan_free(p);
	/* Lists out of archive order are refused. */
	b[0] = b[nb - 1];
	CU_ASSERT_EQUAL(nip_deploy_plan(a, na, b, nb, &p, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_INTERNAL, "out of order");
}

/* A tree that is not what its list says stops the recycling: the entry
 * the plan removes must be there, and a directory it removes empty. */
static void test_recycle_refuses_surprises(void)
{
	struct tstore t;
	struct nip_error err;
	struct nip_file a[16], b[16];
	struct nip_deploy_plan *p;
	size_t na, nb;

	lists(a, &na, b, &nb);
	tstore_open(&t);
	store_texts(t.fs);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_plan(a, na, b, nb, &p, &err), 0);

	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, a, na, "g1", &err), 0);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, "deploy/g1/etc/sub", 0755, 0), 0);
	close(openat(t.rootfd, "deploy/g1/etc/sub/planted", O_WRONLY | O_CREAT, 0444));
	CU_ASSERT_EQUAL(nip_deploy_recycle(t.fs, "g1", "g2", p, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "etc/sub: removing");
	CU_ASSERT_FALSE(exists_at(t.rootfd, "deploy/g1"));
	CU_ASSERT_FALSE(exists_at(t.rootfd, "deploy/g2"));

	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, a, na, "g3", &err), 0);
	CU_ASSERT_EQUAL_FATAL(fchmodat(t.rootfd, "deploy/g3/bin", 0755, 0), 0);
	CU_ASSERT_EQUAL_FATAL(unlinkat(t.rootfd, "deploy/g3/bin/tool2", 0), 0);
	CU_ASSERT_EQUAL(nip_deploy_recycle(t.fs, "g3", "g4", p, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_IO, "bin/tool2: removing");
	CU_ASSERT_FALSE(exists_at(t.rootfd, "deploy/g4"));

	/* Never onto a deployment that exists. */
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, a, na, "g5", &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_deploy_checkout(t.fs, b, nb, "g6", &err), 0);
	CU_ASSERT_EQUAL(nip_deploy_recycle(t.fs, "g5", "g6", p, &err), -1);
	CU_ASSERT_TRUE(exists_at(t.rootfd, "deploy/g5"));
	/* The check looks entries up in archive order: another list is refused. */
	{
		struct nip_file swapped[2] = {b[1], b[0]};
		uint64_t missing;
		CU_ASSERT_EQUAL(nip_deploy_check(t.fs, swapped, 2, "g6", NULL, NULL, &missing, &err), -1);
		CU_ASSERT_ERR(err, NIP_E_INTERNAL, "out of order");
	}
	nip_deploy_plan_free(p);
	tstore_close(&t);
}

NIP_UNIT_SUITE("nexfs/recycle", NIP_TEST(test_recycle), NIP_TEST(test_nothing_to_change),
	       NIP_TEST(test_recycle_refuses_surprises))
