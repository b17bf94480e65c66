/* nip/lib/db/provchain.c and verify.c: the signed log, and each way of
 * tampering with it done by hand on the file. */
#include <time.h>

#include "db_test.h"

static struct nip_seckey node;
static struct nip_pubkey node_pub;

static void setup_keys(void)
{
	struct nip_error err;
	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&node_pub, &node, &err), 0);
}

static void append(struct nip_db *db, const char *event, const char *subject, const char *details)
{
	struct nip_error err;
	int rc;

	CU_ASSERT_EQUAL_FATAL(nip_db_begin(db, &err), 0);
	rc = nip_provchain_append(db, &node, event, subject, details, &err);
	if (rc < 0)
		fprintf(stderr, "\nappend: %s\n", err.msg);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(nip_db_commit(db, &err), 0);
}

/* A closed root whose log has entries 1..n; *anchor is its head. */
static const char *make_log(int n, struct nip_provchain_anchor *anchor)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	char details[64];

	for (int i = 1; i <= n; i++) {
		snprintf(details, sizeof details, "entry number %d", i);
		append(db, "install", "system bafkfake", details);
	}
	CU_ASSERT_EQUAL_FATAL(nip_provchain_head(db, anchor, &err), 0);
	nip_db_close(db);
	return dir;
}

/* verify must fail naming entry `seq` with `what`. */
static void expect_bad(const char *dir, const struct nip_provchain_anchor *anchor, int64_t seq,
		       const char *what)
{
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 0);
	int64_t bad = -1;

	CU_ASSERT_EQUAL(nip_provchain_verify(db, &node_pub, anchor, &bad, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, what);
	CU_ASSERT_EQUAL(nip_err_exit_status(err.code), 3);
	CU_ASSERT_EQUAL(bad, seq);
	if (bad != seq)
		fprintf(stderr, "\nbad_seq %lld, want %lld\n", (long long)bad, (long long)seq);
	nip_db_close(db);
}

static void expect_good(const char *dir, const struct nip_provchain_anchor *anchor)
{
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 0);
	int64_t bad = -1;
	int rc = nip_provchain_verify(db, &node_pub, anchor, &bad, &err);

	if (rc < 0)
		fprintf(stderr, "\nverify: %s\n", err.msg);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(bad, 0);
	nip_db_close(db);
}

static void test_append_list(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	struct nip_provchain_anchor head;
	struct nip_log_entry *e = NULL;
	size_t n = 0;
	time_t before = time(NULL);
	static const uint8_t zero[NIP_SHA256_LEN];

	CU_ASSERT_EQUAL(nip_provchain_head(db, &head, &err), 0);
	CU_ASSERT_EQUAL(head.seq, 0);
	CU_ASSERT_EQUAL(memcmp(head.hash, zero, sizeof zero), 0);
	CU_ASSERT_EQUAL(nip_provchain_list(db, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(e);
	expect_good(dir, NULL);
	expect_good(dir, &head);

	/* Outside a transaction an entry could commit without its change. */
	CU_ASSERT_EQUAL(nip_provchain_append(db, &node, "install", "x", "y", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_INTERNAL, "outside a transaction");

	append(db, "trust-add", "ABCDEF0123456789", "alice");
	append(db, "install", "system bafkone", NULL);
	append(db, "rollback", "system", "to 1");
	CU_ASSERT_EQUAL(nip_provchain_list(db, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	/* Newest first, chained. */
	CU_ASSERT_EQUAL(e[0].seq, 3);
	CU_ASSERT_STRING_EQUAL(e[0].event, "rollback");
	CU_ASSERT_STRING_EQUAL(e[0].details, "to 1");
	CU_ASSERT_STRING_EQUAL(e[1].details, "");
	CU_ASSERT_EQUAL(e[2].seq, 1);
	CU_ASSERT_STRING_EQUAL(e[2].subject, "ABCDEF0123456789");
	CU_ASSERT_EQUAL(memcmp(e[2].prev, zero, sizeof zero), 0);
	CU_ASSERT_EQUAL(memcmp(e[1].prev, e[2].hash, NIP_SHA256_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(e[0].prev, e[1].hash, NIP_SHA256_LEN), 0);
	CU_ASSERT(e[0].time >= before && e[0].time <= time(NULL) + 1);
	CU_ASSERT(nip_verify_raw(&node_pub, e[0].hash, NIP_SHA256_LEN, e[0].sig));
	CU_ASSERT_EQUAL(nip_provchain_head(db, &head, &err), 0);
	CU_ASSERT_EQUAL(head.seq, 3);
	CU_ASSERT_EQUAL(memcmp(head.hash, e[0].hash, NIP_SHA256_LEN), 0);
	nip_log_entry_free(e, n);
	CU_ASSERT_EQUAL(nip_provchain_list(db, 2, &e, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(e[1].seq, 2);
	nip_log_entry_free(e, n);

	/* A rolled-back transaction leaves no entry. */
	CU_ASSERT_EQUAL(nip_db_begin(db, &err), 0);
	CU_ASSERT_EQUAL(nip_provchain_append(db, &node, "remove", "x", "y", &err), 0);
	nip_db_rollback(db);
	CU_ASSERT_EQUAL(nip_provchain_head(db, &head, &err), 0);
	CU_ASSERT_EQUAL(head.seq, 3);
	nip_db_close(db);
	expect_good(dir, &head);
}

static void test_wrong_key(void)
{
	struct nip_provchain_anchor a;
	const char *dir = make_log(3, &a);
	struct nip_error err;
	struct nip_pubkey other;
	struct nip_seckey osec;
	struct nip_db *db = db_open_ok(dir, 0);
	int64_t bad;

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&other, &osec, &err), 0);
	CU_ASSERT_EQUAL(nip_provchain_verify(db, &other, &a, &bad, &err), -1);
	CU_ASSERT_ERR(err, NIP_E_TRUST, "entry 1: signature does not verify");
	CU_ASSERT_EQUAL(bad, 1);
	nip_seckey_wipe(&osec);
	nip_db_close(db);
}

static void test_altered(void)
{
	struct nip_provchain_anchor a;
	const char *dir = make_log(5, &a);

	raw_sql(dir, "UPDATE provchain SET details = 'entry number 33' WHERE seq = 3");
	expect_bad(dir, NULL, 3, "ProvChain: entry 3 was altered");
	dir = make_log(5, &a);
	raw_sql(dir, "UPDATE provchain SET time = time + 1 WHERE seq = 4");
	expect_bad(dir, &a, 4, "entry 4 was altered");
	/* A NUL planted inside a text still counts. */
	dir = make_log(5, &a);
	raw_sql(dir, "UPDATE provchain SET subject = subject || char(0) || 'x' WHERE seq = 2");
	expect_bad(dir, &a, 2, "entry 2 was altered");
	/* A signature moved from another entry. */
	dir = make_log(5, &a);
	raw_sql(dir, "UPDATE provchain SET sig = (SELECT sig FROM provchain WHERE seq = 1) WHERE seq = 2");
	expect_bad(dir, &a, 2, "entry 2: signature does not verify");
}

static void test_deleted_middle(void)
{
	struct nip_provchain_anchor a;
	const char *dir = make_log(5, &a);

	raw_sql(dir, "DELETE FROM provchain WHERE seq = 3");
	expect_bad(dir, NULL, 3, "ProvChain: entry 3 is missing");
	dir = make_log(5, &a);
	raw_sql(dir, "DELETE FROM provchain WHERE seq = 1");
	expect_bad(dir, &a, 1, "entry 1 is missing");
}

static void test_deleted_tail(void)
{
	struct nip_provchain_anchor a, cut;
	const char *dir = make_log(5, &a);
	struct nip_error err;
	struct nip_db *db;

	raw_sql(dir, "DELETE FROM provchain WHERE seq = 5");
	/* Without an anchor a cut tail leaves a whole chain: undetectable. */
	expect_good(dir, NULL);
	expect_bad(dir, &a, 5, "ProvChain: entries after 4 were removed");
	raw_sql(dir, "DELETE FROM provchain");
	expect_bad(dir, &a, 1, "entries after 0 were removed");
	/* An anchor older than the head is fine: the log grew since. */
	dir = make_log(5, &a);
	db = db_open_ok(dir, 0);
	append(db, "gc", "system", "1 generation");
	CU_ASSERT_EQUAL(nip_provchain_head(db, &cut, &err), 0);
	CU_ASSERT_EQUAL(cut.seq, 6);
	nip_db_close(db);
	expect_good(dir, &a);
	/* An anchor that names another entry under that seq. */
	a.hash[0] ^= 1;
	expect_bad(dir, &a, 5, "entry 5 was altered");
}

static void test_reordered(void)
{
	struct nip_provchain_anchor a;
	const char *dir = make_log(5, &a);

	raw_sql(dir, "UPDATE provchain SET seq = 100 WHERE seq = 2;"
		     "UPDATE provchain SET seq = 2 WHERE seq = 3;"
		     "UPDATE provchain SET seq = 3 WHERE seq = 100");
	expect_bad(dir, &a, 2, "ProvChain: entry 2 does not follow entry 1: inserted or reordered");
	/* Entry 1 removed and the rest renumbered to hide the gap. */
	dir = make_log(5, &a);
	raw_sql(dir, "DELETE FROM provchain WHERE seq = 1; UPDATE provchain SET seq = seq - 1");
	expect_bad(dir, NULL, 1, "entry 1 does not start the log");
}

/* The documented encoding (doc/nip-db.5), written again here: a forger
 * can compute every hash; only the signature stops them. */
static void doc_hash(int64_t seq, int64_t t, const char *ev, const char *subj, const char *det,
		     const uint8_t prev[NIP_SHA256_LEN], uint8_t out[NIP_SHA256_LEN])
{
	struct nip_buf b;
	struct nip_error err;
	const char *text[3] = {ev, subj, det};
	uint8_t be[8];

	nip_buf_init(&b, 1 << 16, "entry");
	CU_ASSERT_EQUAL_FATAL(nip_buf_append(&b, "nip-provchain-v1", 17, &err), 0);
	for (int k = 0; k < 2; k++) {
		uint64_t v = (uint64_t)(k ? t : seq);
		for (int i = 0; i < 8; i++)
			be[i] = (uint8_t)(v >> (56 - 8 * i));
		CU_ASSERT_EQUAL_FATAL(nip_buf_append(&b, be, 8, &err), 0);
	}
	for (int k = 0; k < 3; k++) {
		uint32_t len = (uint32_t)strlen(text[k]);
		uint8_t l[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
				(uint8_t)len};
		CU_ASSERT_EQUAL_FATAL(nip_buf_append(&b, l, 4, &err), 0);
		CU_ASSERT_EQUAL_FATAL(nip_buf_append(&b, text[k], len, &err), 0);
	}
	CU_ASSERT_EQUAL_FATAL(nip_buf_append(&b, prev, NIP_SHA256_LEN, &err), 0);
	nip_sha256(b.data, b.len, out);
	nip_buf_free(&b);
}

/* Inserts entry `seq` chained after prev, hashed correctly, signed by
 * `key` (or with a wrong hash when bad_hash). */
static void forge(const char *dir, int64_t seq, const uint8_t prev[NIP_SHA256_LEN],
		  const struct nip_seckey *key, int bad_hash)
{
	char path[512];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	struct nip_error err;
	uint8_t hash[NIP_SHA256_LEN], sig[64];

	doc_hash(seq, 1700000000, "trust-add", "0000000000000000", "mallory", prev, hash);
	hash[31] ^= (uint8_t)bad_hash;
	CU_ASSERT_EQUAL_FATAL(nip_sign_raw(key, hash, sizeof hash, sig, &err), 0);
	snprintf(path, sizeof path, "%s/nip.db", dir);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(h, "INSERT INTO provchain VALUES (?1, 1700000000, "
						    "'trust-add', '0000000000000000', 'mallory', "
						    "?2, ?3, ?4)",
						 -1, &st, NULL),
			      SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_blob(st, 2, prev, NIP_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hash, sizeof hash, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sig, sizeof sig, SQLITE_STATIC);
	CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void test_forged(void)
{
	struct nip_provchain_anchor a, b;
	struct nip_error err;
	struct nip_pubkey mpub;
	struct nip_seckey mallory;
	const char *dir = make_log(5, &a);
	struct nip_log_entry *e = NULL;
	struct nip_db *db;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(nip_key_generate(&mpub, &mallory, &err), 0);
	/* Appended at the end, perfectly chained, signed by another key. */
	forge(dir, 6, a.hash, &mallory, 0);
	expect_bad(dir, &a, 6, "ProvChain: entry 6: signature does not verify");
	/* The same signed by the node key passes: the test's encoding is the
	 * one the library hashes. */
	dir = make_log(5, &a);
	forge(dir, 6, a.hash, &node, 0);
	expect_good(dir, &a);
	dir = make_log(5, &a);
	forge(dir, 6, a.hash, &mallory, 1);
	expect_bad(dir, &a, 6, "entry 6 was altered");

	/* Slipped into the middle: entries from 3 on renumbered up by one. */
	dir = make_log(5, &a);
	db = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL_FATAL(nip_provchain_list(db, 0, &e, &n, &err), 0);
	nip_db_close(db);
	raw_sql(dir, "UPDATE provchain SET seq = seq + 100 WHERE seq >= 3;"
		     "UPDATE provchain SET seq = seq - 99 WHERE seq >= 100");
	forge(dir, 3, e[3].hash, &mallory, 0); /* e[3] is entry 2 */
	expect_bad(dir, NULL, 3, "entry 3: signature does not verify");
	nip_log_entry_free(e, n);
	/* With the node key's signature, the old entry 3 (now 4) no longer
	 * follows. */
	dir = make_log(5, &b);
	db = db_open_ok(dir, 0);
	CU_ASSERT_EQUAL_FATAL(nip_provchain_list(db, 0, &e, &n, &err), 0);
	nip_db_close(db);
	raw_sql(dir, "UPDATE provchain SET seq = seq + 100 WHERE seq >= 3;"
		     "UPDATE provchain SET seq = seq - 99 WHERE seq >= 100");
	forge(dir, 3, e[3].hash, &node, 0);
	expect_bad(dir, NULL, 4, "entry 4 does not follow entry 3: inserted or reordered");
	nip_log_entry_free(e, n);
	/* A row before the first. */
	dir = make_log(2, &a);
	forge(dir, 0, a.hash, &node, 0);
	expect_bad(dir, NULL, 0, "entry 0 was inserted");
	nip_seckey_wipe(&mallory);
}

static void test_limits(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_error err;
	struct nip_db *db = db_open_ok(dir, 1);
	char *big = malloc((1u << 20) + 2);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', (1u << 20) + 1);
	big[(1u << 20) + 1] = '\0';
	CU_ASSERT_EQUAL(nip_db_begin(db, &err), 0);
	CU_ASSERT_EQUAL(nip_provchain_append(db, &node, "install", big, "", &err), -1);
	CU_ASSERT_ERR(err, NIP_E_LIMIT, "subject of 1048577 bytes");
	CU_ASSERT_EQUAL(nip_provchain_append(db, &node, "", "s", "d", &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_INTERNAL);
	big[1u << 20] = '\0';
	CU_ASSERT_EQUAL(nip_provchain_append(db, &node, "install", "s", big, &err), 0);
	CU_ASSERT_EQUAL(nip_db_commit(db, &err), 0);
	nip_db_close(db);
	free(big);
	expect_good(dir, NULL);
}

NIP_UNIT_SUITE("db/provchain", NIP_TEST(setup_keys), NIP_TEST(test_append_list),
	       NIP_TEST(test_wrong_key), NIP_TEST(test_altered), NIP_TEST(test_deleted_middle),
	       NIP_TEST(test_deleted_tail), NIP_TEST(test_reordered), NIP_TEST(test_forged),
	       NIP_TEST(test_limits))
