/* Downloading many targets at once with libcurl's multi interface: up to
 * `parallel` transfers on one thread, each checked against the length and
 * SHA-256 that signed metadata gives before it gets its name. A transfer
 * cut short resumes with Range (from the start if the server ignores it);
 * network failures retry with exponential backoff, then move to the next
 * mirror; a mirror that sends more bytes than signed (endless data) or
 * other bytes (a malicious mirror) is left at once for the next. Slow
 * retrieval is cut by libcurl's low-speed limit. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "curlfns.h"
#include "internal.h"

struct pool;

struct xfer {
	const struct curl_fns *c;
	struct pool *p;
	struct nip_download *job;
	CURL *h;
	size_t base;       /* which of the bases */
	unsigned attempts; /* failures on this base */
	int fd;
	uint64_t got;
	struct nip_sha256 *hash;
	int over, failed_write, running, started;
	double not_before; /* backoff: not started before this time */
	double reported;   /* the last PROGRESS event */
	char url[NIP_URL_MAX + 1024];
	char ebuf[CURL_ERROR_SIZE];
};

/* What the threads share: the queue of jobs, taken in order by whichever
 * thread has a free slot (a thread given a fixed half finished alone
 * while the other idled), and the event callback's lock. */
struct pool {
	struct nip_download *v;
	size_t n;
	const struct nip_download_opts *o;
	const struct curl_fns *c;
	pthread_mutex_t mu;
	size_t next, done;             /* under mu */
	uint64_t all_length;
	_Atomic uint64_t all_got;
	atomic_int stop;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One event to the caller, under the pool's lock so that the callback
 * never runs twice at once. */
static void emit(struct xfer *x, enum nip_download_event_kind kind, const struct nip_error *why,
		 double retry_in, const char *next_url)
{
	struct pool *p = x->p;
	struct nip_download_event ev = {.kind = kind, .job = x->job, .url = x->url, .got = x->got,
					.all_length = p->all_length, .n = p->n,
					.attempt = x->attempts, .retry_in = retry_in,
					.next_url = next_url, .why = why};
	if (!p->o->event)
		return;
	pthread_mutex_lock(&p->mu);
	ev.all_got = atomic_load(&p->all_got);
	ev.ndone = p->done;
	p->o->event(p->o->ctx, &ev);
	pthread_mutex_unlock(&p->mu);
}

/* Back to an empty file: a new mirror, or a server that ignored Range. */
static int restart(struct xfer *x)
{
	atomic_fetch_sub(&x->p->all_got, x->got);
	x->got = 0;
	nip_sha256_reset(x->hash);
	return ftruncate(x->fd, 0) == 0 && lseek(x->fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	double t;

	if (len > x->job->length - x->got) {
		x->over = 1; /* endless data: stop the transfer */
		return 0;
	}
	if (nip_write_full(x->fd, p, len, x->job->path, &x->job->err) < 0) {
		x->failed_write = 1;
		return 0;
	}
	nip_sha256_update(x->hash, p, len);
	x->got += len;
	atomic_fetch_add(&x->p->all_got, len);
	if (x->p->o->event && (t = now()) - x->reported >= 0.1) {
		x->reported = t;
		emit(x, NIP_DL_PROGRESS, NULL, 0, NULL);
	}
	return len;
}

static int start(CURLM *m, struct xfer *x, const struct nip_download_opts *o, struct nip_error *err)
{
	const struct curl_fns *c = x->c;
	int n = snprintf(x->url, sizeof x->url, "%s/%s", o->bases[x->base], x->job->path);

	if (n < 0 || (size_t)n >= sizeof x->url)
		return nip_err(err, NIP_E_LIMIT, "%s: its URL is too long", x->job->path);
	if (!x->h && !(x->h = c->easy_init()))
		return nip_err(err, NIP_E_NOMEM, "libcurl: cannot make a handle");
	x->over = x->failed_write = 0;
	x->ebuf[0] = '\0';
	c->easy_setopt(x->h, CURLOPT_URL, x->url);
	c->easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https,file");
	c->easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	c->easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 1L);
	c->easy_setopt(x->h, CURLOPT_MAXREDIRS, 5L);
	c->easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(x->h, CURLOPT_FAILONERROR, 1L);
	c->easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout ? o->connect_timeout : 10L);
	c->easy_setopt(x->h, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit ? o->low_speed_limit : 1024L);
	c->easy_setopt(x->h, CURLOPT_LOW_SPEED_TIME, o->low_speed_time ? o->low_speed_time : 30L);
	c->easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
	c->easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	c->easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->ebuf);
	c->easy_setopt(x->h, CURLOPT_USERAGENT, "nip");
	/* libcurl's 16 KiB default made a write and a poll per 16 KiB: 5x
	 * slower than the curl tool's larger buffer on loopback. */
	c->easy_setopt(x->h, CURLOPT_BUFFERSIZE, 512L << 10);
	c->easy_setopt(x->h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->got);
	if (c->multi_add_handle(m, x->h) != CURLM_OK)
		return nip_err(err, NIP_E_INTERNAL, "libcurl: cannot add a transfer");
	x->running = 1;
	if (!x->started) {
		x->started = 1;
		emit(x, NIP_DL_START, NULL, 0, NULL);
	}
	return 0;
}

/* Gives the downloaded file its name (no fsync: a cache entry is a
 * package whose signature and every payload hash are checked again when
 * it is installed, so a crash that tears one costs a refetch, never
 * trust; a crash leaves no name on a partial download). */
static int finish(struct xfer *x, int dirfd, struct nip_error *err)
{
	char proc[64], tmp[64];
	int rc = -1;

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", x->fd);
	/* Straight to the name when it is free; a file already there is
	 * replaced through a temporary name, in one rename. */
	if (linkat(AT_FDCWD, proc, dirfd, x->job->name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != EEXIST)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", x->job->name);
	snprintf(tmp, sizeof tmp, ".nip-dl-%d-%ld", (int)getpid(), (long)x->fd);
	unlinkat(dirfd, tmp, 0);
	if (linkat(AT_FDCWD, proc, dirfd, tmp, AT_SYMLINK_FOLLOW) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s", x->job->name);
	} else if (renameat(dirfd, tmp, dirfd, x->job->name) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "%s", x->job->name);
		unlinkat(dirfd, tmp, 0);
	} else {
		rc = 0;
	}
	return rc;
}

/* The bytes matched the signed metadata: the caller's own check, then
 * the name. */
static void land(struct xfer *x, const struct nip_download_opts *o)
{
	struct nip_download *j = x->job;
	int ok = 1;

	if (o->landed && lseek(x->fd, 0, SEEK_SET) != 0) {
		nip_err_sys(&j->err, NIP_E_IO, errno, "%s", j->name);
		ok = 0;
	} else if (o->landed && o->landed(o->ctx, j, x->fd, &j->err) < 0) {
		ok = 0;
	}
	if (ok)
		ok = finish(x, o->dirfd, &j->err) == 0;
	j->ok = ok;
	j->failed = !ok;
	if (ok)
		emit(x, NIP_DL_DONE, NULL, 0, NULL);
	else
		emit(x, NIP_DL_ERROR, &j->err, 0, NULL);
}

/* Failures that the same request would meet again. */
static int permanent(CURLcode res)
{
	switch (res) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return 1;
	default:
		return 0;
	}
}

/* A transfer ended: done, retried here later, or moved to the next base. */
static void ended(struct xfer *x, CURLcode res, const struct nip_download_opts *o, size_t nbases)
{
	struct nip_download *j = x->job;
	uint8_t got[NIP_SHA256_LEN];
	long status = 0;
	int next_base = 0, retry = 0;

	x->running = 0;
	x->c->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (x->failed_write) {
		j->failed = 1; /* a local write: no mirror helps */
		emit(x, NIP_DL_ERROR, &j->err, 0, NULL);
		return;
	}
	if (x->over || res == CURLE_FILESIZE_EXCEEDED) {
		nip_err(&j->err, NIP_E_LIMIT, "%s: more than the %llu bytes signed", x->url,
			(unsigned long long)j->length);
		next_base = 1;
	} else if (res == CURLE_OK && x->got == j->length) {
		nip_sha256_final(x->hash, got);
		if (memcmp(got, j->sha256, NIP_SHA256_LEN) == 0) {
			land(x, o);
			return;
		}
		nip_err(&j->err, NIP_E_TRUST, "%s: sha256 differs from the signed metadata", x->url);
		next_base = 1;
	} else if (res == CURLE_OK) {
		nip_err(&j->err, NIP_E_NETWORK, "%s: %llu of %llu bytes", x->url, (unsigned long long)x->got,
			(unsigned long long)j->length);
		retry = 1;
	} else if (res == CURLE_HTTP_RETURNED_ERROR && (status == 404 || status == 403 || status == 410)) {
		nip_err(&j->err, NIP_E_NETWORK, "%s: not found on the server (HTTP status %ld)", x->url,
			status);
		next_base = 1;
	} else if (res == CURLE_HTTP_RETURNED_ERROR) {
		nip_err(&j->err, NIP_E_NETWORK, "%s: HTTP status %ld", x->url, status);
		retry = 1;
	} else if (res == CURLE_RANGE_ERROR) {
		/* Asked for the rest, the server would send the whole (libcurl
		 * stops there): the next request asks for all of it. */
		nip_err(&j->err, NIP_E_NETWORK, "%s: the server cannot resume; starting over", x->url);
		if (restart(x) < 0) {
			j->failed = 1;
			nip_err_sys(&j->err, NIP_E_IO, errno, "%s", j->name);
			emit(x, NIP_DL_ERROR, &j->err, 0, NULL);
			return;
		}
		retry = 1;
	} else if (res == CURLE_TOO_MANY_REDIRECTS) {
		nip_err(&j->err, NIP_E_NETWORK, "%s: too many redirects", x->url);
		next_base = 1;
	} else if (permanent(res)) {
		/* No retry changes a certificate or a URL: the next base. */
		nip_err(&j->err, NIP_E_NETWORK, "%s: %s", x->url,
			x->ebuf[0] ? x->ebuf : x->c->easy_strerror(res));
		next_base = 1;
	} else {
		nip_err(&j->err, NIP_E_NETWORK, "%s: %s", x->url,
			x->ebuf[0] ? x->ebuf : x->c->easy_strerror(res));
		retry = 1;
	}
	x->attempts++;
	if (retry && x->attempts <= (o->retries ? o->retries : 3)) {
		/* 0.25 s, 0.5 s, 1 s, ...: a server that is briefly down
		 * gets time to come back; the bytes so far are kept. */
		double delay = 0.125 * (double)(1u << x->attempts);
		x->not_before = now() + delay;
		emit(x, NIP_DL_ERROR, &j->err, delay, NULL);
		return;
	}
	if ((retry || next_base) && x->base + 1 < nbases && restart(x) == 0) {
		/* An untrusted mirror's errors matter less than the last
		 * base's: the message names what happened last. */
		emit(x, NIP_DL_ERROR, &j->err, 0, o->bases[x->base + 1]);
		x->base++;
		x->attempts = 0;
		x->not_before = 0;
		return;
	}
	j->failed = 1;
	emit(x, NIP_DL_ERROR, &j->err, 0, NULL);
}

/* The next job of the queue, or NULL when it is empty. */
static struct nip_download *take(struct pool *p)
{
	struct nip_download *j = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->next < p->n && !atomic_load(&p->stop))
		j = &p->v[p->next++];
	pthread_mutex_unlock(&p->mu);
	return j;
}

/* One thread: up to `parallel` transfers on its own multi handle, fed
 * from the shared queue. */
struct share {
	struct pool *p;
	size_t parallel;
	int rc;
	struct nip_error err;
};

/* A job whose target could not be looked up: failed, nothing fetched. */
static int unprepared(struct xfer *s, struct pool *p, struct nip_download *j, struct nip_error *err)
{
	j->failed = 1;
	s->job = j;
	snprintf(s->url, sizeof s->url, "%s", j->path ? j->path : j->name);
	emit(s, NIP_DL_ERROR, &j->err, 0, NULL);
	s->job = NULL;
	pthread_mutex_lock(&p->mu);
	p->done++;
	pthread_mutex_unlock(&p->mu);
	if (p->o->keep_going)
		return 0;
	*err = j->err;
	return -1;
}

/* A free slot gets the next job: a fresh unnamed file and hash. */
static int fill(struct xfer *s, struct pool *p, const struct curl_fns *c, struct nip_error *err)
{
	CURL *h = s->h; /* reused: its connection too */
	struct nip_download *j;

	for (;;) {
		if (!(j = take(p)))
			return 0;
		memset(s, 0, sizeof *s);
		s->c = c;
		s->p = p;
		s->h = h;
		s->fd = -1;
		if (!p->o->prepare || p->o->prepare(p->o->ctx, j, &j->err) == 0)
			break;
		if (unprepared(s, p, j, err) < 0)
			return -1;
	}
	s->job = j;
	if ((s->fd = nip_tmpfile(p->o->dirfd, 0644, err)) < 0 || !(s->hash = nip_sha256_new(err)))
		return -1;
	if (fchmod(s->fd, 0644) < 0)
		return nip_err_sys(err, NIP_E_IO, errno, "%s", j->name);
	return 0;
}

static void *worker(void *arg)
{
	struct share *sh = arg;
	struct pool *p = sh->p;
	const struct nip_download_opts *o = p->o;
	struct nip_error *err = &sh->err;
	struct curl_fns c = *p->c;
	struct xfer *x = NULL;
	CURLM *m = NULL;
	size_t parallel = sh->parallel;
	int rc = -1;

	if (!(m = c.multi_init())) {
		sh->rc = nip_err(err, NIP_E_NOMEM, "libcurl: cannot start");
		return NULL;
	}
	if (!(x = calloc(parallel, sizeof *x))) {
		nip_err(err, NIP_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < parallel; k++)
		x[k].fd = -1;
	while (!atomic_load(&p->stop)) {
		int running, q, busy = 0;
		long wait;
		CURLMsg *msg;
		/* Fill free slots with new jobs; start what waited out its backoff. */
		for (size_t k = 0; k < parallel; k++) {
			struct xfer *s = &x[k];
			if (!s->job && fill(s, p, &c, err) < 0)
				goto out;
			if (s->job && !s->running && !s->job->ok && !s->job->failed && now() >= s->not_before) {
				if (start(m, s, o, err) < 0)
					goto out;
			}
			busy |= s->job != NULL;
		}
		if (!busy)
			break; /* the queue is empty and every slot done */
		if (c.multi_perform(m, &running) != CURLM_OK || c.multi_timeout(m, &wait) != CURLM_OK) {
			nip_err(err, NIP_E_NETWORK, "libcurl: the transfers failed");
			goto out;
		}
		/* libcurl's own timer first, and never more than 5 ms: a new
		 * request on a kept-alive connection (nginx) waited for the
		 * poll to time out, whatever multi_timeout said (100 ms polls
		 * cost 80 ms a transfer; 5 ms ones, nothing measurable). */
		if (wait != 0 && c.multi_poll(m, NULL, 0, wait < 0 || wait > 5 ? 5 : (int)wait, NULL) != CURLM_OK) {
			nip_err(err, NIP_E_NETWORK, "libcurl: the transfers failed");
			goto out;
		}
		c.multi_perform(m, &running);
		while ((msg = c.multi_info_read(m, &q))) {
			struct xfer *s = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (size_t k = 0; k < parallel && !s; k++)
				if (x[k].h == msg->easy_handle && x[k].running)
					s = &x[k];
			if (!s)
				continue;
			c.multi_remove_handle(m, s->h);
			ended(s, msg->data.result, o, o->nbases);
			if (s->job->ok || s->job->failed) {
				pthread_mutex_lock(&p->mu);
				p->done++;
				pthread_mutex_unlock(&p->mu);
				if (s->job->failed && !o->keep_going) {
					*err = s->job->err;
					atomic_store(&p->stop, 1);
					goto out;
				}
				close(s->fd);
				nip_sha256_free(s->hash);
				s->fd = -1;
				s->hash = NULL;
				s->job = NULL;
			}
		}
	}
	rc = 0;
out:
	if (rc < 0)
		atomic_store(&p->stop, 1);
	for (size_t k = 0; x && k < parallel; k++) {
		if (x[k].h) {
			if (x[k].running)
				c.multi_remove_handle(m, x[k].h);
			c.easy_cleanup(x[k].h);
		}
		if (x[k].fd >= 0)
			close(x[k].fd);
		nip_sha256_free(x[k].hash);
	}
	free(x);
	if (m)
		c.multi_cleanup(m);
	sh->rc = rc;
	return NULL;
}

static void *warm(void *arg)
{
	/* Kept loaded (RTLD_NODELETE), as nip_dl_load keeps it. */
	(void)dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	return arg;
}

void nip_download_warm(void)
{
	pthread_attr_t a;
	pthread_t t;

	if (pthread_attr_init(&a) != 0)
		return;
	if (pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0)
		(void)pthread_create(&t, &a, warm, NULL);
	pthread_attr_destroy(&a);
}

/* The transfers run on several threads, each with its own multi handle,
 * taking jobs from one queue: hashing every byte was one thread's limit
 * (0.53x curl --parallel's throughput on loopback). One thread per two
 * transfers, up to two per core: a thread waiting for its sockets leaves
 * the core to one with bytes to hash (on 2 cores, 8 transfers, nginx on
 * loopback: 2 threads 0.85x curl, 3 threads 0.92x, 4 threads 0.93x). */
#define THREADS_MAX 16

static size_t threads_for(size_t n, size_t parallel)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = parallel / 2;

	if (cpus < 2)
		return 1;
	if (nt > (size_t)cpus * 2)
		nt = (size_t)cpus * 2;
	if (nt > n)
		nt = n;
	if (nt > THREADS_MAX)
		nt = THREADS_MAX;
	return nt ? nt : 1;
}

int nip_download_all(struct nip_download *v, size_t n, const struct nip_download_opts *o,
		     struct nip_error *err)
{
	struct curl_fns c;
	struct pool p = {.v = v, .n = n, .o = o, .c = &c, .mu = PTHREAD_MUTEX_INITIALIZER};
	struct share sh[THREADS_MAX];
	pthread_t th[THREADS_MAX];
	size_t parallel = o->parallel ? o->parallel : 8;
	size_t nt = threads_for(n, parallel), started = 0;
	int rc = 0;

	if (!n)
		return 0;
	if (!o->nbases)
		return nip_err(err, NIP_E_USAGE, "download: no URL to fetch from");
	if (curl_fns_load(&c, err) < 0)
		return -1;
	/* Not thread-safe: once, before any thread. */
	if (c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return nip_err(err, NIP_E_INTERNAL, "libcurl: cannot initialise");
	atomic_init(&p.all_got, 0);
	atomic_init(&p.stop, 0);
	for (size_t i = 0; i < n; i++) {
		v[i].ok = v[i].failed = 0;
		p.all_length += v[i].length;
	}
	for (size_t k = 0; k < nt; k++) {
		/* The slots are split between the threads; a thread has at
		 * least one, and no more than there are jobs. */
		size_t share = (parallel + nt - 1 - k) / nt;
		sh[k] = (struct share){&p, share ? share : 1, 0, {0}};
		if (sh[k].parallel > n)
			sh[k].parallel = n;
		if (k + 1 == nt) {
			worker(&sh[k]); /* the last share on this thread */
		} else if (pthread_create(&th[k], NULL, worker, &sh[k]) != 0) {
			continue; /* the other threads take its jobs from the queue */
		} else {
			started |= (size_t)1 << k;
		}
	}
	for (size_t k = 0; k + 1 < nt; k++)
		if (started & ((size_t)1 << k))
			pthread_join(th[k], NULL);
	for (size_t k = 0; k < nt; k++)
		if (sh[k].rc < 0 && rc == 0) {
			*err = sh[k].err;
			rc = -1;
		}
	/* With keep_going, a failed job is reported once all are done. */
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (v[i].failed) {
			*err = v[i].err;
			rc = -1;
		}
	pthread_mutex_destroy(&p.mu);
	return rc;
}
