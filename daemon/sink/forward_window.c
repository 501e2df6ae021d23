#include "sink/forward_window.h"

#include <stdlib.h>

#include "base/xmalloc.h"

struct forward_window {
	struct forward_slot *slots; /* a ring */
	size_t cap, head, count;
	size_t failed; /* slots in FORWARD_FAILED */
};

struct forward_window *
forward_window_new(size_t cap)
{
	struct forward_window *w = xcalloc(1, sizeof(*w));

	w->cap = cap;
	w->slots = xcalloc(cap, sizeof(*w->slots));
	return w;
}

void
forward_window_free(struct forward_window *w)
{
	if (w == NULL)
		return;
	free(w->slots);
	free(w);
}

size_t
forward_window_count(const struct forward_window *w)
{
	return w->count;
}

int
forward_window_full(const struct forward_window *w)
{
	return w->count == w->cap;
}

size_t
forward_window_failed(const struct forward_window *w)
{
	return w->failed;
}

struct forward_slot *
forward_window_at(struct forward_window *w, size_t i)
{
	return i < w->count ? &w->slots[(w->head + i) % w->cap] : NULL;
}

struct forward_slot *
forward_window_push(struct forward_window *w, uint64_t off, uint32_t len, uint32_t lines,
    enum forward_slot_state state, int64_t now_ms)
{
	struct forward_slot *s = &w->slots[(w->head + w->count++) % w->cap];

	*s = (struct forward_slot){off, len, lines, now_ms, state};
	w->failed += state == FORWARD_FAILED;
	return s;
}

void
forward_window_set(struct forward_window *w, struct forward_slot *s,
    enum forward_slot_state state)
{
	/* An ack that overtook a retry still counts; nothing undoes one. */
	if (s->state == FORWARD_ACKED)
		return;
	w->failed -= s->state == FORWARD_FAILED;
	w->failed += state == FORWARD_FAILED;
	s->state = state;
}

struct forward_slot
forward_window_mark(struct forward_window *w, uint64_t off, enum forward_slot_state state,
    int *found)
{
	size_t lo = 0, hi = w->count;

	/* Offsets grow along the ring: a binary search. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct forward_slot *s = forward_window_at(w, mid);

		if (s->off == off) {
			struct forward_slot was = *s;

			forward_window_set(w, s, state);
			*found = 1;
			return was;
		}
		if (s->off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return (struct forward_slot){0};
}

uint64_t
forward_window_release(struct forward_window *w, uint64_t *end)
{
	uint64_t lines = 0;

	while (w->count > 0 && w->slots[w->head].state == FORWARD_ACKED) {
		struct forward_slot *s = &w->slots[w->head];

		*end = s->off + s->len;
		lines += s->lines;
		w->head = (w->head + 1) % w->cap;
		w->count--;
	}
	return lines;
}
