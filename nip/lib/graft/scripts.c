/* Maintainer scripts are never run at graft time. Each is kept (under
 * usr/share/nip-graft/NAME/) and classified by the commands it may run, so
 * the manifest can say what nip must do at deploy instead: the declarative
 * triggers ldconfig, sysusers and tmpfiles, or "cell" for a script that
 * does anything else and so needs a cell to run in (doc/nip-graft.8).
 * The classifier is deliberately crude and errs towards "arbitrary": a
 * line it does not understand is arbitrary. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum cls { C_NOOP, C_LDCONFIG, C_DECL, C_ARB };

/* Shell words that change nothing, and control-flow keywords. */
static const char *const harmless[] = {"[", "test", "true", ":", "exit", "set", "return", "echo", "printf",
				       "command", NULL};
static const char *const keywords[] = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!",
				       "{", "}", "esac", NULL};
/* Commands whose job nip does itself or does not need in an immutable
 * deployment (alternatives, service enabling, byte-compiling). */
static const char *const declarative[] = {
	"update-alternatives", "deb-systemd-helper", "deb-systemd-invoke", "systemctl", "update-rc.d",
	"invoke-rc.d", "dpkg-maintscript-helper", "py3compile", "py3clean", "pycompile", "pyclean",
	"dpkg-trigger", "update-mime-database", "update-desktop-database", "gtk-update-icon-cache",
	"install-info", "update-menus", "systemd-sysusers", "systemd-tmpfiles", "glib-compile-schemas",
	NULL};

static int in(const char *const *set, const char *w, size_t n)
{
	for (size_t i = 0; set[i]; i++)
		if (strlen(set[i]) == n && strncmp(set[i], w, n) == 0)
			return 1;
	return 0;
}

struct verdict {
	enum cls cls;
	int sysusers, tmpfiles;
};

static void segment(const char *p, const char *end, struct verdict *v)
{
	for (;;) {
		const char *w;
		size_t n;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			return;
		w = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - w);
		if (in(keywords, w, n))
			continue;
		if (n == 4 && strncmp(w, "case", 4) == 0)
			return;
		if (w[n - 1] == ')' && p == end) /* a case label */
			return;
		if (in(harmless, w, n))
			return;
		if (n == 8 && strncmp(w, "ldconfig", 8) == 0) {
			if (v->cls < C_LDCONFIG)
				v->cls = C_LDCONFIG;
			return;
		}
		if (in(declarative, w, n)) {
			if (v->cls < C_DECL)
				v->cls = C_DECL;
			v->sysusers |= n == 16 && strncmp(w, "systemd-sysusers", 16) == 0;
			v->tmpfiles |= n == 16 && strncmp(w, "systemd-tmpfiles", 16) == 0;
			return;
		}
		v->cls = C_ARB;
		return;
	}
}

static void line(const char *p, const char *end, struct verdict *v)
{
	const char *hash = NULL;

	for (const char *q = p; q < end; q++)
		if (*q == '#' && (q == p || isspace((unsigned char)q[-1]))) {
			hash = q;
			break;
		}
	if (hash)
		end = hash;
	/* Command substitution runs commands the segment's first word hides;
	 * only "$(command -v X)" (debhelper's existence test) is understood. */
	for (const char *q = p; q < end; q++)
		if (*q == '`' || (*q == '$' && q + 1 < end && q[1] == '(' &&
				  ((size_t)(end - q) < 13 || strncmp(q, "$(command -v ", 13) != 0))) {
			v->cls = C_ARB;
			return;
		}
	while (p < end) {
		const char *s = p;
		while (p < end && *p != ';' && *p != '|' && *p != '&')
			p++;
		segment(s, p, v);
		while (p < end && (*p == ';' || *p == '|' || *p == '&'))
			p++;
	}
}

int scripts_classify(struct gpkg *g, const char *name, const char *text, size_t len, struct nip_error *err)
{
	static const char *const names[] = {"noop", "ldconfig", "declarative", "arbitrary"};
	struct nip_graft_info *gi = g->meta->graft;
	struct verdict v = {C_NOOP, 0, 0};
	const char *p = text, *end = text + len;
	char entry[128];

	if (len > 2 && text[0] == '#' && text[1] == '!') {
		const char *nl = memchr(text, '\n', len);
		const char *interp = text + 2;
		while (interp < end && *interp == ' ')
			interp++;
		/* Only POSIX shell is understood; perl or python is arbitrary. */
		if (strncmp(interp, "/bin/sh", 7) != 0 && strncmp(interp, "/bin/bash", 9) != 0 &&
		    strncmp(interp, "/bin/dash", 9) != 0)
			v.cls = C_ARB;
		p = nl ? nl + 1 : end;
	}
	while (p < end && v.cls != C_ARB) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line(p, nl, &v);
		p = nl + 1;
	}
	snprintf(entry, sizeof entry, "%s %s", name, names[v.cls]);
	if (gpkg_add_strv(&gi->scripts, &gi->nscripts, entry, err) < 0 ||
	    (v.cls == C_LDCONFIG && gpkg_add_strv(&gi->triggers, &gi->ntriggers, "ldconfig", err) < 0) ||
	    (v.cls == C_ARB && gpkg_add_strv(&gi->triggers, &gi->ntriggers, "cell", err) < 0) ||
	    (v.sysusers && gpkg_add_strv(&gi->triggers, &gi->ntriggers, "sysusers", err) < 0) ||
	    (v.tmpfiles && gpkg_add_strv(&gi->triggers, &gi->ntriggers, "tmpfiles", err) < 0))
		return -1;
	return 0;
}

/* Does directory `dir` of the staged tree hold an entry that `match`es? */
static int dir_has(int stagefd, const char *dir, int (*match)(const char *))
{
	int fd = nip_open_beneath(stagefd, dir, O_RDONLY | O_DIRECTORY, 0, NULL), found = 0;
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while (!found && (de = readdir(d)))
		found = match(de->d_name);
	closedir(d);
	return found;
}

static int is_conf(const char *n)
{
	size_t l = strlen(n);
	return l > 5 && strcmp(n + l - 5, ".conf") == 0;
}

static int is_solib(const char *n)
{
	return strncmp(n, "lib", 3) == 0 && strstr(n, ".so") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int scripts_payload_triggers(struct gpkg *g, struct nip_error *err)
{
	static const char *const libdirs[] = {"lib", "lib64", "usr/lib", "usr/lib64", "lib/x86_64-linux-gnu",
					      "usr/lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu",
					      "usr/lib/aarch64-linux-gnu", "usr/local/lib", NULL};
	struct nip_graft_info *gi = g->meta->graft;
	size_t j = 0;

	for (size_t i = 0; libdirs[i]; i++)
		if (dir_has(g->stagefd, libdirs[i], is_solib)) {
			if (gpkg_add_strv(&gi->triggers, &gi->ntriggers, "ldconfig", err) < 0)
				return -1;
			break;
		}
	if ((dir_has(g->stagefd, "usr/lib/sysusers.d", is_conf) &&
	     gpkg_add_strv(&gi->triggers, &gi->ntriggers, "sysusers", err) < 0) ||
	    (dir_has(g->stagefd, "usr/lib/tmpfiles.d", is_conf) &&
	     gpkg_add_strv(&gi->triggers, &gi->ntriggers, "tmpfiles", err) < 0))
		return -1;
	if (gi->ntriggers > 1)
		qsort(gi->triggers, gi->ntriggers, sizeof *gi->triggers, cmp_str);
	for (size_t i = 0; i < gi->ntriggers; i++) {
		if (j && strcmp(gi->triggers[j - 1], gi->triggers[i]) == 0)
			free(gi->triggers[i]);
		else
			gi->triggers[j++] = gi->triggers[i];
	}
	gi->ntriggers = j;
	return 0;
}
