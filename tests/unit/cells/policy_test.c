/* cells/policy.c, promise.c, explain.c: parsing, narrowing, explaining. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nip/cell.h"
#include "unit.h"

static struct nip_policy *parse_ok(const char *text)
{
	struct nip_policy *p = NULL;
	struct nip_error err;
	int rc = nip_policy_parse(text, strlen(text), "t", &p, &err);
	if (rc < 0)
		fprintf(stderr, "unexpected: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return p;
}

static void parse_bad(const char *text, int code, const char *msg)
{
	struct nip_policy *p = NULL;
	struct nip_error err;
	CU_ASSERT_EQUAL(nip_policy_parse(text, strlen(text), "t", &p, &err), -1);
	CU_ASSERT_EQUAL(err.code, code);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, msg));
	if (!strstr(err.msg, msg))
		fprintf(stderr, "message: %s\n", err.msg);
	CU_ASSERT_PTR_NULL(p);
}

static void test_parse(void)
{
	struct nip_policy *p = parse_ok("# web\n\n  pledge stdio rpath inet dns  \n"
					"unveil /etc/ssl/ r\nunveil /var/lib/app rwc\r\n"
					"rlimit nofile 256\nrlimit core unlimited\n");
	CU_ASSERT_EQUAL(p->promises, NIP_PROMISE(STDIO) | NIP_PROMISE(RPATH) | NIP_PROMISE(INET) |
					     NIP_PROMISE(DNS));
	CU_ASSERT_EQUAL(p->execpromises, p->promises); /* not named: the same */
	CU_ASSERT_EQUAL(p->nunveil, 2);
	CU_ASSERT_STRING_EQUAL(p->unveil[0].path, "/etc/ssl"); /* trailing '/' dropped */
	CU_ASSERT_EQUAL(p->unveil[0].perms, NIP_UNVEIL_R);
	CU_ASSERT_EQUAL(p->unveil[1].perms, NIP_UNVEIL_R | NIP_UNVEIL_W | NIP_UNVEIL_C);
	CU_ASSERT_EQUAL(p->nlayers, 1);
	CU_ASSERT_EQUAL(p->rlimit[NIP_RL_NOFILE], 256);
	CU_ASSERT_EQUAL(p->rlimit[NIP_RL_CORE], (uint64_t)RLIM_INFINITY);
	nip_policy_free(p);
	p = parse_ok("pledge stdio proc exec\nexecpromises stdio\n");
	CU_ASSERT_EQUAL(p->execpromises, NIP_PROMISE(STDIO));
	CU_ASSERT_EQUAL(p->nlayers, 0);
	nip_policy_free(p);
}

static void test_parse_errors(void)
{
	parse_bad("pledge stdio\nfrobnicate\n", NIP_E_FORMAT, "t:2: unknown directive 'frobnicate'");
	parse_bad("pledge stdio nosuch\n", NIP_E_FORMAT, "t:1: unknown promise 'nosuch'");
	parse_bad("pledge stdio audio\n", NIP_E_FORMAT, "no meaning on Linux");
	parse_bad("pledge stdio error abort\n", NIP_E_FORMAT, "exclude each other");
	parse_bad("pledge stdio\npledge rpath\n", NIP_E_FORMAT, "a second 'pledge' line");
	parse_bad("unveil /tmp r\n", NIP_E_FORMAT, "no 'pledge' line");
	parse_bad("pledge stdio\nunveil tmp r\n", NIP_E_FORMAT, "must be absolute");
	parse_bad("pledge stdio\nunveil /a/../b r\n", NIP_E_FORMAT, "must be absolute");
	parse_bad("pledge stdio\nunveil /a//b r\n", NIP_E_FORMAT, "must be absolute");
	parse_bad("pledge stdio\nunveil /a/./b r\n", NIP_E_FORMAT, "must be absolute");
	parse_bad("pledge stdio\nunveil /a rr\n", NIP_E_FORMAT, "each once");
	parse_bad("pledge stdio\nunveil /a rz\n", NIP_E_FORMAT, "some of r, w, x, c");
	parse_bad("pledge stdio\nunveil /a r\nunveil /a/ w\n", NIP_E_FORMAT, "given twice");
	parse_bad("pledge stdio\nunveil /a\n", NIP_E_FORMAT, "expected 'unveil PATH PERMS'");
	parse_bad("pledge stdio\nrlimit nofile -1\n", NIP_E_FORMAT, "not a number");
	parse_bad("pledge stdio\nrlimit heap 1\n", NIP_E_FORMAT, "unknown resource limit");
	parse_bad("pledge stdio\nrlimit core 1\nrlimit core 2\n", NIP_E_FORMAT, "given twice");
	{
		char text[] = "pledge stdio\0";
		struct nip_policy *p;
		struct nip_error err;
		CU_ASSERT_EQUAL(nip_policy_parse(text, sizeof text, "t", &p, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "NUL"));
	}
	{
		size_t n = 70000;
		char *big = malloc(n);
		struct nip_policy *p;
		struct nip_error err;
		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		memset(big, '#', n);
		CU_ASSERT_EQUAL(nip_policy_parse(big, n, "t", &p, &err), -1);
		CU_ASSERT_EQUAL(err.code, NIP_E_LIMIT);
		free(big);
	}
}

static void test_narrow(void)
{
	struct nip_policy *cell = parse_ok("pledge stdio rpath inet proc\nunveil /var rwc\n"
					   "rlimit nofile 1000\n");
	struct nip_policy *pkg = parse_ok("pledge stdio rpath wpath abort\nunveil /var/lib r\n"
					  "rlimit nofile 100\nrlimit core 0\n");
	struct nip_error err;

	CU_ASSERT_EQUAL(nip_policy_narrow(cell, pkg, &err), 0);
	/* wpath was not the cell's to give, inet not the package's to ask */
	CU_ASSERT_EQUAL(cell->promises, NIP_PROMISE(STDIO) | NIP_PROMISE(RPATH) | NIP_PROMISE(ABORT));
	CU_ASSERT_EQUAL(cell->nlayers, 2);
	CU_ASSERT_EQUAL(cell->unveil[1].layer, 1);
	CU_ASSERT_EQUAL(cell->rlimit[NIP_RL_NOFILE], 100);
	CU_ASSERT_EQUAL(cell->rlimit[NIP_RL_CORE], 0);
	CU_ASSERT_EQUAL(nip_policy_add_implied(cell, &err), 0);
	{
		int usr[2] = {0, 0};
		for (size_t i = 0; i < cell->nunveil; i++)
			if (!strcmp(cell->unveil[i].path, "/usr") && cell->unveil[i].implied)
				usr[cell->unveil[i].layer]++;
		CU_ASSERT(usr[0] == 1 && usr[1] == 1); /* every layer lets code run */
	}
	nip_policy_free(cell);
	nip_policy_free(pkg);
}

static void test_promises(void)
{
	uint64_t set;
	struct nip_error err;

	CU_ASSERT_EQUAL(nip_promises_parse("  stdio\trpath ", &set, &err), 0);
	CU_ASSERT_EQUAL(set, NIP_PROMISE(STDIO) | NIP_PROMISE(RPATH));
	CU_ASSERT_EQUAL(nip_promises_parse("", &set, &err), 0);
	CU_ASSERT_EQUAL(set, 0);
	CU_ASSERT_EQUAL(nip_promises_parse("stdio averyveryveryverylongpromisename", &set, &err), -1);
	CU_ASSERT_STRING_EQUAL(nip_promise_name(NIP_P_PROT_EXEC), "prot_exec");
	CU_ASSERT_STRING_EQUAL(nip_promise_name(-1), "?");
}

static void test_explain(void)
{
	struct nip_policy *p = parse_ok("pledge stdio inet\nunveil /a\"b r\nrlimit nofile 5\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	nip_policy_explain(p, 1, f);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"path\":\"/a\\\"b\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"network\":\"host\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"nofile\":5"));
	free(buf);
	f = open_memstream(&buf, &len);
	nip_policy_explain(p, 0, f);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "every other call fails with EPERM"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "cannot start any other"));
	free(buf);
	nip_policy_free(p);
}

NIP_UNIT_SUITE("cells/policy", NIP_TEST(test_parse), NIP_TEST(test_parse_errors),
	       NIP_TEST(test_narrow), NIP_TEST(test_promises), NIP_TEST(test_explain));
