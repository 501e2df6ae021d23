#include "intake/intake.h"

#include <stdlib.h>

#include <event2/event.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "pipeline/batch.h"
#include "pipeline/pipeline.h"

struct intake {
	struct pipeline *pipeline;
	struct batch *open;
	struct event *flush_ev; /* submits the open batch LC_FLUSH_DELAY_US after it opened */
	size_t high, low;
	int paused;
	int dead_letter;
	intake_pause_fn pause;
	void *arg;
	size_t frame_budget, frame_held;
	struct intake_waiter *waiters, **waiters_tail; /* FIFO */
};

static void
intake_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	intake_flush(arg);
}

struct intake *
intake_new(struct event_base *base, struct pipeline *p, const struct intake_params *params)
{
	struct intake *in = xcalloc(1, sizeof(*in));

	in->dead_letter = params->dead_letter;
	in->pipeline = p;
	in->high = params->max_inflight;
	in->low = params->max_inflight / 2;
	in->pause = params->pause;
	in->arg = params->arg;
	in->frame_budget = params->max_frame_memory;
	in->waiters_tail = &in->waiters;
	/* Free batches count in flight: the pool may keep at most what still
	 * lets reading resume (the low mark) when nothing else is held. */
	batch_pool_limit(in->low);
	in->flush_ev = evtimer_new(base, intake_flush_cb, in);
	if (in->flush_ev == NULL)
		fatalx("intake: cannot create the flush event");
	return in;
}

void
intake_free(struct intake *in)
{
	if (in == NULL)
		return;
	batch_free(in->open);
	event_free(in->flush_ev);
	free(in);
}

static void
intake_check_limit(struct intake *in)
{
	size_t inflight = pipeline_inflight(in->pipeline) + batch_pool_bytes();

	if (!in->paused && inflight >= in->high) {
		in->paused = 1;
		STATS_ADD(backpressure_pauses, 1);
		log_debug("%zu bytes in flight: pausing reads", inflight);
		in->pause(in->arg, 1);
	} else if (in->paused && inflight <= in->low) {
		in->paused = 0;
		log_debug("%zu bytes in flight: resuming reads", inflight);
		in->pause(in->arg, 0);
	}
}

void
intake_flush(struct intake *in)
{
	if (in->open == NULL)
		return;
	evtimer_del(in->flush_ev);
	pipeline_submit(in->pipeline, in->open);
	in->open = NULL;
	intake_check_limit(in);
}

/* The open batch, opened if there is none. */
static struct batch *
intake_open(struct intake *in)
{
	if (in->open == NULL) {
		/* A short wait gathers what quiet clients send into one batch:
		 * every batch costs a worker wake-up and a write(). */
		struct timeval delay = {0, LC_FLUSH_DELAY_US};

		in->open = batch_new();
		evtimer_add(in->flush_ev, &delay);
	}
	return in->open;
}

/* The batch to append `len` more bytes to; submitted first if they would
 * not fit. */
static struct batch *
intake_batch(struct intake *in, size_t len)
{
	if (in->open != NULL && !batch_fits(in->open, len))
		intake_flush(in);
	return intake_open(in);
}

void
intake_record(struct intake *in, const void *source, const char *peer, const void *data,
    uint32_t len)
{
	batch_add(intake_batch(in, len), source, peer, data, len);
}

uint8_t *
intake_read_space(struct intake *in, size_t carry, size_t *room)
{
	return batch_read_space(intake_batch(in, carry + 1 + LC_READ_MIN), carry, room);
}

void
intake_record_in_place(struct intake *in, const void *source, const char *peer,
    const uint8_t *payload, uint32_t len)
{
	batch_add_in_place(in->open, source, peer, payload, len);
}

void
intake_reject(struct intake *in, const char *peer, const char *reason, uint64_t size,
    const void *data, size_t len)
{
	if (!in->dead_letter)
		return;
	/* Into the open batch as it is: a reject can come between records
	 * framed in place in it, so it must not be submitted here. */
	batch_add_dead(intake_open(in), peer, reason, size, data, len);
}

void
intake_progress(struct intake *in)
{
	intake_check_limit(in);
}

int
intake_paused(const struct intake *in)
{
	return in->paused;
}

void
intake_frame_held(struct intake *in, long long delta)
{
	in->frame_held = (size_t)((long long)in->frame_held + delta);
	if (delta >= 0)
		return;
	/* Wake waiters in order while the first one takes what it needs; a
	 * waiter that still does not fit keeps its turn. */
	while (in->waiters != NULL) {
		struct intake_waiter *w = in->waiters;

		if (!w->wake(w->arg))
			break;
		intake_frame_unwait(in, w);
	}
}

int
intake_frame_admit(const struct intake *in, size_t extra)
{
	return in->frame_held <= in->frame_budget && extra <= in->frame_budget - in->frame_held;
}

void
intake_frame_wait(struct intake *in, struct intake_waiter *w)
{
	if (w->queued)
		return;
	w->queued = 1;
	w->next = NULL;
	*in->waiters_tail = w;
	in->waiters_tail = &w->next;
}

void
intake_frame_unwait(struct intake *in, struct intake_waiter *w)
{
	struct intake_waiter **pp = &in->waiters;

	if (!w->queued)
		return;
	while (*pp != w)
		pp = &(*pp)->next;
	*pp = w->next;
	if (in->waiters_tail == &w->next)
		in->waiters_tail = pp;
	w->queued = 0;
}

int
intake_frame_contended(const struct intake *in)
{
	return in->waiters != NULL;
}

size_t
intake_frame_memory(const struct intake *in)
{
	return in->frame_held;
}
