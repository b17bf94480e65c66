/* One graft: read the foreign package once (hashing it as libarchive reads
 * it), stage its payload in a private directory beside the output, map its
 * metadata, keep its own metadata files under usr/share/nip-graft/NAME/,
 * and pack the result with nip_package_write (atomic: temp file, rename).
 * The staging directory is removed whatever happens. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "nip/limits.h"

int gpkg_add_strv(char ***v, size_t *n, const char *s, struct nip_error *err)
{
	char **nv = realloc(*v, (*n + 2) * sizeof **v);
	if (!nv)
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

int gpkg_note(struct gpkg *g, struct nip_error *err, const char *fmt, ...)
{
	struct nip_graft_info *gi = g->meta->graft;
	char line[NIP_STRING_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (gi->nsanitised >= NIP_GRAFT_LIST_MAX)
		return nip_err(err, NIP_E_LIMIT, "more than %u sanitising notes", NIP_GRAFT_LIST_MAX);
	if (g->opts->warn)
		g->opts->warn(g->opts->warn_ctx, line);
	return gpkg_add_strv(&gi->sanitised, &gi->nsanitised, line, err);
}

int gpkg_field(struct gpkg *g, const char *key, const char *value, struct nip_error *err)
{
	struct nip_graft_info *gi = g->meta->graft;
	struct nip_buf b;
	int rc;

	if (gi->nfields >= NIP_GRAFT_FIELDS_MAX)
		return nip_err(err, NIP_E_LIMIT, "more than %u unmapped fields", NIP_GRAFT_FIELDS_MAX);
	nip_buf_init(&b, NIP_GRAFT_FIELD_MAX + 256, "field");
	rc = nip_buf_printf(&b, err, "%s: %s", key, value) < 0 || nip_buf_cstr(&b, err) < 0
		     ? -1
		     : gpkg_add_strv(&gi->fields, &gi->nfields, (char *)b.data, err);
	nip_buf_free(&b);
	return rc;
}

int gpkg_keep_meta(struct gpkg *g, const char *name, struct nip_buf *data, struct nip_error *err)
{
	struct gmeta *nv;
	if (g->nmeta >= 64)
		return nip_err(err, NIP_E_LIMIT, "more than 64 metadata files");
	if (!(nv = realloc(g->metafiles, (g->nmeta + 1) * sizeof *nv)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	g->metafiles = nv;
	if (!(nv[g->nmeta].name = strdup(name)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	nv[g->nmeta].data = *data; /* taken */
	nip_buf_init(data, 0, NULL);
	g->nmeta++;
	return 0;
}

int nip_graft_detect(int fd, const char *name, enum nip_graft_format *out, struct nip_error *err)
{
	unsigned char m[8] = {0};
	size_t nl = strlen(name);
	ssize_t n = pread(fd, m, sizeof m, 0);

	if (n < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	if (n == 8 && memcmp(m, "!<arch>\n", 8) == 0)
		*out = NIP_GRAFT_DEB;
	else if (nl > 4 && strcmp(name + nl - 4, ".apk") == 0)
		*out = NIP_GRAFT_APK;
	else if (strstr(name, ".pkg.tar"))
		*out = NIP_GRAFT_PACMAN;
	else if (nl > 4 && strcmp(name + nl - 4, ".deb") == 0)
		*out = NIP_GRAFT_DEB;
	else
		return nip_err(err, NIP_E_USAGE,
			       "%s: not a .deb, .apk or .pkg.tar.* (cannot tell the format from its name or magic)",
			       name);
	return 0;
}

/* Writes the original's metadata files into the staged tree. */
static int write_meta(struct gpkg *g, struct nip_error *err)
{
	char dir[NIP_PKGNAME_MAX + 64];
	int dfd = -1, rc = -1;

	if (!g->nmeta)
		return 0;
	snprintf(dir, sizeof dir, "usr/share/nip-graft/%s", g->meta->name);
	for (char *c = dir; (c = strchr(c, '/')); c++) {
		*c = '\0';
		if (mkdirat(g->stagefd, dir, 0755) < 0 && errno != EEXIST) {
			*c = '/';
			return nip_err_sys(err, NIP_E_IO, errno, "staging %s", dir);
		}
		*c = '/';
	}
	if ((mkdirat(g->stagefd, dir, 0755) < 0 && errno != EEXIST) ||
	    (dfd = nip_open_beneath(g->stagefd, dir, O_RDONLY | O_DIRECTORY, 0, err)) < 0)
		return nip_err(err, NIP_E_FORMAT, "staging %s: the package already has something there", dir);
	for (size_t i = 0; i < g->nmeta; i++) {
		int fd = openat(dfd, g->metafiles[i].name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			nip_err_sys(err, NIP_E_FORMAT, errno, "staging %s/%s", dir, g->metafiles[i].name);
			goto out;
		}
		rc = nip_write_full(fd, g->metafiles[i].data.data, g->metafiles[i].data.len, dir, err);
		close(fd);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	close(dfd);
	return rc;
}

static int make_stage(int outdirfd, char *name, size_t namesz, struct nip_error *err)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned char r[8];
		char hex[17];
		if (getrandom(r, sizeof r, 0) != sizeof r)
			return nip_err_sys(err, NIP_E_IO, errno, "getrandom");
		nip_hex(r, sizeof r, hex);
		snprintf(name, namesz, ".nip-graft-%s", hex);
		if (mkdirat(outdirfd, name, 0700) == 0)
			return openat(outdirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (errno != EEXIST)
			return nip_err_sys(err, NIP_E_IO, errno, "creating a staging directory");
	}
	return nip_err(err, NIP_E_IO, "creating a staging directory: names exhausted");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Conffiles the payload does not have are noted and left out. */
static int settle_conffiles(struct gpkg *g, struct nip_error *err)
{
	struct nip_graft_info *gi = g->meta->graft;
	size_t j = 0;
	struct stat st;

	if (gi->nconffiles > 1)
		qsort(gi->conffiles, gi->nconffiles, sizeof *gi->conffiles, cmp_str);
	for (size_t i = 0; i < gi->nconffiles; i++) {
		int dup = j && strcmp(gi->conffiles[j - 1], gi->conffiles[i]) == 0;
		int fd = dup ? -1 : nip_open_beneath(g->stagefd, gi->conffiles[i], O_PATH, 0, NULL);
		int ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		if (fd >= 0)
			close(fd);
		if (!ok && !dup && gpkg_note(g, err, "conffile not in the payload: %s", gi->conffiles[i]) < 0)
			return -1;
		if (ok)
			gi->conffiles[j++] = gi->conffiles[i];
		else
			free(gi->conffiles[i]);
	}
	gi->nconffiles = j;
	return 0;
}

/* The original file: hashed as libarchive reads it, and to its end. */
static int finish_hash(int fd, struct nip_sha256 *h, char hex[NIP_SHA256_HEX], struct nip_error *err)
{
	unsigned char buf[64 << 10], d[NIP_SHA256_LEN];
	for (;;) {
		ssize_t n = nip_read_some(fd, buf, sizeof buf, "input", err);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		nip_sha256_update(h, buf, (size_t)n);
	}
	nip_sha256_final(h, d);
	nip_hex(d, sizeof d, hex);
	return 0;
}

/* pacman signs packages with a detached OpenPGP signature beside them. */
static int pacman_sig(int dirfd, const char *path, char **out, struct nip_error *err)
{
	char sig[NIP_PATH_MAX + 8], line[NIP_PATH_MAX + 128];
	struct stat st;
	const char *base = strrchr(path, '/');

	snprintf(sig, sizeof sig, "%s.sig", path);
	if (fstatat(dirfd, sig, &st, 0) == 0 && S_ISREG(st.st_mode))
		snprintf(line, sizeof line, "pacman: detached OpenPGP signature %s.sig beside it (not verified by nip)",
			 base ? base + 1 : path);
	else
		snprintf(line, sizeof line, "none: no detached .sig beside the package");
	if (!(*out = strdup(line)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	return 0;
}

int nip_graft_file(int dirfd, const char *path, const struct nip_graft_opts *opts, int outdirfd,
		   const char *outname, char **written, uint8_t cid[NIP_SHA256_LEN], struct nip_error *err)
{
	struct la la;
	struct gpkg g = {.la = &la, .opts = opts, .stagefd = -1};
	struct nip_pack_opts po = {0};
	struct nip_buf defname;
	char stage[64] = "", hex[NIP_SHA256_HEX];
	struct nip_sha256 *h = NULL;
	struct stat st;
	int fd = -1, rc = -1;

	nip_buf_init(&defname, 1024, "output name");
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		nip_err_sys(err, errno == ENOENT ? NIP_E_USAGE : NIP_E_IO, errno, "%s", path);
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		nip_err(err, NIP_E_USAGE, "%s: not a regular file", path);
		goto out;
	}
	if (nip_graft_detect(fd, path, &g.format, err) < 0 || la_load(&la, err) < 0 ||
	    !(h = nip_sha256_new(err)) || !(g.meta = nip_manifest_new(err)))
		goto out;
	if (!(g.meta->graft = calloc(1, sizeof *g.meta->graft))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((g.stagefd = make_stage(outdirfd, stage, sizeof stage, err)) < 0)
		goto out;
	g.meta->kind = NIP_KIND_APP;
	switch (g.format) {
	case NIP_GRAFT_DEB:
		rc = graft_deb(&g, fd, h, err);
		break;
	case NIP_GRAFT_PACMAN:
		rc = graft_pacman(&g, fd, h, err);
		break;
	default:
		rc = graft_apk(&g, fd, h, err);
	}
	if (rc < 0)
		goto out;
	rc = -1;
	{
		struct nip_graft_info *gi = g.meta->graft;
		static const char *const fmt[] = {"deb", "pacman", "apk"};
		if (finish_hash(fd, h, hex, err) < 0 || !(gi->format = strdup(fmt[g.format])) ||
		    !(gi->sha256 = strdup(hex)) || !(gi->tool = strdup(NIP_GRAFT_TOOL))) {
			if (!err->msg[0] || err->code == NIP_E_OK)
				nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
		if (g.format == NIP_GRAFT_PACMAN && pacman_sig(dirfd, path, &gi->signature, err) < 0)
			goto out;
		if (g.format == NIP_GRAFT_DEB && !gi->signature &&
		    (opts->apt_lists ? aptsig_status(&g, opts->apt_lists, hex, &gi->signature, err) < 0
				     : !(gi->signature = strdup("none: a .deb carries no signature of its own, and no apt lists were given")))) {
			if (!opts->apt_lists)
				nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (opts->policy && !(g.meta->policy = strdup(opts->policy))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	if (write_meta(&g, err) < 0 || settle_conffiles(&g, err) < 0 || scripts_payload_triggers(&g, err) < 0)
		goto out;
	if (!outname) {
		if (nip_manifest_filename(g.meta, &defname, err) < 0 || nip_buf_cstr(&defname, err) < 0)
			goto out;
		outname = (char *)defname.data;
	}
	po.key = opts->key;
	po.meta = g.meta;
	po.source_date_epoch = g.epoch;
	po.level = opts->level;
	po.threads = opts->threads;
	if (nip_package_write(g.stagefd, &po, outdirfd, outname, cid, err) < 0)
		goto out;
	if (written && !(*written = strdup(outname))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && err->code != NIP_E_USAGE)
		nip_err_prefix(err, "%s: ", path);
	if (g.stagefd >= 0) {
		stage_clear(g.stagefd);
		close(g.stagefd);
		unlinkat(outdirfd, stage, AT_REMOVEDIR);
	}
	for (size_t i = 0; i < g.nmeta; i++) {
		free(g.metafiles[i].name);
		nip_buf_free(&g.metafiles[i].data);
	}
	free(g.metafiles);
	nip_manifest_free(g.meta);
	nip_sha256_free(h);
	nip_buf_free(&defname);
	if (fd >= 0)
		close(fd);
	return rc;
}
