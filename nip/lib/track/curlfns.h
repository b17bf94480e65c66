/* libcurl, loaded on first use (dlopen): nip's commands that never touch
 * the network do not pay for mapping it and its TLS stack. One table for
 * the single fetches, the parallel downloads and the publish POST. */
#ifndef NIP_TRACK_CURLFNS_H
#define NIP_TRACK_CURLFNS_H

#include <curl/curl.h>

#include "nip/util.h"

struct curl_fns {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned, int, int *);
	CURLMcode (*multi_timeout)(CURLM *, long *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
};

/* Fills c from libcurl.so.4 (kept loaded, RTLD_NODELETE). */
int curl_fns_load(struct curl_fns *c, struct nip_error *err);

#endif
