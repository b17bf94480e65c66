/* nip trust add|list|remove, nip log [verify]: signers and the ProvChain. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "nip/txn.h"

static int trust_add(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_pubkey key;
	struct nip_root *r = NULL;
	struct nip_error err;
	const char *name = NULL, *path = NULL;
	char id[NIP_KEYID_HEX];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return cli_usage(o, &cli_cmd_trust, "trust add: unexpected '%s'", argv[i]);
	}
	if (!path)
		return cli_usage(o, &cli_cmd_trust, "trust add: expected PUB");
	if (nip_pubkey_load(AT_FDCWD, path, &key, &err) < 0)
		return cli_fail(o, &err);
	nip_keyid_format(key.keyid, id);
	if (cli_open_root(o, 1, &r, &err) < 0 || nip_txn_trust_add(r, name ? name : id, &key, &err) < 0) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json) {
		printf("{\"added\":{\"name\":");
		nip_json_str(stdout, name ? name : id);
		printf(",\"keyid\":\"%s\"}}\n", id);
	}
	return 0;
}

static int trust_list(const struct cli_opts *o)
{
	struct nip_trusted *t = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	size_t n = 0;

	if (cli_open_root(o, 0, &r, &err) < 0 || nip_db_trust_list(r->db, &t, &n, &err) < 0) {
		nip_root_close(r);
		if (err.code == NIP_E_USAGE && !o->json)
			return 0; /* no root yet: nothing trusted */
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"keys\":[");
	for (size_t i = 0; i < n; i++) {
		char id[NIP_KEYID_HEX];
		nip_keyid_format(t[i].key.keyid, id);
		if (o->json) {
			printf("%s{\"keyid\":\"%s\",\"name\":", i ? "," : "", id);
			nip_json_str(stdout, t[i].name);
			printf("}");
		} else {
			printf("%s %s\n", id, t[i].name);
		}
	}
	if (o->json)
		printf("]}\n");
	nip_trusted_free(t, n);
	return 0;
}

static int run_trust(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_root *r = NULL;
	struct nip_error err;

	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return trust_add(o, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return trust_list(o);
	if (argc == 3 && strcmp(argv[1], "remove") == 0) {
		if (cli_open_root(o, 1, &r, &err) < 0 || nip_txn_trust_remove(r, argv[2], &err) < 0) {
			nip_root_close(r);
			return cli_fail(o, &err);
		}
		nip_root_close(r);
		if (o->json) {
			printf("{\"removed\":");
			nip_json_str(stdout, argv[2]);
			printf("}\n");
		}
		return 0;
	}
	return cli_usage(o, &cli_cmd_trust, "trust: expected add PUB, list, or remove NAME");
}

static int log_verify(const struct cli_opts *o)
{
	struct nip_root *r = NULL;
	struct nip_error err;
	int64_t bad = 0;

	if (cli_open_root(o, 0, &r, &err) < 0 || nip_txn_log_verify(r, &bad, &err) < 0) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"ok\":true}\n");
	return 0;
}

static int run_log(const struct cli_opts *o, int argc, char **argv)
{
	struct nip_log_entry *e = NULL;
	struct nip_root *r = NULL;
	struct nip_error err;
	int64_t limit = 0;
	size_t n = 0;

	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return log_verify(o);
	if (argc == 3 && strcmp(argv[1], "-n") == 0) {
		if (nip_parse_i64(argv[2], 1, INT64_MAX, &limit) < 0)
			return cli_usage(o, &cli_cmd_log, "log: -n takes a number");
	} else if (argc != 1) {
		return cli_usage(o, &cli_cmd_log, "log: expected [-n N] or verify");
	}
	if (cli_open_root(o, 0, &r, &err) < 0 || nip_provchain_list(r->db, (size_t)limit, &e, &n, &err) < 0) {
		nip_root_close(r);
		return cli_fail(o, &err);
	}
	nip_root_close(r);
	if (o->json)
		printf("{\"entries\":[");
	for (size_t i = 0; i < n; i++) {
		char t[32], h[NIP_SHA256_HEX];
		time_t tt = (time_t)e[i].time;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
		nip_hex(e[i].hash, sizeof e[i].hash, h);
		if (o->json) {
			printf("%s{\"seq\":%lld,\"time\":\"%s\",\"event\":", i ? "," : "", (long long)e[i].seq, t);
			nip_json_str(stdout, e[i].event);
			printf(",\"subject\":");
			nip_json_str(stdout, e[i].subject);
			printf(",\"details\":");
			nip_json_str(stdout, e[i].details);
			printf(",\"hash\":\"%s\"}", h);
		} else {
			printf("%5lld %s %-12s %s\n      %s\n", (long long)e[i].seq, t, e[i].event, e[i].details,
			       e[i].subject);
		}
	}
	if (o->json)
		printf("]}\n");
	nip_log_entry_free(e, n);
	return 0;
}

const struct cli_cmd cli_cmd_trust = {
	"trust", "trust a signer of local .nip files",
	"usage: nip trust add PUB [--name N] | nip trust list | nip trust remove NAME\n"
	"\n"
	"  --name N    a name for the key (default: its key id)\n",
	run_trust,
};

const struct cli_cmd cli_cmd_log = {
	"log", "ProvChain, the signed log of every change",
	"usage: nip log [-n N] | nip log verify\n"
	"\n"
	"Newest first. `nip log verify` checks every entry's hash, link and\n"
	"signature and names the first altered, missing or reordered one (exit 3).\n",
	run_log,
};
