/* nip key generate: an Ed25519 key pair in minisign's format. */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "nip/crypto.h"

static int key_generate(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {{"passphrase-file", required_argument, NULL, 'p'},
						 {NULL, 0, NULL, 0}};
	const char *passfile = NULL;
	char pass[NIP_PASSPHRASE_MAX + 1] = "", id[NIP_KEYID_HEX];
	struct nip_pubkey pub;
	struct nip_seckey sec;
	struct nip_error err;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'p')
			passfile = optarg;
		else
			return cli_usage(o, &cli_cmd_key, "key generate: unknown or incomplete option '%s'",
					 argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage(o, &cli_cmd_key, "key generate: expected one PATH");
	if (passfile && nip_passphrase_read_file(passfile, pass, sizeof pass, &err) < 0)
		return cli_fail(o, &err);
	if (nip_key_generate(&pub, &sec, &err) < 0) {
		rc = cli_fail(o, &err);
		goto out;
	}
	if (nip_key_save(AT_FDCWD, argv[optind], &sec, passfile ? pass : NULL, &err) < 0) {
		rc = cli_fail(o, &err);
		goto out;
	}
	nip_keyid_format(pub.keyid, id);
	if (o->json) {
		printf("{\"keyid\":\"%s\",\"secret\":", id);
		nip_json_str(stdout, argv[optind]);
		printf(",\"encrypted\":%s}\n", passfile ? "true" : "false");
	} else if (o->verbose) {
		printf("key %s: %s (secret), %s.pub (public)\n", id, argv[optind], argv[optind]);
	}
	rc = 0;
out:
	nip_seckey_wipe(&sec);
	sodium_memzero(pass, sizeof pass);
	return rc;
}

static int run(const struct cli_opts *o, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(o, &cli_cmd_key, "key: expected a subcommand (generate)");
	if (strcmp(argv[1], "generate") == 0)
		return key_generate(o, argc - 1, argv + 1);
	return cli_usage(o, &cli_cmd_key, "key: unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cli_cmd_key = {
	"key",
	"make signing keys",
	"usage: nip key generate [--passphrase-file FILE] PATH\n"
	"\n"
	"Writes an Ed25519 secret key to PATH (mode 0600, never overwriting) and its\n"
	"public key to PATH.pub, both in minisign's format.\n"
	"\n"
	"  --passphrase-file FILE  encrypt the secret key with the first line of FILE\n"
	"                          (scrypt, as minisign); unencrypted otherwise\n",
	run,
};
