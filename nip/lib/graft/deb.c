/* .deb (deb(5)): an ar archive of debian-binary ("2.x"), control.tar[.gz|
 * .xz|.zst] and data.tar[.gz|.xz|.zst|.bz2 refused], in that order. The
 * inner tars are read straight out of the ar member (no temporary copy).
 * Mapping: doc/nip-graft.8, DEBIAN. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

static int member_is(const char *name, const char *base)
{
	size_t n = strlen(base);
	if (strncmp(name, base, n) != 0)
		return 0;
	name += n;
	return !*name || strcmp(name, ".gz") == 0 || strcmp(name, ".xz") == 0 || strcmp(name, ".zst") == 0;
}

/* Debian's dpkg triggers file: "activate-noawait ldconfig" is how
 * debhelper asks for ldconfig; other trigger lines are kept as fields. */
static int deb_triggers(struct gpkg *g, const char *text, struct nip_error *err)
{
	struct nip_graft_info *gi = g->meta->graft;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n'), *e = nl ? nl : p + strlen(p);
		char line[256];
		snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
		if (strcmp(line, "activate-noawait ldconfig") == 0 || strcmp(line, "activate ldconfig") == 0) {
			if (gpkg_add_strv(&gi->triggers, &gi->ntriggers, "ldconfig", err) < 0)
				return -1;
		} else if (line[0] && line[0] != '#' && gpkg_field(g, "Trigger", line, err) < 0)
			return -1;
		p = nl ? nl + 1 : e;
	}
	return 0;
}

static int deb_conffiles(struct gpkg *g, const char *text, struct nip_error *err)
{
	struct nip_graft_info *gi = g->meta->graft;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n'), *e = nl ? nl : p + strlen(p), *s = p;
		char path[NIP_PATH_MAX + 1];
		/* "remove-on-upgrade /etc/x" (dpkg 1.20) marks an obsolete one. */
		if (strncmp(s, "remove-on-upgrade ", 18) == 0)
			s += 18;
		while (s < e && *s == '/')
			s++;
		if (e > s && (size_t)(e - s) <= NIP_PATH_MAX) {
			snprintf(path, sizeof path, "%.*s", (int)(e - s), s);
			if (gpkg_add_strv(&gi->conffiles, &gi->nconffiles, path, err) < 0)
				return -1;
		}
		if (gi->nconffiles > NIP_GRAFT_LIST_MAX)
			return nip_err(err, NIP_E_LIMIT, "conffiles: more than %u", NIP_GRAFT_LIST_MAX);
		p = nl ? nl + 1 : e;
	}
	return 0;
}

static int read_control(struct gpkg *g, struct lar *ar, struct kvlist *ctl, struct nip_error *err)
{
	static const char *const scripts[] = {"preinst", "postinst", "prerm", "postrm", "config", NULL};
	struct lar r;
	struct archive_entry *e;
	int rc = -1, more, have = 0;

	if (lar_open(&r, g->la, -1, ar, 't', NULL, "control.tar", err) < 0)
		goto out;
	while ((more = lar_next(&r, &e, err)) > 0) {
		const char *name = g->la->entry_pathname(e);
		struct nip_buf b;
		int keep = 1;

		if (!name)
			continue;
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		if (!*name || strcmp(name, ".") == 0)
			continue;
		if (g->la->entry_filetype(e) != AE_IFREG || strchr(name, '/') || name[0] == '.') {
			nip_err(err, NIP_E_FORMAT, "control.tar: member %.64s: only plain files belong here", name);
			goto out;
		}
		if (lar_slurp(&r, NIP_GRAFT_CONTROL_MAX, &b, err) < 0)
			goto out;
		if (strcmp(name, "control") == 0) {
			if (have++) {
				nip_buf_free(&b);
				nip_err(err, NIP_E_FORMAT, "control.tar: two control files");
				goto out;
			}
			if (control_parse((char *)b.data, b.len, ctl, err) < 0) {
				nip_buf_free(&b);
				goto out;
			}
		} else if (strcmp(name, "conffiles") == 0) {
			if (!text_valid((char *)b.data, b.len) || deb_conffiles(g, (char *)b.data, err) < 0) {
				if (!text_valid((char *)b.data, b.len))
					nip_err(err, NIP_E_FORMAT, "conffiles: not UTF-8 text");
				nip_buf_free(&b);
				goto out;
			}
		} else if (strcmp(name, "triggers") == 0) {
			if (!text_valid((char *)b.data, b.len) || deb_triggers(g, (char *)b.data, err) < 0) {
				if (!text_valid((char *)b.data, b.len))
					nip_err(err, NIP_E_FORMAT, "triggers: not UTF-8 text");
				nip_buf_free(&b);
				goto out;
			}
		} else if (strcmp(name, "md5sums") == 0) {
			keep = 0; /* the payload's own hashes supersede it */
		} else {
			for (size_t i = 0; scripts[i]; i++)
				if (strcmp(name, scripts[i]) == 0 &&
				    scripts_classify(g, name, (char *)b.data, b.len, err) < 0) {
					nip_buf_free(&b);
					goto out;
				}
		}
		if (keep && gpkg_keep_meta(g, name, &b, err) < 0) {
			nip_buf_free(&b);
			goto out;
		}
		nip_buf_free(&b);
	}
	if (more < 0)
		goto out;
	if (!have) {
		nip_err(err, NIP_E_FORMAT, "control.tar: no control file");
		goto out;
	}
	rc = 0;
out:
	lar_close(&r);
	return rc;
}

static int read_data(struct gpkg *g, struct lar *ar, struct nip_error *err)
{
	struct lar r;
	struct archive_entry *e;
	int rc = -1, more;

	if (lar_open(&r, g->la, -1, ar, 't', NULL, "data.tar", err) < 0)
		goto out;
	while ((more = lar_next(&r, &e, err)) > 0)
		if (stage_entry(g, &r, e, err) < 0)
			goto out;
	rc = more < 0 ? -1 : 0;
out:
	lar_close(&r);
	return rc;
}

/* Fields nip maps; all others are kept verbatim in the graft section. */
static int map_control(struct gpkg *g, const struct kvlist *ctl, struct nip_error *err)
{
	struct nip_manifest *m = g->meta;
	const char *name = kv_get(ctl, "Package"), *ver = kv_get(ctl, "Version"),
		   *arch = kv_get(ctl, "Architecture"), *desc = kv_get(ctl, "Description");
	char id[3 * NIP_STRING_MAX / 4];

	if (!name || !ver || !arch)
		return nip_err(err, NIP_E_FORMAT, "control: Package, Version and Architecture are required");
	if (strlen(name) > NIP_PKGNAME_MAX || !nip_name_valid(name, strlen(name)) || strchr(name, ':'))
		return nip_err(err, NIP_E_FORMAT, "control: Package %.64s: not a valid name", name);
	snprintf(id, sizeof id, "%s %s %s", name, ver, arch);
	if (!(m->name = strdup(name)) || !(m->graft->identity = strdup(id)) ||
	    !(m->arch = strdup(map_arch(arch))))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	if (nip_graft_version(NIP_GRAFT_DEB, ver, &m->version, err) < 0)
		return nip_err_prefix(err, "control: ");
	if (desc) {
		const char *nl = strchr(desc, '\n');
		if (!(m->summary = strndup(desc, nl ? (size_t)(nl - desc) : strlen(desc))))
			return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	if (!(m->license = strdup("see usr/share/doc/PACKAGE/copyright")))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	{
		char lic[NIP_PKGNAME_MAX + 64];
		snprintf(lic, sizeof lic, "see /usr/share/doc/%s/copyright", name);
		free(m->license);
		if (!(m->license = strdup(lic)))
			return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < ctl->n; i++) {
		const char *k = ctl->v[i].key, *v = ctl->v[i].value;
		int r = 0;
		if (!strcasecmp(k, "Package") || !strcasecmp(k, "Version") || !strcasecmp(k, "Architecture"))
			continue;
		if (!strcasecmp(k, "Depends") || !strcasecmp(k, "Pre-Depends"))
			r = map_deb_relations(g, k, v, NIP_REL_DEPENDS, err);
		else if (!strcasecmp(k, "Recommends"))
			r = map_deb_relations(g, k, v, NIP_REL_RECOMMENDS, err);
		else if (!strcasecmp(k, "Provides"))
			r = map_deb_relations(g, k, v, NIP_REL_PROVIDES, err);
		else if (!strcasecmp(k, "Conflicts") || !strcasecmp(k, "Breaks"))
			r = map_deb_relations(g, k, v, NIP_REL_CONFLICTS, err);
		else
			r = gpkg_field(g, k, v, err); /* Replaces, Multi-Arch, Description, ... */
		if (r < 0)
			return nip_err_prefix(err, "control: ");
	}
	return 0;
}

int graft_deb(struct gpkg *g, int fd, struct nip_sha256 *h, struct nip_error *err)
{
	struct lar ar;
	struct archive_entry *e;
	struct kvlist ctl = {0};
	int rc = -1, more, step = 0;

	if (lar_open(&ar, g->la, fd, NULL, 'a', h, "ar archive", err) < 0)
		goto out;
	while ((more = lar_next(&ar, &e, err)) > 0) {
		const char *name = g->la->entry_pathname(e);
		if (!name)
			name = "";
		if (step == 0) {
			struct nip_buf b;
			if (strcmp(name, "debian-binary") != 0) {
				nip_err(err, NIP_E_FORMAT, "not a .deb: first member is %.64s, not debian-binary", name);
				goto out;
			}
			if (lar_slurp(&ar, 64, &b, err) < 0)
				goto out;
			if (strncmp((char *)b.data, "2.", 2) != 0) {
				nip_buf_free(&b);
				nip_err(err, NIP_E_FORMAT, "debian-binary: format version is not 2.x");
				goto out;
			}
			nip_buf_free(&b);
			step = 1;
		} else if (step == 1 && member_is(name, "control.tar")) {
			if (read_control(g, &ar, &ctl, err) < 0)
				goto out;
			step = 2;
		} else if (step == 2 && member_is(name, "data.tar")) {
			if (read_data(g, &ar, err) < 0)
				goto out;
			step = 3;
		} else if (name[0] == '_' && step < 3) {
			continue; /* deb(5): members starting with '_' may be added */
		} else {
			nip_err(err, NIP_E_FORMAT, "unexpected ar member %.64s%s", name,
				step == 3 ? " after data.tar" : "");
			goto out;
		}
	}
	if (more < 0)
		goto out;
	if (step != 3) {
		nip_err(err, NIP_E_FORMAT, "truncated .deb: no %s member", step < 2 ? "control.tar" : "data.tar");
		goto out;
	}
	rc = map_control(g, &ctl, err);
out:
	kv_free(&ctl);
	lar_close(&ar);
	return rc;
}
