/* POST /publish: the request's signature first (who, when, which body,
 * not seen before), then the packages: each one's manifest signed by a
 * publisher the root lists and its name one the request's signer may
 * publish, then nip_track_publish, which verifies every byte and re-signs
 * (timestamp.json last). Every refusal is a status and a JSON reason. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "nip/package.h"
#include "pubside.h"

static int reply_doc(struct trackd_reply *reply, unsigned status, json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	size_t n;
	json_decref(doc);
	if (!s)
		return -1;
	n = strlen(s);
	/* One line, as the HTTP side sends it. */
	reply->json = realloc(s, n + 2);
	if (!reply->json) {
		free(s);
		return -1;
	}
	reply->json[n] = '\n';
	reply->json[n + 1] = 0;
	reply->len = n + 1;
	reply->status = status;
	return 0;
}

static int refuse(struct trackd_reply *reply, unsigned status, const char *code, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
static int refuse(struct trackd_reply *reply, unsigned status, const char *code, const char *fmt,
		  ...)
{
	char msg[NIP_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return reply_doc(reply, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
}

/* ---- the request signature ----------------------------------------- */

struct body_hash {
	uint8_t sha[NIP_SHA256_LEN];
};

static int hash_body(int fd, uint64_t len, struct body_hash *out, struct nip_error *err)
{
	struct nip_sha256 *h = nip_sha256_new(err);
	char buf[1 << 16];
	uint64_t got = 0;
	ssize_t r = 0;
	if (!h)
		return -1;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		nip_sha256_free(h);
		return nip_err_sys(err, NIP_E_IO, errno, "request body");
	}
	while (got < len && (r = nip_read_some(fd, buf, sizeof buf, "request body", err)) > 0) {
		nip_sha256_update(h, buf, (size_t)r);
		got += (uint64_t)r;
	}
	nip_sha256_final(h, out->sha);
	nip_sha256_free(h);
	if (r < 0)
		return -1;
	if (got != len)
		return nip_err(err, NIP_E_FORMAT, "request body: %llu bytes, not %llu",
			       (unsigned long long)got, (unsigned long long)len);
	return 0;
}

/* 0 with *who the request's signer; else the reply is made. */
static int check_request(struct trackd_track *t, const struct trackd_request *req,
			 const struct nip_track_publisher *pubs, size_t npubs, struct nip_pubreq *r,
			 struct trackd_reply *reply)
{
	const char *auth = req->header(req->cls, "Authorization");
	const char *host = req->header(req->cls, "Host");
	const struct nip_pubkey *key = NULL;
	struct nip_error err;
	struct body_hash bh;
	time_t now = time(NULL);
	char id[NIP_KEYID_HEX];

	if (!auth || !*auth)
		return refuse(reply, 401, "unsigned",
			      "the request is not signed (no Authorization header); use nip publish --key"),
		       -1;
	if (nip_pubreq_parse(auth, r, &err) < 0)
		return refuse(reply, 400, "malformed", "%s", err.msg), -1;
	if (!host || !*host || strlen(host) > 255 || strchr(host, '\n'))
		return refuse(reply, 400, "malformed", "the request has no Host header"), -1;
	if (r->time > (int64_t)now + NIP_PUBREQ_WINDOW || r->time < (int64_t)now - NIP_PUBREQ_WINDOW)
		return refuse(reply, 401, "expired",
			      "the request was signed at %lld, %lld s from this server's clock (window %d s)",
			      (long long)r->time, (long long)(r->time - (int64_t)now), NIP_PUBREQ_WINDOW),
		       -1;
	for (size_t i = 0; i < npubs && !key; i++)
		if (memcmp(pubs[i].key.keyid, r->keyid, NIP_KEYID_LEN) == 0)
			key = &pubs[i].key;
	nip_keyid_format(r->keyid, id);
	if (!key)
		return refuse(reply, 401, "unknown-key",
			      "key %s is not a publisher of this track (nip track authorize)", id),
		       -1;
	if (hash_body(req->body_fd, req->body_len, &bh, &err) < 0)
		return refuse(reply, 400, "malformed", "%s", err.msg), -1;
	if (sodium_memcmp(bh.sha, r->body_sha256, NIP_SHA256_LEN) != 0)
		return refuse(reply, 401, "bad-signature", "the body is not the one that was signed"), -1;
	if (nip_pubreq_verify(r, key, req->method, req->path, host, &err) < 0)
		return refuse(reply, 401, "bad-signature", "signature by key %s: %s", id, err.msg), -1;
	(void)t;
	return 0;
}

/* ---- the packages -------------------------------------------------- */

struct unpack {
	int dirfd;
	char **names;
	size_t n;
};

static int save_one(void *ctx, const char *name, int fd, uint64_t size, struct nip_error *err)
{
	struct unpack *u = ctx;
	char buf[1 << 16];
	int out = openat(u->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = -1;
	if (out < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", name);
	/* Named at once, so that a failed copy is removed with the rest. */
	if (!(u->names[u->n] = strdup(name))) {
		unlinkat(u->dirfd, name, 0);
		close(out);
		return nip_err(err, NIP_E_NOMEM, "out of memory");
	}
	u->n++;
	while (size) {
		ssize_t r = nip_read_some(fd, buf, size < sizeof buf ? size : sizeof buf, "request body", err);
		if (r <= 0) {
			if (r == 0)
				nip_err(err, NIP_E_FORMAT, "request body: truncated");
			goto out;
		}
		if (nip_write_full(out, buf, (size_t)r, name, err) < 0)
			goto out;
		size -= (uint64_t)r;
	}
	rc = 0;
out:
	close(out);
	return rc;
}

struct collected {
	json_t *list;
};

static void report(void *ctx, const char *name, const char *version, const char *arch,
		   const char *target)
{
	struct collected *c = ctx;
	json_array_append_new(c->list, json_pack("{s:s, s:s, s:s, s:s}", "name", name, "version",
						 version, "arch", arch, "target", target));
}

static int disk_full(const struct nip_error *e)
{
	return e->errnum == ENOSPC || e->errnum == EDQUOT;
}

/* Messages name files by where trackd put them: /proc/self/fd/N/NAME
 * says nothing to a publisher, NAME does. */
static void strip_paths(char *msg, const char *prefix)
{
	size_t pl = strlen(prefix);
	char *p;
	while ((p = strstr(msg, prefix)))
		memmove(p, p + pl, strlen(p + pl) + 1);
}

static int publish_packages(struct trackd_track *t, int dirfd, const struct unpack *u,
			    const struct nip_pubreq *r, const struct nip_track_publisher *pubs,
			    size_t npubs, struct trackd_reply *reply)
{
	struct nip_pubkey *keys = calloc(npubs + 1, sizeof *keys);
	char **paths = calloc(u->n + 1, sizeof *paths), prefix[64], id[NIP_KEYID_HEX];
	struct collected c = {json_array()};
	struct nip_error err;
	int rc = -1;

	if (!keys || !paths || !c.list)
		goto out;
	for (size_t i = 0; i < npubs; i++)
		keys[i] = pubs[i].key;
	snprintf(prefix, sizeof prefix, "/proc/self/fd/%d/", dirfd);
	nip_keyid_format(r->keyid, id);
	for (size_t i = 0; i < u->n; i++) {
		struct nip_package *p = NULL;
		int fd = openat(dirfd, u->names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int ok;
		if (fd < 0 || nip_package_read_head(fd, keys, npubs, &p, &err) < 0) {
			if (fd < 0)
				nip_err_sys(&err, NIP_E_IO, errno, "open");
			if (fd >= 0)
				close(fd);
			rc = refuse(reply, 422, "package-invalid", "%s: %s", u->names[i], err.msg);
			goto out;
		}
		close(fd);
		/* The request's signer answers for every name it uploads. */
		ok = nip_track_publisher_allowed(pubs, npubs, r->keyid, p->manifest->name);
		if (!ok) {
			rc = refuse(reply, 403, "not-authorised",
				    "publisher %s may not publish '%s' on this track", id, p->manifest->name);
			nip_package_free(p);
			goto out;
		}
		nip_package_free(p);
		size_t n = strlen(prefix) + strlen(u->names[i]) + 1;
		if (!(paths[i] = malloc(n)))
			goto out;
		snprintf(paths[i], n, "%s%s", prefix, u->names[i]);
	}
	if (nip_track_publish(t->dirfd, &t->online, (const char *const *)paths, u->n, report, &c,
			      &err) < 0) {
		strip_paths(err.msg, prefix);
		if (disk_full(&err))
			rc = refuse(reply, 507, "disk-full", "%s", err.msg);
		else if (err.code == NIP_E_TRUST || err.code == NIP_E_FORMAT || err.code == NIP_E_LIMIT)
			rc = refuse(reply, 422, "package-invalid", "%s", err.msg);
		else if (err.code == NIP_E_USAGE)
			rc = refuse(reply, 409, "conflict", "%s", err.msg);
		else
			rc = refuse(reply, 500, "internal", "%s", err.msg);
		goto out;
	}
	rc = reply_doc(reply, 200, json_pack("{s:O}", "published", c.list));
out:
	for (size_t i = 0; paths && i < u->n; i++)
		free(paths[i]);
	free(paths);
	free(keys);
	json_decref(c.list);
	return rc;
}

/* Unpacks the body into a fresh incoming directory and publishes it; the
 * directory goes whatever happens. Called with t->lock held. */
static int unpack_and_publish(struct trackd_track *t, const struct trackd_request *req,
			      const struct nip_pubreq *r, const struct nip_track_publisher *pubs,
			      size_t npubs, struct trackd_reply *reply)
{
	struct unpack u = {-1, calloc(NIP_PUBLISH_FILES_MAX, sizeof(char *)), 0};
	struct nip_error err;
	char dname[32];
	int rc = -1;

	if (!u.names)
		return -1;
	snprintf(dname, sizeof dname, "r%lu", ++t->seq);
	if (mkdirat(t->incomingfd, dname, 0700) < 0 ||
	    (u.dirfd = openat(t->incomingfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = errno == ENOSPC || errno == EDQUOT
			     ? refuse(reply, 507, "disk-full", "no space left for the upload")
			     : refuse(reply, 500, "internal", "incoming directory: %s", strerror(errno));
		goto out;
	}
	if (nip_publish_body_read(req->body_fd, req->body_len, save_one, &u, &err) < 0) {
		if (disk_full(&err))
			rc = refuse(reply, 507, "disk-full", "%s", err.msg);
		else if (err.code == NIP_E_LIMIT)
			rc = refuse(reply, 413, "too-large", "%s", err.msg);
		else if (err.code == NIP_E_FORMAT)
			rc = refuse(reply, 400, "malformed", "%s", err.msg);
		else
			rc = refuse(reply, 500, "internal", "%s", err.msg);
		goto out;
	}
	rc = publish_packages(t, u.dirfd, &u, r, pubs, npubs, reply);
out:
	for (size_t i = 0; i < u.n; i++) {
		unlinkat(u.dirfd, u.names[i], 0);
		free(u.names[i]);
	}
	free(u.names);
	if (u.dirfd >= 0) {
		close(u.dirfd);
		unlinkat(t->incomingfd, dname, AT_REMOVEDIR);
	}
	return rc;
}

int trackd_publish(struct trackd_track *t, const struct trackd_request *req,
		   struct trackd_reply *reply)
{
	struct nip_track_publisher *pubs = NULL;
	struct nip_pubreq r;
	struct nip_error err;
	size_t npubs = 0;
	int rc, used;

	memset(reply, 0, sizeof *reply);
	if (t->mirror_url)
		return refuse(reply, 403, "mirror",
			      "this trackd mirrors %.200s and accepts no publishes; publish there",
			      t->mirror_url);
	if (strcmp(req->method, "POST") != 0)
		return refuse(reply, 405, "method", "publish with POST");
	if (!t->have_online)
		return refuse(reply, 405, "read-only", "this trackd holds no online key");
	/* The publishers of the root as it is now: an authorisation or a
	 * revocation takes effect with the next request. */
	if (nip_track_dir_publishers(t->dirfd, &pubs, &npubs, &err) < 0)
		return refuse(reply, 500, "internal", "%s", err.msg);
	if (check_request(t, req, pubs, npubs, &r, reply) < 0) {
		rc = reply->json ? 0 : -1;
		goto out;
	}
	pthread_mutex_lock(&t->lock);
	used = trackd_nonces_use(&t->nonces, &r, time(NULL), &err);
	if (used == 1)
		rc = refuse(reply, 401, "replayed", "this request was already received (nonce seen)");
	else if (used < 0)
		rc = err.code == NIP_E_BUSY ? refuse(reply, 503, "busy", "%s", err.msg)
		     : disk_full(&err)      ? refuse(reply, 507, "disk-full", "%s", err.msg)
					    : refuse(reply, 500, "internal", "%s", err.msg);
	else
		rc = unpack_and_publish(t, req, &r, pubs, npubs, reply);
	pthread_mutex_unlock(&t->lock);
out:
	free(pubs);
	sodium_memzero(&r, sizeof r);
	return rc;
}
