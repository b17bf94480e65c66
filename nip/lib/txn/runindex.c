/* The run index: for one deployment, the packages that carry a policy of
 * their own and the files each owns (cells/CELL/.run/DEPLOYMENT), written
 * with the deployment. `nip run` looks a program's package policy up here
 * without opening the database: that cost a cell with a deployment 2 ms
 * of its start (loading the rest of nip and SQLite), against 3 ms for the
 * whole start of one without. No index (a generation made before it
 * existed, or a torn file) sends the caller to the database instead.
 *
 * Format: "nip-run-index-1\0", then per package NAME\0 POLICY\0 PATH\0...
 * \0, then a final \0: NUL cannot occur in a name, a policy or a path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nip/txn.h"
#include "nip/util.h"
#include "runindex.h"


int nip_program_path(int deploy, const char *prog, char *out, size_t outsz)
{
	static const char *const dirs[] = {"usr/local/bin", "usr/bin", "bin", "usr/local/sbin",
					   "usr/sbin", "sbin"};
	struct stat st;

	if (strchr(prog, '/')) {
		snprintf(out, outsz, "%s", prog[0] == '/' ? prog + 1 : prog);
		return 0;
	}
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if ((size_t)snprintf(out, outsz, "%s/%s", dirs[i], prog) < outsz &&
		    fstatat(deploy, out, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
	return -1;
}

/* The next NUL-terminated string at *at, or NULL past the end. */
static const char *next(const char *buf, size_t len, size_t *at)
{
	const char *s = buf + *at, *z;
	if (*at >= len || !(z = memchr(s, '\0', len - *at)))
		return NULL;
	*at = (size_t)(z - buf) + 1;
	return s;
}

static int lookup(const char *buf, size_t len, const char *path, char **policy, char **package)
{
	size_t at = 0;
	const char *s = next(buf, len, &at);

	if (!s || strcmp(s, MAGIC) != 0)
		return 0;
	while ((s = next(buf, len, &at)) && *s) {
		const char *name = s, *pol = next(buf, len, &at), *f;
		int mine = 0;
		if (!pol)
			return 0;
		while ((f = next(buf, len, &at)) && *f)
			mine |= strcmp(f, path) == 0;
		if (!f)
			return 0;
		if (mine) {
			if (!(*policy = strdup(pol)) || !(*package = strdup(name))) {
				free(*policy);
				*policy = NULL;
				return -1;
			}
			return 1;
		}
	}
	/* Whole only when the final \0 ends the file. */
	return s && at == len ? 1 : 0;
}

int nip_run_index_lookup(int celldir, const char *program, char **policy, char **package,
			 struct nip_error *err)
{
	char target[512], path[4096], *name, *buf = NULL;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int deploy = -1, fd = -1, rc = 0;

	*policy = *package = NULL;
	if ((n = readlinkat(celldir, "current", target, sizeof target - 1)) <= 0)
		return 0;
	target[n] = '\0';
	name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	if (!*name || name[0] == '.')
		return 0;
	if ((deploy = openat(celldir, "current", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    nip_program_path(deploy, program, path, sizeof path) < 0) {
		rc = deploy < 0 ? 0 : 1; /* not in the deployment: no package's */
		goto out;
	}
	if ((fd = openat(celldir, RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		goto out;
	n = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(fd);
	if ((fd = (int)n) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > INDEX_MAX)
		goto out;
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = nip_err(err, NIP_E_NOMEM, "run index: out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size && (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	if ((rc = lookup(buf, len, path, policy, package)) < 0)
		nip_err(err, NIP_E_NOMEM, "run index: out of memory");
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (deploy >= 0)
		close(deploy);
	return rc;
}
