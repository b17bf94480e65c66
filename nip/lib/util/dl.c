/* Lazy loading of heavy optional libraries (libarchive, libcurl): each costs
 * milliseconds of relocation at start-up, which commands that never read an
 * archive or a URL should not pay. */
#include <dlfcn.h>

#include "nip/util.h"

int nip_dl_load(const char *soname, const struct nip_dl_sym *syms, size_t n,
		struct nip_error *err)
{
	/* RTLD_NODELETE: resolved pointers stay valid for the process. */
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h)
		return nip_err(err, NIP_E_IO, "cannot load %s: %s (install it, e.g. apt-get install %s)",
			       soname, dlerror(), soname);
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);
		if (!p) {
			nip_err(err, NIP_E_IO, "%s lacks %s: a newer version is needed", soname,
				syms[i].name);
			dlclose(h);
			return -1;
		}
		*syms[i].ptr = p;
	}
	return 0;
}
