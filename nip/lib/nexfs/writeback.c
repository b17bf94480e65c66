/* The batched fsync of an import, on a thread of its own. While packages
 * unpack, each large committed object (object.c) is handed over and its
 * pages are sent to the disk at once (sync_file_range, which only starts
 * the writes), so that the one syncfs() at the end has less left to do.
 * Done on the caller's thread, starting the writes cost the unpacking
 * thread 8% of an install (block allocation and the loop device's queue
 * run in the caller); here they cost it a dup(). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/* Objects waiting to be sent; when the queue is full one is skipped,
 * which only leaves it to the final syncfs. */
#define QUEUE 256

struct nip_nexfs_syncer {
	struct nip_nexfs *fs;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fds[QUEUE];
	size_t head, count;
	int finishing, errno_;
};

void writeback_push(struct nip_nexfs *fs, int fd)
{
	struct nip_nexfs_syncer *s = fs->writeback;
	int copy;

	if (!s || (copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->count < QUEUE) {
		s->fds[(s->head + s->count++) % QUEUE] = copy;
		copy = -1;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	if (copy >= 0)
		close(copy);
}

static void *writeback_main(void *arg)
{
	struct nip_nexfs_syncer *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->count && !s->finishing)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->count)
			break;
		int fd = s->fds[s->head];
		s->head = (s->head + 1) % QUEUE;
		s->count--;
		pthread_mutex_unlock(&s->mu);
		/* A hint: whatever it fails to start, syncfs below writes. */
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		close(fd);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	s->errno_ = syncfs(s->fs->nexfs_fd) < 0 ? errno : 0;
	return NULL;
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
	pthread_cond_init(&s->cv, NULL);
	if ((e = pthread_create(&s->thread, NULL, writeback_main, s)) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return nip_err_sys(err, NIP_E_IO, e, "nexfs: starting the writeback thread");
	}
	fs->writeback = s;
	*out = s;
	return 0;
}

void nip_nexfs_sync_finish(struct nip_nexfs_syncer *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->fs->writeback = NULL;
	s->finishing = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int nip_nexfs_sync_wait(struct nip_nexfs_syncer *s, struct nip_error *err)
{
	int e;

	if (!s)
		return 0;
	nip_nexfs_sync_finish(s);
	pthread_join(s->thread, NULL);
	e = s->errno_;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return e ? nip_err_sys(err, NIP_E_IO, e, "nexfs: syncfs") : 0;
}
