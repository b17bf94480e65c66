/* The delegation walk, on a small repository written here (Ed25519, one
 * key for every role) and read through a fetcher that records each URL:
 * preorder depth first in the order roles are listed, paths matched part
 * by part, path_hash_prefixes, a terminating role ending the search, and
 * the requests that the walk makes and does not make. */
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "track_test.h"

struct repo {
	char dir[300];
	int mfd;
	uint8_t sk[64];
	json_t *key;
	char id[NIP_SHA256_HEX];
	json_t *snapmeta;
	char log[4096]; /* "name name ..." of each request, in order */
	unsigned clients;
};

static void write_md(struct repo *r, const char *file, json_t *s)
{
	struct nip_buf msg, out;
	struct nip_error err;
	uint8_t sig[64];
	char hex[129];
	json_t *doc;
	nip_buf_init(&msg, 1 << 20, "msg");
	nip_buf_init(&out, 1 << 20, "doc");
	CU_ASSERT_EQUAL_FATAL(tuf_canonical(s, &msg, &err), 0);
	crypto_sign_detached(sig, NULL, msg.data, msg.len, r->sk);
	nip_hex(sig, sizeof sig, hex);
	doc = json_pack("{s:o, s:[{s:s, s:s}]}", "signed", s, "signatures", "keyid", r->id, "sig", hex);
	CU_ASSERT_EQUAL_FATAL(tuf_canonical(doc, &out, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_write_atomic(r->mfd, file, out.data, out.len, 0644, 0, &err), 0);
	json_decref(doc);
	nip_buf_free(&msg);
	nip_buf_free(&out);
}

static json_t *base(const char *type)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "_type", type, "spec_version", "1.0.31", "version", 1,
			 "expires", "2099-01-01T00:00:00Z");
}

/* A targets role listing `target` (may be NULL) and delegating `roles`. */
static void targets_role(struct repo *r, const char *name, const char *target, json_t *roles)
{
	json_t *s = base("targets"), *t = json_object();
	char file[128], key[128];
	if (target)
		json_object_set_new(t, target, json_pack("{s:i, s:{s:s}}", "length", 1, "hashes", "sha256",
							 "00"));
	json_object_set_new(s, "targets", t);
	if (roles)
		json_object_set_new(s, "delegations",
				    json_pack("{s:{s:O}, s:o}", "keys", r->id, r->key, "roles", roles));
	snprintf(file, sizeof file, "1.%s.json", name);
	snprintf(key, sizeof key, "%s.json", name);
	write_md(r, file, s);
	json_object_set_new(r->snapmeta, key, json_pack("{s:i}", "version", 1));
}

static json_t *role(const struct repo *r, const char *name, const char *kind, const char *pattern,
		    int terminating)
{
	return json_pack("{s:s, s:[s], s:i, s:b, s:[s]}", "name", name, "keyids", r->id, "threshold", 1,
			 "terminating", terminating, kind, pattern);
}

static int rec_get(void *self, const char *url, uint64_t max, nip_fetch_sink sink, void *ctx,
		   struct nip_error *err)
{
	struct repo *r = self;
	const char *base_name = strrchr(url, '/') + 1;
	struct nip_buf b;
	int rc;
	snprintf(r->log + strlen(r->log), sizeof r->log - strlen(r->log), "%s ", base_name);
	nip_buf_init(&b, max, base_name);
	rc = nip_read_file(r->mfd, base_name, max, 1, &b, err);
	if (rc < 0) {
		nip_buf_free(&b);
		return NIP_FETCH_NOTFOUND;
	}
	rc = sink(ctx, b.data, b.len, err);
	nip_buf_free(&b);
	return rc;
}

static void rec_free(void *self)
{
	(void)self;
}

static const struct nip_fetch_ops rec_ops = {rec_get, rec_free};

static void make_repo(struct repo *r)
{
	struct nip_error err;
	uint8_t pk[32];
	char path[400], prefix[3];
	uint8_t d[NIP_SHA256_LEN];
	char hex[NIP_SHA256_HEX];
	json_t *s;

	memset(r, 0, sizeof *r);
	snprintf(r->dir, sizeof r->dir, "%s", nip_unit_tmpdir());
	snprintf(path, sizeof path, "%s/metadata", r->dir);
	mkdir(path, 0755);
	r->mfd = open(path, O_RDONLY | O_DIRECTORY);
	crypto_sign_keypair(pk, r->sk);
	r->key = tuf_ed25519_key_json(pk);
	CU_ASSERT_EQUAL_FATAL(tuf_keyid_of(r->key, r->id, &err), 0);
	r->snapmeta = json_object();

	/* targets delegates to A (paths a/STAR), C (the hash prefix of c/x)
	 * and B (paths STAR/STAR, terminating), in that order; A to A1 (a/x)
	 * and AT (a/STAR, terminating). */
	nip_sha256("c/x", 3, d);
	nip_hex(d, sizeof d, hex);
	memcpy(prefix, hex, 2);
	prefix[2] = 0;
	targets_role(r, "targets", "top.txt",
		     json_pack("[o, o, o]", role(r, "A", "paths", "a/*", 0),
			       role(r, "C", "path_hash_prefixes", prefix, 0),
			       role(r, "B", "paths", "*/*", 1)));
	targets_role(r, "A", NULL,
		     json_pack("[o, o]", role(r, "A1", "paths", "a/x", 0),
			       role(r, "AT", "paths", "a/*", 1)));
	targets_role(r, "AT", NULL, NULL);
	targets_role(r, "A1", "a/x", NULL);
	targets_role(r, "B", "b/y", NULL);
	targets_role(r, "C", "c/x", NULL);

	s = base("snapshot");
	json_object_set_new(s, "meta", r->snapmeta);
	write_md(r, "1.snapshot.json", s);
	s = base("timestamp");
	json_object_set_new(s, "meta", json_pack("{s:{s:i}}", "snapshot.json", "version", 1));
	write_md(r, "timestamp.json", s);
	s = base("root");
	json_object_set_new(s, "consistent_snapshot", json_true());
	json_object_set_new(s, "keys", json_pack("{s:O}", r->id, r->key));
	json_object_set_new(s, "roles", json_pack("{s:{s:[s],s:i}, s:{s:[s],s:i}, s:{s:[s],s:i}, s:{s:[s],s:i}}",
						  "root", "keyids", r->id, "threshold", 1, "timestamp",
						  "keyids", r->id, "threshold", 1, "snapshot", "keyids",
						  r->id, "threshold", 1, "targets", "keyids", r->id,
						  "threshold", 1));
	write_md(r, "1.root.json", s);
}

/* A fresh client over the repository: refresh, then look `path` up.
 * Returns find's result; r->log holds the requests made by the lookup. */
static int lookup(struct repo *r, const char *path, struct nip_error *err)
{
	char mdpath[400];
	struct nip_buf root;
	struct nip_tuf_target t;
	struct nip_tuf_client *c;
	struct nip_tuf_opts o = {.metadata_url = "repo", .label = "walk",
				 .fetcher = {&rec_ops, r}};
	int mfd, rc;

	/* A new client directory each time: nothing cached from before. */
	snprintf(mdpath, sizeof mdpath, "%s/client-%u", r->dir, ++r->clients);
	mkdir(mdpath, 0755);
	mfd = open(mdpath, O_RDONLY | O_DIRECTORY);
	nip_buf_init(&root, 1 << 20, "root");
	CU_ASSERT_EQUAL_FATAL(nip_read_file(r->mfd, "1.root.json", root.max, 1, &root, err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_tuf_init(mfd, root.data, root.len, err), 0);
	nip_buf_free(&root);
	o.metadata_dirfd = mfd;
	c = nip_tuf_client_new(&o, err);
	CU_ASSERT_EQUAL_FATAL(nip_tuf_refresh(c, err), 0);
	r->log[0] = 0;
	rc = nip_tuf_find_target(c, path, &t, err);
	if (rc == 0)
		nip_tuf_target_clear(&t);
	nip_tuf_client_free(c);
	close(mfd);
	return rc;
}

static void free_repo(struct repo *r)
{
	json_decref(r->key);
	close(r->mfd);
}

static void test_walk(void)
{
	struct repo r;
	struct nip_error err;
	make_repo(&r);
	/* Top-level targets answer first, with no request. */
	CU_ASSERT_EQUAL(lookup(&r, "top.txt", &err), 0);
	CU_ASSERT_STRING_EQUAL(r.log, "");
	/* Depth first: A, then A's child A1, which lists it. */
	CU_ASSERT_EQUAL(lookup(&r, "a/x", &err), 0);
	CU_ASSERT_STRING_EQUAL(r.log, "1.A.json 1.A1.json ");
	/* A hash prefix delegates c/x to C; B, listed after C, is not asked. */
	CU_ASSERT_EQUAL(lookup(&r, "c/x", &err), 0);
	CU_ASSERT_STRING_EQUAL(r.log, "1.C.json ");
	/* b/y: only B's pattern matches (a "*" matches one part, not a '/'). */
	CU_ASSERT_EQUAL(lookup(&r, "b/y", &err), 0);
	CU_ASSERT_STRING_EQUAL(r.log, "1.B.json ");
	/* Nobody lists z/q: B is terminating, so the walk stops there. */
	CU_ASSERT_EQUAL(lookup(&r, "z/q", &err), NIP_TUF_NOTFOUND);
	CU_ASSERT_TERR(err, NIP_E_TRUST, "z/q");
	CU_ASSERT_STRING_EQUAL(r.log, "1.B.json ");
	/* a/q: A matches, so does B; A's terminating child AT matches too,
	 * which drops B, still waiting from the level above. */
	CU_ASSERT_EQUAL(lookup(&r, "a/q", &err), NIP_TUF_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(r.log, "1.A.json 1.AT.json ");
	/* One part only: no pattern of two parts matches, nothing is fetched. */
	CU_ASSERT_EQUAL(lookup(&r, "z", &err), NIP_TUF_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(r.log, "");
	free_repo(&r);
}

static void test_covers(void)
{
	json_t *paths = json_pack("[s, s]", "pkgs/*.nip", "a/?/c");
	struct tuf_role r = {.name = "x", .paths = paths};
	CU_ASSERT(tuf_role_covers(&r, "pkgs/hello-1.nip", NULL));
	CU_ASSERT(!tuf_role_covers(&r, "pkgs/sub/hello-1.nip", NULL));
	CU_ASSERT(tuf_role_covers(&r, "a/b/c", NULL));
	CU_ASSERT(!tuf_role_covers(&r, "a/bb/c", NULL));
	CU_ASSERT(!tuf_role_covers(&r, "PKGS/x.nip", NULL));
	json_decref(paths);
}

NIP_UNIT_SUITE("track/walk", NIP_TEST(test_walk), NIP_TEST(test_covers))
