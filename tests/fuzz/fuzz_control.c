/* Fuzz target: the text metadata of foreign packages. First byte picks:
 * 0 Debian control, 1 .PKGINFO, 2 a pacman version, 3 an apk version, else
 * a Debian version. Parsers must fail cleanly or return what they promise. */
#include <stdlib.h>
#include <string.h>

#include "../../nip/lib/graft/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const multi[] = {"depend", "provides", NULL};
	struct kvlist kv = {0};
	struct nip_error err;
	char *text, *v = NULL;

	if (!size)
		return 0;
	if (!(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		if (control_parse(text, size - 1, &kv, &err) == 0)
			for (size_t i = 0; i < kv.n; i++)
				if (!kv.v[i].key[0] || strchr(kv.v[i].key, ':'))
					abort();
		break;
	case 1:
		pkginfo_parse(text, size - 1, multi, &kv, &err);
		break;
	default:
		if (strlen(text) == size - 1 &&
		    nip_graft_version(data[0] % 5 == 2 ? NIP_GRAFT_PACMAN : data[0] % 5 == 3 ? NIP_GRAFT_APK : NIP_GRAFT_DEB,
				      text, &v, &err) == 0 &&
		    !nip_version_valid(v, strlen(v)))
			abort(); /* a mapped version is always one of nip's */
	}
	free(v);
	kv_free(&kv);
	free(text);
	return 0;
}
