/* nip/lib/txn/events.c and the fold (cells.c): what `nip run` appends
 * reaches ProvChain once, in order, signed, even when the fold dies
 * between its commit and emptying the journal. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nip/txn.h"
#include "unit.h"

/* A root with its node key and database, as the first writer makes it. */
static const char *new_root(void)
{
	const char *dir = nip_unit_tmpdir();
	struct nip_root *r = NULL;
	struct nip_error err;

	CU_ASSERT_EQUAL_FATAL(nip_root_open(dir, NIP_ROOT_WRITE, 0, &r, &err), 0);
	nip_root_close(r);
	return dir;
}

static size_t entries(const char *root, const char *event, struct nip_log_entry **out, size_t *total)
{
	struct nip_root *r = NULL;
	struct nip_log_entry *e = NULL;
	struct nip_error err;
	size_t n = 0, found = 0;
	int64_t bad = 0;

	CU_ASSERT_EQUAL_FATAL(nip_root_open(root, 0, 0, &r, &err), 0);
	CU_ASSERT_EQUAL(nip_txn_log_verify(r, &bad, &err), 0);
	CU_ASSERT_EQUAL_FATAL(nip_provchain_list(r->db, 1000, &e, &n, &err), 0);
	nip_root_close(r);
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].event, event) == 0)
			found++;
	if (total)
		*total = n;
	if (out)
		*out = e;
	else
		nip_log_entry_free(e, n);
	return found;
}

static char *slurp(const char *root, size_t *len)
{
	char path[4200];
	FILE *f;
	char *buf = calloc(1, 1 << 16);

	snprintf(path, sizeof path, "%s/%s", root, NIP_CELL_EVENTS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(path, "r"));
	*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

static void put(const char *root, const char *text, size_t len, const char *mode)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, NIP_CELL_EVENTS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(path, mode));
	CU_ASSERT_EQUAL(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_parse(void)
{
	char ok[] = "v1 1700000000.000000001 cell-start cell=web pid=7 program=/bin/sh -c x";
	char bad1[] = "v2 1700000000.000000001 cell-start cell=web x";
	char bad2[] = "v1 1700000000.1 cell-start cell=web x";
	char bad3[] = "v1 1700000000.000000001 cell-start";
	char bad4[] = "v1 1700000000.000000001 cell-start cell=web a\tb";
	struct nip_cell_event e;

	CU_ASSERT_EQUAL(nip_cell_event_parse(ok, &e), 0);
	CU_ASSERT_EQUAL(e.sec, 1700000000);
	CU_ASSERT_EQUAL(e.nsec, 1);
	CU_ASSERT_STRING_EQUAL(e.event, "cell-start");
	CU_ASSERT_STRING_EQUAL(e.subject, "cell=web");
	CU_ASSERT_STRING_EQUAL(e.details, "pid=7 program=/bin/sh -c x");
	CU_ASSERT_EQUAL(nip_cell_event_parse(bad1, &e), -1);
	CU_ASSERT_EQUAL(nip_cell_event_parse(bad2, &e), -1);
	CU_ASSERT_EQUAL(nip_cell_event_parse(bad3, &e), -1);
	CU_ASSERT_EQUAL(nip_cell_event_parse(bad4, &e), -1);
}

static void test_fold_once(void)
{
	const char *root = new_root();
	struct nip_log_entry *e = NULL;
	struct nip_error err;
	char *saved;
	size_t len, n;
	int fd = open(root, O_RDONLY | O_DIRECTORY);

	/* A program name with a newline cannot forge a second record. */
	CU_ASSERT_EQUAL(nip_cell_event_append(fd, "cell-start", "cell=a", "program=x\nv1 1 forged", &err), 0);
	CU_ASSERT_EQUAL(nip_cell_event_append(fd, "cell-violation", "cell=a", "denied=1", &err), 0);
	saved = slurp(root, &len);
	CU_ASSERT_EQUAL(nip_cell_log_fold(root, &err), 0);
	CU_ASSERT_EQUAL(entries(root, "cell-start", NULL, NULL), 1);
	CU_ASSERT_EQUAL(entries(root, "cell-violation", &e, &n), 1);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	/* Newest first: the violation follows the start, with when it was. */
	CU_ASSERT_STRING_EQUAL(e[0].event, "cell-violation");
	CU_ASSERT_STRING_EQUAL(e[1].event, "cell-start");
	CU_ASSERT_PTR_NOT_NULL(strstr(e[1].details, "program=x?v1 1 forged at="));
	nip_log_entry_free(e, n);
	/* Died after the commit, before emptying: the records come back,
	 * with one more and a line cut short; only the new one is added. */
	put(root, saved, len, "w");
	CU_ASSERT_EQUAL(nip_cell_event_append(fd, "cell-start", "cell=b", "pid=2", &err), 0);
	put(root, "v1 17000", 8, "a");
	CU_ASSERT_EQUAL(nip_cell_log_fold(root, &err), 0);
	CU_ASSERT_EQUAL(entries(root, "cell-start", NULL, NULL), 2);
	CU_ASSERT_EQUAL(entries(root, "cell-violation", NULL, NULL), 1);
	free(slurp(root, &n));
	CU_ASSERT_EQUAL(n, 0);
	/* Nothing to fold: nothing changes. */
	CU_ASSERT_EQUAL(nip_cell_log_fold(root, &err), 0);
	CU_ASSERT_EQUAL(entries(root, "cell-start", NULL, NULL), 2);
	free(saved);
	close(fd);
}

static void test_no_journal(void)
{
	const char *root = new_root();
	struct nip_error err;

	CU_ASSERT_EQUAL(nip_cell_log_fold(root, &err), 0);
	CU_ASSERT_EQUAL(nip_cell_log_fold("/nonexistent/root", &err), 0);
}

NIP_UNIT_SUITE("txn/events", NIP_TEST(test_parse), NIP_TEST(test_fold_once), NIP_TEST(test_no_journal));
