/*
 * The forwarder's window: the messages published from the current file and
 * not yet released, in file order. Acks arrive in any order; only the
 * contiguous acked prefix is released, so the checkpoint never passes a line
 * JetStream has not stored. Pure and unlocked: the forwarder guards it.
 */
#ifndef LC_FORWARD_WINDOW_H
#define LC_FORWARD_WINDOW_H

#include <stddef.h>
#include <stdint.h>

enum forward_slot_state {
	FORWARD_SENT,	/* published, waiting for its ack */
	FORWARD_FAILED, /* nacked, timed out or not sent: to publish again */
	FORWARD_ACKED,	/* stored by JetStream (or skipped: never to be sent) */
};

struct forward_slot {
	uint64_t off;	/* of its first line in the file */
	uint32_t len;	/* bytes of its lines, each '\n' included */
	uint32_t lines;
	int64_t sent_ms; /* monotonic time of its last publish */
	enum forward_slot_state state;
};

struct forward_window;

struct forward_window *forward_window_new(size_t cap);
void forward_window_free(struct forward_window *w);
size_t forward_window_count(const struct forward_window *w);
int forward_window_full(const struct forward_window *w);

/* Append a message (after every one in the window); the window must not be
 * full. Returns its slot, valid until the next release. */
struct forward_slot *forward_window_push(struct forward_window *w, uint64_t off, uint32_t len,
    uint32_t lines, enum forward_slot_state state, int64_t now_ms);

/* Set a slot's state, keeping count of the failed ones; an acked slot stays
 * acked. */
void forward_window_set(struct forward_window *w, struct forward_slot *s,
    enum forward_slot_state state);

/* How many slots are FORWARD_FAILED (to publish again). */
size_t forward_window_failed(const struct forward_window *w);

/* Mark the message starting at off (an acked one stays acked); returns its
 * slot as it was before; *found is 0 if none starts there (a stale ack). */
struct forward_slot forward_window_mark(struct forward_window *w, uint64_t off,
    enum forward_slot_state state, int *found);

/* Drop the acked prefix. Returns the lines it held and sets *end to the
 * offset past it (unchanged if nothing was released). */
uint64_t forward_window_release(struct forward_window *w, uint64_t *end);

/* The i-th message in the window (0 is the oldest), or NULL. */
struct forward_slot *forward_window_at(struct forward_window *w, size_t i);

#endif
