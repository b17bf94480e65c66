/* Manifest rules shared by the writer and the reader: names, relations,
 * paths, link targets, modes, and the Merkle root of the payload. Whatever
 * passes here can be written under a root without leaving it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nip/limits.h"

int nip_path_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
	for (; *p && *p == *q; p++, q++)
		;
	if (*p == *q)
		return 0;
	/* '/' sorts first, after the end of the string. */
	if (!*p || !*q)
		return *p ? 1 : -1;
	if (*p == '/' || *q == '/')
		return *p == '/' ? -1 : 1;
	return *p < *q ? -1 : 1;
}

/* Manifests are JSON, so every string is UTF-8: shortest forms, no
 * surrogates, nothing past U+10FFFF. */
static int utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	unsigned cp;

	while (p < end) {
		int n = *p < 0x80 ? 1 : nip_utf8_seq(p, end, &cp);
		if (n < 0)
			return 0;
		p += n;
	}
	return 1;
}

/* One line of UTF-8 text: no C0 or C1 control (U+0080..U+009F, which
 * some terminals obey as escape sequences), no DEL. */
static int ctl_free(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f || (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f))
			return 0;
	return utf8_valid(s);
}

/* Relative, no empty, "." or ".." component, no control bytes. */
static const char *path_problem(const char *p)
{
	size_t len = strlen(p);
	const char *c = p;

	if (!len)
		return "empty path";
	if (len > NIP_PATH_MAX)
		return "path too long";
	if (p[0] == '/')
		return "absolute path";
	if (!ctl_free(p))
		return "control character or invalid UTF-8 in path";
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0)
			return "empty path component";
		if (n > NIP_NAME_MAX)
			return "path component too long";
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return "'.' or '..' in path";
		if (!e)
			break;
		c = e + 1;
		if (!*c)
			return "trailing '/'";
	}
	if (strcmp(p, NIPINFO_NAME) == 0 || strcmp(p, NIPSIG_NAME) == 0)
		return "reserved name";
	return NULL;
}

/* A symlink may go up only at its start, and no higher than its directory's
 * depth; below that every component is a real directory of the package, so
 * nothing it names can resolve outside the root, however links chain. */
static const char *link_problem(const char *path, const char *target)
{
	size_t depth = 0, ups = 0;
	const char *c;

	if (!*target)
		return "empty symlink target";
	if (target[0] == '/')
		return "absolute symlink target";
	if (!ctl_free(target))
		return "control character or invalid UTF-8 in symlink target";
	if (strcmp(target, ".") == 0)
		return NULL;
	for (c = path; (c = strchr(c, '/')); c++)
		depth++;
	for (c = target; strncmp(c, "..", 2) == 0 && (c[2] == '/' || !c[2]); c += c[2] ? 3 : 2)
		ups++;
	if (ups > depth)
		return "symlink target leaves the package";
	if (*c && path_problem(c))
		return "symlink target has '.', '..' or empty components after its start";
	return NULL;
}

int nip_policy_allows(const char *policy, const char *what, const char *path)
{
	const char *line = policy;
	size_t wl = strlen(what), pl = strlen(path);

	while (line && *line) {
		const char *nl = strchr(line, '\n'), *p = line;
		const char *end = nl ? nl : line + strlen(line);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) == 6 + wl + 2 + pl && strncmp(p, "allow ", 6) == 0 &&
		    strncmp(p + 6, what, wl) == 0 && strncmp(p + 6 + wl, " /", 2) == 0 &&
		    strncmp(p + 8 + wl, path, pl) == 0)
			return 1;
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

const struct nip_file *nip_files_find(const struct nip_file *files, size_t n, const char *path)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = nip_path_cmp(files[mid].path, path);
		if (c == 0)
			return &files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int nip_files_in_order(const struct nip_file *files, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (nip_path_cmp(files[i - 1].path, files[i].path) >= 0)
			return 0;
	return 1;
}

const struct nip_file *nip_files_content(const struct nip_file *files, size_t i)
{
	const struct nip_file *f = &files[i], *t;
	if (f->type == NIP_FT_FILE)
		return f;
	if (f->type != NIP_FT_HARDLINK || !f->target)
		return NULL;
	t = nip_files_find(files, i, f->target);
	return t && t->type == NIP_FT_FILE ? t : NULL;
}

static int check_file(const struct nip_manifest *m, size_t i, struct nip_error *err)
{
	const struct nip_file *f = &m->files[i], *t;
	const char *problem = path_problem(f->path);
	const char *pol = m->policy ? m->policy : "";
	char sp[256], st[256];
/* Long hostile names are shortened only when a message needs them. */
#define SHOWN nip_shorten(f->path, sp, sizeof sp)

	if (problem)
		return nip_err(err, NIP_E_FORMAT, "%s: %s", SHOWN, problem);
	if (i && nip_path_cmp(m->files[i - 1].path, f->path) >= 0)
		return nip_err(err, NIP_E_FORMAT, "%s: %s", SHOWN,
			       strcmp(m->files[i - 1].path, f->path) == 0 ? "listed twice"
									  : "out of order");
	if ((f->mode & 04000) && !nip_policy_allows(pol, "setuid", f->path))
		return nip_err(err, NIP_E_FORMAT, "%s: setuid bit not allowed by the package's policy", SHOWN);
	if ((f->mode & 02000) && !nip_policy_allows(pol, "setgid", f->path))
		return nip_err(err, NIP_E_FORMAT, "%s: setgid bit not allowed by the package's policy", SHOWN);
	if ((f->mode & 01000) && f->type != NIP_FT_DIR)
		return nip_err(err, NIP_E_FORMAT, "%s: sticky bit on a non-directory", SHOWN);
	switch (f->type) {
	case NIP_FT_SYMLINK:
		if (f->mode != 0777)
			return nip_err(err, NIP_E_FORMAT, "%s: symlink mode must be 0777", SHOWN);
		if ((problem = link_problem(f->path, f->target)))
			return nip_err(err, NIP_E_FORMAT, "%s -> %s: %s", SHOWN,
				       nip_shorten(f->target, st, sizeof st), problem);
		break;
	case NIP_FT_HARDLINK:
		if (!(t = nip_files_content(m->files, i)))
			return nip_err(err, NIP_E_FORMAT,
				       "%s: hard link target %s is not a regular file earlier in the package",
				       SHOWN, nip_shorten(f->target, st, sizeof st));
		if (t->mode != f->mode)
			return nip_err(err, NIP_E_FORMAT, "%s: hard link mode differs from %s", SHOWN,
				       f->target);
		break;
	case NIP_FT_CHAR:
	case NIP_FT_BLOCK:
	case NIP_FT_FIFO:
		if (!nip_policy_allows(pol, f->type == NIP_FT_FIFO ? "fifo" : "device", f->path))
			return nip_err(err, NIP_E_FORMAT, "%s: %s not allowed by the package's policy",
				       SHOWN, f->type == NIP_FT_FIFO ? "FIFO" : "device node");
		break;
	default:
		break;
	}
	return 0;
}
#undef SHOWN

static int strv_sorted(char *const *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) >= 0)
			return 0;
	return 1;
}

static int check_relation(const char *s, enum nip_rel_kind k, struct nip_buf *canon,
			  struct nip_error *err)
{
	struct nip_relation r;
	int rc;

	if (nip_relation_parse(s, k, &r, err) < 0)
		return -1;
	canon->len = 0;
	rc = nip_relation_format(&r, canon, err) < 0 || nip_buf_cstr(canon, err) < 0 ? -1 : 0;
	nip_relation_free(&r);
	if (rc == 0 && strcmp((char *)canon->data, s) != 0)
		rc = nip_err(err, NIP_E_FORMAT, "\"%s\" is not canonical (\"%s\")", s,
			     (char *)canon->data);
	return rc;
}

static int check_relations(const struct nip_manifest *m, struct nip_error *err)
{
	struct nip_buf canon;
	int rc = 0;

	nip_buf_init(&canon, NIP_RELATION_LEN_MAX * 4, "relation");
	for (int k = 0; rc == 0 && k < NIP_REL_COUNT; k++) {
		const char *kn = nip_rel_kind_name((enum nip_rel_kind)k);
		if (!strv_sorted(m->rel[k], m->nrel[k]))
			rc = nip_err(err, NIP_E_FORMAT, "manifest: %s: not sorted or duplicated", kn);
		for (size_t i = 0; rc == 0 && i < m->nrel[k]; i++)
			if (check_relation(m->rel[k][i], (enum nip_rel_kind)k, &canon, err) < 0)
				rc = nip_err_prefix(err, "manifest: %s: ", kn);
	}
	nip_buf_free(&canon);
	return rc;
}

static int upper_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F')))
			return 0;
	return 1;
}

static int check_header(const struct nip_manifest *m, struct nip_error *err)
{
	uint8_t tmp[NIP_SHA256_LEN];

	if (!m->name || !nip_name_valid(m->name, strlen(m->name)) || strchr(m->name, ':'))
		return nip_err(err, NIP_E_FORMAT, "manifest: name \"%s\": must be [a-z0-9][a-z0-9+._-]*",
			       m->name ? m->name : "");
	if (!m->version || !nip_version_valid(m->version, strlen(m->version)))
		return nip_err(err, NIP_E_FORMAT, "manifest: version \"%s\": must be [EPOCH:]VERSION[-RELEASE]",
			       m->version ? m->version : "");
	if (!m->arch || !*m->arch || strspn(m->arch, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(m->arch))
		return nip_err(err, NIP_E_FORMAT, "manifest: arch \"%s\": must be [a-z0-9_]+",
			       m->arch ? m->arch : "");
	if (strlen(m->arch) > NIP_ARCH_MAX)
		return nip_err(err, NIP_E_LIMIT, "manifest: arch longer than %u bytes", NIP_ARCH_MAX);
	if ((m->summary && (strlen(m->summary) > NIP_STRING_MAX || !ctl_free(m->summary))) ||
	    (m->license && (strlen(m->license) > NIP_STRING_MAX || !ctl_free(m->license))))
		return nip_err(err, NIP_E_FORMAT,
			       "manifest: summary and license must be one line of UTF-8 text, at most %u bytes",
			       NIP_STRING_MAX);
	if (m->policy && (strlen(m->policy) > NIP_POLICY_MAX || !utf8_valid(m->policy)))
		return nip_err(err, NIP_E_FORMAT, "manifest: policy must be UTF-8 text of at most %u bytes",
			       NIP_POLICY_MAX);
	if (m->nvariant > NIP_VARIANTS_MAX || m->prov.nsources > NIP_SOURCES_MAX)
		return nip_err(err, NIP_E_LIMIT, "manifest: more than %u variant flags or %u sources",
			       NIP_VARIANTS_MAX, NIP_SOURCES_MAX);
	for (int k = 0; k < NIP_REL_COUNT; k++)
		if (m->nrel[k] > NIP_RELATIONS_MAX)
			return nip_err(err, NIP_E_LIMIT, "manifest: more than %u %s relations",
				       NIP_RELATIONS_MAX, nip_rel_kind_name((enum nip_rel_kind)k));
	if (!strv_sorted(m->variant, m->nvariant))
		return nip_err(err, NIP_E_FORMAT, "manifest: variant flags not sorted or duplicated");
	for (size_t i = 0; i < m->nvariant; i++)
		if (strlen(m->variant[i]) > NIP_VARIANT_LEN_MAX ||
		    !nip_name_valid(m->variant[i], strlen(m->variant[i])) || strchr(m->variant[i], ':'))
			return nip_err(err, NIP_E_FORMAT, "manifest: variant flag \"%s\" must be [a-z0-9][a-z0-9+._-]*",
				       m->variant[i]);
	if (m->prov.builder_key && !upper_hex(m->prov.builder_key, NIP_KEYID_HEX - 1))
		return nip_err(err, NIP_E_FORMAT, "manifest: provenance.builder_key: not a key id");
	if (m->prov.recipe && nip_unhex(m->prov.recipe, tmp, sizeof tmp) < 0)
		return nip_err(err, NIP_E_FORMAT, "manifest: provenance.recipe: not a SHA-256");
	for (size_t i = 0; i < m->prov.nsources; i++)
		if (strlen(m->prov.sources[i]) > NIP_STRING_MAX || !ctl_free(m->prov.sources[i]))
			return nip_err(err, NIP_E_FORMAT,
				       "manifest: provenance.sources[%zu]: must be one line of UTF-8 text, at most %u bytes",
				       i, NIP_STRING_MAX);
	return 0;
}

static int lines_ok(char *const *v, size_t n, size_t max)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i]) > max || !ctl_free(v[i]))
			return 0;
	return 1;
}

/* The graft section (doc/nip-package.5): provenance is one-line text, the
 * lists that are sets are sorted, conffiles are files of the package, and
 * triggers are the few that nip knows how to run. */
static int check_graft(const struct nip_manifest *m, struct nip_error *err)
{
	static const char *const formats[] = {"apk", "deb", "pacman"};
	static const char *const triggers[] = {"cell", "ldconfig", "sysusers", "tmpfiles"};
	const struct nip_graft_info *g = m->graft;
	uint8_t tmp[NIP_SHA256_LEN];
	size_t i, k;

	if (!g->format || !g->sha256 || !g->identity || !g->signature || !g->tool)
		return nip_err(err, NIP_E_FORMAT, "manifest: graft: format, sha256, identity, signature and tool are required");
	for (k = 0; k < 3 && strcmp(g->format, formats[k]) != 0; k++)
		;
	if (k == 3)
		return nip_err(err, NIP_E_FORMAT, "manifest: graft.format: must be apk, deb or pacman");
	if (nip_unhex(g->sha256, tmp, sizeof tmp) < 0)
		return nip_err(err, NIP_E_FORMAT, "manifest: graft.sha256: not 64 lower-case hex digits");
	if (!ctl_free(g->identity) || !ctl_free(g->signature) || !ctl_free(g->tool) ||
	    strlen(g->identity) > NIP_STRING_MAX || strlen(g->signature) > NIP_STRING_MAX ||
	    strlen(g->tool) > NIP_STRING_MAX)
		return nip_err(err, NIP_E_FORMAT,
			       "manifest: graft: identity, signature and tool must be one line of UTF-8 text");
	if (g->nfields > NIP_GRAFT_FIELDS_MAX || g->nscripts > NIP_GRAFT_FIELDS_MAX ||
	    g->ntriggers > NIP_GRAFT_FIELDS_MAX || g->nconffiles > NIP_GRAFT_LIST_MAX ||
	    g->nsanitised > NIP_GRAFT_LIST_MAX)
		return nip_err(err, NIP_E_LIMIT, "manifest: graft: too many entries");
	for (i = 0; i < g->nfields; i++)
		if (strlen(g->fields[i]) > NIP_GRAFT_FIELD_MAX || !utf8_valid(g->fields[i]) ||
		    !strstr(g->fields[i], ": "))
			return nip_err(err, NIP_E_FORMAT, "manifest: graft.fields[%zu]: must be \"Key: value\" in UTF-8", i);
	if (!lines_ok(g->scripts, g->nscripts, NIP_STRING_MAX) ||
	    !lines_ok(g->sanitised, g->nsanitised, NIP_STRING_MAX))
		return nip_err(err, NIP_E_FORMAT, "manifest: graft: scripts and sanitised must be lines of UTF-8 text");
	if (!strv_sorted(g->triggers, g->ntriggers) || !strv_sorted(g->conffiles, g->nconffiles))
		return nip_err(err, NIP_E_FORMAT, "manifest: graft: triggers and conffiles must be sorted, without duplicates");
	for (i = 0; i < g->ntriggers; i++) {
		for (k = 0; k < 4 && strcmp(g->triggers[i], triggers[k]) != 0; k++)
			;
		if (k == 4)
			return nip_err(err, NIP_E_FORMAT, "manifest: graft.triggers[%zu]: unknown trigger", i);
	}
	for (i = 0; i < g->nconffiles; i++) {
		const struct nip_file *f = nip_files_find(m->files, m->nfiles, g->conffiles[i]);
		if (!f || f->type != NIP_FT_FILE)
			return nip_err(err, NIP_E_FORMAT, "manifest: graft.conffiles[%zu]: not a file of the package", i);
	}
	return 0;
}

int nip_manifest_check(const struct nip_manifest *m, struct nip_error *err)
{
	uint8_t root[NIP_SHA256_LEN];
	char a[NIP_SHA256_HEX], b[NIP_SHA256_HEX];

	if (check_header(m, err) < 0 || check_relations(m, err) < 0)
		return -1;
	if (m->nfiles > NIP_FILES_MAX)
		return nip_err(err, NIP_E_LIMIT, "manifest: more than %u files", NIP_FILES_MAX);
	for (size_t i = 0; i < m->nfiles; i++)
		if (check_file(m, i, err) < 0)
			return nip_err_prefix(err, "manifest: ");
	if (m->graft && check_graft(m, err) < 0)
		return -1;
	if (nip_manifest_payload_size(m) > NIP_PAYLOAD_MAX)
		return nip_err(err, NIP_E_LIMIT, "manifest: payload exceeds %llu bytes",
			       (unsigned long long)NIP_PAYLOAD_MAX);
	if (nip_payload_root(m, root, err) < 0)
		return nip_err_prefix(err, "manifest: ");
	if (memcmp(root, m->payload_root, sizeof root) != 0) {
		nip_hex(m->payload_root, sizeof root, a);
		nip_hex(root, sizeof root, b);
		return nip_err(err, NIP_E_FORMAT, "manifest: payload_root %s does not match its files (%s)", a, b);
	}
	return 0;
}

uint64_t nip_manifest_payload_size(const struct nip_manifest *m)
{
	uint64_t total = 0;
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].type == NIP_FT_FILE) {
			if (m->files[i].size > UINT64_MAX - total)
				return UINT64_MAX;
			total += m->files[i].size;
		}
	return total;
}

int nip_manifest_filename(const struct nip_manifest *m, struct nip_buf *out, struct nip_error *err)
{
	return nip_buf_printf(out, err, "%s-%s-%s.nip", m->name, m->version, m->arch);
}
