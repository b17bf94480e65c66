/* Signed publish requests (the Authorization header, what it signs), the
 * framed body of a publish, and the online key's re-signing duty. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "track_test.h"

static void signed_request(struct nip_pubreq *r, struct nip_seckey *sec, struct nip_pubkey *pub)
{
	struct nip_error err;
	CU_ASSERT_EQUAL_FATAL(nip_key_generate(pub, sec, &err), 0);
	memset(r, 0, sizeof *r);
	r->time = 1700000000;
	memset(r->nonce, 0xab, sizeof r->nonce);
	nip_sha256("body", 4, r->body_sha256);
	CU_ASSERT_EQUAL_FATAL(nip_pubreq_sign(r, sec, "POST", "/publish", "127.0.0.1:8443", &err), 0);
}

static void test_round_trip(void)
{
	struct nip_pubreq r, back;
	struct nip_seckey sec, other;
	struct nip_pubkey pub, opub;
	struct nip_error err;
	char h[NIP_PUBREQ_HEADER_MAX];

	signed_request(&r, &sec, &pub);
	nip_pubreq_format(&r, h);
	CU_ASSERT_EQUAL_FATAL(nip_pubreq_parse(h, &back, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&r, &back, sizeof r), 0);
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "POST", "/publish", "127.0.0.1:8443", &err), 0);
	/* Each signed field matters. */
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "PUT", "/publish", "127.0.0.1:8443", &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "does not verify");
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "POST", "/x/publish", "127.0.0.1:8443", &err), -1);
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "POST", "/publish", "127.0.0.1:8444", &err), -1);
	back.time++;
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "POST", "/publish", "127.0.0.1:8443", &err), -1);
	back.time--;
	back.nonce[3] ^= 1;
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "POST", "/publish", "127.0.0.1:8443", &err), -1);
	back.nonce[3] ^= 1;
	back.body_sha256[0] ^= 1;
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "POST", "/publish", "127.0.0.1:8443", &err), -1);
	back.body_sha256[0] ^= 1;
	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&opub, &other, &err), 0);
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &opub, "POST", "/publish", "127.0.0.1:8443", &err), -1);
	/* A newline would let two requests share one message. */
	CU_ASSERT_EQUAL(nip_pubreq_verify(&back, &pub, "POST", "/publish\nx", "h", &err), -1);
	CU_ASSERT_TERR(err, NIP_E_FORMAT, "malformed");
	nip_seckey_wipe(&sec);
	nip_seckey_wipe(&other);
}

static void refused(const char *h, int code, const char *what)
{
	struct nip_pubreq r;
	struct nip_error err;
	CU_ASSERT_EQUAL(nip_pubreq_parse(h, &r, &err), -1);
	CU_ASSERT_TERR(err, code, what);
}

static void test_parse_strict(void)
{
	struct nip_pubreq r;
	struct nip_seckey sec;
	struct nip_pubkey pub;
	char h[NIP_PUBREQ_HEADER_MAX], bad[NIP_PUBREQ_HEADER_MAX + 64], *p;
	signed_request(&r, &sec, &pub);
	nip_pubreq_format(&r, h);
	refused("", NIP_E_TRUST, "not signed");
	refused("Basic abc", NIP_E_FORMAT, "scheme");
	snprintf(bad, sizeof bad, "%s ", h);
	refused(bad, NIP_E_FORMAT, "after field sig");
	snprintf(bad, sizeof bad, "%s", h);
	p = strstr(bad, "key=") + 4;
	*p = 'A'; /* upper case is not the form */
	refused(bad, NIP_E_FORMAT, "key");
	snprintf(bad, sizeof bad, "%s", h);
	p = strstr(bad, "time=") + 5;
	memmove(p + 1, p, strlen(p) + 1);
	*p = '0'; /* a leading zero: two spellings of one time */
	refused(bad, NIP_E_FORMAT, "time");
	snprintf(bad, sizeof bad, "%s", h);
	p = strstr(bad, ",nonce=");
	memmove(p, p + 1, strlen(p));
	refused(bad, NIP_E_FORMAT, "','");
	snprintf(bad, sizeof bad, "%s", h);
	bad[strlen(bad) - 1] = 0; /* sig one digit short */
	refused(bad, NIP_E_FORMAT, "sig");
	memset(bad, 'a', sizeof bad - 1);
	bad[sizeof bad - 1] = 0;
	refused(bad, NIP_E_LIMIT, "longer");
	nip_seckey_wipe(&sec);
}

/* ---- the body ------------------------------------------------------- */

struct got {
	char names[4][64];
	uint64_t sizes[4];
	char data[4][64];
	size_t n;
};

static int each(void *ctx, const char *name, int fd, uint64_t size, struct nip_error *err)
{
	struct got *g = ctx;
	snprintf(g->names[g->n], sizeof g->names[0], "%s", name);
	g->sizes[g->n] = size;
	if (size < sizeof g->data[0] && nip_read_full(fd, g->data[g->n], size, "t", err) < 0)
		return -1;
	g->n++;
	return 0;
}

static int write_file(const char *dir, const char *name, const char *text, char *path, size_t n)
{
	int fd;
	snprintf(path, n, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	return close(fd);
}

static int body_fd(const void *p, size_t n)
{
	char path[300];
	int fd;
	snprintf(path, sizeof path, "%s/body", nip_unit_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return fd;
}

static void body_refused(const void *p, size_t n, int code, const char *what)
{
	struct got g = {0};
	struct nip_error err;
	int fd = body_fd(p, n);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(nip_publish_body_read(fd, n, each, &g, &err), -1);
	CU_ASSERT_TERR(err, code, what);
	close(fd);
}

static void test_body(void)
{
	const char *dir = nip_unit_tmpdir();
	char a[300], b[300], bad[300];
	const char *files[2] = {a, b};
	struct nip_error err;
	struct got g = {0};
	uint8_t sha[NIP_SHA256_LEN], want[NIP_SHA256_LEN];
	uint64_t len;
	int fd = body_fd("", 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(write_file(dir, "a-1-x86_64.nip", "AAA", a, sizeof a), 0);
	CU_ASSERT_EQUAL_FATAL(write_file(dir, "b-2-x86_64.nip", "", b, sizeof b), 0);
	CU_ASSERT_EQUAL_FATAL(nip_publish_body_write(fd, files, 2, &len, sha, &err), 0);
	CU_ASSERT_EQUAL(len, 8 + 4 + (2 + 14 + 8 + 3) + (2 + 14 + 8));
	{
		struct nip_buf all;
		nip_buf_init(&all, 1 << 20, "body");
		lseek(fd, 0, SEEK_SET);
		CU_ASSERT_EQUAL(nip_read_file(fd, "", 0, 0, &all, &err) == 0 || 1, 1);
		nip_buf_free(&all);
	}
	CU_ASSERT_EQUAL_FATAL(nip_publish_body_read(fd, len, each, &g, &err), 0);
	CU_ASSERT_EQUAL(g.n, 2);
	CU_ASSERT_STRING_EQUAL(g.names[0], "a-1-x86_64.nip");
	CU_ASSERT_EQUAL(g.sizes[0], 3);
	CU_ASSERT_EQUAL(memcmp(g.data[0], "AAA", 3), 0);
	CU_ASSERT_STRING_EQUAL(g.names[1], "b-2-x86_64.nip");
	CU_ASSERT_EQUAL(g.sizes[1], 0);
	/* The hash is of the exact bytes. */
	{
		uint8_t buf[256];
		lseek(fd, 0, SEEK_SET);
		CU_ASSERT_EQUAL_FATAL(read(fd, buf, sizeof buf), (ssize_t)len);
		nip_sha256(buf, (size_t)len, want);
		CU_ASSERT_EQUAL(memcmp(sha, want, sizeof sha), 0);
		/* Trailing bytes, a size past the end, a short body. */
		buf[len] = 'x';
		body_refused(buf, (size_t)len + 1, NIP_E_FORMAT, "after the last");
		body_refused(buf, (size_t)len - 1, NIP_E_FORMAT, "package 2");
		body_refused(buf, (size_t)len - 24, NIP_E_FORMAT, "truncated");
		buf[12 + 2 + 14 + 7] = 0xff; /* the first package's size: 255 */
		body_refused(buf, (size_t)len, NIP_E_FORMAT, "past the end");
		buf[12 + 2 + 14 + 7] = 3;
		body_refused(buf, 5, NIP_E_FORMAT, "shorter");
		buf[0] = 'X';
		body_refused(buf, (size_t)len, NIP_E_FORMAT, "magic");
		buf[0] = 'N';
		buf[11] = 0; /* count 0 */
		body_refused(buf, (size_t)len, NIP_E_FORMAT, "packages");
		buf[10] = 1; /* count 256 + 0 = 256... */
		buf[9] = 1;  /* ...plus 65536: too many */
		body_refused(buf, (size_t)len, NIP_E_LIMIT, "packages");
		buf[9] = buf[10] = 0;
		buf[11] = 2;
		/* The second package renamed to the first: a duplicate. */
		memcpy(buf + 12 + 2 + 14 + 8 + 3 + 2, "a-1", 3);
		body_refused(buf, (size_t)len, NIP_E_FORMAT, "twice");
		/* A name that would leave the incoming directory. */
		memcpy(buf + 12 + 2, "../1-x86_64.nip", 14);
		body_refused(buf, (size_t)len, NIP_E_FORMAT, "not a package file name");
	}
	close(fd);
	/* The client refuses a file name the server would refuse. */
	CU_ASSERT_EQUAL_FATAL(write_file(dir, ".hidden.nip", "x", bad, sizeof bad), 0);
	files[0] = bad;
	fd = body_fd("", 0);
	CU_ASSERT_EQUAL(nip_publish_body_write(fd, files, 1, &len, sha, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_USAGE, "not a package file name");
	close(fd);
	CU_ASSERT(nip_publish_name_valid("hello-1.0-1-x86_64.nip", 22));
	CU_ASSERT(!nip_publish_name_valid("hello/x.nip", 11));
	CU_ASSERT(!nip_publish_name_valid("hello.tar", 9));
}

/* ---- re-signing ------------------------------------------------------ */

/* A client that pinned the track's first root refreshes it at `now`
 * (0: the real clock), keeping its trusted state in its own directory. */
static int client_refresh(const char *dir, int mfd, time_t now)
{
	char murl[300], mdir[300];
	struct nip_error err = {0};
	struct nip_buf b;
	struct nip_fetcher f;
	struct nip_tuf_client *c;
	int md, rc;
	snprintf(mdir, sizeof mdir, "%s/client", dir);
	mkdir(mdir, 0755);
	md = open(mdir, O_RDONLY | O_DIRECTORY);
	nip_buf_init(&b, 1 << 20, "root");
	if (nip_read_file(mfd, "1.root.json", b.max, 1, &b, &err) < 0 ||
	    (faccessat(md, "root.json", F_OK, 0) < 0 && nip_tuf_init(md, b.data, b.len, &err) < 0)) {
		nip_buf_free(&b);
		close(md);
		return -1;
	}
	nip_buf_free(&b);
	snprintf(murl, sizeof murl, "%s/metadata", dir);
	if (nip_fetcher_default(NULL, &f, &err) < 0) {
		close(md);
		return -1;
	}
	{
		struct nip_tuf_opts o = {.metadata_dirfd = md, .metadata_url = murl, .label = "t",
					 .fetcher = f, .now = now};
		c = nip_tuf_client_new(&o, &err);
		rc = c ? nip_tuf_refresh(c, &err) : -1;
		if (rc < 0)
			fprintf(stderr, "\nrefresh: %s\n", err.msg);
		nip_tuf_client_free(c);
	}
	nip_fetcher_free(&f);
	close(md);
	return rc;
}

static int64_t ts_version(int mfd, time_t *expires)
{
	struct nip_error err;
	struct tuf_md *ts = NULL;
	int64_t v = -1;
	if (tuf_md_load(mfd, "timestamp.json", TUF_TIMESTAMP, 1 << 16, &ts, &err) == 0) {
		v = ts->version;
		if (expires)
			*expires = ts->expires;
	}
	tuf_md_free(ts);
	return v;
}

static void test_resign(void)
{
	char dir[256];
	struct nip_seckey root, online;
	struct nip_pubkey rp, op;
	struct nip_track_init_opts io = {0};
	struct nip_error err;
	struct stat st;
	time_t now = time(NULL), exp = 0;
	int fd, did = -1, mfd;

	snprintf(dir, sizeof dir, "%s", nip_unit_tmpdir());
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	nip_key_generate(&rp, &root, &err);
	nip_key_generate(&op, &online, &err);
	io.name = "t";
	io.root_key = &root;
	io.online_key = &op;
	io.bins = 16;
	CU_ASSERT_EQUAL_FATAL(nip_track_init(fd, &io, &err), 0);
	mfd = openat(fd, "metadata", O_RDONLY | O_DIRECTORY);
	/* Never published: nothing to re-sign. */
	CU_ASSERT_EQUAL(nip_track_resign(fd, &online, now, &did, &err), 0);
	CU_ASSERT_EQUAL(did, 0);
	CU_ASSERT_EQUAL_FATAL(nip_track_publish(fd, &online, NULL, 0, NULL, NULL, &err), 0);
	/* Fresh: nothing due. */
	CU_ASSERT_EQUAL(nip_track_resign(fd, &online, now, &did, &err), 0);
	CU_ASSERT_EQUAL(did, 0);
	CU_ASSERT_EQUAL(ts_version(mfd, NULL), 1);
	/* Four days on, less than half of the timestamp's 7 days are left. */
	CU_ASSERT_EQUAL(nip_track_resign(fd, &online, now + 4 * 86400, &did, &err), 0);
	CU_ASSERT_EQUAL(did, 1);
	CU_ASSERT_EQUAL(ts_version(mfd, &exp), 2);
	CU_ASSERT(exp >= now + 11 * 86400 - 60);
	/* A client then (the old timestamp expired at day 7) verifies it. */
	CU_ASSERT_EQUAL(client_refresh(dir, mfd, now + 8 * 86400), 0);
	/* Sixteen days on, the snapshot too (a new version, the same roles). */
	CU_ASSERT_EQUAL(nip_track_resign(fd, &online, now + 16 * 86400, &did, &err), 0);
	CU_ASSERT_EQUAL(did, 2);
	CU_ASSERT_EQUAL(ts_version(mfd, NULL), 3);
	CU_ASSERT_EQUAL(fstatat(mfd, "2.snapshot.json", &st, 0), 0);
	CU_ASSERT_EQUAL(client_refresh(dir, mfd, now + 20 * 86400), 0);
	/* A key the root does not name for the timestamp is refused. */
	CU_ASSERT_EQUAL(nip_track_resign(fd, &root, now + 30 * 86400, &did, &err), -1);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "online key");
	/* Half a year on, targets.json and every bin too (signed with the
	 * real clock, as a publish is: a client now verifies them). */
	CU_ASSERT_EQUAL(nip_track_resign(fd, &online, now + 183 * 86400, &did, &err), 0);
	CU_ASSERT_EQUAL(did, 3);
	CU_ASSERT_EQUAL(fstatat(mfd, "2.targets.json", &st, 0), 0);
	CU_ASSERT_EQUAL(fstatat(mfd, "2.bin-0.json", &st, 0), 0);
	CU_ASSERT_EQUAL(fstatat(mfd, "2.bin-f.json", &st, 0), 0);
	CU_ASSERT_EQUAL(ts_version(mfd, NULL), 4);
	CU_ASSERT_EQUAL(client_refresh(dir, mfd, 0), 0);
	nip_seckey_wipe(&root);
	nip_seckey_wipe(&online);
	close(mfd);
	close(fd);
}

NIP_UNIT_SUITE("track/pubreq", NIP_TEST(test_round_trip), NIP_TEST(test_parse_strict),
	       NIP_TEST(test_body), NIP_TEST(test_resign))
