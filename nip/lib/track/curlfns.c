/* The libcurl table of curlfns.h. */
#include "curlfns.h"

int curl_fns_load(struct curl_fns *c, struct nip_error *err)
{
	const struct nip_dl_sym syms[] = {
		{"curl_global_init", (void **)&c->global_init},
		{"curl_easy_init", (void **)&c->easy_init},
		{"curl_easy_setopt", (void **)&c->easy_setopt},
		{"curl_easy_perform", (void **)&c->easy_perform},
		{"curl_easy_getinfo", (void **)&c->easy_getinfo},
		{"curl_easy_reset", (void **)&c->easy_reset},
		{"curl_easy_cleanup", (void **)&c->easy_cleanup},
		{"curl_easy_strerror", (void **)&c->easy_strerror},
		{"curl_slist_append", (void **)&c->slist_append},
		{"curl_slist_free_all", (void **)&c->slist_free_all},
		{"curl_multi_init", (void **)&c->multi_init},
		{"curl_multi_add_handle", (void **)&c->multi_add_handle},
		{"curl_multi_remove_handle", (void **)&c->multi_remove_handle},
		{"curl_multi_perform", (void **)&c->multi_perform},
		{"curl_multi_poll", (void **)&c->multi_poll},
		{"curl_multi_timeout", (void **)&c->multi_timeout},
		{"curl_multi_info_read", (void **)&c->multi_info_read},
		{"curl_multi_cleanup", (void **)&c->multi_cleanup},
	};
	return nip_dl_load("libcurl.so.4", syms, sizeof syms / sizeof *syms, err);
}
