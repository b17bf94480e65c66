/* nip graft: foreign packages (.deb, .apk, .pkg.tar.*) into signed .nip
 * files, several at once in parallel. The work is nip_graft_file's. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nip/graft.h"
#include "nip/limits.h"

enum { O_KEY = 256, O_PASSFILE, O_POLICY, O_APT, O_JOBS };

static const struct option longopts[] = {
	{"key", required_argument, NULL, O_KEY},
	{"passphrase-file", required_argument, NULL, O_PASSFILE},
	{"output", required_argument, NULL, 'o'},
	{"policy", required_argument, NULL, O_POLICY},
	{"apt-lists", required_argument, NULL, O_APT},
	{"jobs", required_argument, NULL, O_JOBS},
	{NULL, 0, NULL, 0},
};

struct job {
	const char *input;
	char *written;
	uint8_t cid[NIP_SHA256_LEN];
	struct nip_error err;
	int rc;
};

struct pool {
	struct job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	const struct nip_graft_opts *opts;
	int outdir;
	const char *outname; /* one input and a file name */
};

static void warn(void *ctx, const char *msg)
{
	const struct cli_opts *o = ctx;
	if (o->quiet)
		return;
	fputs("nip: warning: ", stderr);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	fputc('\n', stderr);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		struct job *j;
		pthread_mutex_lock(&p->lock);
		j = p->next < p->n ? &p->jobs[p->next++] : NULL;
		pthread_mutex_unlock(&p->lock);
		if (!j)
			return NULL;
		nip_err_clear(&j->err);
		j->rc = nip_graft_file(AT_FDCWD, j->input, p->opts, p->outdir, p->outname, &j->written, j->cid,
				       &j->err);
	}
}

static int read_policy(const char *path, char **out, struct nip_error *err)
{
	struct nip_buf b;
	if (nip_read_file(AT_FDCWD, path, NIP_POLICY_MAX, 0, &b, err) < 0)
		return -1;
	if (strlen((char *)b.data) != b.len) {
		nip_buf_free(&b);
		return nip_err(err, NIP_E_USAGE, "%s: policy contains a NUL byte", path);
	}
	*out = (char *)b.data;
	return 0;
}

static int run(const struct cli_opts *o, int argc, char **argv)
{
	const char *keypath = getenv("NIP_KEY"), *passfile = NULL, *outpath = NULL;
	struct nip_graft_opts go = {.warn = warn, .warn_ctx = (void *)o};
	struct pool pool = {.outdir = -1, .lock = PTHREAD_MUTEX_INITIALIZER};
	struct nip_seckey key;
	struct nip_error err;
	char *policy = NULL;
	pthread_t *threads = NULL;
	long jobs = 0;
	int c, rc = 1, have_key = 0, dirmode;
	struct stat st;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:j:", longopts, NULL)) != -1) {
		if (c == O_KEY)
			keypath = optarg;
		else if (c == O_PASSFILE)
			passfile = optarg;
		else if (c == 'o')
			outpath = optarg;
		else if (c == O_APT)
			go.apt_lists = optarg;
		else if (c == O_POLICY) {
			free(policy);
			policy = NULL;
			if (read_policy(optarg, &policy, &err) < 0) {
				rc = cli_fail(o, &err);
				goto out;
			}
		} else if (c == O_JOBS || c == 'j') {
			int64_t v;
			if (nip_parse_i64(optarg, 1, 256, &v) < 0) {
				rc = cli_usage(o, &cli_cmd_graft, "--jobs: not a number from 1 to 256: %s", optarg);
				goto out;
			}
			jobs = (long)v;
		} else {
			rc = cli_usage(o, &cli_cmd_graft, "graft: unknown or incomplete option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		rc = cli_usage(o, &cli_cmd_graft, "graft: expected FILE.deb|FILE.apk|FILE.pkg.tar.*...");
		goto out;
	}
	if (!keypath) {
		rc = cli_usage(o, &cli_cmd_graft,
			       "graft: --key SECKEY is required (or $NIP_KEY): nip never makes an unsigned package");
		goto out;
	}
	if (!outpath)
		outpath = ".";
	dirmode = (stat(outpath, &st) == 0 && S_ISDIR(st.st_mode)) || outpath[strlen(outpath) - 1] == '/';
	if (!dirmode && argc - optind > 1) {
		rc = cli_usage(o, &cli_cmd_graft, "graft: -o must be a directory when grafting several files");
		goto out;
	}
	if (dirmode && mkdir(outpath, 0755) < 0 && errno != EEXIST) {
		nip_err_sys(&err, NIP_E_IO, errno, "%s", outpath);
		rc = cli_fail(o, &err);
		goto out;
	}
	if (cli_load_seckey(keypath, passfile, &key, &err) < 0) {
		rc = cli_fail(o, &err);
		goto out;
	}
	have_key = 1;
	go.key = &key;
	go.policy = policy;
	if (dirmode)
		pool.outdir = open(outpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		pool.outdir = nip_open_parent(outpath, &pool.outname, &err);
	if (pool.outdir < 0) {
		if (dirmode)
			nip_err_sys(&err, NIP_E_IO, errno, "%s", outpath);
		rc = cli_fail(o, &err);
		goto out;
	}
	pool.n = (size_t)(argc - optind);
	if (!(pool.jobs = calloc(pool.n, sizeof *pool.jobs))) {
		nip_err(&err, NIP_E_NOMEM, "out of memory");
		rc = cli_fail(o, &err);
		goto out;
	}
	for (size_t i = 0; i < pool.n; i++)
		pool.jobs[i].input = argv[optind + (int)i];
	pool.opts = &go;
	if (!jobs) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = ncpu > 0 ? ncpu : 1;
	}
	if ((size_t)jobs > pool.n)
		jobs = (long)pool.n;
	/* Packages in parallel, each compressed by one thread: cheaper than
	 * zstd's workers on many small packages. One package gets them all. */
	go.threads = pool.n > 1 ? 1 : 0;
	if (!(threads = calloc((size_t)jobs, sizeof *threads))) {
		nip_err(&err, NIP_E_NOMEM, "out of memory");
		rc = cli_fail(o, &err);
		goto out;
	}
	for (long i = 1; i < jobs; i++)
		if (pthread_create(&threads[i], NULL, worker, &pool) != 0)
			threads[i] = 0;
	worker(&pool);
	for (long i = 1; i < jobs; i++)
		if (threads[i])
			pthread_join(threads[i], NULL);
	rc = 0;
	if (o->json)
		printf("{\"packages\":[");
	for (size_t i = 0, shown = 0; i < pool.n; i++) {
		struct job *j = &pool.jobs[i];
		char s[NIP_CID_STRLEN];
		if (j->rc < 0) {
			if (!o->json) {
				int st2 = cli_fail(o, &j->err);
				if (!rc)
					rc = st2;
			} else if (!rc)
				rc = nip_err_exit_status(j->err.code);
			continue;
		}
		nip_cid_format(j->cid, s);
		if (o->json) {
			printf("%s{\"cid\":\"%s\",\"input\":", shown++ ? "," : "", s);
			nip_json_str(stdout, j->input);
			printf(",\"output\":");
			nip_json_str(stdout, j->written);
			printf("}");
		} else if (!o->quiet)
			printf("%s %s\n", s, j->written);
	}
	if (o->json) {
		int first = 1;
		printf("],\"errors\":[");
		for (size_t i = 0; i < pool.n; i++)
			if (pool.jobs[i].rc < 0) {
				printf("%s{\"code\":", first ? "" : ",");
				first = 0;
				nip_json_str(stdout, nip_err_name(pool.jobs[i].err.code));
				printf(",\"input\":");
				nip_json_str(stdout, pool.jobs[i].input);
				printf(",\"message\":");
				nip_json_str(stdout, pool.jobs[i].err.msg);
				printf("}");
				fprintf(stderr, "nip: error: %s\n", pool.jobs[i].err.msg);
			}
		printf("]}\n");
	}
out:
	if (have_key)
		nip_seckey_wipe(&key);
	if (pool.outdir >= 0)
		close(pool.outdir);
	if (pool.jobs)
		for (size_t i = 0; i < pool.n; i++)
			free(pool.jobs[i].written);
	free(pool.jobs);
	free(threads);
	free(policy);
	return rc;
}

const struct cli_cmd cli_cmd_graft = {
	"graft",
	"turn .deb, .apk and pacman packages into signed .nip files",
	"usage: nip graft --key SECKEY [-o OUT.nip|DIR] [OPTIONS] FILE.deb|FILE.apk|FILE.pkg.tar.*...\n"
	"\n"
	"Reads each foreign package once, sanitises its payload (setuid bits\n"
	"stripped, device nodes dropped, escaping links refused), maps its metadata\n"
	"onto nip's, records where it came from in the manifest's graft section,\n"
	"and writes a signed package. Maintainer scripts are kept, classified and\n"
	"never run. The same input grafts to the same bytes.\n"
	"\n"
	"  --key SECKEY             the publisher's secret key (default $NIP_KEY)\n"
	"  --passphrase-file FILE   passphrase of an encrypted key\n"
	"  -o, --output OUT|DIR     a file for one input; a directory (default .)\n"
	"                           for several, each NAME-VERSION-ARCH.nip\n"
	"  --policy FILE            \"allow setuid /PATH\" lines keep those bits; the\n"
	"                           policy is stored in each package\n"
	"  --apt-lists DIR          apt's lists (/var/lib/apt/lists): record whether the\n"
	"                           .deb's hash is in a Packages file InRelease covers\n"
	"  -j, --jobs N             packages grafted in parallel (default: CPUs)\n",
	run,
};
