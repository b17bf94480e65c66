/* `nip policy check`: a policy in words, or as JSON (doc/nip-policy.8). */
#include <inttypes.h>
#include <string.h>
#include <sys/resource.h>

#include "nip/cell.h"

static const char *const rlimit_names[] = {
#define NIP_X(id, name, res) name,
	NIP_RLIMITS(NIP_X)
#undef NIP_X
};

static void perms_letters(unsigned perms, char out[5])
{
	int n = 0;
	if (perms & NIP_UNVEIL_R)
		out[n++] = 'r';
	if (perms & NIP_UNVEIL_W)
		out[n++] = 'w';
	if (perms & NIP_UNVEIL_X)
		out[n++] = 'x';
	if (perms & NIP_UNVEIL_C)
		out[n++] = 'c';
	out[n] = '\0';
}

static void perms_words(unsigned perms, FILE *f)
{
	const char *sep = "";
	static const struct {
		unsigned bit;
		const char *word;
	} w[] = {{NIP_UNVEIL_R, "read"},
		 {NIP_UNVEIL_W, "write"},
		 {NIP_UNVEIL_X, "execute"},
		 {NIP_UNVEIL_C, "create and remove"}};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (perms & w[i].bit) {
			fprintf(f, "%s%s", sep, w[i].word);
			sep = ", ";
		}
}

static void json_promises(FILE *f, uint64_t set)
{
	const char *sep = "";
	fputc('[', f);
	for (int i = 0; i < NIP_P_COUNT_; i++)
		if (set & (UINT64_C(1) << i)) {
			fprintf(f, "%s\"%s\"", sep, nip_promise_name(i));
			sep = ",";
		}
	fputc(']', f);
}

static int has_network(uint64_t set)
{
	return (set & (NIP_PROMISE(INET) | NIP_PROMISE(DNS))) != 0;
}

static void explain_json(const struct nip_policy *p, FILE *f)
{
	char letters[5];
	const char *sep = "";

	fputs("{\"pledge\":", f);
	json_promises(f, p->promises);
	fputs(",\"execpromises\":", f);
	json_promises(f, p->execpromises);
	fprintf(f, ",\"exec\":%s,\"network\":\"%s\",\"on_violation\":\"%s\",\"unveil\":",
		p->promises & NIP_PROMISE(EXEC) ? "true" : "false",
		has_network(p->promises) ? "host" : "loopback",
		p->promises & NIP_PROMISE(ABORT) ? "kill" : "eperm");
	if (!p->nlayers)
		fputs("null", f);
	else {
		fputc('[', f);
		for (size_t i = 0; i < p->nunveil; i++) {
			perms_letters(p->unveil[i].perms, letters);
			fprintf(f, "%s{\"path\":", sep);
			nip_json_str(f, p->unveil[i].path);
			fprintf(f, ",\"perms\":\"%s\",\"layer\":%u,\"implied\":%s}", letters,
				p->unveil[i].layer, p->unveil[i].implied ? "true" : "false");
			sep = ",";
		}
		fputc(']', f);
	}
	fputs(",\"rlimits\":{", f);
	sep = "";
	for (int i = 0; i < NIP_RL_COUNT_; i++)
		if (p->rlimit_set & (1u << i)) {
			if (p->rlimit[i] == (uint64_t)RLIM_INFINITY)
				fprintf(f, "%s\"%s\":null", sep, rlimit_names[i]);
			else
				fprintf(f, "%s\"%s\":%" PRIu64, sep, rlimit_names[i], p->rlimit[i]);
			sep = ",";
		}
	fputs("}}\n", f);
}

void nip_policy_explain(const struct nip_policy *p, int json, FILE *f)
{
	if (json) {
		explain_json(p, f);
		return;
	}
	fputs("system calls (pledge):\n", f);
	for (int i = 0; i < NIP_P_COUNT_; i++)
		if (p->promises & (UINT64_C(1) << i))
			fprintf(f, "  %-10s %s\n", nip_promise_name(i), nip_promise_says(i));
	fprintf(f, "  every other call %s\n",
		p->promises & NIP_PROMISE(ABORT) ? "kills the process" : "fails with EPERM");
	if (!(p->promises & NIP_PROMISE(RPATH)))
		fputs("note: without rpath only statically linked programs start (the dynamic loader "
		      "opens libraries under the filter)\n",
		      f);
	if (!(p->promises & NIP_PROMISE(EXEC)))
		fputs("programs: the program itself starts; it cannot start any other\n", f);
	else if (p->execpromises == p->promises)
		fputs("programs: it may start others, confined as it is\n", f);
	else {
		/* What a started program holds: the execpromises (with stdio),
		 * bounded by the promises, whose filter stays (execwatch.c). */
		uint64_t held = (p->execpromises | NIP_PROMISE(STDIO)) & p->promises;
		fputs("programs: it may start others, which hold only (execpromises):", f);
		for (int i = 0; i < NIP_P_COUNT_; i++)
			if (held & (UINT64_C(1) << i))
				fprintf(f, " %s", nip_promise_name(i));
		fputc('\n', f);
	}
	fprintf(f, "network: %s\n",
		has_network(p->promises) ? "the host's network"
					 : "its own network namespace with only loopback; no IP sockets");
	if (!p->nlayers)
		fputs("files (unveil): no unveil lines: every file the cell's mounts show\n", f);
	for (unsigned layer = 0; layer < p->nlayers; layer++) {
		if (p->nlayers > 1)
			fprintf(f, "files, layer %u of %u (a path must pass every layer):\n", layer + 1,
				p->nlayers);
		else
			fputs("files (unveil):\n", f);
		for (size_t i = 0; i < p->nunveil; i++) {
			const struct nip_unveil_rule *r = &p->unveil[i];
			if (r->layer != layer)
				continue;
			fprintf(f, "  %-24s ", r->path);
			perms_words(r->perms, f);
			fputs(r->implied ? " (implied)\n" : "\n", f);
		}
		fputs("  everything else       hidden\n", f);
	}
	for (int i = 0; i < NIP_RL_COUNT_; i++)
		if (p->rlimit_set & (1u << i)) {
			if (p->rlimit[i] == (uint64_t)RLIM_INFINITY)
				fprintf(f, "limit %s: unlimited\n", rlimit_names[i]);
			else
				fprintf(f, "limit %s: %" PRIu64 " (cannot be raised)\n", rlimit_names[i],
					p->rlimit[i]);
		}
}
