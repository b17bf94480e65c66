/* Policy files: parsing (untrusted: a package may carry one), narrowing one
 * policy by another, and the rules implied by promises. Grammar in
 * doc/nip-policy.5:
 *
 *   # comment
 *   pledge PROMISE...
 *   execpromises PROMISE...
 *   unveil PATH PERMS        (PERMS: some of r w x c)
 *   rlimit NAME VALUE|unlimited
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nip/cell.h"
#include "nip/limits.h"

/* error and abort say what a refusal does; every other bit grants. */
#define MODE_BITS (NIP_PROMISE(ERROR) | NIP_PROMISE(ABORT))

static const char *const rlimit_names[] = {
#define NIP_X(id, name, res) name,
	NIP_RLIMITS(NIP_X)
#undef NIP_X
};

void nip_policy_free(struct nip_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nunveil; i++)
		free(p->unveil[i].path);
	free(p->unveil);
	free(p);
}

static int add_rule(struct nip_policy *p, const char *path, size_t len, unsigned perms,
		    unsigned layer, int implied, struct nip_error *err)
{
	struct nip_unveil_rule *v;
	char *copy;

	if (p->nunveil >= NIP_UNVEIL_MAX)
		return nip_err(err, NIP_E_LIMIT, "more than %u unveil rules", NIP_UNVEIL_MAX);
	if (!(copy = strndup(path, len)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	v = realloc(p->unveil, (p->nunveil + 1) * sizeof *v);
	if (!v) {
		free(copy);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	p->unveil = v;
	v[p->nunveil++] = (struct nip_unveil_rule){copy, perms, layer, implied};
	return 0;
}

/* An absolute path of plain components: no "." or "..", no empty
 * component, no control bytes. Landlock resolves the path at run time;
 * a ".." here would only make the rule mean something other than it
 * reads. A trailing '/' is dropped. */
static int check_path(const char *s, size_t *len)
{
	size_t n = *len;

	if (n == 0 || s[0] != '/' || n >= NIP_PATH_MAX)
		return -1;
	while (n > 1 && s[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '/' && i + 1 < n) {
			size_t k = i + 1, m = strcspn(s + k, "/");
			if (k + m > n)
				m = n - k;
			if (m == 0 || (m == 1 && s[k] == '.') || (m == 2 && s[k] == '.' && s[k + 1] == '.'))
				return -1;
		}
	}
	*len = n;
	return 0;
}

static int parse_perms(const char *s, unsigned *out)
{
	unsigned perms = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned bit = *s == 'r' ? NIP_UNVEIL_R : *s == 'w' ? NIP_UNVEIL_W
				: *s == 'x' ? NIP_UNVEIL_X : *s == 'c' ? NIP_UNVEIL_C : 0;
		if (!bit || (perms & bit))
			return -1;
		perms |= bit;
	}
	*out = perms;
	return 0;
}

static int parse_rlimit(struct nip_policy *p, char *args, struct nip_error *err)
{
	char *save = NULL, *name = strtok_r(args, " \t", &save), *val = strtok_r(NULL, " \t", &save),
	     *extra = strtok_r(NULL, " \t", &save);
	int64_t v;
	int i;

	if (!name || !val || extra)
		return nip_err(err, NIP_E_FORMAT, "expected 'rlimit NAME VALUE'");
	for (i = 0; i < NIP_RL_COUNT_ && strcmp(name, rlimit_names[i]) != 0; i++)
		;
	if (i == NIP_RL_COUNT_)
		return nip_err(err, NIP_E_FORMAT, "unknown resource limit '%.32s'", name);
	if (p->rlimit_set & (1u << i))
		return nip_err(err, NIP_E_FORMAT, "rlimit %s given twice", name);
	if (strcmp(val, "unlimited") == 0)
		p->rlimit[i] = RLIM_INFINITY;
	else if (nip_parse_i64(val, 0, INT64_MAX, &v) < 0)
		return nip_err(err, NIP_E_FORMAT, "rlimit %s: not a number: '%.32s'", name, val);
	else
		p->rlimit[i] = (uint64_t)v;
	p->rlimit_set |= 1u << i;
	return 0;
}

static int parse_line(struct nip_policy *p, char *line, struct nip_error *err)
{
	char *args, *path, *perms, *save = NULL;
	size_t n;
	unsigned bits;

	args = line + strcspn(line, " \t");
	if (*args)
		*args++ = '\0';
	args += strspn(args, " \t");
	if (strcmp(line, "pledge") == 0 || strcmp(line, "execpromises") == 0) {
		int exec = line[0] == 'e';
		uint64_t set;
		if (exec ? p->has_execpromises : p->has_pledge)
			return nip_err(err, NIP_E_FORMAT, "a second '%s' line", line);
		if (nip_promises_parse(args, &set, err) < 0)
			return -1;
		if (exec) {
			p->execpromises = set;
			p->has_execpromises = 1;
		} else {
			p->promises = set;
			p->has_pledge = 1;
		}
		return 0;
	}
	if (strcmp(line, "unveil") == 0) {
		path = strtok_r(args, " \t", &save);
		perms = strtok_r(NULL, " \t", &save);
		if (!path || !perms || strtok_r(NULL, " \t", &save))
			return nip_err(err, NIP_E_FORMAT, "expected 'unveil PATH PERMS'");
		n = strlen(path);
		if (check_path(path, &n) < 0)
			return nip_err(err, NIP_E_FORMAT,
				       "unveil: the path must be absolute, without '.', '..' or "
				       "empty components");
		if (parse_perms(perms, &bits) < 0)
			return nip_err(err, NIP_E_FORMAT,
				       "unveil: permissions are some of r, w, x, c, each once: '%.16s'",
				       perms);
		for (size_t i = 0; i < p->nunveil; i++)
			if (strlen(p->unveil[i].path) == n && memcmp(p->unveil[i].path, path, n) == 0)
				return nip_err(err, NIP_E_FORMAT, "unveil: %.*s given twice", (int)n,
					       path);
		p->nlayers = 1;
		return add_rule(p, path, n, bits, 0, 0, err);
	}
	if (strcmp(line, "rlimit") == 0)
		return parse_rlimit(p, args, err);
	return nip_err(err, NIP_E_FORMAT, "unknown directive '%.32s'", line);
}

int nip_policy_parse(const char *text, size_t len, const char *what, struct nip_policy **out,
		     struct nip_error *err)
{
	struct nip_policy *p = NULL;
	char line[NIP_POLICY_LINE_MAX], shown[128];
	size_t pos = 0, lineno = 0;

	if (len > NIP_POLICY_MAX)
		return nip_err(err, NIP_E_LIMIT, "%s: policy of %zu bytes (at most %u)",
			       nip_shorten(what, shown, sizeof shown), len, NIP_POLICY_MAX);
	if (memchr(text, '\0', len))
		return nip_err(err, NIP_E_FORMAT, "%s: policy holds a NUL byte",
			       nip_shorten(what, shown, sizeof shown));
	if (!(p = calloc(1, sizeof *p)))
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *s;

		lineno++;
		if (n >= sizeof line) {
			nip_err(err, NIP_E_LIMIT, "%s:%zu: line longer than %u bytes",
				nip_shorten(what, shown, sizeof shown), lineno, NIP_POLICY_LINE_MAX - 1);
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		s = line + strspn(line, " \t");
		for (char *e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		if (parse_line(p, s, err) < 0) {
			nip_err_prefix(err, "%s:%zu: ", nip_shorten(what, shown, sizeof shown), lineno);
			goto fail;
		}
	}
	if (!p->has_pledge) {
		/* An allow-list needs its list: no line means no call allowed
		 * rather than every call. */
		nip_err(err, NIP_E_FORMAT, "%s: no 'pledge' line", nip_shorten(what, shown, sizeof shown));
		goto fail;
	}
	if (!p->has_execpromises)
		p->execpromises = p->promises;
	*out = p;
	return 0;
fail:
	nip_policy_free(p);
	return -1;
}

int nip_policy_narrow(struct nip_policy *p, const struct nip_policy *b, struct nip_error *err)
{
	/* The stricter refusal wins: kill if either says so. */
	uint64_t abort_mode = (p->promises | b->promises) & NIP_PROMISE(ABORT);
	uint64_t mode = abort_mode ? abort_mode : (p->promises | b->promises) & NIP_PROMISE(ERROR);
	unsigned base = p->nlayers;

	if (b->nlayers && p->nlayers + b->nlayers > NIP_UNVEIL_LAYERS_MAX)
		return nip_err(err, NIP_E_LIMIT, "more than %u unveil layers", NIP_UNVEIL_LAYERS_MAX);
	p->promises = (p->promises & b->promises & ~MODE_BITS) | mode;
	p->execpromises = (p->execpromises & b->execpromises & ~MODE_BITS) | mode;
	p->has_execpromises |= b->has_execpromises;
	for (size_t i = 0; i < b->nunveil; i++) {
		const struct nip_unveil_rule *r = &b->unveil[i];
		if (add_rule(p, r->path, strlen(r->path), r->perms, base + r->layer, r->implied, err) < 0)
			return -1;
	}
	p->nlayers += b->nlayers;
	for (int i = 0; i < NIP_RL_COUNT_; i++) {
		if (!(b->rlimit_set & (1u << i)))
			continue;
		if (!(p->rlimit_set & (1u << i)) || b->rlimit[i] < p->rlimit[i])
			p->rlimit[i] = b->rlimit[i];
		p->rlimit_set |= 1u << i;
	}
	return 0;
}

/* What a program needs to start at all (its code and loader cache), and
 * the files promises stand for, as OpenBSD's pledge opens them itself. */
static const struct implied {
	uint64_t when; /* 0: always */
	const char *path;
	unsigned perms;
} implied[] = {
	{0, "/usr", NIP_UNVEIL_R | NIP_UNVEIL_X},
	{0, "/bin", NIP_UNVEIL_R | NIP_UNVEIL_X},
	{0, "/sbin", NIP_UNVEIL_R | NIP_UNVEIL_X},
	{0, "/lib", NIP_UNVEIL_R | NIP_UNVEIL_X},
	{0, "/lib32", NIP_UNVEIL_R | NIP_UNVEIL_X},
	{0, "/lib64", NIP_UNVEIL_R | NIP_UNVEIL_X},
	{0, "/libx32", NIP_UNVEIL_R | NIP_UNVEIL_X},
	{0, "/etc/ld.so.cache", NIP_UNVEIL_R},
	{0, "/etc/localtime", NIP_UNVEIL_R},
	{0, "/dev/null", NIP_UNVEIL_R | NIP_UNVEIL_W},
	{0, "/dev/zero", NIP_UNVEIL_R | NIP_UNVEIL_W},
	{0, "/dev/full", NIP_UNVEIL_R | NIP_UNVEIL_W},
	{0, "/dev/random", NIP_UNVEIL_R},
	{0, "/dev/urandom", NIP_UNVEIL_R},
	{NIP_PROMISE(TTY), "/dev/tty", NIP_UNVEIL_R | NIP_UNVEIL_W},
	{NIP_PROMISE(TTY), "/dev/pts", NIP_UNVEIL_R | NIP_UNVEIL_W},
	{NIP_PROMISE(TTY), "/dev/ptmx", NIP_UNVEIL_R | NIP_UNVEIL_W},
	{NIP_PROMISE(DNS), "/etc/resolv.conf", NIP_UNVEIL_R},
	{NIP_PROMISE(DNS), "/etc/hosts", NIP_UNVEIL_R},
	{NIP_PROMISE(DNS), "/etc/nsswitch.conf", NIP_UNVEIL_R},
	{NIP_PROMISE(DNS), "/etc/gai.conf", NIP_UNVEIL_R},
	{NIP_PROMISE(DNS), "/etc/services", NIP_UNVEIL_R},
	{NIP_PROMISE(GETPW), "/etc/passwd", NIP_UNVEIL_R},
	{NIP_PROMISE(GETPW), "/etc/group", NIP_UNVEIL_R},
	{NIP_PROMISE(GETPW), "/etc/nsswitch.conf", NIP_UNVEIL_R},
	{NIP_PROMISE(TMPPATH), "/tmp", NIP_UNVEIL_R | NIP_UNVEIL_W | NIP_UNVEIL_C},
	{NIP_PROMISE(TMPPATH), "/dev/shm", NIP_UNVEIL_R | NIP_UNVEIL_W | NIP_UNVEIL_C},
	{NIP_PROMISE(PS), "/proc", NIP_UNVEIL_R},
	{NIP_PROMISE(VMINFO), "/proc", NIP_UNVEIL_R},
};

int nip_policy_add_implied(struct nip_policy *p, struct nip_error *err)
{
	for (unsigned layer = 0; layer < p->nlayers; layer++)
		for (size_t i = 0; i < sizeof implied / sizeof *implied; i++) {
			const struct implied *m = &implied[i];
			int dup = 0;
			if (m->when && !(p->promises & m->when))
				continue;
			for (size_t k = 0; k < p->nunveil && !dup; k++)
				dup = p->unveil[k].implied && p->unveil[k].layer == layer && strcmp(p->unveil[k].path, m->path) == 0;
			if (dup)
				continue;
			if (add_rule(p, m->path, strlen(m->path), m->perms, layer, 1, err) < 0)
				return -1;
		}
	return 0;
}
