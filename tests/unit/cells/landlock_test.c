/* cells/landlock.c: what each Landlock ABI makes of a policy. The kernel
 * here has one ABI; the plan is computed for every ABI a kernel may offer
 * (Debian 12's 6.1 has 2), so the code that drops rights a kernel lacks is
 * exercised whatever kernel runs the tests. */
#include <linux/landlock.h>
#include <string.h>

#include "nip/cell.h"
#include "unit.h"

static struct nip_policy *policy(const char *text)
{
	struct nip_policy *p = NULL;
	struct nip_error err;
	CU_ASSERT_EQUAL_FATAL(nip_policy_parse(text, strlen(text), "t", &p, &err), 0);
	return p;
}

static int has(const char *notes, const char *what)
{
	return strstr(notes, what) != NULL;
}

/* The file system rights each ABI adds: a right a kernel lacks is never
 * handled (the kernel would refuse the whole ruleset). */
static void test_rights_by_abi(void)
{
	struct nip_policy *p = policy("pledge stdio rpath wpath cpath\nunveil /tmp rwc\n");
	struct nip_landlock_plan plan;
	struct nip_error err;
	const uint64_t refer = LANDLOCK_ACCESS_FS_REFER, truncate = 1ULL << 14, ioctl_dev = 1ULL << 15;

	for (int abi = 1; abi <= 7; abi++) {
		CU_ASSERT_EQUAL_FATAL(nip_landlock_plan(p, abi, 0, &plan, &err), 0);
		CU_ASSERT_EQUAL(plan.abi, abi);
		CU_ASSERT(plan.handled_fs & LANDLOCK_ACCESS_FS_READ_FILE);
		CU_ASSERT(plan.handled_fs & LANDLOCK_ACCESS_FS_MAKE_SYM);
		CU_ASSERT_EQUAL(!!(plan.handled_fs & refer), abi >= 2);
		CU_ASSERT_EQUAL(!!(plan.handled_fs & truncate), abi >= 3);
		CU_ASSERT_EQUAL(!!(plan.handled_fs & ioctl_dev), abi >= 5);
		/* No inet: TCP bind and connect handled from ABI 4, whose
		 * attribute is two words; scopes from ABI 6 (three). */
		CU_ASSERT_EQUAL(plan.handled_net != 0, abi >= 4);
		CU_ASSERT_EQUAL(plan.scoped != 0, abi >= 6);
		CU_ASSERT_EQUAL(plan.attr_size, abi >= 6 ? 24u : abi >= 4 ? 16u : 8u);
	}
	nip_policy_free(p);
}

/* What an older kernel costs the program is said, naming the right. */
static void test_notes(void)
{
	struct nip_policy *p = policy("pledge stdio rpath wpath cpath\nunveil /tmp rwc\n");
	struct nip_policy *ro = policy("pledge stdio rpath\nunveil /usr r\n");
	struct nip_policy *net = policy("pledge stdio inet unix\nunveil /tmp rw\n");
	struct nip_landlock_plan plan;
	struct nip_error err;

	CU_ASSERT_EQUAL(nip_landlock_plan(p, 1, 0, &plan, &err), 0);
	CU_ASSERT(has(plan.notes, "into another directory fails with EXDEV"));
	CU_ASSERT(has(plan.notes, "refer right needs ABI 2"));
	CU_ASSERT(has(plan.notes, "truncate(2) by path fails with EPERM"));
	CU_ASSERT_EQUAL(nip_landlock_plan(p, 2, 0, &plan, &err), 0);
	CU_ASSERT(!has(plan.notes, "EXDEV"));
	CU_ASSERT(has(plan.notes, "truncate(2)"));
	CU_ASSERT_EQUAL(nip_landlock_plan(p, 3, 0, &plan, &err), 0);
	CU_ASSERT_STRING_EQUAL(plan.notes, "");
	CU_ASSERT_EQUAL(nip_landlock_plan(p, 4, 0, &plan, &err), 0);
	CU_ASSERT_STRING_EQUAL(plan.notes, "");
	/* Nothing created, nothing written: nothing to say on ABI 1. */
	CU_ASSERT_EQUAL(nip_landlock_plan(ro, 1, 0, &plan, &err), 0);
	CU_ASSERT_STRING_EQUAL(plan.notes, "");
	/* Abstract sockets of a shared network are scoped from ABI 6. */
	CU_ASSERT_EQUAL(nip_landlock_plan(net, 5, 0, &plan, &err), 0);
	CU_ASSERT(has(plan.notes, "abstract unix sockets"));
	CU_ASSERT_EQUAL(nip_landlock_plan(net, 6, 0, &plan, &err), 0);
	CU_ASSERT(!has(plan.notes, "abstract unix sockets"));
	nip_policy_free(p);
	nip_policy_free(ro);
	nip_policy_free(net);
}

/* No Landlock: unveil lines are refused, naming the fix, unless best
 * effort, which says what is lost; a policy without them runs. */
static void test_no_landlock(void)
{
	struct nip_policy *p = policy("pledge stdio rpath\nunveil /usr r\n");
	struct nip_policy *open_ = policy("pledge stdio rpath\n");
	struct nip_landlock_plan plan;
	struct nip_error err;

	CU_ASSERT_EQUAL(nip_landlock_plan(p, 0, 0, &plan, &err), -1);
	CU_ASSERT_EQUAL(err.code, NIP_E_DENIED);
	CU_ASSERT(has(err.msg, "unveil needs Landlock"));
	CU_ASSERT(has(err.msg, "--best-effort"));
	CU_ASSERT_EQUAL(nip_landlock_plan(p, 0, 1, &plan, &err), 0);
	CU_ASSERT(has(plan.notes, "unveil is not enforced"));
	CU_ASSERT_EQUAL(plan.handled_fs, 0);
	CU_ASSERT_EQUAL(nip_landlock_plan(open_, 0, 0, &plan, &err), 0);
	CU_ASSERT_STRING_EQUAL(plan.notes, "");
	nip_policy_free(p);
	nip_policy_free(open_);
}

NIP_UNIT_SUITE("cells/landlock", NIP_TEST(test_rights_by_abi), NIP_TEST(test_notes),
	       NIP_TEST(test_no_landlock));
