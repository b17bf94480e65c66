/* The TUF client against a track made by the publisher in a temporary
 * directory and read through the file fetcher: refresh, target download,
 * rollback, freeze (expiry), endless data and hash mismatch. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nip/package.h"
#include "track_test.h"

struct fixture {
	char dir[256], url[300];
	int repofd, mdfd, outfd;
	struct nip_seckey root, online, pub;
	struct nip_pubkey rootpub;
	struct nip_fetcher f;
};

static void pack(struct fixture *fx, const char *version, char *out, size_t n)
{
	struct nip_manifest *m;
	struct nip_pack_opts po = {0};
	struct nip_error err;
	char stage[300];
	uint8_t cid[NIP_SHA256_LEN];
	int sfd, ofd;
	snprintf(stage, sizeof stage, "%s/stage", fx->dir);
	mkdir(stage, 0755);
	sfd = open(stage, O_RDONLY | O_DIRECTORY);
	close(openat(sfd, "file", O_CREAT | O_WRONLY, 0644));
	m = nip_manifest_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->name = strdup("hello");
	m->version = strdup(version);
	m->arch = strdup("x86_64");
	po.key = &fx->pub;
	po.meta = m;
	po.source_date_epoch = 1;
	ofd = open(fx->dir, O_RDONLY | O_DIRECTORY);
	snprintf(out, n, "hello-%s.nip", version);
	CU_ASSERT_EQUAL_FATAL(nip_package_write(sfd, &po, ofd, out, cid, &err), 0);
	snprintf(out, n, "%s/hello-%s.nip", fx->dir, version);
	nip_manifest_free(m);
	close(sfd);
	close(ofd);
}

static void publish(struct fixture *fx, const char *version)
{
	char file[400];
	const char *files[1] = {file};
	struct nip_error err;
	pack(fx, version, file, sizeof file);
	CU_ASSERT_EQUAL_FATAL(nip_track_publish(fx->repofd, &fx->online, files, 1, NULL, NULL, &err), 0);
}

static void setup(struct fixture *fx)
{
	struct nip_pubkey rp, op, pp;
	struct nip_track_publisher p;
	struct nip_track_init_opts io = {0};
	struct nip_error err;
	char path[400];
	snprintf(fx->dir, sizeof fx->dir, "%s", nip_unit_tmpdir());
	snprintf(path, sizeof path, "%s/repo", fx->dir);
	mkdir(path, 0755);
	fx->repofd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(fx->url, sizeof fx->url, "%s/repo", fx->dir);
	snprintf(path, sizeof path, "%s/md", fx->dir);
	mkdir(path, 0755);
	fx->mdfd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof path, "%s/out", fx->dir);
	mkdir(path, 0755);
	fx->outfd = open(path, O_RDONLY | O_DIRECTORY);
	nip_key_generate(&rp, &fx->root, &err);
	nip_key_generate(&op, &fx->online, &err);
	nip_key_generate(&pp, &fx->pub, &err);
	p.key = pp;
	p.glob = "*";
	io.name = "t";
	io.root_key = &fx->root;
	io.online_key = &op;
	io.publishers = &p;
	io.npublishers = 1;
	fx->rootpub = rp;
	io.bins = 16;
	CU_ASSERT_EQUAL_FATAL(nip_track_init(fx->repofd, &io, &err), 0);
	publish(fx, "1.0");
	{
		struct nip_buf b;
		nip_buf_init(&b, 1 << 20, "root");
		CU_ASSERT_EQUAL_FATAL(nip_read_file(fx->repofd, "metadata/1.root.json", b.max, 1, &b, &err), 0);
		CU_ASSERT_EQUAL_FATAL(nip_tuf_init(fx->mdfd, b.data, b.len, &err), 0);
		nip_buf_free(&b);
	}
	CU_ASSERT_EQUAL_FATAL(nip_fetcher_default(NULL, &fx->f, &err), 0);
}

static void teardown(struct fixture *fx)
{
	nip_fetcher_free(&fx->f);
	close(fx->repofd);
	close(fx->mdfd);
	close(fx->outfd);
}

static struct nip_tuf_client *client(struct fixture *fx, time_t now)
{
	char murl[400], turl[400];
	struct nip_tuf_opts o = {.metadata_dirfd = fx->mdfd, .metadata_url = murl, .targets_url = turl,
				 .label = "test", .fetcher = fx->f, .now = now};
	struct nip_error err;
	snprintf(murl, sizeof murl, "%s/metadata", fx->url);
	snprintf(turl, sizeof turl, "%s/targets", fx->url);
	return nip_tuf_client_new(&o, &err);
}

static int refresh(struct fixture *fx, time_t now, struct nip_error *err)
{
	struct nip_tuf_client *c = client(fx, now);
	int rc = nip_tuf_refresh(c, err);
	nip_tuf_client_free(c);
	return rc;
}

static void test_refresh_and_download(void)
{
	struct fixture fx;
	struct nip_tuf_client *c;
	struct nip_tuf_target t;
	struct nip_error err;
	setup(&fx);
	c = client(&fx, 0);
	CU_ASSERT_EQUAL_FATAL(nip_tuf_refresh(c, &err), 0);
	CU_ASSERT_EQUAL(nip_tuf_changed(c), 1);
	CU_ASSERT_EQUAL_FATAL(nip_tuf_find_target(c, "pkgs/hello-1.0-x86_64.nip", &t, &err), 0);
	CU_ASSERT(t.have_sha256);
	CU_ASSERT_EQUAL(nip_tuf_download(c, &t, fx.outfd, "p.nip", &err), 0);
	nip_tuf_target_clear(&t);
	CU_ASSERT_EQUAL(nip_tuf_find_target(c, "pkgs/nosuch.nip", &t, &err), NIP_TUF_NOTFOUND);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "pkgs/nosuch.nip");
	nip_tuf_client_free(c);
	/* The trusted state again, without the network: also a freeze check. */
	c = client(&fx, 0);
	CU_ASSERT_EQUAL(nip_tuf_load_trusted(c, &err), 0);
	CU_ASSERT_EQUAL(nip_tuf_find_target(c, "pkgs/hello-1.0-x86_64.nip", &t, &err), 0);
	nip_tuf_target_clear(&t);
	nip_tuf_client_free(c);
	c = client(&fx, time(NULL) + 8 * 86400);
	CU_ASSERT_EQUAL(nip_tuf_load_trusted(c, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "timestamp.json: field expires");
	nip_tuf_client_free(c);
	/* Nothing new: the second refresh writes nothing. */
	c = client(&fx, 0);
	CU_ASSERT_EQUAL(nip_tuf_refresh(c, &err), 0);
	CU_ASSERT_EQUAL(nip_tuf_changed(c), 0);
	nip_tuf_client_free(c);
	teardown(&fx);
}

static void test_rollback_and_freeze(void)
{
	struct fixture fx;
	struct nip_error err;
	struct nip_buf old, cur;
	setup(&fx);
	CU_ASSERT_EQUAL_FATAL(refresh(&fx, 0, &err), 0);
	nip_buf_init(&old, 1 << 20, "ts");
	CU_ASSERT_EQUAL(nip_read_file(fx.repofd, "metadata/timestamp.json", old.max, 1, &old, &err), 0);
	publish(&fx, "1.1");
	CU_ASSERT_EQUAL_FATAL(refresh(&fx, 0, &err), 0);
	nip_buf_init(&cur, 1 << 20, "ts");
	CU_ASSERT_EQUAL(nip_read_file(fx.repofd, "metadata/timestamp.json", cur.max, 1, &cur, &err), 0);
	/* The server goes back to the older, validly signed timestamp. */
	CU_ASSERT_EQUAL(nip_write_atomic(fx.repofd, "metadata/timestamp.json", old.data, old.len, 0644, 0, &err), 0);
	CU_ASSERT_EQUAL(refresh(&fx, 0, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "rollback");
	nip_buf_free(&old);
	CU_ASSERT_EQUAL(nip_write_atomic(fx.repofd, "metadata/timestamp.json", cur.data, cur.len, 0644, 0, &err), 0);
	nip_buf_free(&cur);
	CU_ASSERT_EQUAL(refresh(&fx, 0, &err), 0);
	/* Indefinite freeze: eight days on, the week-long timestamp expired;
	 * a year and more on, the root itself. */
	CU_ASSERT_EQUAL(refresh(&fx, time(NULL) + 8 * 86400, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "timestamp.json: field expires");
	CU_ASSERT_EQUAL(refresh(&fx, time(NULL) + 400 * 86400, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "root.json: field expires");
	teardown(&fx);
}

static void corrupt_package(struct fixture *fx, int append)
{
	DIR *d = fdopendir(openat(fx->repofd, "targets/pkgs", O_RDONLY | O_DIRECTORY));
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd;
		if (e->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), e->d_name, O_WRONLY | (append ? O_APPEND : 0));
		if (append) {
			CU_ASSERT_EQUAL(write(fd, "more", 4), 4);
		} else {
			CU_ASSERT_EQUAL(pwrite(fd, "X", 1, 64), 1);
		}
		close(fd);
	}
	closedir(d);
}

static void test_bad_targets(void)
{
	struct fixture fx;
	struct nip_tuf_client *c;
	struct nip_tuf_target t;
	struct nip_error err;
	struct stat st;
	setup(&fx);
	c = client(&fx, 0);
	CU_ASSERT_EQUAL_FATAL(nip_tuf_refresh(c, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_tuf_find_target(c, "pkgs/hello-1.0-x86_64.nip", &t, &err), 0);
	corrupt_package(&fx, 0);
	CU_ASSERT_EQUAL(nip_tuf_download(c, &t, fx.outfd, "p.nip", &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "hash differs");
	corrupt_package(&fx, 1);
	/* Endless data: the fetch stops at the signed length. */
	CU_ASSERT_EQUAL(nip_tuf_download(c, &t, fx.outfd, "p.nip", &err), -1);
	CU_ASSERT_TERR(err, NIP_E_LIMIT, "more than");
	/* Nothing half-written was left under the name. */
	CU_ASSERT_EQUAL(fstatat(fx.outfd, "p.nip", &st, 0), -1);
	nip_tuf_target_clear(&t);
	nip_tuf_client_free(c);
	teardown(&fx);
}

static void test_publishers(void)
{
	struct fixture fx;
	struct nip_error err;
	struct nip_buf b;
	struct nip_track_publisher *p = NULL;
	struct nip_pubkey pp;
	json_t *root;
	size_t n = 0;
	setup(&fx);
	nip_buf_init(&b, 1 << 20, "root");
	CU_ASSERT_EQUAL_FATAL(nip_read_file(fx.repofd, "metadata/root.json", b.max, 1, &b, &err), 0);
	root = tuf_json_load(b.data, b.len, "root.json", &err);
	CU_ASSERT_EQUAL_FATAL(tuf_publishers_parse(json_object_get(json_object_get(root, "signed"), "nip"),
						   "root.json", &p, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	nip_seckey_public(&fx.pub, &pp);
	CU_ASSERT_EQUAL(memcmp(p[0].key.pk, pp.pk, 32), 0);
	CU_ASSERT_EQUAL(memcmp(p[0].key.keyid, pp.keyid, NIP_KEYID_LEN), 0);
	CU_ASSERT(nip_track_publisher_allowed(p, n, pp.keyid, "hello"));
	p[0].glob = "hel*";
	CU_ASSERT(nip_track_publisher_allowed(p, n, pp.keyid, "help"));
	CU_ASSERT(!nip_track_publisher_allowed(p, n, pp.keyid, "world"));
	pp.keyid[0] ^= 1;
	CU_ASSERT(!nip_track_publisher_allowed(p, n, pp.keyid, "hello"));
	free(p);
	json_decref(root);
	nip_buf_free(&b);
	teardown(&fx);
}

/* A track pinned in a root (here by path): refresh, the index paths a
 * solver reads, and a package fetched by its target path. */
static void test_pinned_track(void)
{
	struct fixture fx;
	struct nip_error err;
	struct nip_track_refresh_result res;
	struct nip_track_publisher *p = NULL;
	char **paths = NULL, rootdir[300];
	size_t n = 0, np = 0;
	int rootfd, fd;
	struct nip_package *pkg = NULL;
	struct nip_pubkey pp;

	setup(&fx);
	snprintf(rootdir, sizeof rootdir, "%s/root", fx.dir);
	mkdir(rootdir, 0755);
	rootfd = open(rootdir, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_EQUAL_FATAL(nip_track_add(rootfd, "t", fx.url, &fx.rootpub, NULL, 0, &fx.f, &err), 0);
	CU_ASSERT_EQUAL(nip_track_add(rootfd, "t", fx.url, &fx.rootpub, NULL, 0, &fx.f, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_USAGE, "already added");
	CU_ASSERT_EQUAL(nip_track_fetch_target(rootfd, "t", "pkgs/hello-1.0-x86_64.nip", &fx.f, fx.outfd,
					       "h.nip", &err), -1);
	CU_ASSERT_TERR(err, NIP_E_USAGE, "refresh first");
	CU_ASSERT_EQUAL_FATAL(nip_track_refresh(rootfd, "t", &fx.f, &res, &err), 0);
	CU_ASSERT_EQUAL(res.changed, 1);
	CU_ASSERT_EQUAL(res.packages, 1);
	CU_ASSERT_EQUAL_FATAL(nip_track_index_paths(rootfd, "t", &paths, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(strncmp(paths[0], "tracks/t/current/index/", 23), 0);
	fd = openat(rootfd, paths[0], O_RDONLY);
	CU_ASSERT(fd >= 0);
	close(fd);
	free(paths[0]);
	free(paths);
	CU_ASSERT_EQUAL_FATAL(nip_track_fetch_target(rootfd, "t", "pkgs/hello-1.0-x86_64.nip", &fx.f,
						     fx.outfd, "h.nip", &err), 0);
	nip_seckey_public(&fx.pub, &pp);
	fd = openat(fx.outfd, "h.nip", O_RDONLY);
	CU_ASSERT_EQUAL(nip_package_read(fd, &pp, 1, NULL, NULL, &pkg, &err), 0);
	nip_package_free(pkg);
	close(fd);
	CU_ASSERT_EQUAL(nip_track_publishers(rootfd, "t", &p, &np, &err), 0);
	CU_ASSERT_EQUAL(np, 1);
	CU_ASSERT(nip_track_publisher_allowed(p, np, pp.keyid, "hello"));
	free(p);
	/* Nothing new: no new generation. */
	CU_ASSERT_EQUAL(nip_track_refresh(rootfd, "t", &fx.f, &res, &err), 0);
	CU_ASSERT_EQUAL(res.changed, 0);
	CU_ASSERT_EQUAL(res.packages, 1);
	CU_ASSERT_EQUAL(nip_track_remove(rootfd, "t", &err), 0);
	CU_ASSERT_EQUAL(nip_track_refresh(rootfd, "t", &fx.f, &res, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_USAGE, "not added");
	close(rootfd);
	teardown(&fx);
}

NIP_UNIT_SUITE("track/client", NIP_TEST(test_refresh_and_download), NIP_TEST(test_rollback_and_freeze),
	       NIP_TEST(test_bad_targets), NIP_TEST(test_publishers),
	       NIP_TEST(test_pinned_track))
