/*
 * The loop side of the pipeline: framed records are appended to an open
 * batch, which is submitted when full or LC_FLUSH_DELAY_US after its first
 * record (so a quiet client's record waits at most that long).
 *
 * Two budgets bound the memory held for records (see docs/internals.md):
 * - max_inflight: batches submitted and not yet written (their buffers'
 *   capacity, lines and dead letters included) and the pool of free
 *   batches. Above it the server pauses reading; below half it resumes.
 * - max_frame_memory: what the framers hold of frames still arriving. A
 *   frame longer than a carry is sized whole when its header arrives, if it
 *   fits; otherwise its connection waits unread, in order of arrival, until
 *   memory is released. A reserved frame always completes (its connection
 *   reads on while paused) or times out, so waiting cannot deadlock.
 */
#ifndef LC_INTAKE_H
#define LC_INTAKE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct intake;
struct pipeline;

/* pause(arg, 1) stops reading from every client, pause(arg, 0) resumes. */
typedef void (*intake_pause_fn)(void *arg, int paused);

struct intake_params {
	size_t max_inflight;
	size_t max_frame_memory;
	int dead_letter; /* whether rejects seen by the loop go to the dead-letter file */
	intake_pause_fn pause;
	void *arg;
};

struct intake *intake_new(struct event_base *base, struct pipeline *p,
    const struct intake_params *params);
void intake_free(struct intake *in);

/* Take one payload (copied). `source` identifies where it came from (the
 * struct conn, or NULL for a datagram) and `peer` names it. */
void intake_record(struct intake *in, const void *source, const char *peer, const void *data,
    uint32_t len);

/* Reading straight into the open batch: the space for `carry` bytes (the
 * start of a frame from an earlier read, which the caller copies there) and
 * then up to *room bytes to read, at least LC_READ_MIN. The open batch is
 * submitted first if it has less room. Records found there are taken with
 * intake_record_in_place, before any other intake call. */
uint8_t *intake_read_space(struct intake *in, size_t carry, size_t *room);
void intake_record_in_place(struct intake *in, const void *source, const char *peer,
    const uint8_t *payload, uint32_t len);

/* A frame the loop rejects (empty, oversize, incomplete, a bad datagram):
 * `size` is what its header announced, data the bytes that did arrive.
 * Goes to the dead-letter file, in order with the records around it. */
void intake_reject(struct intake *in, const char *peer, const char *reason, uint64_t size,
    const void *data, size_t len);

/* Submit the open batch now. */
void intake_flush(struct intake *in);

/* Re-check the in-flight limit after the pipeline made progress. */
void intake_progress(struct intake *in);

int intake_paused(const struct intake *in);

/* A connection waiting for frame memory; wake() is called, in order of
 * arrival, once memory was released, and returns 1 if the connection took
 * what it needed (it is then off the list), 0 to keep waiting. */
struct intake_waiter {
	int (*wake)(void *arg);
	void *arg;
	struct intake_waiter *next;
	int queued;
};

/* The framers' memory changed by delta bytes (loop thread). */
void intake_frame_held(struct intake *in, long long delta);
/* Whether `extra` more bytes of frame memory fit now. */
int intake_frame_admit(const struct intake *in, size_t extra);
void intake_frame_wait(struct intake *in, struct intake_waiter *w);
void intake_frame_unwait(struct intake *in, struct intake_waiter *w);
/* Connections are waiting for frame memory: reads are kept to a carry, so
 * that each one of them holds little until its turn. */
int intake_frame_contended(const struct intake *in);
size_t intake_frame_memory(const struct intake *in);

#endif
