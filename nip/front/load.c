/* Loading the rest of nip. Its path comes from the executable's own, never
 * from the library search path: a LD_LIBRARY_PATH entry must not decide
 * which code runs as nip. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

#define FULL_SO "/../lib/nip/libnip-cli.so"

void *front_load(struct nip_error *err)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof FULL_SO);
	char *slash;
	void *h;

	if (n < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "finding nip's executable: /proc/self/exe");
		return NULL;
	}
	path[n] = '\0';
	if (!(slash = strrchr(path, '/'))) {
		nip_err(err, NIP_E_IO, "nip's executable has no directory: %s", path);
		return NULL;
	}
	memcpy(slash, FULL_SO, sizeof FULL_SO);
	/* Lazy binding, as the executable had when it linked all of this:
	 * a command resolves only the functions it calls. Loaded again, the
	 * same handle comes back. */
	if (!(h = dlopen(path, RTLD_LAZY | RTLD_LOCAL)))
		nip_err(err, NIP_E_IO, "cannot load the rest of nip: %s", dlerror());
	return h;
}

const struct cli_heavy *cli_heavy(struct nip_error *err)
{
	const struct cli_heavy *(*get)(struct nip_error *);
	void *h = front_load(err);

	if (!h)
		return NULL;
	if (!(get = (const struct cli_heavy *(*)(struct nip_error *))dlsym(h, "cli_heavy"))) {
		nip_err(err, NIP_E_INTERNAL, "libnip-cli.so lacks cli_heavy");
		return NULL;
	}
	return get(err);
}
