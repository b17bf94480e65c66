/* nip/lib/package/writer.c and reader.c: pack a tree, read it back. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nip/package.h"
#include "unit.h"

static struct nip_seckey sec;
static struct nip_pubkey pub;

static void write_text(int dirfd, const char *path, const char *text, mode_t mode)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

/* A small tree: dirs, files, empty file, symlink, hard link. */
static int make_tree(const char *dir)
{
	int fd;
	CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(mkdirat(fd, "bin", 0755) == 0);
	CU_ASSERT_FATAL(mkdirat(fd, "etc", 0755) == 0);
	write_text(fd, "bin/tool", "#!/bin/sh\necho hi\n", 0755);
	write_text(fd, "etc/tool.conf", "setting = 1\n", 0644);
	write_text(fd, "etc/empty", "", 0600);
	CU_ASSERT_FATAL(symlinkat("tool", fd, "bin/t") == 0);
	CU_ASSERT_FATAL(linkat(fd, "bin/tool", fd, "bin/tool2", 0) == 0);
	return fd;
}

static struct nip_manifest *meta(void)
{
	struct nip_manifest *m = nip_manifest_new(NULL);
	CU_ASSERT_FATAL(m != NULL);
	m->name = strdup("tool");
	m->version = strdup("1.0-1");
	m->arch = strdup("x86_64");
	m->rel[NIP_REL_DEPENDS] = calloc(2, sizeof(char *));
	m->rel[NIP_REL_DEPENDS][0] = strdup("libc >= 2.36");
	m->nrel[NIP_REL_DEPENDS] = 1;
	return m;
}

static int pack(int src, const char *dir, const char *name, uint8_t cid[NIP_SHA256_LEN], int threads,
		struct nip_error *err)
{
	struct nip_manifest *m = meta();
	struct nip_pack_opts o = {.key = &sec, .meta = m, .source_date_epoch = 1700000000,
				  .threads = threads};
	int out = open(dir, O_RDONLY | O_DIRECTORY), rc;
	CU_ASSERT_FATAL(out >= 0);
	rc = nip_package_write(src, &o, out, name, cid, err);
	close(out);
	nip_manifest_free(m);
	return rc;
}

struct counts {
	int manifest, begin, end;
	uint64_t bytes;
};

static int on_manifest(void *ctx, const struct nip_manifest *m, const uint8_t cid[NIP_SHA256_LEN],
		       struct nip_error *err)
{
	((struct counts *)ctx)->manifest++;
	return 0;
}
static int on_begin(void *ctx, const struct nip_file *f, struct nip_error *err)
{
	((struct counts *)ctx)->begin++;
	return 0;
}
static int on_data(void *ctx, const void *p, size_t n, struct nip_error *err)
{
	((struct counts *)ctx)->bytes += n;
	return 0;
}
static int on_end(void *ctx, const struct nip_file *f, struct nip_error *err)
{
	((struct counts *)ctx)->end++;
	return 0;
}

static void test_roundtrip(void)
{
	char dir[256], tree[300], pkg[300];
	uint8_t cid[NIP_SHA256_LEN];
	struct nip_error err;
	struct nip_package *p = NULL;
	struct counts c = {0};
	const struct nip_read_ops ops = {on_manifest, on_begin, on_data, on_end};
	int src, fd;

	snprintf(dir, sizeof dir, "%s", nip_unit_tmpdir());
	snprintf(tree, sizeof tree, "%s/tree", dir);
	src = make_tree(tree);
	CU_ASSERT_EQUAL_FATAL(pack(src, dir, "t.nip", cid, 0, &err), 0);
	snprintf(pkg, sizeof pkg, "%s/t.nip", dir);
	fd = open(pkg, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(nip_package_read(fd, &pub, 1, &ops, &c, &p, &err), 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(memcmp(p->cid, cid, sizeof cid), 0);
	/* bin, bin/t, bin/tool, bin/tool2, etc, etc/empty, etc/tool.conf */
	CU_ASSERT_EQUAL(p->manifest->nfiles, 7);
	CU_ASSERT_STRING_EQUAL(p->manifest->files[1].path, "bin/t");
	CU_ASSERT_EQUAL(p->manifest->files[3].type, NIP_FT_HARDLINK);
	CU_ASSERT_STRING_EQUAL(p->manifest->files[3].target, "bin/tool");
	CU_ASSERT_EQUAL(c.manifest, 1);
	CU_ASSERT_EQUAL(c.begin, 7);
	CU_ASSERT_EQUAL(c.end, 7);
	CU_ASSERT_EQUAL(c.bytes, strlen("#!/bin/sh\necho hi\n") + strlen("setting = 1\n"));
	nip_package_free(p);
	close(fd);
	close(src);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(1 << 20);
	CU_ASSERT_FATAL(f && b);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static void test_reproducible_across_threads(void)
{
	char dir[256], tree[300], a[300], b[300];
	uint8_t c1[NIP_SHA256_LEN], c2[NIP_SHA256_LEN];
	struct nip_error err;
	size_t la, lb;
	uint8_t *da, *db;
	int src;

	snprintf(dir, sizeof dir, "%s", nip_unit_tmpdir());
	snprintf(tree, sizeof tree, "%s/tree", dir);
	src = make_tree(tree);
	CU_ASSERT_EQUAL_FATAL(pack(src, dir, "a.nip", c1, 1, &err), 0);
	CU_ASSERT_EQUAL_FATAL(pack(src, dir, "b.nip", c2, 4, &err), 0);
	CU_ASSERT_EQUAL(memcmp(c1, c2, sizeof c1), 0);
	snprintf(a, sizeof a, "%s/a.nip", dir);
	snprintf(b, sizeof b, "%s/b.nip", dir);
	da = slurp(a, &la);
	db = slurp(b, &lb);
	CU_ASSERT_EQUAL(la, lb);
	CU_ASSERT(la == lb && memcmp(da, db, la) == 0);
	free(da);
	free(db);
	close(src);
}

static void test_wrong_key_and_tamper(void)
{
	char dir[256], tree[300], pkg[300];
	uint8_t cid[NIP_SHA256_LEN];
	struct nip_error err;
	struct nip_pubkey other;
	struct nip_seckey osec;
	size_t len;
	uint8_t *data;
	int src, fd;

	snprintf(dir, sizeof dir, "%s", nip_unit_tmpdir());
	snprintf(tree, sizeof tree, "%s/tree", dir);
	src = make_tree(tree);
	CU_ASSERT_EQUAL_FATAL(pack(src, dir, "t.nip", cid, 0, &err), 0);
	snprintf(pkg, sizeof pkg, "%s/t.nip", dir);
	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&other, &osec, &err), 0);
	fd = open(pkg, O_RDONLY);
	CU_ASSERT_EQUAL(nip_package_read(fd, &other, 1, NULL, NULL, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_TRUST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not by the trusted key"));
	close(fd);

	/* Every single flipped byte is caught. */
	data = slurp(pkg, &len);
	for (size_t i = 0; i < len; i += 1 + len / 97) {
		int bad = open(pkg, O_WRONLY | O_TRUNC);
		data[i] ^= 0x20;
		CU_ASSERT_FATAL(write(bad, data, len) == (ssize_t)len);
		close(bad);
		fd = open(pkg, O_RDONLY);
		CU_ASSERT_EQUAL(nip_package_read(fd, &pub, 1, NULL, NULL, NULL, &err), -1);
		CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);
		close(fd);
		data[i] ^= 0x20;
	}
	free(data);
	nip_seckey_wipe(&osec);
	close(src);
}

static void test_refusals_at_pack(void)
{
	char dir[256], tree[300];
	uint8_t cid[NIP_SHA256_LEN];
	struct nip_error err;
	int src;

	snprintf(dir, sizeof dir, "%s", nip_unit_tmpdir());
	snprintf(tree, sizeof tree, "%s/tree", dir);
	src = make_tree(tree);
	CU_ASSERT_FATAL(fchmodat(src, "bin/tool", 04755, 0) == 0);
	CU_ASSERT_EQUAL(pack(src, dir, "s.nip", cid, 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_DENIED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "setuid"));
	CU_ASSERT_EQUAL(faccessat(src, "../s.nip", F_OK, 0), -1);
	CU_ASSERT_FATAL(fchmodat(src, "bin/tool", 0755, 0) == 0);
	CU_ASSERT_FATAL(symlinkat("../../../etc/passwd", src, "bin/escape") == 0);
	CU_ASSERT_EQUAL(pack(src, dir, "e.nip", cid, 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "leaves the package"));
	close(src);
}

static void setup_keys(void)
{
	struct nip_error err;
	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&pub, &sec, &err), 0);
}

NIP_UNIT_SUITE("package/pack", NIP_TEST(setup_keys), NIP_TEST(test_roundtrip),
	       NIP_TEST(test_reproducible_across_threads), NIP_TEST(test_wrong_key_and_tamper),
	       NIP_TEST(test_refusals_at_pack))
