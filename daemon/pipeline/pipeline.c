/*
 * Thread ownership and lock order (see docs/internals.md):
 *
 *   loop thread  -> pipeline_submit: assigns seq, appends to the work queue.
 *   workers      -> take one batch at a time (queue_lock), serialize it with
 *                   no lock held, then hand it to the ordered commit.
 *   committer    -> whichever worker finds the batch numbered next_seq ready
 *                   becomes the committer (commit_lock guards the ready list
 *                   and the `committing` flag; the write itself happens with
 *                   no lock held). It writes every consecutive ready batch,
 *                   then gives the role up. Only the committer touches the
 *                   output; a reopen travels as an empty batch, so it
 *                   happens exactly between the records before and after it.
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
#include <time.h>

#include <event2/event.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "decode/deadletter.h"
#include "decode/record.h"
#include "pipeline/batch_int.h"
#include "sink/output.h"

struct pipeline {
	struct output *out;
	struct output *dead_letter;
	enum record_format format;
	size_t max_output; /* longest line of a pickle record */
	struct event *progress_ev;
	void (*on_progress)(void *);
	void *arg;
	void (*on_written)(void *, const struct output *, uint64_t, int);
	void *written_arg;

	pthread_t *threads;
	unsigned nthreads;

	pthread_mutex_t queue_lock;
	pthread_cond_t queue_cond;
	struct batch *queue_head, *queue_tail;
	int quit;

	pthread_mutex_t commit_lock;
	struct batch *ready; /* serialized, waiting for their turn; sorted by seq */
	int committing;
	int write_failing; /* committer only */
	long checked_at;   /* committer only: when the output's identity was checked */

	uint64_t submitted;          /* loop thread only: next seq */
	_Atomic uint64_t committed;  /* batches written: the next seq to write */
	_Atomic size_t inflight;
	_Atomic uint64_t pending_records;
	_Atomic long failing_since; /* monotonic seconds, 0 when writes work */
	_Atomic long last_progress; /* monotonic seconds of the last write attempt, or of
				     * the submit that ended idleness */
	long (*now)(void);          /* monotonic seconds */
	atomic_int abandon;
};

static long
pipeline_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

/* Worker: one record's line, over the payloads while every line so far has
 * been (b->head), else appended to b->out. */
static enum record_reject
pipeline_record_line(struct pipeline *p, struct batch *b, const uint8_t *payload, uint32_t len,
    int *in_place, const char **reason)
{
	enum record_reject rej;
	size_t n;

	if (*in_place && record_is_json(p->format, payload, len)) {
		rej = record_json_line_at(payload, len, (uint8_t *)b->in.data + b->head, &n, reason);
		if (rej == RECORD_OK)
			b->head += n;
		return rej;
	}
	*in_place = 0;
	return record_to_line(p->format, payload, len, &b->out, p->max_output, reason);
}

/* Count what the batch holds now in flight, in place of what it held. */
static void
pipeline_recount(struct pipeline *p, struct batch *b)
{
	size_t now = batch_bytes(b);

	atomic_fetch_add(&p->inflight, now - b->counted);
	b->counted = now;
}

/* Worker: records to lines. Rejections are counted and logged here. */
static void
pipeline_serialize(struct pipeline *p, struct batch *b)
{
	uint64_t by_reason[RECORD_BAD_FORMAT + 1] = {0};
	int in_place = 1;

	for (size_t i = 0; i < b->nrecs; i++) {
		const struct batch_rec *r = &b->recs[i];
		const uint8_t *payload = batch_payload(b, r);
		const char *reason = NULL;
		enum record_reject rej;

		rej = pipeline_record_line(p, b, payload, r->len, &in_place, &reason);
		if (rej == RECORD_OK) {
			b->lines++;
			continue;
		}
		by_reason[rej]++;
		if (p->dead_letter != NULL) {
			deadletter_append(&b->dead, b->peers[r->peer], reason, r->len, payload, r->len);
			b->ndead++;
		}
		if (!log_ratelimit_allow())
			continue; /* the sample is built only for a line printed */
		char sample[LOG_SAMPLE_BUFSZ];
		log_sample(sample, sizeof(sample), payload, r->len);
		log_warnx("rejected a record of %u bytes from %s: %s (starts \"%s\")", r->len,
		    b->peers[r->peer], reason, sample);
	}
	b->rejected = b->nrecs - b->lines;
	/* Lines copied out take memory beside the payloads: count them in
	 * flight too, so the limit bounds what the daemon really holds. */
	pipeline_recount(p, b);
	if (b->rejected > 0) {
		STATS_ADD(records_rejected, b->rejected);
		STATS_ADD(rejected_json, by_reason[RECORD_BAD_JSON]);
		STATS_ADD(rejected_pickle, by_reason[RECORD_BAD_PICKLE]);
		STATS_ADD(rejected_format, by_reason[RECORD_BAD_FORMAT]);
	}
}

/* Reopen the output (and the dead-letter file, rotated with it). Returns
 * whether the output was reopened. */
static int
pipeline_reopen(struct pipeline *p, const char *what)
{
	if (output_reopen(p->out) == -1) {
		log_warn("cannot reopen %s; still writing to the old file", output_path(p->out));
		return 0;
	}
	log_info("%s %s", what, output_path(p->out));
	STATS_ADD(reopens, 1);
	if (p->dead_letter != NULL && output_reopen(p->dead_letter) == -1)
		log_warn("cannot reopen %s", output_path(p->dead_letter));
	return 1;
}

static void
pipeline_backoff(unsigned *delay_ms)
{
	struct timespec ts = {(time_t)(*delay_ms / 1000), (long)(*delay_ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
	*delay_ms = *delay_ms * 2 > LC_WRITE_RETRY_MAX_MS ? LC_WRITE_RETRY_MAX_MS : *delay_ms * 2;
}

/* Committer: one attempt, timed for the write latency histogram (a reopen
 * batch writes nothing and is not timed). */
static int
pipeline_timed_write(struct output *out, const char *data, size_t len, size_t *done)
{
	struct timespec t0, t1;
	int rc;

	if (len == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = output_write(out, data, len, done);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stats_observe_write((uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
	    (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec);
	return rc;
}

/* Committer: write data to out, retrying on errors (records are held, never
 * dropped) until it succeeds or the stop gives up. Returns 0 or -1. */
static int
pipeline_write_retrying(struct pipeline *p, struct output *out, const char *data, size_t len)
{
	unsigned delay = LC_WRITE_RETRY_MIN_MS;
	size_t done = 0;

	atomic_store(&p->last_progress, p->now());
	while (pipeline_timed_write(out, data, len, &done) == -1) {
		atomic_store(&p->last_progress, p->now());
		STATS_ADD(write_errors, 1);
		if (!p->write_failing) {
			log_warn("cannot write to %s; holding records and retrying",
			    output_path(out));
			p->write_failing = 1;
			atomic_store(&p->failing_since, p->now());
		}
		if (atomic_load(&p->abandon))
			return -1;
		pipeline_backoff(&delay);
		if (atomic_load(&p->abandon))
			return -1;
	}
	if (p->write_failing) {
		log_warnx("writing to %s again", output_path(out));
		p->write_failing = 0;
		atomic_store(&p->failing_since, 0);
	}
	return 0;
}

/* Committer: one batch, its lines then its dead letters. */
static int
pipeline_write(struct pipeline *p, struct batch *b)
{
	int reopened = 0;

	if (b->reopen) {
		reopened = pipeline_reopen(p, "reopened");
	} else if (p->now() != p->checked_at) {
		/* At most once a second: was the file deleted or replaced? */
		p->checked_at = p->now();
		if (output_replaced(p->out))
			reopened = pipeline_reopen(p,
			    "output file was deleted or replaced; created a new");
	}
	if (pipeline_write_retrying(p, p->out, b->in.data, b->head) == -1 ||
	    pipeline_write_retrying(p, p->out, b->out.data, b->out.len) == -1)
		return -1;
	if (p->dead_letter != NULL && b->dead.len > 0) {
		if (pipeline_write_retrying(p, p->dead_letter, b->dead.data, b->dead.len) == -1)
			return -1;
		STATS_ADD(dead_letters, b->ndead);
	}
	if (p->on_written != NULL)
		p->on_written(p->written_arg, p->out, b->lines, reopened);
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
pipeline_new(struct event_base *base, struct output *out, const struct pipeline_params *params)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	sigset_t all, old;

	p->out = out;
	p->dead_letter = params->dead_letter;
	p->format = params->format;
	p->now = params->clock != NULL ? params->clock : pipeline_now;
	p->max_output = params->max_output ? params->max_output
					    : LC_OUTPUT_PER_RECORD_FACTOR * (size_t)LC_DEFAULT_MAX_RECORD;
	p->on_progress = params->on_progress;
	p->arg = params->arg;
	p->on_written = params->on_written;
	p->written_arg = params->written_arg;
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

int
pipeline_write_failing(const struct pipeline *p)
{
	long since = atomic_load(&p->failing_since);

	return since == 0 ? 0 : (int)(p->now() - since) + 1;
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

struct output *
pipeline_finish(struct pipeline *p)
{
	struct output *out = p->out;

	pthread_mutex_lock(&p->queue_lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->queue_cond);
	pthread_mutex_unlock(&p->queue_lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);

	output_close(p->dead_letter);
	event_free(p->progress_ev);
	pthread_mutex_destroy(&p->queue_lock);
	pthread_cond_destroy(&p->queue_cond);
	pthread_mutex_destroy(&p->commit_lock);
	free(p->threads);
	free(p);
	return out;
}
