/*
 * Thread ownership and lock order (see docs/internals.md):
 *
 *   loop thread  -> pipeline_submit: assigns seq, appends to the work queue.
 *   workers      -> take one batch at a time (queue_lock), serialize it with
 *                   no lock held (pipeline/serialize.c), then hand it to the
 *                   ordered commit.
 *   committer    -> whichever worker finds the batch numbered next_seq ready
 *                   becomes the committer (commit_lock guards the ready list
 *                   and the `committing` flag; the sinks are called with no
 *                   lock held). It hands every consecutive ready batch to
 *                   the sinks in turn (sink/sink.h), then gives the role up.
 *                   Only the committer calls the sinks; a reopen travels as
 *                   an empty batch, so it happens exactly between the
 *                   records before and after it.
 *
 * queue_lock and commit_lock are never held together. The loop learns of
 * progress through one event (event_active coalesces, so its callback reads
 * the counters, not a list).
 */
#include "pipeline/pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/monotime.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "pipeline/batch_int.h"
#include "pipeline/serialize.h"
#include "sink/sink.h"

struct pipeline {
	struct serialize_params serialize;
	struct sink *sinks; /* in the order they take each batch */
	size_t nsinks;
	struct event *progress_ev;
	void (*on_progress)(void *);
	void *arg;

	pthread_t *threads;
	unsigned nthreads;

	pthread_mutex_t queue_lock;
	pthread_cond_t queue_cond;
	struct batch *queue_head, *queue_tail;
	int quit;

	pthread_mutex_t commit_lock;
	struct batch *ready; /* serialized, waiting for their turn; sorted by seq */
	int committing;

	uint64_t submitted;          /* loop thread only: next seq */
	_Atomic uint64_t committed;  /* batches written: the next seq to write */
	_Atomic size_t inflight;
	_Atomic uint64_t pending_records;
	_Atomic long last_progress; /* monotonic seconds of the last write attempt, or of
				     * the submit that ended idleness */
	long (*now)(void);          /* monotonic seconds */
	atomic_int abandon;
};

/* Count what the batch holds now in flight, in place of what it held. */
static void
pipeline_recount(struct pipeline *p, struct batch *b)
{
	size_t now = batch_bytes(b);

	atomic_fetch_add(&p->inflight, now - b->counted);
	b->counted = now;
}

/* Worker: records to lines; the rejections counted. Lines copied out take
 * memory beside the payloads: they are counted in flight too, so the limit
 * bounds what the daemon really holds. */
static void
pipeline_serialize(struct pipeline *p, struct batch *b)
{
	struct serialize_rejects rej;

	serialize_batch(b, &p->serialize, &rej);
	pipeline_recount(p, b);
	if (b->rejected > 0) {
		STATS_ADD(records_rejected, b->rejected);
		STATS_ADD(rejected_json, rej.by_reason[RECORD_BAD_JSON]);
		STATS_ADD(rejected_pickle, rej.by_reason[RECORD_BAD_PICKLE]);
		STATS_ADD(rejected_format, rej.by_reason[RECORD_BAD_FORMAT]);
	}
}

/* Committer: one batch to every sink in turn (sink/sink.h). A sink that
 * cannot take it yet is asked again, until the stop gives up: -1. */
static int
pipeline_write(struct pipeline *p, const struct batch *b)
{
	const struct sink_batch sb = {
	    .seq = b->seq,
	    .lines = b->in.data,
	    .lines_len = b->head,
	    .more = b->out.data,
	    .more_len = b->out.len,
	    .nlines = b->lines,
	    .dead = b->dead.data,
	    .dead_len = b->dead.len,
	    .ndead = b->ndead,
	    .reopen = b->reopen,
	};

	atomic_store(&p->last_progress, p->now());
	for (size_t i = 0; i < p->nsinks; i++) {
		const struct sink *s = &p->sinks[i];

		while (s->write(s->self, &sb) == SINK_AGAIN) {
			atomic_store(&p->last_progress, p->now());
			if (atomic_load(&p->abandon))
				return -1;
		}
	}
	return 0;
}

/* Insert into the ready list, kept sorted by seq. Out-of-order batches are
 * few (at most one per worker busy on an earlier batch). */
static void
pipeline_insert_ready(struct pipeline *p, struct batch *b)
{
	struct batch **pp = &p->ready;

	while (*pp != NULL && (*pp)->seq < b->seq)
		pp = &(*pp)->next;
	b->next = *pp;
	*pp = b;
}

static void
pipeline_commit(struct pipeline *p, struct batch *b)
{
	pthread_mutex_lock(&p->commit_lock);
	pipeline_insert_ready(p, b);
	if (p->committing) {
		pthread_mutex_unlock(&p->commit_lock);
		return;
	}
	p->committing = 1;
	while (p->ready != NULL && p->ready->seq == atomic_load(&p->committed)) {
		struct batch *next = p->ready;

		p->ready = next->next;
		pthread_mutex_unlock(&p->commit_lock);

		if (pipeline_write(p, next) == 0) {
			STATS_ADD(lines_written, next->lines);
			atomic_fetch_sub(&p->pending_records, next->nrecs);
			atomic_fetch_sub(&p->inflight, next->counted);
			atomic_fetch_add(&p->committed, 1);
			atomic_store(&p->last_progress, p->now());
			batch_free(next);
		} else {
			/* Abandoned: the stop reports what is pending and exits. */
			pthread_mutex_lock(&p->commit_lock);
			p->committing = 0;
			pthread_mutex_unlock(&p->commit_lock);
			return;
		}
		event_active(p->progress_ev, 0, 0);
		pthread_mutex_lock(&p->commit_lock);
	}
	p->committing = 0;
	pthread_mutex_unlock(&p->commit_lock);
}

static struct batch *
pipeline_take(struct pipeline *p)
{
	struct batch *b;

	pthread_mutex_lock(&p->queue_lock);
	while (p->queue_head == NULL && !p->quit)
		pthread_cond_wait(&p->queue_cond, &p->queue_lock);
	b = p->queue_head;
	if (b != NULL) {
		p->queue_head = b->next;
		if (p->queue_head == NULL)
			p->queue_tail = NULL;
		b->next = NULL;
	}
	pthread_mutex_unlock(&p->queue_lock);
	return b;
}

static void *
pipeline_worker(void *arg)
{
	struct pipeline *p = arg;
	struct batch *b;

	while ((b = pipeline_take(p)) != NULL) {
		pipeline_serialize(p, b);
		pipeline_commit(p, b);
	}
	return NULL;
}

static void
pipeline_progress_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pipeline *p = arg;

	(void)fd;
	(void)what;
	p->on_progress(p->arg);
}

struct pipeline *
pipeline_new(struct event_base *base, const struct pipeline_params *params)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	sigset_t all, old;

	p->serialize = params->serialize;
	if (p->serialize.max_output == 0)
		p->serialize.max_output = LC_OUTPUT_PER_RECORD_FACTOR * (size_t)LC_DEFAULT_MAX_RECORD;
	p->nsinks = params->nsinks;
	p->sinks = xcalloc(p->nsinks, sizeof(*p->sinks));
	memcpy(p->sinks, params->sinks, p->nsinks * sizeof(*p->sinks));
	p->now = params->clock != NULL ? params->clock : monotime_seconds;
	p->on_progress = params->on_progress;
	p->arg = params->arg;
	p->progress_ev = event_new(base, -1, 0, pipeline_progress_cb, p);
	if (p->progress_ev == NULL)
		fatalx("pipeline: cannot create the progress event");
	pthread_mutex_init(&p->queue_lock, NULL);
	pthread_cond_init(&p->queue_cond, NULL);
	pthread_mutex_init(&p->commit_lock, NULL);

	/* Workers inherit a full signal mask: only the loop handles signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p->nthreads = params->workers;
	p->threads = xcalloc(p->nthreads, sizeof(*p->threads));
	for (unsigned i = 0; i < p->nthreads; i++) {
		char name[16];
		int err = pthread_create(&p->threads[i], NULL, pipeline_worker, p);

		if (err != 0) {
			errno = err;
			fatal("pipeline: cannot start worker %u", i);
		}
		snprintf(name, sizeof(name), "lc-worker-%hu", (unsigned short)i);
		pthread_setname_np(p->threads[i], name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
}

void
pipeline_submit(struct pipeline *p, struct batch *b)
{
	/* After idleness the last write may be an hour old: a stall can only
	 * count from the arrival of this work. */
	if (pipeline_idle(p))
		atomic_store(&p->last_progress, p->now());
	b->seq = p->submitted++;
	b->next = NULL;
	b->counted = 0;
	pipeline_recount(p, b);
	atomic_fetch_add(&p->pending_records, b->nrecs);
	STATS_ADD(records_received, b->nrecs);

	pthread_mutex_lock(&p->queue_lock);
	if (p->queue_tail != NULL)
		p->queue_tail->next = b;
	else
		p->queue_head = b;
	p->queue_tail = b;
	pthread_cond_signal(&p->queue_cond);
	pthread_mutex_unlock(&p->queue_lock);
}

size_t
pipeline_inflight(const struct pipeline *p)
{
	return atomic_load(&p->inflight);
}

uint64_t
pipeline_batches_pending(const struct pipeline *p)
{
	return p->submitted - atomic_load(&p->committed);
}

int
pipeline_idle(const struct pipeline *p)
{
	return atomic_load(&p->committed) == p->submitted;
}

uint64_t
pipeline_pending_records(const struct pipeline *p)
{
	return atomic_load(&p->pending_records);
}

unsigned
pipeline_stalled_for(const struct pipeline *p)
{
	long since = atomic_load(&p->last_progress);

	if (pipeline_idle(p))
		return 0;
	return (unsigned)(p->now() - since);
}

uint64_t
pipeline_request_reopen(struct pipeline *p)
{
	struct batch *b = batch_new();
	uint64_t ticket = p->submitted; /* b may be freed once submitted */

	b->reopen = 1;
	pipeline_submit(p, b);
	return ticket;
}

int
pipeline_done(const struct pipeline *p, uint64_t ticket)
{
	return atomic_load(&p->committed) > ticket;
}

void
pipeline_abandon(struct pipeline *p)
{
	atomic_store(&p->abandon, 1);
}

void
pipeline_finish(struct pipeline *p)
{
	pthread_mutex_lock(&p->queue_lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->queue_cond);
	pthread_mutex_unlock(&p->queue_lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);

	event_free(p->progress_ev);
	pthread_mutex_destroy(&p->queue_lock);
	pthread_cond_destroy(&p->queue_cond);
	pthread_mutex_destroy(&p->commit_lock);
	free(p->threads);
	free(p->sinks);
	free(p);
}
