/* The client under test of TUF's conformance suite (its CLIENT-CLI.md):
 * options in any order, then init, refresh or download; exit 0 or 1. A
 * thin shell over libnip's TUF client, dynamically linked so that the
 * suite's libfaketime reaches time(). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nip/track.h"

#define MAX_TARGETS 64

static void quote(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && j + 4 < n; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '.' || *p == '-' || *p == '~')
			out[j++] = (char)*p;
		else {
			out[j++] = '%';
			out[j++] = hex[*p >> 4];
			out[j++] = hex[*p & 15];
		}
	}
	out[j] = 0;
}

static int fail(const struct nip_error *e)
{
	fprintf(stderr, "tuf-client: error: %s\n", e->msg);
	return 1;
}

int main(int argc, char **argv)
{
	const char *mdir = NULL, *murl = NULL, *tbase = NULL, *tdir = NULL, *cmd = NULL, *arg = NULL;
	const char *targets[MAX_TARGETS];
	size_t ntargets = 0;
	struct nip_error e = {0};
	struct nip_fetcher f = {0};
	struct nip_tuf_client *c = NULL;
	int mfd = -1, tfd = -1, rc = 1;

	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--metadata-dir") == 0)
			dst = &mdir;
		else if (strcmp(argv[i], "--metadata-url") == 0)
			dst = &murl;
		else if (strcmp(argv[i], "--target-base-url") == 0)
			dst = &tbase;
		else if (strcmp(argv[i], "--target-dir") == 0)
			dst = &tdir;
		else if (strcmp(argv[i], "--target-name") == 0) {
			if (i + 1 >= argc || ntargets == MAX_TARGETS)
				goto usage;
			targets[ntargets++] = argv[++i];
			continue;
		} else if (!cmd)
			cmd = argv[i];
		else if (!arg)
			arg = argv[i];
		else
			goto usage;
		if (dst) {
			if (i + 1 >= argc)
				goto usage;
			*dst = argv[++i];
		}
	}
	if (!cmd || !mdir)
		goto usage;
	if ((mfd = open(mdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(mdir);
		return 1;
	}
	if (strcmp(cmd, "init") == 0) {
		struct nip_buf b;
		if (!arg)
			goto usage;
		nip_buf_init(&b, 1 << 20, arg);
		if (nip_read_file(AT_FDCWD, arg, b.max, 0, &b, &e) < 0 ||
		    nip_tuf_init(mfd, b.data, b.len, &e) < 0)
			rc = fail(&e);
		else
			rc = 0;
		nip_buf_free(&b);
		goto out;
	}
	if (!murl || (strcmp(cmd, "refresh") != 0 && strcmp(cmd, "download") != 0))
		goto usage;
	if (nip_fetcher_default(NULL, &f, &e) < 0)
		goto failed;
	{
		struct nip_tuf_opts o = {.metadata_dirfd = mfd, .metadata_url = murl, .targets_url = tbase,
					 .label = "repository", .fetcher = f};
		if (!(c = nip_tuf_client_new(&o, &e)) || nip_tuf_refresh(c, &e) < 0)
			goto failed;
	}
	if (strcmp(cmd, "download") == 0) {
		if (!tdir || !tbase || !ntargets)
			goto usage;
		if ((tfd = open(tdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			perror(tdir);
			goto out;
		}
		for (size_t i = 0; i < ntargets; i++) {
			struct nip_tuf_target t;
			char name[4096];
			quote(targets[i], name, sizeof name);
			if (nip_tuf_find_target(c, targets[i], &t, &e) != 0)
				goto failed;
			if (nip_tuf_download(c, &t, tfd, name, &e) < 0) {
				nip_tuf_target_clear(&t);
				goto failed;
			}
			nip_tuf_target_clear(&t);
		}
	}
	rc = 0;
	goto out;
usage:
	fprintf(stderr, "usage: tuf-client --metadata-dir DIR [--metadata-url URL] [--target-name T]... "
			"[--target-base-url URL] [--target-dir DIR] init ROOT|refresh|download\n");
	rc = 1;
	goto out;
failed:
	rc = fail(&e);
out:
	nip_tuf_client_free(c);
	nip_fetcher_free(&f);
	if (mfd >= 0)
		close(mfd);
	if (tfd >= 0)
		close(tfd);
	return rc;
}
