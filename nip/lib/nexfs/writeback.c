/* The import's second pair of hands: a thread that gives objects their
 * names and sends them to the disk while the caller's thread unpacks.
 *
 * The caller only hashes and writes bytes. Creating each temporary inode,
 * the chmod, the link into objects/AB/ and the close (a third of the
 * unpacking thread's kernel time, perf) happen here, on the core that
 * decompression leaves a third idle: the caller takes a ready file from a
 * pool and queues it once its hash matched. Large objects also start their
 * way to the disk at once (sync_file_range), so that the one syncfs() at
 * the end has less left to do. The thread is woken once per BATCH objects,
 * not per object: a wake-up costs about what a link does. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define QUEUE 128
#define BATCH 32
#define POOL 64
#define POOL_LOW 24

struct job {
	struct tmp_file t;
	char name[NIP_OBJECT_NAME_MAX];
	uint32_t mode;
	int start_writeback;
};

struct nip_nexfs_syncer {
	struct nip_nexfs *fs;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the thread waits for work */
	pthread_cond_t done; /* the caller waits for room or for the queue to drain */
	struct job q[QUEUE];
	size_t head, count, busy; /* busy: taken off q, not yet linked */
	struct tmp_file pool[POOL];
	size_t npool;
	int finishing, sleeping, failed, sync_errno;
	struct nip_error err; /* the first object that failed */
};

/* A job's object, named; after the first failure the rest are dropped. */
static void run_job(struct nip_nexfs_syncer *s, struct job *j, int *failed, struct nip_error *err)
{
	if (*failed) {
		tmp_discard(s->fs, &j->t);
		return;
	}
	/* A hint: whatever it fails to start, syncfs writes. */
	if (j->start_writeback)
		(void)sync_file_range(j->t.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (object_name_file(s->fs, &j->t, j->name, j->mode, err) < 0)
		*failed = 1;
}

static void refill(struct nip_nexfs_syncer *s)
{
	struct nip_error ignored;
	for (;;) {
		struct tmp_file t;
		pthread_mutex_lock(&s->mu);
		int full = s->npool >= POOL || s->finishing;
		pthread_mutex_unlock(&s->mu);
		/* A failed open leaves the caller to open its own and report. */
		if (full || tmp_open(s->fs, &t, &ignored) < 0)
			return;
		pthread_mutex_lock(&s->mu);
		s->pool[s->npool++] = t;
		pthread_mutex_unlock(&s->mu);
	}
}

static void *writeback_main(void *arg)
{
	struct nip_nexfs_syncer *s = arg;
	struct job batch[QUEUE];

	refill(s);
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->finishing && s->count < BATCH && s->npool >= POOL_LOW) {
			s->sleeping = 1;
			pthread_cond_wait(&s->wake, &s->mu);
			s->sleeping = 0;
		}
		size_t n = s->count;
		int failed = s->failed;
		struct nip_error err = {0};
		for (size_t i = 0; i < n; i++)
			batch[i] = s->q[(s->head + i) % QUEUE];
		s->head = (s->head + n) % QUEUE;
		s->count = 0;
		s->busy = n;
		pthread_cond_broadcast(&s->done);
		pthread_mutex_unlock(&s->mu);

		for (size_t i = 0; i < n; i++)
			run_job(s, &batch[i], &failed, &err);
		refill(s);

		pthread_mutex_lock(&s->mu);
		if (failed && !s->failed) {
			s->failed = 1;
			s->err = err;
		}
		s->busy = 0;
		pthread_cond_broadcast(&s->done);
		if (s->finishing && !s->count)
			break;
	}
	while (s->npool)
		tmp_discard(s->fs, &s->pool[--s->npool]);
	pthread_mutex_unlock(&s->mu);
	s->sync_errno = syncfs(s->fs->nexfs_fd) < 0 ? errno : 0;
	return NULL;
}

static void wake_locked(struct nip_nexfs_syncer *s)
{
	if (s->sleeping && (s->count >= BATCH || s->npool < POOL_LOW || s->finishing))
		pthread_cond_signal(&s->wake);
}

int writeback_tmp(struct nip_nexfs *fs, struct tmp_file *t)
{
	struct nip_nexfs_syncer *s = fs->writeback;
	int got = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (s->npool && !s->failed) {
		*t = s->pool[--s->npool];
		got = 1;
	}
	wake_locked(s);
	pthread_mutex_unlock(&s->mu);
	return got;
}

int writeback_commit(struct nip_nexfs *fs, struct tmp_file *t, const char *name, uint32_t mode,
		     uint64_t size, struct nip_error *err)
{
	struct nip_nexfs_syncer *s = fs->writeback;
	int rc = 1;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	while (s->count == QUEUE && !s->failed)
		pthread_cond_wait(&s->done, &s->mu);
	if (s->failed) {
		*err = s->err;
		tmp_discard(fs, t);
		rc = -1;
	} else {
		struct job *j = &s->q[(s->head + s->count++) % QUEUE];
		j->t = *t;
		snprintf(j->name, sizeof j->name, "%s", name);
		j->mode = mode;
		j->start_writeback = size >= WRITEBACK_MIN;
		wake_locked(s);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int nip_nexfs_sync_start(struct nip_nexfs *fs, struct nip_nexfs_syncer **out, struct nip_error *err)
{
	struct nip_nexfs_syncer *s = calloc(1, sizeof *s);
	int e;

	if (!s)
		return nip_err(err, NIP_E_NOMEM, "nexfs: out of memory");
	if (fs->writeback) {
		free(s);
		return nip_err(err, NIP_E_INTERNAL, "nexfs: a writeback thread already runs");
	}
	s->fs = fs;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done, NULL);
	if ((e = pthread_create(&s->thread, NULL, writeback_main, s)) != 0) {
		pthread_cond_destroy(&s->done);
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return nip_err_sys(err, NIP_E_IO, e, "nexfs: starting the writeback thread");
	}
	fs->writeback = s;
	*out = s;
	return 0;
}

int nip_nexfs_sync_finish(struct nip_nexfs_syncer *s, struct nip_error *err)
{
	int rc = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	s->fs->writeback = NULL;
	s->finishing = 1;
	pthread_cond_signal(&s->wake);
	while (s->count || s->busy)
		pthread_cond_wait(&s->done, &s->mu);
	if (s->failed) {
		*err = s->err;
		rc = -1;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int nip_nexfs_sync_wait(struct nip_nexfs_syncer *s, struct nip_error *err)
{
	int rc;

	if (!s)
		return 0;
	rc = nip_nexfs_sync_finish(s, err);
	pthread_join(s->thread, NULL);
	if (rc == 0 && s->sync_errno)
		rc = nip_err_sys(err, NIP_E_IO, s->sync_errno, "nexfs: syncfs");
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc;
}
