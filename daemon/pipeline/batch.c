#include "pipeline/batch.h"
#include "pipeline/batch_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/xmalloc.h"
#include "decode/deadletter.h"

/*
 * Freed batches keep their buffers in a small pool: a batch's buffers grow to
 * a few hundred KiB, and allocating them afresh for every batch costs page
 * faults on every byte. The loop takes from the pool, the committer returns.
 */
static pthread_mutex_t batch_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct batch *batch_pool;
static size_t batch_pooled;
static size_t batch_pool_max = SIZE_MAX;
static _Atomic size_t batch_pool_held; /* bytes; read by the loop unlocked */

size_t
batch_bytes(const struct batch *b)
{
	return sizeof(*b) + b->in.cap + b->out.cap + b->dead.cap +
	       b->caprecs * sizeof(*b->recs) + b->cappeers * sizeof(*b->peers);
}

void
batch_pool_limit(size_t bytes)
{
	pthread_mutex_lock(&batch_pool_lock);
	batch_pool_max = bytes;
	pthread_mutex_unlock(&batch_pool_lock);
}

size_t
batch_pool_bytes(void)
{
	return atomic_load_explicit(&batch_pool_held, memory_order_relaxed);
}

/* A batch that once held a big record keeps no more than a usual one. */
static void
batch_trim(struct buf *b)
{
	if (b->cap > LC_BATCH_TRIM)
		buf_free(b);
}

static void
batch_release(struct batch *b)
{
	buf_free(&b->in);
	buf_free(&b->out);
	buf_free(&b->dead);
	free(b->recs);
	free(b->peers);
	free(b);
}

struct batch *
batch_new(void)
{
	struct batch *b;

	pthread_mutex_lock(&batch_pool_lock);
	b = batch_pool;
	if (b != NULL) {
		batch_pool = b->next;
		batch_pooled--;
		atomic_fetch_sub(&batch_pool_held, batch_bytes(b));
	}
	pthread_mutex_unlock(&batch_pool_lock);
	if (b != NULL) {
		struct batch reuse = *b;

		/* Keep the allocations, forget the contents. */
		memset(b, 0, sizeof(*b));
		b->in = reuse.in;
		b->out = reuse.out;
		b->dead = reuse.dead;
		b->in.len = b->out.len = b->dead.len = 0;
		b->recs = reuse.recs;
		b->caprecs = reuse.caprecs;
		b->peers = reuse.peers;
		b->cappeers = reuse.cappeers;
		return b;
	}
	b = xcalloc(1, sizeof(*b));
	buf_init(&b->in);
	buf_init(&b->out);
	buf_init(&b->dead);
	return b;
}

void
batch_free(struct batch *b)
{
	size_t bytes;

	if (b == NULL)
		return;
	batch_trim(&b->in);
	batch_trim(&b->out);
	batch_trim(&b->dead);
	if (b->caprecs > 2 * LC_BATCH_RECORDS) {
		free(b->recs);
		b->recs = NULL;
		b->caprecs = 0;
	}
	bytes = batch_bytes(b);
	pthread_mutex_lock(&batch_pool_lock);
	if (batch_pooled < LC_BATCH_POOL && batch_pool_bytes() + bytes <= batch_pool_max) {
		b->next = batch_pool;
		batch_pool = b;
		batch_pooled++;
		atomic_fetch_add(&batch_pool_held, bytes);
		b = NULL;
	}
	pthread_mutex_unlock(&batch_pool_lock);
	if (b != NULL)
		batch_release(b);
}

void
batch_pool_drain(void)
{
	struct batch *b;

	pthread_mutex_lock(&batch_pool_lock);
	while ((b = batch_pool) != NULL) {
		batch_pool = b->next;
		batch_release(b);
	}
	batch_pooled = 0;
	atomic_store(&batch_pool_held, 0);
	pthread_mutex_unlock(&batch_pool_lock);
}

static uint32_t
batch_peer_index(struct batch *b, const void *peer_key, const char *peer)
{
	/* The key alone does not name the peer: every datagram has the key
	 * NULL, and a connection freed during the batch can be reallocated at
	 * the same address for another peer. The key spares the compare for a
	 * different source; the name decides. */
	if (b->npeers > 0 && b->last_peer_key == peer_key &&
	    strcmp(b->peers[b->npeers - 1], peer) == 0)
		return (uint32_t)(b->npeers - 1);
	if (b->npeers == b->cappeers) {
		b->cappeers = b->cappeers ? b->cappeers * 2 : 16;
		b->peers = xreallocarray(b->peers, b->cappeers, sizeof(*b->peers));
	}
	strncpy(b->peers[b->npeers], peer, LC_PEER_STRLEN - 1);
	b->peers[b->npeers][LC_PEER_STRLEN - 1] = '\0';
	b->last_peer_key = peer_key;
	return (uint32_t)b->npeers++;
}

static void
batch_new_rec(struct batch *b, const void *peer_key, const char *peer, size_t off, uint32_t len)
{
	struct batch_rec *r;

	if (b->nrecs == b->caprecs) {
		b->caprecs = b->caprecs ? b->caprecs * 2 : 64;
		b->recs = xreallocarray(b->recs, b->caprecs, sizeof(*b->recs));
	}
	r = &b->recs[b->nrecs++];
	r->off = (uint32_t)off;
	r->len = len;
	r->peer = batch_peer_index(b, peer_key, peer);
}

void
batch_add(struct batch *b, const void *peer_key, const char *peer, const void *data, uint32_t len)
{
	batch_new_rec(b, peer_key, peer, b->in.len, len);
	buf_append(&b->in, data, len);
	buf_putc(&b->in, '\n'); /* the spare byte */
}

void
batch_add_in_place(struct batch *b, const void *peer_key, const char *peer,
    const uint8_t *payload, uint32_t len)
{
	size_t off = (size_t)(payload - (const uint8_t *)b->in.data);

	batch_new_rec(b, peer_key, peer, off, len);
	b->in.len = off + len + 1;
}

int
batch_fits(const struct batch *b, size_t len)
{
	return b->in.len + len <= LC_BATCH_BYTES && b->nrecs < LC_BATCH_RECORDS;
}

uint8_t *
batch_read_space(struct batch *b, size_t carry, size_t *room)
{
	size_t used = b->in.len + carry + 1;

	*room = LC_BATCH_BYTES - used < LC_READ_BUDGET ? LC_BATCH_BYTES - used : LC_READ_BUDGET;
	buf_reserve(&b->in, carry + *room + 1);
	return (uint8_t *)b->in.data + b->in.len;
}

void
batch_add_dead(struct batch *b, const char *peer, const char *reason, uint64_t size,
    const void *data, size_t len)
{
	deadletter_append(&b->dead, peer, reason, size, data, len);
	b->ndead++;
}
