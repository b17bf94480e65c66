/* nip verify, nip inspect, nip cid: reading packages. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "nip/package.h"

#define KEYS_MAX 64

struct read_args {
	struct nip_pubkey keys[KEYS_MAX];
	size_t nkeys;
	int files; /* inspect --files */
	int first; /* argv index of the first package */
};

static int parse_args(const struct cli_opts *o, const struct cli_cmd *cmd, int argc, char **argv,
		      struct read_args *a, int *status)
{
	static const struct option longopts[] = {{"key", required_argument, NULL, 'k'},
						  {"files", no_argument, NULL, 'f'},
						  {NULL, 0, NULL, 0}};
	struct nip_error err;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'k' && a->nkeys == KEYS_MAX) {
			*status = cli_usage(o, cmd, "%s: at most %d --key options", cmd->name, KEYS_MAX);
			return -1;
		} else if (c == 'k') {
			if (nip_pubkey_load(AT_FDCWD, optarg, &a->keys[a->nkeys], &err) < 0) {
				*status = cli_fail(o, &err);
				return -1;
			}
			a->nkeys++;
		} else if (c == 'f' && cmd == &cli_cmd_inspect) {
			a->files = 1;
		} else {
			*status = cli_usage(o, cmd, "%s: unknown or incomplete option '%s'", cmd->name,
					    argv[optind - 1]);
			return -1;
		}
	}
	if (optind >= argc) {
		*status = cli_usage(o, cmd, "%s: expected FILE.nip", cmd->name);
		return -1;
	}
	a->first = optind;
	return 0;
}

static int open_pkg(const char *path, struct nip_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

/* whole: stream and check every byte; else only the head. */
static int load(const char *path, const struct read_args *a, int whole, struct nip_package **out,
		struct nip_error *err)
{
	int fd = open_pkg(path, err), rc;
	if (fd < 0)
		return -1;
	rc = whole ? nip_package_read(fd, a->keys, a->nkeys, NULL, NULL, out, err)
		   : nip_package_read_head(fd, a->keys, a->nkeys, out, err);
	close(fd);
	if (rc < 0)
		nip_err_prefix(err, "%s: ", path);
	return rc;
}

struct verified {
	char cid[NIP_CID_STRLEN], signer[NIP_KEYID_HEX];
	struct nip_package *pkg;
};

static void print_verified(const struct cli_opts *o, char **paths, const struct verified *v, int n)
{
	if (!o->json) {
		for (int i = 0; i < n; i++)
			printf(n > 1 ? "%s  %s\n" : "%s\n", v[i].cid, paths[i]);
		return;
	}
	printf("{\"packages\":[");
	for (int i = 0; i < n; i++) {
		const struct nip_manifest *m = v[i].pkg->manifest;
		printf("%s{\"path\":", i ? "," : "");
		nip_json_str(stdout, paths[i]);
		printf(",\"cid\":\"%s\",\"name\":", v[i].cid);
		nip_json_str(stdout, m->name);
		printf(",\"version\":");
		nip_json_str(stdout, m->version);
		printf(",\"arch\":");
		nip_json_str(stdout, m->arch);
		printf(",\"signer\":\"%s\"}", v[i].signer);
	}
	printf("]}\n");
}

static int run_verify(const struct cli_opts *o, int argc, char **argv)
{
	struct read_args a = {0};
	struct nip_error err;
	struct verified *v;
	int status = 0, n;

	if (parse_args(o, &cli_cmd_verify, argc, argv, &a, &status) < 0)
		return status;
	if (!a.nkeys)
		return cli_usage(o, &cli_cmd_verify, "verify: --key PUB is required");
	n = argc - a.first;
	if (!(v = calloc((size_t)n, sizeof *v))) {
		nip_err(&err, NIP_E_NOMEM, "out of memory");
		return cli_fail(o, &err);
	}
	/* All or nothing: output only once every package has verified. */
	for (int i = 0; i < n && status == 0; i++) {
		if (load(argv[a.first + i], &a, 1, &v[i].pkg, &err) < 0) {
			status = cli_fail(o, &err);
			break;
		}
		nip_cid_format(v[i].pkg->cid, v[i].cid);
		nip_keyid_format(v[i].pkg->sig.keyid, v[i].signer);
	}
	if (status == 0)
		print_verified(o, argv + a.first, v, n);
	for (int i = 0; i < n; i++)
		nip_package_free(v[i].pkg);
	free(v);
	return status;
}

static void human_size(uint64_t n, char *out, size_t outsz)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, outsz, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void print_list(const char *label, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%-12s %s\n", i ? "" : label, v[i]);
}

/* Where a grafted package came from; a multi-line field shows its first
 * line (--json has them whole). */
static void print_graft(const struct nip_graft_info *g)
{
	printf("%-12s %s %s\n", "graft:", g->format, g->identity);
	printf("%-12s sha256:%s\n", "original:", g->sha256);
	printf("%-12s %s\n%-12s %s\n", "upstream:", g->signature, "tool:", g->tool);
	print_list("triggers:", g->triggers, g->ntriggers);
	print_list("scripts:", g->scripts, g->nscripts);
	print_list("conffiles:", g->conffiles, g->nconffiles);
	print_list("sanitised:", g->sanitised, g->nsanitised);
	for (size_t i = 0; i < g->nfields; i++) {
		const char *nl = strchr(g->fields[i], '\n');
		printf("%-12s %.*s%s\n", i ? "" : "fields:", nl ? (int)(nl - g->fields[i]) : (int)strlen(g->fields[i]),
		       g->fields[i], nl ? " ..." : "");
	}
}

static void print_manifest(const struct nip_package *p, const struct read_args *a)
{
	const struct nip_manifest *m = p->manifest;
	char cid[NIP_CID_STRLEN], id[NIP_KEYID_HEX], size[32], root[NIP_SHA256_HEX], when[32];
	time_t t = (time_t)m->prov.source_date_epoch;
	struct tm tm;

	nip_cid_format(p->cid, cid);
	nip_keyid_format(p->sig.keyid, id);
	human_size(nip_manifest_payload_size(m), size, sizeof size);
	nip_hex(m->payload_root, sizeof m->payload_root, root);
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n", "name:", m->name, "version:", m->version,
	       "arch:", m->arch, "kind:", nip_kind_name(m->kind));
	if (m->summary && *m->summary)
		printf("%-12s %s\n", "summary:", m->summary);
	if (m->license && *m->license)
		printf("%-12s %s\n", "license:", m->license);
	print_list("variant:", m->variant, m->nvariant);
	for (int k = 0; k < NIP_REL_COUNT; k++) {
		char label[16];
		snprintf(label, sizeof label, "%s:", nip_rel_kind_name((enum nip_rel_kind)k));
		print_list(label, m->rel[k], m->nrel[k]);
	}
	printf("%-12s %s\n", "cid:", cid);
	printf("%-12s %s (%s)\n", "signer:", id,
	       a->nkeys ? "signature verified" : "signature not checked: no --key");
	printf("%-12s %zu entries, %s\n", "files:", m->nfiles, size);
	printf("%-12s %s\n", "payload:", root);
	printf("%-12s %s (SOURCE_DATE_EPOCH=%lld)\n", "built:", when,
	       (long long)m->prov.source_date_epoch);
	if (m->prov.recipe)
		printf("%-12s %s\n", "recipe:", m->prov.recipe);
	print_list("source:", m->prov.sources, m->prov.nsources);
	printf("%-12s %s\n", "policy:", m->policy ? "" : "(none)");
	if (m->policy) {
		const char *s = m->policy;
		while (*s) {
			const char *nl = strchr(s, '\n');
			int n = nl ? (int)(nl - s) : (int)strlen(s);
			printf("  %.*s\n", n, s);
			s += n + (nl ? 1 : 0);
		}
	}
	if (m->graft)
		print_graft(m->graft);
	if (!a->files)
		return;
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct nip_file *f = &m->files[i];
		printf("%04o %-8s %12llu %s%s%s\n", f->mode, nip_ftype_name(f->type),
		       (unsigned long long)(f->type == NIP_FT_FILE ? f->size : 0), f->path,
		       f->target ? (f->type == NIP_FT_SYMLINK ? " -> " : " => ") : "",
		       f->target ? f->target : "");
	}
}

static int run_inspect(const struct cli_opts *o, int argc, char **argv)
{
	struct read_args a = {0};
	struct nip_package *p = NULL;
	struct nip_buf raw;
	struct nip_error err;
	int status = 0;

	if (parse_args(o, &cli_cmd_inspect, argc, argv, &a, &status) < 0)
		return status;
	if (argc - a.first != 1)
		return cli_usage(o, &cli_cmd_inspect, "inspect: expected one FILE.nip");
	if (load(argv[a.first], &a, 0, &p, &err) < 0)
		return cli_fail(o, &err);
	if (o->json) {
		/* The canonical manifest, exactly the bytes the CID hashes. */
		nip_buf_init(&raw, NIP_MANIFEST_MAX, "manifest");
		if (nip_manifest_serialize(p->manifest, &raw, &err) < 0) {
			nip_package_free(p);
			return cli_fail(o, &err);
		}
		fwrite(raw.data, 1, raw.len, stdout);
		putchar('\n');
		nip_buf_free(&raw);
	} else {
		print_manifest(p, &a);
	}
	nip_package_free(p);
	return 0;
}

static int run_cid(const struct cli_opts *o, int argc, char **argv)
{
	struct read_args a = {0};
	struct nip_error err;
	char (*cids)[NIP_CID_STRLEN];
	int status = 0, n;

	if (parse_args(o, &cli_cmd_cid, argc, argv, &a, &status) < 0)
		return status;
	n = argc - a.first;
	if (!(cids = calloc((size_t)n, sizeof *cids))) {
		nip_err(&err, NIP_E_NOMEM, "out of memory");
		return cli_fail(o, &err);
	}
	for (int i = 0; i < n && status == 0; i++) {
		struct nip_package *p = NULL;
		if (load(argv[a.first + i], &a, 0, &p, &err) < 0)
			status = cli_fail(o, &err);
		else
			nip_cid_format(p->cid, cids[i]);
		nip_package_free(p);
	}
	for (int i = 0; i < n && status == 0; i++) {
		if (!o->json) {
			printf("%s\n", cids[i]);
			continue;
		}
		printf("%s{\"path\":", i ? "," : "{\"packages\":[");
		nip_json_str(stdout, argv[a.first + i]);
		printf(",\"cid\":\"%s\"}%s", cids[i], i == n - 1 ? "]}\n" : "");
	}
	free(cids);
	return status;
}

const struct cli_cmd cli_cmd_verify = {
	"verify",
	"check a package's signature and every byte; print its CID",
	"usage: nip verify --key PUB [--key PUB]... FILE.nip...\n"
	"\n"
	"Reads each package once: the signature (by one of the given minisign public\n"
	"keys) before any manifest field is trusted, then every member against the\n"
	"manifest as it streams. Prints the Variant-CID. Any failure is exit 3.\n"
	"\n"
	"  --key PUB   a trusted public key (repeatable)\n",
	run_verify,
};

const struct cli_cmd cli_cmd_inspect = {
	"inspect",
	"show a package's manifest",
	"usage: nip inspect [--key PUB] [--files] FILE.nip\n"
	"\n"
	"Shows the manifest; --json prints the canonical manifest itself. Only the\n"
	"head of the file is read. Without --key the signature is not checked.\n"
	"\n"
	"  --key PUB   check the signature with this public key\n"
	"  --files     list every file\n",
	run_inspect,
};

const struct cli_cmd cli_cmd_cid = {
	"cid",
	"print a package's Variant-CID",
	"usage: nip cid [--key PUB] FILE.nip...\n"
	"\n"
	"Prints the Variant-CID (CIDv1, raw, sha2-256, base32) of each package: the\n"
	"hash of its canonical manifest. Only the head of the file is read.\n"
	"\n"
	"  --key PUB   also check the signature with this public key\n",
	run_cid,
};
