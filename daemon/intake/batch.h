/*
 * A batch: the raw payloads the loop framed in one go, with each record's
 * peer, and (after a worker has serialized it) the JSON lines to write.
 * Each payload is followed by one spare byte, so that a JSON record's line
 * (at most the payload and its '\n') can be written over the payloads
 * themselves: the lines of the leading JSON records are in[0, head), and
 * only what follows the first record that cannot be done in place (a
 * pickle's JSON may be longer than the pickle) is copied out.
 * Owned by one thread at a time: the loop while filling, then a worker, then
 * the committer.
 */
#ifndef LC_BATCH_H
#define LC_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "net/addr.h"


struct batch_rec {
	uint32_t off;  /* payload offset in batch->in */
	uint32_t len;
	uint32_t peer; /* index into batch->peers */
};

struct batch {
	uint64_t seq;
	struct buf in; /* payloads, each followed by a spare byte */
	struct batch_rec *recs;
	size_t nrecs, caprecs;
	char (*peers)[ADDR_STRLEN];
	size_t npeers, cappeers;
	const void *last_peer_key; /* the source of peers[npeers-1] (with its name) */

	size_t head;      /* lines written in place over in, filled by a worker */
	struct buf out;   /* the lines after those, filled by a worker */
	struct buf dead;  /* dead letters, from the loop and the worker */
	size_t ndead;
	size_t lines;     /* records turned into lines */
	size_t rejected;  /* records rejected by the worker */
	int reopen;       /* reopen the output before writing this batch */
	size_t counted;   /* bytes the pipeline counts in flight for it */
	struct batch *next;
};

/* Thread-safe; freed batches are kept (up to LC_BATCH_POOL, and the byte
 * limit) for reuse, their buffers trimmed to LC_BATCH_TRIM. */
struct batch *batch_new(void);
void batch_free(struct batch *b);
/* Release the pooled batches (when idle, and at exit so that leak checkers
 * see none). */
void batch_pool_drain(void);
/* The most the pool keeps, in bytes, and what it holds now. */
void batch_pool_limit(size_t bytes);
size_t batch_pool_bytes(void);
/* The memory a batch holds: its buffers' capacity. */
size_t batch_bytes(const struct batch *b);

/* Add a copy of one payload. peer_key identifies the source (its
 * connection, NULL for a datagram): consecutive records with the same key
 * and peer name share a peers entry. */
void batch_add(struct batch *b, const void *peer_key, const char *peer, const void *data,
    uint32_t len);

/* Take a payload read straight into in: it lies at or after in.len, and the
 * byte after it is free for its line's '\n'. in.len moves past both. */
void batch_add_in_place(struct batch *b, const void *peer_key, const char *peer,
    const uint8_t *payload, uint32_t len);

static inline const uint8_t *
batch_payload(const struct batch *b, const struct batch_rec *r)
{
	return (const uint8_t *)b->in.data + r->off;
}

#endif
