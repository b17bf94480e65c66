/* Cell names, checked wherever one enters: in util rather than txn so that
 * nip's small front end (nip/front/), which links no SQLite, checks them
 * exactly as the rest of nip does. Declared in nip/txn.h. */
#include <string.h>

#include "nip/txn.h"

int nip_cell_name_check(const char *name, struct nip_error *err)
{
	char s[80];
	size_t len = strlen(name);

	if (len == 0 || len > NIP_CELL_NAME_MAX || name[0] == '-' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return nip_err(err, NIP_E_USAGE,
			       "cell name \"%s\": use 1 to %d letters, digits, '_' or '-' (not first)",
			       nip_shorten(name, s, sizeof s), NIP_CELL_NAME_MAX);
	return 0;
}

int nip_cell_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}
