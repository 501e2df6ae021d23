/*
 * The loop side of the pipeline: framed records are appended to an open
 * batch, which is submitted when full or LC_FLUSH_DELAY_US after its first
 * record (so a quiet client's record waits at most that long). Keeps the bytes
 * in flight under the limit by asking the server to pause reading, and to
 * resume below the low-water mark (half the limit).
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

/* dead_letter: whether rejects seen by the loop go to the dead-letter file. */
struct intake *intake_new(struct event_base *base, struct pipeline *p, size_t max_inflight,
    int dead_letter, intake_pause_fn pause, void *arg);
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

#endif
