/* nip list, info, files, owner, generations, diff: reading a root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "nip/solve.h"
#include "nip/txn.h"

/* A root that does not exist yet reads as empty. */
static int open_ro(const struct cli_opts *o, struct nip_root **r, int *empty, struct nip_error *err)
{
	*empty = 0;
	if (cli_open_root(o, 0, r, err) == 0)
		return 0;
	if (err->code == NIP_E_USAGE && strncmp(err->msg, "no nip root", 11) == 0) {
		*empty = 1;
		return 0;
	}
	return -1;
}

static int current_gen(struct nip_root *r, const char *cell, struct nip_generation *g, struct nip_error *err)
{
	int64_t cur;
	memset(g, 0, sizeof *g);
	if (nip_db_current(r->db, cell, &cur, err) < 0)
		return -1;
	return cur ? nip_db_generation_get(r->db, cell, cur, g, err) : 0;
}

static void iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void json_pkgs(const struct nip_generation *g)
{
	printf("[");
	for (size_t i = 0; i < g->npkgs; i++) {
		char cid[NIP_CID_STRLEN];
		nip_cid_format(g->pkgs[i].cid, cid);
		printf("%s{\"name\":", i ? "," : "");
		nip_json_str(stdout, g->pkgs[i].name);
		printf(",\"version\":");
		nip_json_str(stdout, g->pkgs[i].version);
		printf(",\"arch\":");
		nip_json_str(stdout, g->pkgs[i].arch);
		printf(",\"cid\":\"%s\",\"explicit\":%s}", cid, g->pkgs[i].explicit_ ? "true" : "false");
	}
	printf("]");
}

static int run_list(const struct cli_opts *o, int argc, char **argv)
{
	int explicit_only = 0, status = 0, first, empty;
	const struct cli_flag flags[] = {{"--explicit", &explicit_only}, {NULL, NULL}};
	struct nip_generation g = {0};
	struct nip_root *r = NULL;
	struct nip_error err;

	if ((first = cli_flags(o, &cli_cmd_list, argc, argv, flags, &status)) < 0)
		return status;
	if (first != argc)
		return cli_usage(o, &cli_cmd_list, "list: unexpected arguments");
	if (open_ro(o, &r, &empty, &err) < 0 || (!empty && current_gen(r, o->cell, &g, &err) < 0)) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	if (explicit_only) {
		size_t k = 0;
		for (size_t i = 0; i < g.npkgs; i++)
			if (g.pkgs[i].explicit_)
				g.pkgs[k++] = g.pkgs[i];
			else
				free(g.pkgs[i].name), free(g.pkgs[i].version), free(g.pkgs[i].arch);
		g.npkgs = k;
	}
	if (o->json) {
		printf("{\"packages\":");
		json_pkgs(&g);
		printf("}\n");
	} else {
		for (size_t i = 0; i < g.npkgs; i++)
			printf("%s %s %s%s\n", g.pkgs[i].name, g.pkgs[i].version, g.pkgs[i].arch,
			       g.pkgs[i].explicit_ || !o->verbose ? "" : " (dependency)");
	}
	nip_generation_free(&g);
	nip_root_close(r);
	return 0;
}

/* The manifest of installed package NAME in the current generation (*m
 * NULL when it is not installed); the root stays open in *rp for the
 * tracks' lookup (NULL when it does not exist yet). */
static int installed_in(const struct cli_opts *o, const char *name, struct nip_root **rp,
			struct nip_manifest **m, uint8_t cid[NIP_SHA256_LEN], struct nip_error *err)
{
	struct nip_generation g = {0};
	int empty, rc = -1;

	*m = NULL;
	*rp = NULL;
	if (open_ro(o, rp, &empty, err) < 0 || (!empty && current_gen(*rp, o->cell, &g, err) < 0))
		goto out;
	for (size_t i = 0; i < g.npkgs; i++)
		if (strcmp(g.pkgs[i].name, name) == 0) {
			memcpy(cid, g.pkgs[i].cid, NIP_SHA256_LEN);
			if (nip_db_package_get((*rp)->db, cid, m, err) < 0)
				goto out;
			break;
		}
	rc = 0;
out:
	nip_generation_free(&g);
	return rc;
}

/* The manifest of installed package NAME, for files and owner. */
static int installed(const struct cli_opts *o, const struct cli_cmd *c, int argc, char **argv,
		     struct nip_manifest **m, uint8_t cid[NIP_SHA256_LEN], int *status)
{
	struct nip_root *r = NULL;
	struct nip_error err;
	int rc = -1;

	*m = NULL;
	if (argc != 2) {
		*status = cli_usage(o, c, "%s: expected one NAME", c->name);
		return -1;
	}
	if (installed_in(o, argv[1], &r, m, cid, &err) < 0)
		goto fail;
	if (!*m) {
		nip_err(&err, NIP_E_RESOLVE, "%s is not installed in cell %s", argv[1], o->cell);
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	*status = cli_fail(o, &err);
out:
	nip_root_close(r);
	return rc;
}

/* What the tracks hold of one name, as info prints it: the JSON array
 * "available", the human "available:" lines, the first (newest) entry in
 * full for a package that is not installed, and whether one is newer
 * than the installed version. */
struct avail {
	const char *installed; /* the installed version, or NULL */
	FILE *json, *lines, *best;
	size_t n;
	char *newer_version, *newer_track;
};

static void json_rels(FILE *f, const struct nip_track_pkg *p)
{
	fprintf(f, "{");
	for (int k = 0; k < NIP_REL_COUNT; k++) {
		fprintf(f, "%s\"%s\":[", k ? "," : "", nip_rel_kind_name((enum nip_rel_kind)k));
		for (size_t i = 0; i < p->nrel[k]; i++) {
			fprintf(f, "%s", i ? "," : "");
			nip_json_str(f, p->rel[k][i]);
		}
		fprintf(f, "]");
	}
	fprintf(f, "}");
}

static void on_avail(void *ctx, const struct nip_track_pkg *p)
{
	struct avail *a = ctx;
	char cid[NIP_CID_STRLEN] = "";
	int newer = a->installed && nip_version_cmp(p->version, a->installed) > 0;

	if (p->have_cid)
		nip_cid_format(p->cid, cid);
	fprintf(a->json, "%s{\"track\":", a->n ? "," : "");
	nip_json_str(a->json, p->track);
	fprintf(a->json, ",\"name\":");
	nip_json_str(a->json, p->name);
	fprintf(a->json, ",\"version\":");
	nip_json_str(a->json, p->version);
	fprintf(a->json, ",\"arch\":");
	nip_json_str(a->json, p->arch);
	fprintf(a->json, ",\"cid\":\"%s\",\"size\":%llu,\"summary\":", cid, (unsigned long long)p->size);
	nip_json_str(a->json, p->summary ? p->summary : "");
	fprintf(a->json, ",\"signer\":");
	nip_json_str(a->json, p->signer ? p->signer : "");
	fprintf(a->json, ",\"newer\":%s,\"relations\":", newer ? "true" : "false");
	json_rels(a->json, p);
	fprintf(a->json, "}");
	fprintf(a->lines, "%-12s %s %s (%s)%s\n", a->n ? "" : "available:", p->version, p->arch, p->track,
		newer ? " newer" : "");
	if (!a->n) {
		fprintf(a->best, "%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %llu\n%-12s %s\n",
			"name:", p->name, "version:", p->version, "arch:", p->arch, "summary:",
			p->summary ? p->summary : "", "track:", p->track, "size:",
			(unsigned long long)p->size, "cid:", cid);
		for (int k = 0; k < NIP_REL_COUNT; k++)
			for (size_t i = 0; i < p->nrel[k]; i++)
				fprintf(a->best, "%-12s %s\n", i ? "" : nip_rel_kind_name((enum nip_rel_kind)k),
					p->rel[k][i]);
	}
	/* Newest first: the first newer one is the newest. */
	if (newer && !a->newer_version) {
		a->newer_version = strdup(p->version);
		a->newer_track = strdup(p->track);
	}
	a->n++;
}

static int run_info(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_manifest *m = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	struct avail a = {0};
	uint8_t cid[NIP_SHA256_LEN];
	char s[NIP_CID_STRLEN], *json = NULL, *lines = NULL, *best = NULL;
	size_t jn = 0, ln = 0, bn = 0, found = 0;
	int status = 0, untracked = 0;

	if (cli_help_requested(&cli_cmd_info, argc, argv))
		return 0;
	if (argc != 2)
		return cli_usage(o, &cli_cmd_info, "info: expected one NAME");
	if (installed_in(o, argv[1], &r, &m, cid, &err) < 0)
		goto fail;
	a.installed = m ? m->version : NULL;
	if (!(a.json = open_memstream(&json, &jn)) || !(a.lines = open_memstream(&lines, &ln)) ||
	    !(a.best = open_memstream(&best, &bn))) {
		nip_err(&err, NIP_E_NOMEM, "out of memory");
		goto fail;
	}
	/* A root without tracks (or not made yet) has nothing available; a
	 * track that cannot be read (never refreshed) does not hide what is
	 * installed. */
	if (r && nip_txn_lookup(r, argv[1], on_avail, &a, &found, &err) < 0) {
		if (!m)
			goto fail;
		fprintf(stderr, "nip: warning: %s (the tracks' versions are not shown)\n", err.msg);
		untracked = 1;
		free(a.newer_version);
		free(a.newer_track);
		a.newer_version = a.newer_track = NULL;
	}
	fclose(a.json), fclose(a.lines), fclose(a.best);
	a.json = a.lines = a.best = NULL;
	if (!m && !found) {
		nip_err(&err, NIP_E_RESOLVE, "%s is not installed in cell %s, nor in any track", argv[1],
			o->cell);
		goto fail;
	}
	if (o->json) {
		if (m) {
			struct nip_buf b;
			nip_cid_format(cid, s);
			nip_buf_init(&b, NIP_MANIFEST_MAX, "manifest");
			if (nip_manifest_serialize(m, &b, NULL) == 0)
				printf("{\"cid\":\"%s\",\"manifest\":%.*s,", s, (int)b.len, (char *)b.data);
			nip_buf_free(&b);
		} else {
			printf("{\"name\":");
			nip_json_str(stdout, argv[1]);
			printf(",");
		}
		printf("\"installed\":%s,\"available\":[%s],\"newer\":", m ? "true" : "false",
		       untracked ? "" : json);
		if (a.newer_version) {
			printf("{\"version\":");
			nip_json_str(stdout, a.newer_version);
			printf(",\"track\":");
			nip_json_str(stdout, a.newer_track);
			printf("}");
		} else {
			printf("null");
		}
		printf("}\n");
	} else if (m) {
		nip_cid_format(cid, s);
		printf("%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n", "name:", m->name,
		       "version:", m->version, "arch:", m->arch, "kind:", nip_kind_name(m->kind), "summary:",
		       m->summary, "cid:", s);
		for (int k = 0; k < NIP_REL_COUNT; k++)
			for (size_t i = 0; i < m->nrel[k]; i++)
				printf("%-12s %s\n", i ? "" : nip_rel_kind_name((enum nip_rel_kind)k), m->rel[k][i]);
		printf("%-12s %zu\n", "files:", m->nfiles);
		if (!untracked)
			fputs(lines, stdout);
	} else {
		fputs(best, stdout);
		printf("%-12s %s\n", "installed:", "no");
		fputs(lines, stdout);
	}
	goto out;
fail:
	status = cli_fail(o, &err);
out:
	if (a.json)
		fclose(a.json);
	if (a.lines)
		fclose(a.lines);
	if (a.best)
		fclose(a.best);
	free(json);
	free(lines);
	free(best);
	free(a.newer_version);
	free(a.newer_track);
	nip_manifest_free(m);
	nip_root_close(r);
	return status;
}

static int run_files(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_manifest *m;
	uint8_t cid[NIP_SHA256_LEN];
	int status = 0;

	if (installed(o, &cli_cmd_files, argc, argv, &m, cid, &status) < 0)
		return status;
	if (o->json)
		printf("{\"files\":[");
	for (size_t i = 0; i < m->nfiles; i++) {
		if (o->json) {
			printf("%s", i ? "," : "");
			nip_json_str(stdout, m->files[i].path);
		} else {
			printf("%s%s\n", m->files[i].path, m->files[i].type == NIP_FT_DIR ? "/" : "");
		}
	}
	if (o->json)
		printf("]}\n");
	nip_manifest_free(m);
	return 0;
}

static int run_owner(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_root *r = NULL;
	struct nip_error err;
	char *name = NULL, *version = NULL;
	const char *path;
	int empty;

	if (argc != 2)
		return cli_usage(o, &cli_cmd_owner, "owner: expected one PATH");
	path = argv[1];
	while (*path == '/')
		path++; /* paths are relative to the root inside packages */
	if (open_ro(o, &r, &empty, &err) < 0 ||
	    (!empty && nip_db_owner(r->db, o->cell, path, &name, &version, &err) < 0)) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (!name) {
		nip_err(&err, NIP_E_RESOLVE, "%s: no installed package owns it", argv[1]);
		return cli_fail(o, &err);
	}
	if (o->json) {
		printf("{\"name\":");
		nip_json_str(stdout, name);
		printf(",\"version\":");
		nip_json_str(stdout, version);
		printf("}\n");
	} else {
		printf("%s %s\n", name, version);
	}
	free(name);
	free(version);
	return 0;
}

static int run_generations(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_generation *gens = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	size_t n = 0;
	int empty;

	if (argc != 1)
		return cli_usage(o, &cli_cmd_generations, "generations: unexpected arguments");
	if (open_ro(o, &r, &empty, &err) < 0 || (!empty && nip_db_generations(r->db, o->cell, &gens, &n, &err) < 0)) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"generations\":[");
	for (size_t i = 0; i < n; i++) {
		char t[32];
		iso_time(gens[i].time, t);
		if (o->json) {
			printf("%s{\"number\":%lld,\"current\":%s,\"time\":\"%s\",\"reason\":", i ? "," : "",
			       (long long)gens[i].number, gens[i].current ? "true" : "false", t);
			nip_json_str(stdout, gens[i].reason ? gens[i].reason : "");
			printf(",\"packages\":");
			json_pkgs(&gens[i]);
			printf("}");
		} else {
			printf("%5lld %s %s %3zu packages  %s\n", (long long)gens[i].number,
			       gens[i].current ? "*" : " ", t, gens[i].npkgs, gens[i].reason ? gens[i].reason : "");
		}
		nip_generation_free(&gens[i]);
	}
	if (o->json)
		printf("]}\n");
	free(gens);
	return 0;
}

static const struct nip_gen_pkg *by_name(const struct nip_generation *g, const char *name)
{
	for (size_t i = 0; i < g->npkgs; i++)
		if (strcmp(g->pkgs[i].name, name) == 0)
			return &g->pkgs[i];
	return NULL;
}

static int run_diff(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_generation a = {0}, b = {0};
	struct nip_root *r = NULL;
	struct nip_error err;
	int64_t ga, gb;
	int empty;

	if (argc != 3 || nip_parse_i64(argv[1], 1, INT64_MAX, &ga) < 0 || nip_parse_i64(argv[2], 1, INT64_MAX, &gb) < 0)
		return cli_usage(o, &cli_cmd_diff, "diff: expected two generation numbers");
	if (open_ro(o, &r, &empty, &err) < 0 || empty ||
	    nip_db_generation_get(r->db, o->cell, ga, &a, &err) < 0 ||
	    nip_db_generation_get(r->db, o->cell, gb, &b, &err) < 0) {
		if (empty)
			nip_err(&err, NIP_E_USAGE, "no nip root at %s", o->root);
		nip_root_close(r);
		nip_generation_free(&a);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"changes\":[");
	{
		int first = 1;
		for (size_t i = 0; i < b.npkgs; i++) {
			const struct nip_gen_pkg *p = by_name(&a, b.pkgs[i].name);
			const char *what = !p ? "added" : strcmp(p->version, b.pkgs[i].version) ? "changed"
							  : memcmp(p->cid, b.pkgs[i].cid, NIP_SHA256_LEN) ? "rebuilt" : NULL;
			if (!what)
				continue;
			if (o->json)
				printf("%s{\"name\":\"%s\",\"change\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"}", first ? "" : ",",
				       b.pkgs[i].name, what, p ? p->version : "", b.pkgs[i].version);
			else
				printf("%s %s %s%s%s\n", what[0] == 'a' ? "+" : "~", b.pkgs[i].name, p ? p->version : "",
				       p ? " -> " : "", b.pkgs[i].version);
			first = 0;
		}
		for (size_t i = 0; i < a.npkgs; i++) {
			if (by_name(&b, a.pkgs[i].name))
				continue;
			if (o->json)
				printf("%s{\"name\":\"%s\",\"change\":\"removed\",\"from\":\"%s\",\"to\":\"\"}",
				       first ? "" : ",", a.pkgs[i].name, a.pkgs[i].version);
			else
				printf("- %s %s\n", a.pkgs[i].name, a.pkgs[i].version);
			first = 0;
		}
	}
	if (o->json)
		printf("]}\n");
	nip_generation_free(&a);
	nip_generation_free(&b);
	return 0;
}

const struct cli_cmd cli_cmd_list = {"list", "installed packages of the current generation",
				     "usage: nip list [--explicit]\n\n"
				     "  --explicit  only the packages asked for by name\n",
				     run_list};
const struct cli_cmd cli_cmd_info = {"info", "a package: installed, or in the tracks",
				     "usage: nip info NAME\n"
				     "\n"
				     "The installed package's manifest, then the versions the pinned tracks\n"
				     "offer (a newer one marked); a package that is not installed is shown\n"
				     "from the tracks: version, arch, summary, track, size, CID, relations.\n",
				     run_info};
const struct cli_cmd cli_cmd_files = {"files", "the files of an installed package", "usage: nip files NAME\n",
				      run_files};
const struct cli_cmd cli_cmd_owner = {"owner", "the installed package that owns a path",
				      "usage: nip owner PATH\n", run_owner};
const struct cli_cmd cli_cmd_generations = {"generations", "the cell's generations",
					    "usage: nip generations\n\n"
					    "Number, current mark (*), time, package count and reason.\n",
					    run_generations};
const struct cli_cmd cli_cmd_diff = {"diff", "packages added, removed, changed between generations",
				     "usage: nip diff GEN1 GEN2\n", run_diff};
