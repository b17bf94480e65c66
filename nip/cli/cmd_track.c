/* nip track init|rotate (publisher, on a track directory) and
 * nip track add|list|remove (client, on a root). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nip/track.h"
#include "nip/txn.h"

static const char *value(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static int open_dir_arg(const char *path, int create, struct nip_error *err)
{
	int fd;
	if (create && mkdir(path, 0755) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nip_err_sys(err, errno == ENOENT ? NIP_E_USAGE : NIP_E_IO, errno, "%s", path);
	return fd;
}

#define MAX_PUBLISHERS 64

/* PUB.pub[=GLOB] (CLI.md also writes PUB.pub:GLOB); glob points into v. */
static int publisher_arg(const char *v, struct nip_track_publisher *out, struct nip_error *err)
{
	char path[4096];
	const char *g = strchr(v, '=');
	if (!g)
		g = strrchr(v, ':');
	snprintf(path, sizeof path, "%.*s", g ? (int)(g - v) : (int)strlen(v), v);
	if (nip_pubkey_load(AT_FDCWD, path, &out->key, err) < 0)
		return -1;
	out->glob = g ? g + 1 : "*";
	return 0;
}

static int track_init(const struct cli_opts *o, int argc, char **argv)
{
	const char *dir = NULL, *rootkey = NULL, *online = NULL, *name = NULL, *passfile = NULL;
	struct nip_track_publisher pubs[MAX_PUBLISHERS];
	struct nip_track_init_opts io = {0};
	struct nip_seckey sk;
	struct nip_pubkey opub;
	struct nip_error err;
	size_t npubs = 0;
	int fd, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "--root-key") == 0 && (v = value(argc, argv, &i)))
			rootkey = v;
		else if (strcmp(a, "--online-key") == 0 && (v = value(argc, argv, &i)))
			online = v;
		else if (strcmp(a, "--name") == 0 && (v = value(argc, argv, &i)))
			name = v;
		else if (strcmp(a, "--passphrase-file") == 0 && (v = value(argc, argv, &i)))
			passfile = v;
		else if (strcmp(a, "--expires") == 0 && (v = value(argc, argv, &i))) {
			int64_t d;
			if (nip_parse_i64(v, 1, 36500, &d) < 0)
				return cli_usage(o, &cli_cmd_track, "track init: --expires takes days (1-36500)");
			io.expires_days = (unsigned)d;
		} else if (strcmp(a, "--bins") == 0 && (v = value(argc, argv, &i))) {
			int64_t b;
			if (nip_parse_i64(v, 16, 4096, &b) < 0)
				return cli_usage(o, &cli_cmd_track, "track init: --bins takes 16, 256 or 4096");
			io.bins = (unsigned)b;
		} else if (strcmp(a, "--publisher") == 0 && (v = value(argc, argv, &i))) {
			if (npubs == MAX_PUBLISHERS)
				return cli_usage(o, &cli_cmd_track, "track init: at most %d publishers", MAX_PUBLISHERS);
			if (publisher_arg(v, &pubs[npubs++], &err) < 0)
				return cli_fail(o, &err);
		} else if (a[0] != '-' && !dir)
			dir = a;
		else
			return cli_usage(o, &cli_cmd_track, "track init: unexpected '%s'", a);
	}
	if (!dir || !rootkey || !online)
		return cli_usage(o, &cli_cmd_track, "track init: expected DIR --root-key KEY --online-key PUB");
	if (!name) {
		const char *s = strrchr(dir, '/');
		name = s && s[1] ? s + 1 : dir;
	}
	if (cli_load_seckey(rootkey, passfile, &sk, &err) < 0)
		return cli_fail(o, &err);
	if (nip_pubkey_load(AT_FDCWD, online, &opub, &err) < 0) {
		nip_seckey_wipe(&sk);
		return cli_fail(o, &err);
	}
	io.name = name;
	io.root_key = &sk;
	io.online_key = &opub;
	io.publishers = pubs;
	io.npublishers = npubs;
	if ((fd = open_dir_arg(dir, 1, &err)) < 0) {
		nip_seckey_wipe(&sk);
		return cli_fail(o, &err);
	}
	rc = nip_track_init(fd, &io, &err);
	nip_seckey_wipe(&sk);
	close(fd);
	if (rc < 0)
		return cli_fail(o, &err);
	if (o->json) {
		printf("{\"track\":");
		nip_json_str(stdout, name);
		printf(",\"root_version\":1}\n");
	} else if (o->verbose) {
		printf("track %s initialised in %s (publish with nip publish --track %s)\n", name, dir, dir);
	}
	return 0;
}

static int track_rotate(const struct cli_opts *o, int argc, char **argv)
{
	const char *dir = NULL, *oldk = NULL, *newk = NULL, *online = NULL, *passfile = NULL;
	struct nip_seckey a, b;
	struct nip_pubkey opub;
	struct nip_error err;
	int fd, rc;

	for (int i = 1; i < argc; i++) {
		const char *x = argv[i], *v = NULL;
		if (strcmp(x, "--root-key") == 0 && (v = value(argc, argv, &i)))
			oldk = v;
		else if (strcmp(x, "--new-root-key") == 0 && (v = value(argc, argv, &i)))
			newk = v;
		else if (strcmp(x, "--online-key") == 0 && (v = value(argc, argv, &i)))
			online = v;
		else if (strcmp(x, "--passphrase-file") == 0 && (v = value(argc, argv, &i)))
			passfile = v;
		else if (x[0] != '-' && !dir)
			dir = x;
		else
			return cli_usage(o, &cli_cmd_track, "track rotate: unexpected '%s'", x);
	}
	if (!dir || !oldk || !newk)
		return cli_usage(o, &cli_cmd_track,
				 "track rotate: expected DIR --root-key OLD.key --new-root-key NEW.key");
	if (online && nip_pubkey_load(AT_FDCWD, online, &opub, &err) < 0)
		return cli_fail(o, &err);
	if (cli_load_seckey(oldk, passfile, &a, &err) < 0)
		return cli_fail(o, &err);
	if (cli_load_seckey(newk, passfile, &b, &err) < 0) {
		nip_seckey_wipe(&a);
		return cli_fail(o, &err);
	}
	if ((fd = open_dir_arg(dir, 0, &err)) < 0)
		rc = -1;
	else {
		rc = nip_track_rotate(fd, &a, &b, online ? &opub : NULL, &err);
		close(fd);
	}
	nip_seckey_wipe(&a);
	nip_seckey_wipe(&b);
	if (rc < 0)
		return cli_fail(o, &err);
	if (o->json)
		printf("{\"rotated\":true}\n");
	return 0;
}

/* authorize (revoke = 0) or revoke a publisher: a new root version. */
static int track_publisher(const struct cli_opts *o, int argc, char **argv, int revoke)
{
	const char *dir = NULL, *rootkey = NULL, *pub = NULL, *passfile = NULL;
	struct nip_track_publisher p;
	struct nip_seckey sk;
	struct nip_error err;
	int fd, rc;

	for (int i = 1; i < argc; i++) {
		const char *x = argv[i], *v = NULL;
		if (strcmp(x, "--root-key") == 0 && (v = value(argc, argv, &i)))
			rootkey = v;
		else if (strcmp(x, "--publisher") == 0 && (v = value(argc, argv, &i)))
			pub = v;
		else if (strcmp(x, "--passphrase-file") == 0 && (v = value(argc, argv, &i)))
			passfile = v;
		else if (x[0] != '-' && !dir)
			dir = x;
		else
			return cli_usage(o, &cli_cmd_track, "track %s: unexpected '%s'", argv[0], x);
	}
	if (!dir || !rootkey || !pub)
		return cli_usage(o, &cli_cmd_track, "track %s: expected DIR --root-key KEY --publisher PUB",
				 argv[0]);
	if (publisher_arg(pub, &p, &err) < 0)
		return cli_fail(o, &err);
	if (cli_load_seckey(rootkey, passfile, &sk, &err) < 0)
		return cli_fail(o, &err);
	if ((fd = open_dir_arg(dir, 0, &err)) < 0) {
		rc = -1;
	} else {
		rc = revoke ? nip_track_revoke(fd, &sk, &p.key, &err) : nip_track_authorize(fd, &sk, &p, &err);
		close(fd);
	}
	nip_seckey_wipe(&sk);
	if (rc < 0)
		return cli_fail(o, &err);
	if (o->json)
		printf("{\"%s\":true}\n", revoke ? "revoked" : "authorized");
	return 0;
}

static int track_add(const struct cli_opts *o, int argc, char **argv)
{
	const char *name = NULL, *url = NULL, *pub = NULL, *rootjson = NULL, *mirrors[8];
	size_t nmirrors = 0;
	int64_t priority = 0;
	struct nip_pubkey key;
	struct nip_fetcher f = {0};
	struct nip_root *r = NULL;
	struct nip_error err;
	struct nip_buf b;
	int rc = -1;

	for (int i = 1; i < argc; i++) {
		const char *x = argv[i], *v = NULL;
		if (strcmp(x, "--pubkey") == 0 && (v = value(argc, argv, &i)))
			pub = v;
		else if (strcmp(x, "--root-json") == 0 && (v = value(argc, argv, &i)))
			rootjson = v;
		else if (strcmp(x, "--mirror") == 0 && nmirrors < 8 && (v = value(argc, argv, &i)))
			mirrors[nmirrors++] = v;
		else if (strcmp(x, "--priority") == 0 && (v = value(argc, argv, &i))) {
			if (nip_parse_i64(v, -1000, 1000, &priority) < 0)
				return cli_usage(o, &cli_cmd_track, "track add: --priority: not a number from -1000 to 1000");
		}
		else if (x[0] != '-' && !name)
			name = x;
		else if (x[0] != '-' && !url)
			url = x;
		else
			return cli_usage(o, &cli_cmd_track, "track add: unexpected '%s'", x);
	}
	if (!name || !url || (!pub && !rootjson))
		return cli_usage(o, &cli_cmd_track,
				 "track add: expected NAME URL --pubkey ROOT.pub (or --root-json FILE)");
	nip_buf_init(&b, 1 << 20, "root.json");
	if (pub && nip_pubkey_load(AT_FDCWD, pub, &key, &err) < 0)
		goto out;
	if (rootjson && nip_read_file(AT_FDCWD, rootjson, b.max, 0, &b, &err) < 0)
		goto out;
	if (nip_fetcher_default(NULL, &f, &err) < 0 || cli_open_root(o, 1, &r, &err) < 0)
		goto out;
	rc = nip_txn_track_add(r, name, url, mirrors, nmirrors, (int)priority, pub ? &key : NULL,
			       rootjson ? b.data : NULL, b.len, &f, &err);
out:
	nip_root_close(r);
	nip_fetcher_free(&f);
	nip_buf_free(&b);
	if (rc < 0)
		return cli_fail(o, &err);
	if (o->json) {
		printf("{\"added\":");
		nip_json_str(stdout, name);
		printf("}\n");
	}
	return 0;
}

static int track_list(const struct cli_opts *o)
{
	struct nip_track_info *t = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	size_t n = 0;

	if (cli_open_root(o, 0, &r, &err) < 0) {
		if (err.code != NIP_E_USAGE)
			return cli_fail(o, &err);
	} else if (nip_track_list(r->fd, &t, &n, &err) < 0) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"tracks\":[");
	for (size_t i = 0; i < n; i++) {
		if (o->json) {
			printf("%s{\"name\":", i ? "," : "");
			nip_json_str(stdout, t[i].name);
			printf(",\"url\":");
			nip_json_str(stdout, t[i].url);
			printf(",\"root_version\":%lld,\"timestamp_version\":%lld,\"packages\":%zu}",
			       (long long)t[i].root_version, (long long)t[i].timestamp_version, t[i].packages);
		} else {
			printf("%s %s root v%lld timestamp v%lld %zu packages\n", t[i].name, t[i].url,
			       (long long)t[i].root_version, (long long)t[i].timestamp_version, t[i].packages);
		}
	}
	if (o->json)
		printf("]}\n");
	free(t);
	return 0;
}

static int track_remove(const struct cli_opts *o, const char *name)
{
	struct nip_root *r = NULL;
	struct nip_error err;
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_txn_track_remove(r, name, &err) < 0) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"removed\":\"%s\"}\n", name);
	return 0;
}

static int run_track(const struct cli_opts *o, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return track_init(o, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "rotate") == 0)
		return track_rotate(o, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "authorize") == 0)
		return track_publisher(o, argc - 1, argv + 1, 0);
	if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
		return track_publisher(o, argc - 1, argv + 1, 1);
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return track_add(o, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return track_list(o);
	if (argc == 3 && strcmp(argv[1], "remove") == 0)
		return track_remove(o, argv[2]);
	return cli_usage(o, &cli_cmd_track,
			 "track: expected init, authorize, revoke, rotate, add, list or remove");
}

const struct cli_cmd cli_cmd_track = {
	"track",
	"signed tracks: create and rotate (publisher); add, list, remove (client)",
	"usage: nip track init DIR --root-key ROOT.key --online-key ONLINE.pub\n"
	"                 [--publisher PUB.pub[=GLOB]]... [--name NAME] [--expires DAYS]\n"
	"                 [--bins 16|256|4096] [--passphrase-file FILE]\n"
	"       nip track authorize DIR --root-key ROOT.key --publisher PUB.pub[=GLOB]\n"
	"       nip track revoke DIR --root-key ROOT.key --publisher PUB.pub\n"
	"       nip track rotate DIR --root-key OLD.key --new-root-key NEW.key\n"
	"                 [--online-key NEW.pub] [--passphrase-file FILE]\n"
	"       nip track add NAME URL --pubkey ROOT.pub | --root-json ROOT.json\n"
	"                 [--mirror URL]...   (up to 8; packages are fetched from the\n"
	"                 track's URL, then each mirror, all checked the same)\n"
	"                 [--priority N]      (-1000..1000, default 0: a track of\n"
	"                 higher priority wins whatever the versions)\n"
	"       nip track list\n"
	"       nip track remove NAME\n"
	"\n"
	"A track is a static directory of TUF 1.0 metadata and targets that any web\n"
	"server can serve. init writes its root (signed by the offline root key),\n"
	"naming the online key and the publishers whose packages it accepts, each\n"
	"limited to package names matching GLOB (default *). authorize and revoke\n"
	"write the next root version with a publisher added or removed; rotate\n"
	"writes it signed by the old and the new root keys.\n"
	"\n"
	"add pins a track in the root: its 1.root.json must carry ROOT.pub as root\n"
	"key; refresh then walks the root chain from there. See nip-track(8).\n",
	run_track,
};
