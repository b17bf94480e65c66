/* Reading the zstd layer of a .nip. Decompression (1.6 GB/s here) and
 * SHA-256 (2 GB/s) are each about as fast as the other, so a thread
 * decompresses ahead into a small ring of chunks while the caller hashes:
 * verify then costs little more than decompression alone, and memory stays
 * fixed whatever the package size. The compressed bytes go to the sink on
 * the decompressing thread, as they are consumed: the caller's thread,
 * which also writes the store during an install, was the busier one
 * (perf: 70% of an install's samples against 30%). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader, ZSTD_d_windowLogMax */
#include <zstd.h>

#include "internal.h"
#include "nip/limits.h"

#define CHUNK (256u << 10)
#define NCHUNKS 4

struct chunk {
	unsigned char *data;
	size_t len;
	int last;      /* the stream ended after this chunk */
	int frame_end; /* frame number frame_end ended with this chunk, or 0 */
	int failed;    /* err holds why */
	struct nip_error err;
};

struct zread {
	/* producer side */
	int fd;
	ZSTD_DCtx *d;
	unsigned char *in;
	size_t in_cap;
	ZSTD_inBuffer inb;
	int eof, in_frame, frames;
	uint64_t zin, zout;
	atomic_int ratio_cap; /* cleared once a signature bounds the output */

	/* hand-over */
	int threaded, started, stop;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk ring[NCHUNKS];
	size_t head, count;

	/* The compressed bytes exactly as the decompressor consumed them: the
	 * reader checks and hashes what was decompressed, so nothing is read
	 * twice and a changing or unseekable file cannot differ. */
	zread_sink *zsink;
	void *zsink_ctx;

	/* consumer side */
	struct chunk *cur;
	size_t pos;
};

static int fill_input(struct zread *z, struct nip_error *err)
{
	ssize_t r;
	if (z->inb.pos > 0) {
		memmove(z->in, z->in + z->inb.pos, z->inb.size - z->inb.pos);
		z->inb.size -= z->inb.pos;
		z->inb.pos = 0;
	}
	r = nip_read_some(z->fd, z->in + z->inb.size, z->in_cap - z->inb.size, "package", err);
	if (r < 0)
		return -1;
	if (r == 0)
		z->eof = 1;
	z->inb.size += (size_t)r;
	z->zin += (uint64_t)r;
	return 0;
}

/* Every frame must carry a checksum and stay within the window cap; a
 * skippable frame or a dictionary would be bytes no signature covers. */
static int check_frame(struct zread *z, struct nip_error *err)
{
	ZSTD_frameHeader fh;
	size_t r;

	for (;;) {
		r = ZSTD_getFrameHeader(&fh, z->in + z->inb.pos, z->inb.size - z->inb.pos);
		if (ZSTD_isError(r))
			return nip_err(err, NIP_E_FORMAT, z->frames ? "data after the last zstd frame"
								    : "not a nip package (no zstd frame)");
		if (r == 0)
			break;
		if (z->eof)
			return nip_err(err, NIP_E_FORMAT, "truncated (in a zstd frame header)");
		if (fill_input(z, err) < 0)
			return -1;
	}
	if (fh.frameType == ZSTD_skippableFrame)
		return nip_err(err, NIP_E_FORMAT, "skippable zstd frame (not allowed in a .nip)");
	/* The head frame is raw and rebuilt by the reader instead. */
	if (!fh.checksumFlag && z->frames > 0)
		return nip_err(err, NIP_E_FORMAT, "zstd frame without a checksum");
	if (fh.dictID)
		return nip_err(err, NIP_E_FORMAT, "zstd frame needs a dictionary");
	if (fh.windowSize > (1ull << NIP_ZSTD_WINDOW_LOG_MAX))
		return nip_err(err, NIP_E_LIMIT, "zstd window of %llu bytes exceeds the limit of %llu",
			       (unsigned long long)fh.windowSize, 1ull << NIP_ZSTD_WINDOW_LOG_MAX);
	z->in_frame = 1;
	z->frames++;
	return 0;
}

static int produce(struct zread *z, struct chunk *c)
{
	ZSTD_outBuffer out = {c->data, CHUNK, 0};

	while (out.pos < out.size) {
		size_t r;
		if (z->inb.pos == z->inb.size) {
			if (z->eof)
				break;
			if (fill_input(z, &c->err) < 0)
				return -1;
			continue;
		}
		if (!z->in_frame && check_frame(z, &c->err) < 0)
			return -1;
		{
			size_t before = z->inb.pos;
			r = ZSTD_decompressStream(z->d, &out, &z->inb);
			if (!ZSTD_isError(r) && z->zsink && z->inb.pos > before)
				z->zsink(z->zsink_ctx, z->in + before, z->inb.pos - before, z->frames);
		}
		if (ZSTD_isError(r))
			return nip_err(&c->err, NIP_E_FORMAT, "corrupt compressed data: %s",
				       ZSTD_getErrorName(r));
		if (r == 0) {
			/* A chunk ends with its frame, so the reader can tell
			 * where frames end. */
			z->in_frame = 0;
			c->frame_end = z->frames;
			break;
		}
		if (atomic_load(&z->ratio_cap) && z->zout + out.pos > NIP_RATIO_GRACE &&
		    z->zout + out.pos > (uint64_t)NIP_RATIO_MAX * z->zin)
			return nip_err(&c->err, NIP_E_LIMIT,
				       "compression ratio exceeds %u:1 (a decompression bomb?)",
				       NIP_RATIO_MAX);
	}
	z->zout += out.pos;
	c->len = out.pos;
	if (z->eof && z->inb.pos == z->inb.size) {
		if (z->in_frame)
			return nip_err(&c->err, NIP_E_FORMAT, "truncated (in a zstd frame)");
		if (!z->frames)
			return nip_err(&c->err, NIP_E_FORMAT, "not a nip package (empty file)");
		c->last = 1;
	}
	return 0;
}

static void *producer(void *arg)
{
	struct zread *z = arg;
	size_t tail = 0;

	for (;;) {
		struct chunk *c;
		pthread_mutex_lock(&z->mu);
		while (z->count == NCHUNKS && !z->stop)
			pthread_cond_wait(&z->cv, &z->mu);
		if (z->stop) {
			pthread_mutex_unlock(&z->mu);
			break;
		}
		pthread_mutex_unlock(&z->mu);
		c = &z->ring[tail];
		c->len = 0;
		c->last = c->frame_end = 0;
		c->failed = produce(z, c) < 0;
		pthread_mutex_lock(&z->mu);
		tail = (tail + 1) % NCHUNKS;
		z->count++;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
		if (c->failed || c->last)
			break;
	}
	return NULL;
}

void zread_free(struct zread *z)
{
	if (!z)
		return;
	if (z->started) {
		pthread_mutex_lock(&z->mu);
		z->stop = 1;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
		pthread_join(z->th, NULL);
	}
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv);
	for (int i = 0; i < NCHUNKS; i++)
		free(z->ring[i].data);
	ZSTD_freeDCtx(z->d);
	free(z->in);
	free(z);
}

struct zread *zread_new(int fd, int threaded, zread_sink *sink, void *sink_ctx,
			struct nip_error *err)
{
	struct zread *z = calloc(1, sizeof *z);

	if (!z) {
		nip_err(err, NIP_E_NOMEM, "package reader: out of memory");
		return NULL;
	}
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	z->fd = fd;
	z->threaded = threaded;
	z->zsink = sink;
	z->zsink_ctx = sink_ctx;
	atomic_init(&z->ratio_cap, 1);
	z->in_cap = ZSTD_DStreamInSize();
	z->in = malloc(z->in_cap);
	z->d = ZSTD_createDCtx();
	for (int i = 0; i < (threaded ? NCHUNKS : 1); i++)
		if (!(z->ring[i].data = malloc(CHUNK)))
			goto fail;
	if (!z->in || !z->d ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(z->d, ZSTD_d_windowLogMax, NIP_ZSTD_WINDOW_LOG_MAX)))
		goto fail;
	z->inb.src = z->in;
	if (threaded) {
		if (pthread_create(&z->th, NULL, producer, z) != 0)
			goto fail;
		z->started = 1;
	}
	return z;
fail:
	nip_err(err, NIP_E_NOMEM, "package reader: out of memory");
	zread_free(z);
	return NULL;
}

/* The next chunk, or the failure that ended the stream. */
static int next_chunk(struct zread *z, struct nip_error *err)
{
	if (!z->threaded) {
		struct chunk *c = &z->ring[0];
		if (c->last || c->failed)
			goto done;
		c->len = 0;
		c->frame_end = 0;
		c->failed = produce(z, c) < 0;
		z->cur = c;
		goto done;
	}
	pthread_mutex_lock(&z->mu);
	if (z->cur) {
		if (z->cur->last || z->cur->failed) {
			pthread_mutex_unlock(&z->mu);
			goto done;
		}
		z->head = (z->head + 1) % NCHUNKS;
		z->count--;
		pthread_cond_broadcast(&z->cv);
	}
	while (z->count == 0)
		pthread_cond_wait(&z->cv, &z->mu);
	z->cur = &z->ring[z->head];
	pthread_mutex_unlock(&z->mu);
done:
	z->pos = 0;
	if (z->cur->failed) {
		if (err)
			*err = z->cur->err;
		return -1;
	}
	return 0;
}


int zread_peek(struct zread *z, const unsigned char **p, size_t *len, size_t max,
	       struct nip_error *err)
{
	while (!z->cur || z->pos == z->cur->len) {
		if (z->cur && z->cur->last && !z->cur->failed) {
			*len = 0;
			return 0;
		}
		if (next_chunk(z, err) < 0)
			return -1;
	}
	*p = z->cur->data + z->pos;
	*len = z->cur->len - z->pos < max ? z->cur->len - z->pos : max;
	return 0;
}

void zread_advance(struct zread *z, size_t n)
{
	z->pos += n;
}

int zread_exact(struct zread *z, void *dst, size_t n, struct nip_error *err)
{
	unsigned char *q = dst;
	while (n) {
		const unsigned char *p;
		size_t len;
		if (zread_peek(z, &p, &len, n, err) < 0)
			return -1;
		if (!len)
			return nip_err(err, NIP_E_FORMAT, "truncated");
		memcpy(q, p, len);
		zread_advance(z, len);
		q += len;
		n -= len;
	}
	return 0;
}

int zread_expect_end(struct zread *z, int frames, struct nip_error *err)
{
	const unsigned char *p;
	size_t len;
	if (zread_peek(z, &p, &len, 1, err) < 0)
		return -1;
	if (len)
		return nip_err(err, NIP_E_FORMAT, "data after the end of the archive");
	/* The producer has finished: its frame count is final. */
	if (z->frames != frames)
		return nip_err(err, NIP_E_FORMAT, "%d zstd frames where a .nip has %d", z->frames, frames);
	return 0;
}

int zread_frame_ended(const struct zread *z)
{
	return z->cur && z->pos == z->cur->len && !z->cur->failed ? z->cur->frame_end : 0;
}

void zread_uncap_ratio(struct zread *z)
{
	atomic_store(&z->ratio_cap, 0);
}
