#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "xmalloc.h"

struct batch *
batch_new(void)
{
	struct batch *b = xcalloc(1, sizeof(*b));

	buf_init(&b->in);
	buf_init(&b->out);
	buf_init(&b->dead);
	return b;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	buf_free(&b->in);
	buf_free(&b->out);
	buf_free(&b->dead);
	free(b->recs);
	free(b->peers);
	free(b);
}

static uint32_t
batch_peer_index(struct batch *b, const void *peer_key, const char *peer)
{
	if (b->npeers > 0 && b->last_peer_key == peer_key)
		return (uint32_t)(b->npeers - 1);
	if (b->npeers == b->cappeers) {
		b->cappeers = b->cappeers ? b->cappeers * 2 : 16;
		b->peers = xreallocarray(b->peers, b->cappeers, sizeof(*b->peers));
	}
	strncpy(b->peers[b->npeers], peer, ADDR_STRLEN - 1);
	b->peers[b->npeers][ADDR_STRLEN - 1] = '\0';
	b->last_peer_key = peer_key;
	return (uint32_t)b->npeers++;
}

static struct batch_rec *
batch_new_rec(struct batch *b, const void *peer_key, const char *peer, uint32_t len)
{
	struct batch_rec *r;

	if (b->nrecs == b->caprecs) {
		b->caprecs = b->caprecs ? b->caprecs * 2 : 64;
		b->recs = xreallocarray(b->recs, b->caprecs, sizeof(*b->recs));
	}
	r = &b->recs[b->nrecs++];
	r->off = (uint32_t)b->in.len;
	r->len = len;
	r->peer = batch_peer_index(b, peer_key, peer);
	buf_reserve(&b->in, len);
	return r;
}

void
batch_add_evbuffer(struct batch *b, const void *peer_key, const char *peer,
    struct evbuffer *from, uint32_t len)
{
	batch_new_rec(b, peer_key, peer, len);
	evbuffer_remove(from, b->in.data + b->in.len, len);
	b->in.len += len;
}

void
batch_add(struct batch *b, const void *peer_key, const char *peer, const void *data, uint32_t len)
{
	batch_new_rec(b, peer_key, peer, len);
	buf_append(&b->in, data, len);
}
