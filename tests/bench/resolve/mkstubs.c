/* Stub packages for the resolution benchmark: one signed .nip, with an
 * empty payload, per JSON line of debian-index.py (name, version, arch,
 * summary, relations), written into OUTDIR. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "nip/crypto.h"
#include "nip/package.h"

static const char *const fields[NIP_REL_COUNT] = {"depends", "provides", "conflicts", "obsoletes",
						  "recommends"};

int main(int argc, char **argv)
{
	struct nip_seckey key;
	struct nip_error err;
	char line[1 << 20];
	int empty, out, n = 0, bad = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: mkstubs KEY EMPTYDIR OUTDIR < index.jsonl\n");
		return 2;
	}
	if (nip_seckey_load(AT_FDCWD, argv[1], NULL, &key, &err) < 0 ||
	    (empty = open(argv[2], O_RDONLY | O_DIRECTORY)) < 0 || (out = open(argv[3], O_RDONLY | O_DIRECTORY)) < 0) {
		fprintf(stderr, "mkstubs: %s\n", err.msg);
		return 1;
	}
	while (fgets(line, sizeof line, stdin)) {
		json_t *j = json_loads(line, 0, NULL);
		struct nip_manifest m = {0};
		struct nip_pack_opts po = {.key = &key, .meta = &m, .source_date_epoch = 1700000000, .level = 1, .threads = 1};
		uint8_t cid[NIP_SHA256_LEN];
		char name[600];

		if (!j)
			continue;
		m.name = (char *)json_string_value(json_object_get(j, "name"));
		m.version = (char *)json_string_value(json_object_get(j, "version"));
		m.arch = (char *)json_string_value(json_object_get(j, "arch"));
		m.summary = (char *)json_string_value(json_object_get(j, "summary"));
		if (m.summary && !*m.summary)
			m.summary = NULL;
		for (int k = 0; k < NIP_REL_COUNT; k++) {
			json_t *a = json_object_get(j, fields[k]);
			m.nrel[k] = json_array_size(a);
			m.rel[k] = calloc(m.nrel[k] + 1, sizeof(char *));
			for (size_t i = 0; i < m.nrel[k]; i++)
				m.rel[k][i] = (char *)json_string_value(json_array_get(a, i));
		}
		snprintf(name, sizeof name, "%s-%s-%s.nip", m.name, m.version, m.arch);
		for (char *p = name; *p; p++)
			if (*p == ':')
				*p = '_';
		if (nip_package_write(empty, &po, out, name, cid, &err) < 0) {
			if (bad++ < 10)
				fprintf(stderr, "mkstubs: %s: %s\n", name, err.msg);
		} else {
			n++;
		}
		for (int k = 0; k < NIP_REL_COUNT; k++)
			free(m.rel[k]);
		json_decref(j);
	}
	fprintf(stderr, "mkstubs: %d packages written, %d refused\n", n, bad);
	return 0;
}
