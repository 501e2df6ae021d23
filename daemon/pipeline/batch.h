/*
 * A batch: the raw payloads the loop framed in one go, with each record's
 * peer, and (after a worker has serialized it) the JSON lines to write.
 * Each payload is followed by one spare byte, so that a JSON record's line
 * (at most the payload and its '\n') can be written over the payloads
 * themselves: the lines of the leading JSON records are in[0, head), and
 * only what follows the first record that cannot be done in place (a
 * pickle's JSON may be longer than the pickle) is copied out.
 * Owned by one thread at a time: the loop while filling, then a worker, then
 * the committer. Opaque but to the batch and pipeline code, which see its
 * fields in batch_int.h.
 */
#ifndef LC_BATCH_H
#define LC_BATCH_H

#include <stddef.h>
#include <stdint.h>

struct batch;

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

/* Whether len more payload bytes (and a record) fit in the batch. */
int batch_fits(const struct batch *b, size_t len);

/* Room to read into, right after the batch's payloads: `carry` bytes (the
 * start of a frame from an earlier read, which the caller copies there) and
 * then *room bytes to read, as much as the batch has room for, at most
 * LC_READ_BUDGET. Records found there are taken with batch_add_in_place. */
uint8_t *batch_read_space(struct batch *b, size_t carry, size_t *room);

/* A frame the loop rejected, as a dead letter in order with the records. */
void batch_add_dead(struct batch *b, const char *peer, const char *reason, uint64_t size,
    const void *data, size_t len);

#endif
