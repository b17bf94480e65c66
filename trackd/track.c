/* trackd_track: the publish side's state, made once before the privilege
 * drop: the track directory, its private .trackd/ (nonces, packages of a
 * request in progress, a mirror's upstream state), the online key or the
 * mirror's pinned root key. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "pubside.h"

/* Leftovers of requests a crash interrupted: never published (nothing
 * names them), so they go. */
static void empty_dir(int fd)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	while ((e = readdir(d))) {
		int sub;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			empty_dir(sub);
			close(sub);
			unlinkat(fd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(fd, e->d_name, 0);
		}
	}
	closedir(d);
}

static int sub_dir(int at, const char *name, uid_t uid, struct nip_error *err)
{
	int fd;
	if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	/* Made while root: the user trackd drops to must own its state. */
	if (uid != (uid_t)-1 && fchown(fd, uid, (gid_t)-1) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s: chown", name);
		close(fd);
		return -1;
	}
	return fd;
}

static int load_online(struct trackd_track *t, const char *path, struct nip_error *err)
{
	const char *pf = getenv("NIP_PASSPHRASE_FILE");
	char pass[NIP_PASSPHRASE_MAX + 1] = "";
	int rc;
	if (pf && *pf && nip_passphrase_read_file(pf, pass, sizeof pass, err) < 0)
		return nip_err_prefix(err, "--online-key %s: ", path);
	rc = nip_seckey_load(AT_FDCWD, path, pass[0] ? pass : NULL, &t->online, err);
	sodium_memzero(pass, sizeof pass);
	if (rc < 0)
		return nip_err_prefix(err, "--online-key %s: ", path);
	t->have_online = 1;
	return 0;
}

int trackd_track_open(const struct trackd_config *cfg, struct trackd_track **out,
		      struct nip_error *err)
{
	struct trackd_track *t = calloc(1, sizeof *t);
	uid_t uid = (uid_t)-1;

	if (!t)
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	t->dirfd = t->statefd = t->incomingfd = t->mirrorfd = -1;
	pthread_mutex_init(&t->lock, NULL);
	if (cfg->user) {
		struct passwd *pw = getpwnam(cfg->user);
		if (!pw) {
			nip_err(err, NIP_E_USAGE, "--user %s: no such user", cfg->user);
			goto fail;
		}
		uid = pw->pw_uid;
	}
	if (cfg->mirror_url && cfg->online_key) {
		nip_err(err, NIP_E_USAGE, "--mirror serves the upstream's signatures: no --online-key");
		goto fail;
	}
	/* A mirror starts from nothing. */
	if (cfg->mirror_url && mkdir(cfg->track_dir, 0755) < 0 && errno != EEXIST) {
		nip_err_sys(err, NIP_E_IO, errno, "--track %s", cfg->track_dir);
		goto fail;
	}
	if ((t->dirfd = open(cfg->track_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		nip_err_sys(err, NIP_E_USAGE, errno, "--track %s", cfg->track_dir);
		goto fail;
	}
	if ((t->statefd = sub_dir(t->dirfd, ".trackd", uid, err)) < 0 ||
	    (t->incomingfd = sub_dir(t->statefd, "incoming", uid, err)) < 0)
		goto fail;
	empty_dir(t->incomingfd);
	if (trackd_nonces_load(&t->nonces, t->statefd, err) < 0)
		goto fail;
	if (cfg->online_key && load_online(t, cfg->online_key, err) < 0)
		goto fail;
	if (cfg->mirror_url) {
		if (!cfg->mirror_root) {
			nip_err(err, NIP_E_USAGE, "--mirror needs --mirror-root ROOT.pub (the upstream's root key)");
			goto fail;
		}
		if (nip_pubkey_load(AT_FDCWD, cfg->mirror_root, &t->mirror_root, err) < 0) {
			nip_err_prefix(err, "--mirror-root %s: ", cfg->mirror_root);
			goto fail;
		}
		if (!(t->mirror_url = strdup(cfg->mirror_url))) {
			nip_err(err, NIP_E_NOMEM, "out of memory");
			goto fail;
		}
		while (strlen(t->mirror_url) > 1 && t->mirror_url[strlen(t->mirror_url) - 1] == '/')
			t->mirror_url[strlen(t->mirror_url) - 1] = 0;
		t->mirror_interval = cfg->mirror_interval ? cfg->mirror_interval : 60;
		if ((t->mirrorfd = sub_dir(t->statefd, "mirror", uid, err)) < 0 ||
		    nip_fetcher_default(NULL, &t->fetcher, err) < 0)
			goto fail;
		/* The tree the served directory needs, owned by who writes it. */
		{
			const char *dirs[] = {"metadata", "targets", "targets/index", "targets/pkgs"};
			for (size_t i = 0; i < 4; i++) {
				int fd = sub_dir(t->dirfd, dirs[i], uid, err);
				if (fd < 0)
					goto fail;
				fchmod(fd, 0755);
				close(fd);
			}
		}
	}
	*out = t;
	return 0;
fail:
	trackd_track_free(t);
	return -1;
}

void trackd_track_free(struct trackd_track *t)
{
	if (!t)
		return;
	const int fds[] = {t->mirrorfd, t->incomingfd, t->statefd, t->dirfd};
	for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (t->have_online)
		nip_seckey_wipe(&t->online);
	if (t->fetcher.ops)
		nip_fetcher_free(&t->fetcher);
	trackd_nonces_free(&t->nonces);
	free(t->mirror_url);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
