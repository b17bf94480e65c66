/* nip pack: a staged tree into a signed .nip. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "nip/package.h"

enum { O_NAME = 256, O_VERSION, O_ARCH, O_KIND, O_POLICY, O_SUMMARY, O_LICENSE, O_VARIANT,
       O_SOURCE, O_RECIPE, O_LEVEL, O_THREADS, O_KEY, O_PASSFILE, O_REL };

static const struct option longopts[] = {
	{"key", required_argument, NULL, O_KEY},
	{"passphrase-file", required_argument, NULL, O_PASSFILE},
	{"name", required_argument, NULL, O_NAME},
	{"version", required_argument, NULL, O_VERSION},
	{"arch", required_argument, NULL, O_ARCH},
	{"kind", required_argument, NULL, O_KIND},
	{"depends", required_argument, NULL, O_REL + NIP_REL_DEPENDS},
	{"provides", required_argument, NULL, O_REL + NIP_REL_PROVIDES},
	{"conflicts", required_argument, NULL, O_REL + NIP_REL_CONFLICTS},
	{"obsoletes", required_argument, NULL, O_REL + NIP_REL_OBSOLETES},
	{"recommends", required_argument, NULL, O_REL + NIP_REL_RECOMMENDS},
	{"policy", required_argument, NULL, O_POLICY},
	{"summary", required_argument, NULL, O_SUMMARY},
	{"license", required_argument, NULL, O_LICENSE},
	{"variant", required_argument, NULL, O_VARIANT},
	{"source", required_argument, NULL, O_SOURCE},
	{"recipe-hash", required_argument, NULL, O_RECIPE},
	{"level", required_argument, NULL, O_LEVEL},
	{"threads", required_argument, NULL, O_THREADS},
	{"output", required_argument, NULL, 'o'},
	{NULL, 0, NULL, 0},
};

static int push(char ***v, size_t *n, const char *s, struct nip_error *err)
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted and without duplicates: the manifest's order must not depend on
 * the order of flags, or the same package would get two CIDs. */
static void sort_unique(char **v, size_t *n)
{
	size_t j = 0;
	if (*n < 2)
		return; /* v may be NULL, which qsort must not see */
	qsort(v, *n, sizeof *v, cmp_str);
	for (size_t i = 0; i < *n; i++) {
		if (j && strcmp(v[j - 1], v[i]) == 0)
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*n = j;
}

static int add_relation(struct nip_manifest *m, enum nip_rel_kind k, const char *s,
			struct nip_error *err)
{
	struct nip_relation r;
	struct nip_buf canon;
	int rc;

	if (nip_relation_parse(s, k, &r, err) < 0) {
		err->code = NIP_E_USAGE; /* from the command line, so exit 2 */
		return nip_err_prefix(err, "--%s: ", nip_rel_kind_name(k));
	}
	nip_buf_init(&canon, 4 * NIP_RELATION_LEN_MAX, "relation");
	rc = nip_relation_format(&r, &canon, err) < 0 || nip_buf_cstr(&canon, err) < 0 ? -1 : 0;
	if (rc == 0)
		rc = push(&m->rel[k], &m->nrel[k], (char *)canon.data, err);
	nip_relation_free(&r);
	nip_buf_free(&canon);
	return rc;
}

static int set_str(char **dst, const char *s, struct nip_error *err)
{
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : nip_err(err, NIP_E_NOMEM, "out of memory");
}

static int read_policy(const char *path, struct nip_manifest *m, struct nip_error *err)
{
	struct nip_buf b;
	if (nip_read_file(AT_FDCWD, path, NIP_POLICY_MAX, 0, &b, err) < 0)
		return -1;
	if (strlen((char *)b.data) != b.len) {
		nip_buf_free(&b);
		return nip_err(err, NIP_E_USAGE, "%s: policy contains a NUL byte", path);
	}
	free(m->policy);
	m->policy = (char *)b.data;
	return 0;
}

/* $SOURCE_DATE_EPOCH, else the newest mtime in the tree (-1 asks the
 * library for it), so that packing an unchanged tree repeats itself. */
static int epoch_from_env(int64_t *out, struct nip_error *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	*out = -1;
	if (!s || !*s)
		return 0;
	if (nip_parse_i64(s, 0, 077777777777ll, out) < 0)
		return nip_err(err, NIP_E_USAGE, "SOURCE_DATE_EPOCH=%s: not a time in seconds since 1970",
			       s);
	return 0;
}

static int run(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_manifest *m = NULL;
	struct nip_error err;
	struct nip_seckey key;
	struct nip_pack_opts po = {0};
	const char *keypath = getenv("NIP_KEY"), *passfile = NULL, *outpath = NULL;
	const char *kind = "app";
	struct nip_buf defname;
	uint8_t cid[NIP_SHA256_LEN];
	int c, rc = 1, srcfd = -1, outdir = -1, have_key = 0;
	int64_t v;

	nip_buf_init(&defname, 1024, "output name");
	if (!(m = nip_manifest_new(&err)))
		return cli_fail(o, &err);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		int r = 0;
		if (c >= O_REL && c < O_REL + NIP_REL_COUNT)
			r = add_relation(m, (enum nip_rel_kind)(c - O_REL), optarg, &err);
		else if (c == O_NAME)
			r = set_str(&m->name, optarg, &err);
		else if (c == O_VERSION)
			r = set_str(&m->version, optarg, &err);
		else if (c == O_ARCH)
			r = set_str(&m->arch, optarg, &err);
		else if (c == O_KIND)
			kind = optarg;
		else if (c == O_SUMMARY)
			r = set_str(&m->summary, optarg, &err);
		else if (c == O_LICENSE)
			r = set_str(&m->license, optarg, &err);
		else if (c == O_VARIANT)
			r = push(&m->variant, &m->nvariant, optarg, &err);
		else if (c == O_SOURCE)
			r = push(&m->prov.sources, &m->prov.nsources, optarg, &err);
		else if (c == O_RECIPE)
			r = set_str(&m->prov.recipe, optarg, &err);
		else if (c == O_POLICY)
			r = read_policy(optarg, m, &err);
		else if (c == O_KEY)
			keypath = optarg;
		else if (c == O_PASSFILE)
			passfile = optarg;
		else if (c == 'o')
			outpath = optarg;
		else if (c == O_LEVEL || c == O_THREADS) {
			if (nip_parse_i64(optarg, 1, c == O_LEVEL ? 19 : 256, &v) < 0) {
				rc = cli_usage(o, &cli_cmd_pack, "--%s: not a number in range: %s",
					       c == O_LEVEL ? "level" : "threads", optarg);
				goto out;
			}
			*(c == O_LEVEL ? &po.level : &po.threads) = (int)v;
		} else {
			rc = cli_usage(o, &cli_cmd_pack, "pack: unknown or incomplete option '%s'",
				       argv[optind - 1]);
			goto out;
		}
		if (r < 0) {
			rc = cli_fail(o, &err);
			goto out;
		}
	}
	if (optind != argc - 1) {
		rc = cli_usage(o, &cli_cmd_pack, "pack: expected one DIR (the staged tree)");
		goto out;
	}
	if (!m->name || !m->version) {
		rc = cli_usage(o, &cli_cmd_pack, "pack: --name and --version are required");
		goto out;
	}
	if (nip_kind_parse(kind, &m->kind) < 0) {
		rc = cli_usage(o, &cli_cmd_pack, "--kind: must be app, lib, system, kernel or hal, not '%s'",
			       kind);
		goto out;
	}
	if (!m->arch) {
		struct utsname u;
		uname(&u);
		if (set_str(&m->arch, u.machine, &err) < 0) {
			rc = cli_fail(o, &err);
			goto out;
		}
	}
	for (int k = 0; k < NIP_REL_COUNT; k++)
		sort_unique(m->rel[k], &m->nrel[k]);
	sort_unique(m->variant, &m->nvariant);
	if (!keypath) {
		rc = cli_usage(o, &cli_cmd_pack,
			       "pack: --key SECKEY is required (or $NIP_KEY): nip never makes an unsigned package");
		goto out;
	}
	if (epoch_from_env(&po.source_date_epoch, &err) < 0) {
		rc = cli_fail(o, &err);
		goto out;
	}
	if (cli_load_seckey(keypath, passfile, &key, &err) < 0) {
		rc = cli_fail(o, &err);
		goto out;
	}
	have_key = 1;
	if (!outpath) {
		if (nip_manifest_filename(m, &defname, &err) < 0 || nip_buf_cstr(&defname, &err) < 0) {
			rc = cli_fail(o, &err);
			goto out;
		}
		outpath = (char *)defname.data;
	}
	srcfd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srcfd < 0) {
		nip_err_sys(&err, NIP_E_USAGE, errno, "%s", argv[optind]);
		rc = cli_fail(o, &err);
		goto out;
	}
	po.key = &key;
	po.meta = m;
	{
		const char *base;
		if ((outdir = nip_open_parent(outpath, &base, &err)) < 0 ||
		    nip_package_write(srcfd, &po, outdir, base, cid, &err) < 0) {
			rc = cli_fail(o, &err);
			goto out;
		}
	}
	if (o->json || o->verbose) {
		char s[NIP_CID_STRLEN];
		nip_cid_format(cid, s);
		if (o->json) {
			printf("{\"cid\":\"%s\",\"path\":", s);
			nip_json_str(stdout, outpath);
			printf("}\n");
		} else {
			printf("%s %s\n", s, outpath);
		}
	}
	rc = 0;
out:
	if (have_key)
		nip_seckey_wipe(&key);
	if (srcfd >= 0)
		close(srcfd);
	if (outdir >= 0)
		close(outdir);
	nip_buf_free(&defname);
	nip_manifest_free(m);
	return rc;
}

const struct cli_cmd cli_cmd_pack = {
	"pack",
	"package a staged tree into a signed .nip",
	"usage: nip pack [--key SECKEY] --name N --version V [OPTIONS] [-o OUT.nip] DIR\n"
	"\n"
	"Packs the tree DIR into a signed package. SOURCE_DATE_EPOCH sets every\n"
	"time inside it (default: the newest mtime in DIR), so the same tree packs\n"
	"to the same bytes.\n"
	"\n"
	"  --key SECKEY             the publisher's secret key (default $NIP_KEY)\n"
	"  --passphrase-file FILE   passphrase of an encrypted key\n"
	"  --name N, --version V    [a-z0-9][a-z0-9+._-]*; [EPOCH:]VERSION[-RELEASE]\n"
	"  --arch A                 default: this machine's (uname -m)\n"
	"  --kind K                 app (default), lib, system, kernel or hal\n"
	"  --depends EXPR           repeatable; EXPR is NAME [OP VERSION] [| ...],\n"
	"  --provides EXPR            OP one of < <= = >= >\n"
	"  --conflicts EXPR\n"
	"  --obsoletes EXPR\n"
	"  --recommends EXPR\n"
	"  --policy FILE            the confinement policy shipped in the manifest\n"
	"  --summary S, --license L\n"
	"  --variant FLAG           repeatable; part of the package's identity\n"
	"  --source S               repeatable; provenance of the sources\n"
	"  --recipe-hash HEX        provenance: SHA-256 of the recipe\n"
	"  --level N                zstd level (default 3)\n"
	"  --threads N              zstd workers (default: one per CPU; the output\n"
	"                           does not depend on it)\n"
	"  -o, --output OUT.nip     default NAME-VERSION-ARCH.nip\n",
	run,
};
