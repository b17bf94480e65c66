/* Finding and reading a policy named on the command line: a value with a
 * '/' is a file, otherwise the name of a shipped policy, looked up in
 * $NIP_POLICY_PATH (':'-separated), then PREFIX/share/nip/policies beside
 * the binary (bin/../share/nip/policies), then the source tree's
 * policies/ (build/bin/../../policies), so an uninstalled nip works. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nip/cell.h"
#include "nip/limits.h"

static int name_valid(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int try_dir(const char *dir, size_t n, const char *name, struct nip_buf *out,
		   char *path, size_t pathsz, struct nip_error *err)
{
	if ((size_t)snprintf(path, pathsz, "%.*s/%s", (int)n, dir, name) >= pathsz)
		return 1;
	if (nip_read_file(AT_FDCWD, path, NIP_POLICY_MAX, 0, out, err) == 0)
		return 0;
	return err->errnum == ENOENT || err->errnum == ENOTDIR ? 1 : -1;
}

int cli_policy_read(const char *arg, struct nip_buf *out, char *path, size_t pathsz,
		    struct nip_error *err)
{
	const char *env = getenv("NIP_POLICY_PATH");
	char exe[4096], *slash;
	ssize_t n;
	int rc;

	if (strchr(arg, '/')) {
		snprintf(path, pathsz, "%s", arg);
		if (nip_read_file(AT_FDCWD, arg, NIP_POLICY_MAX, 0, out, err) < 0)
			return -1;
		return 0;
	}
	if (!name_valid(arg))
		return nip_err(err, NIP_E_USAGE,
			       "'%.64s' is neither a policy file (it has no '/') nor a policy name", arg);
	for (const char *p = env; p && *p;) {
		size_t len = strcspn(p, ":");
		if (len && (rc = try_dir(p, len, arg, out, path, pathsz, err)) <= 0)
			return rc;
		p += len + (p[len] == ':');
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		static const char *const rel[] = {"/../share/nip/policies", "/../../policies"};
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		for (size_t i = 0; i < 2; i++) {
			char dir[4200];
			snprintf(dir, sizeof dir, "%s%s", exe, rel[i]);
			if ((rc = try_dir(dir, strlen(dir), arg, out, path, pathsz, err)) <= 0)
				return rc;
		}
	}
	return nip_err(err, NIP_E_USAGE,
		       "no policy named %s (looked in $NIP_POLICY_PATH and the installed policies)", arg);
}

int cli_policy_load(const char *arg, struct nip_policy **out, char **text, struct nip_error *err)
{
	struct nip_buf b;
	char path[4200];

	if (cli_policy_read(arg, &b, path, sizeof path, err) < 0)
		return -1;
	if (nip_policy_parse((const char *)b.data, b.len, path, out, err) < 0) {
		nip_buf_free(&b);
		return -1;
	}
	if (text) {
		if (nip_buf_cstr(&b, err) < 0) {
			nip_buf_free(&b);
			nip_policy_free(*out);
			return -1;
		}
		*text = (char *)b.data;
	} else {
		nip_buf_free(&b);
	}
	return 0;
}

void cli_landlock_notes(const struct nip_policy *p, int best_effort, const char *prefix, FILE *f)
{
	struct nip_landlock_plan plan;
	struct nip_error err;

	if (nip_landlock_plan(p, nip_landlock_abi(), best_effort, &plan, &err) < 0)
		return; /* the refusal itself comes when the cell starts */
	for (const char *line = plan.notes; *line;) {
		size_t n = strcspn(line, "\n");
		fprintf(f, "%s%.*s (Landlock ABI %d)\n", prefix, (int)n, line, plan.abi);
		line += n + (line[n] == '\n');
	}
}
