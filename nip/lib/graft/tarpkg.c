/* pacman (.pkg.tar.zst/.xz/.gz) and Alpine apk v2 packages: both are one
 * tar stream whose leading dot-files are metadata (.PKGINFO, .MTREE,
 * .INSTALL; apk: .SIGN.*, .PKGINFO, .pre-install...) and whose other
 * members are the payload. An apk is three concatenated gzip streams
 * (signature, control, data) without end-of-archive blocks between them,
 * which libarchive's gzip reader reads as one tar. Mapping: doc/nip-graft.8,
 * PACMAN and APK. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

static const char *const pacman_multi[] = {"license", "replaces", "group", "conflict", "provides", "backup",
					   "depend", "optdepend", "makedepend", "checkdepend", "xdata", NULL};
static const char *const apk_multi[] = {"depend", "provides", "replaces", "install_if", "triggers", "license",
					NULL};
static const char *const apk_scripts[] = {".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade",
					  ".pre-deinstall", ".post-deinstall", ".trigger", NULL};

static int is_meta(enum nip_graft_format f, const char *name)
{
	if (name[0] != '.' || strchr(name, '/'))
		return 0;
	if (f == NIP_GRAFT_APK)
		return 1; /* every top-level dot-file of an apk is control data */
	return !strcmp(name, ".PKGINFO") || !strcmp(name, ".MTREE") || !strcmp(name, ".INSTALL") ||
	       !strcmp(name, ".BUILDINFO") || !strcmp(name, ".CHANGELOG");
}

static int map_pkginfo(struct gpkg *g, const struct kvlist *kv, struct nip_error *err)
{
	struct nip_manifest *m = g->meta;
	int apk = g->format == NIP_GRAFT_APK;
	const char *name = kv_get(kv, "pkgname"), *ver = kv_get(kv, "pkgver"), *arch = kv_get(kv, "arch");
	struct nip_buf lic;
	char id[NIP_STRING_MAX / 2];

	nip_buf_init(&lic, NIP_STRING_MAX, "license");
	if (!name || !ver || !arch)
		return nip_err(err, NIP_E_FORMAT, ".PKGINFO: pkgname, pkgver and arch are required");
	if (strlen(name) > NIP_PKGNAME_MAX || !nip_name_valid(name, strlen(name)) || strchr(name, ':'))
		return nip_err(err, NIP_E_FORMAT, ".PKGINFO: pkgname %.64s: not a valid nip name", name);
	snprintf(id, sizeof id, "%s %s %s", name, ver, arch);
	if (!(m->name = strdup(name)) || !(m->graft->identity = strdup(id)) || !(m->arch = strdup(map_arch(arch))))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	if (nip_graft_version(g->format, ver, &m->version, err) < 0)
		return nip_err_prefix(err, ".PKGINFO: ");
	for (size_t i = 0; i < kv->n; i++) {
		const char *k = kv->v[i].key, *v = kv->v[i].value;
		int r = 0;
		if (!strcmp(k, "pkgname") || !strcmp(k, "pkgver") || !strcmp(k, "arch"))
			continue;
		if (!strcmp(k, "pkgdesc"))
			r = (m->summary = strdup(v)) ? 0 : nip_err(err, NIP_E_NOMEM, "out of memory");
		else if (!strcmp(k, "license"))
			r = nip_buf_printf(&lic, err, "%s%s", lic.len ? " AND " : "", v);
		else if (!strcmp(k, "depend"))
			r = map_one_relation(g, k, v, NIP_REL_DEPENDS, err);
		else if (!strcmp(k, "provides"))
			r = map_one_relation(g, k, v, NIP_REL_PROVIDES, err);
		else if (!apk && !strcmp(k, "conflict"))
			r = map_one_relation(g, k, v, NIP_REL_CONFLICTS, err);
		else if (!apk && !strcmp(k, "replaces"))
			r = map_one_relation(g, k, v, NIP_REL_OBSOLETES, err);
		else if (!apk && !strcmp(k, "backup"))
			r = gpkg_add_strv(&m->graft->conffiles, &m->graft->nconffiles, v, err);
		else
			r = gpkg_field(g, k, v, err);
		if (r < 0) {
			nip_buf_free(&lic);
			return nip_err_prefix(err, ".PKGINFO: ");
		}
	}
	if (nip_buf_cstr(&lic, err) < 0)
		return -1;
	m->license = lic.len ? (char *)lic.data : strdup("");
	if (!lic.len)
		nip_buf_free(&lic);
	return m->license ? 0 : nip_err(err, NIP_E_NOMEM, "out of memory");
}

static int graft_tar(struct gpkg *g, int fd, struct nip_sha256 *h, struct nip_error *err)
{
	int apk = g->format == NIP_GRAFT_APK, more, rc = -1, payload = 0;
	struct lar r;
	struct archive_entry *e;
	struct kvlist kv = {0};
	char *signer = NULL;

	if (lar_open(&r, g->la, fd, NULL, 't', h, apk ? "apk" : "pacman package", err) < 0)
		goto out;
	while ((more = lar_next(&r, &e, err)) > 0) {
		const char *name = g->la->entry_pathname(e);
		struct nip_buf b;
		if (!name)
			name = "";
		if (!is_meta(g->format, name)) {
			if (!kv.n) {
				nip_err(err, NIP_E_FORMAT, "member %.64s comes before .PKGINFO", name);
				goto out;
			}
			payload = 1;
			if (stage_entry(g, &r, e, err) < 0)
				goto out;
			continue;
		}
		if (payload) {
			nip_err(err, NIP_E_FORMAT, "metadata member %.64s after the payload began", name);
			goto out;
		}
		if (g->la->entry_filetype(e) != AE_IFREG) {
			nip_err(err, NIP_E_FORMAT, "metadata member %.64s is not a plain file", name);
			goto out;
		}
		if (apk && strncmp(name, ".SIGN.", 6) == 0) {
			if (kv.n || signer) {
				nip_err(err, NIP_E_FORMAT, "%.64s: a signature must come first, and once", name);
				goto out;
			}
			/* .SIGN.RSA.KEYNAME or .SIGN.RSA256.KEYNAME: the key's file name */
			const char *key = name + 6;
			if (strncmp(key, "RSA.", 4) == 0)
				key += 4;
			else if (strncmp(key, "RSA256.", 7) == 0)
				key += 7;
			if (!(signer = strdup(key))) {
				nip_err(err, NIP_E_NOMEM, "out of memory");
				goto out;
			}
		}
		if (lar_slurp(&r, NIP_GRAFT_CONTROL_MAX, &b, err) < 0)
			goto out;
		if (strcmp(name, ".PKGINFO") == 0) {
			if (kv.n || pkginfo_parse((char *)b.data, b.len, apk ? apk_multi : pacman_multi, &kv, err) < 0) {
				if (kv.n && err->code == NIP_E_OK)
					nip_err(err, NIP_E_FORMAT, "two .PKGINFO members");
				nip_buf_free(&b);
				if (!err->msg[0])
					nip_err(err, NIP_E_FORMAT, "two .PKGINFO members");
				goto out;
			}
			if (!kv.n) {
				nip_buf_free(&b);
				nip_err(err, NIP_E_FORMAT, ".PKGINFO: empty");
				goto out;
			}
		} else if (strcmp(name, ".INSTALL") == 0) {
			if (scripts_classify(g, "install", (char *)b.data, b.len, err) < 0) {
				nip_buf_free(&b);
				goto out;
			}
		} else if (apk) {
			for (size_t i = 0; apk_scripts[i]; i++)
				if (strcmp(name, apk_scripts[i]) == 0 &&
				    scripts_classify(g, name + 1, (char *)b.data, b.len, err) < 0) {
					nip_buf_free(&b);
					goto out;
				}
		}
		if (gpkg_keep_meta(g, name, &b, err) < 0) {
			nip_buf_free(&b);
			goto out;
		}
		nip_buf_free(&b);
	}
	if (more < 0)
		goto out;
	if (!kv.n) {
		nip_err(err, NIP_E_FORMAT, "no .PKGINFO (truncated, or not a %s package)", apk ? "apk" : "pacman");
		goto out;
	}
	if (map_pkginfo(g, &kv, err) < 0)
		goto out;
	if (apk) {
		char line[512];
		if (signer)
			snprintf(line, sizeof line,
				 "apk: signed by %.400s (signature over the control segment kept; not verified by nip)",
				 signer);
		else
			snprintf(line, sizeof line, "none: the apk has no signature segment");
		if (!(g->meta->graft->signature = strdup(line))) {
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	free(signer);
	kv_free(&kv);
	lar_close(&r);
	return rc;
}

int graft_pacman(struct gpkg *g, int fd, struct nip_sha256 *h, struct nip_error *err)
{
	return graft_tar(g, fd, h, err);
}

int graft_apk(struct gpkg *g, int fd, struct nip_sha256 *h, struct nip_error *err)
{
	return graft_tar(g, fd, h, err);
}
