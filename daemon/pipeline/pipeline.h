/*
 * The pipeline: batches from the loop thread go through a queue to a pool of
 * worker threads that turn records into JSON lines in parallel; batches are
 * then handed to the sinks (the output file first) strictly in the order
 * they were submitted (ordered commit), so each connection's records keep
 * their order.
 */
#ifndef LC_PIPELINE_H
#define LC_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/serialize.h"
#include "sink/sink.h"

struct batch;
struct event_base;
struct pipeline;

struct pipeline_params {
	unsigned workers;
	struct serialize_params serialize; /* max_output 0: the default */
	/* Every committed batch goes to each, in this order (copied). */
	const struct sink *sinks;
	size_t nsinks;
	/* Called in the loop thread after batches were committed. */
	void (*on_progress)(void *arg);
	void *arg;
	long (*clock)(void); /* monotonic seconds; NULL: CLOCK_MONOTONIC (tests pass their own) */
};

/* Starts the worker threads. From now on the committer alone calls the
 * sinks. */
struct pipeline *pipeline_new(struct event_base *base, const struct pipeline_params *params);

/* Loop thread: hand a batch over (never blocks; the caller limits the bytes
 * in flight). */
void pipeline_submit(struct pipeline *p, struct batch *b);

/* Bytes held for records submitted but not yet written: their payloads,
 * and their lines once serialized. */
size_t pipeline_inflight(const struct pipeline *p);

/* Batches submitted but not yet written: queued, being serialized or
 * waiting for their turn. Loop thread. */
uint64_t pipeline_batches_pending(const struct pipeline *p);

/* Whether every submitted batch has been written. */
int pipeline_idle(const struct pipeline *p);

/* Records submitted but neither written nor rejected yet. */
uint64_t pipeline_pending_records(const struct pipeline *p);

/* Seconds the pipeline has had work but made no progress (no sink called or
 * answering SINK_AGAIN, counted from the submit that ended idleness): 0
 * while it is idle or moving. A sink retrying a failed write still makes
 * attempts; one blocked in write() does not. For the watchdog and the
 * health check. */
unsigned pipeline_stalled_for(const struct pipeline *p);

/* Reopen the output after every batch submitted so far is written and before
 * any later one (SIGHUP). Returns a ticket for pipeline_done(). */
uint64_t pipeline_request_reopen(struct pipeline *p);

/* Whether the batch with this ticket (sequence number) has been written. */
int pipeline_done(const struct pipeline *p, uint64_t ticket);

/* Stop asking sinks again: for a stop that has run out of time. */
void pipeline_abandon(struct pipeline *p);

/* Join the workers (after pipeline_idle) and free. The sinks stay the
 * caller's. */
void pipeline_finish(struct pipeline *p);

#endif
