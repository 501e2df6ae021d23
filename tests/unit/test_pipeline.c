/*
 * The pipeline's ordered commit: many workers serialize batches of random
 * sizes (so they finish in a random order), yet the file holds every line in
 * submission order, rejects are counted, and a reopen falls exactly between
 * the batches submitted before and after it. Every sink takes every batch
 * in order, the first before the next, and one that answers SINK_AGAIN is
 * asked again with the same batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/stats.h"
#include "pipeline/batch_int.h"
#include "pipeline/pipeline.h"
#include "sink/file_sink.h"
#include "sink/output.h"
#include "tmpdir.h"

#define WAIT_LIMIT_MS 60000

static void
no_progress(void *arg)
{
	(void)arg;
}

/* A pipeline whose one sink is the file sink on path. */
static struct pipeline *
start(struct event_base *base, const char *path, unsigned workers, long (*clock)(void),
    struct file_sink **fs)
{
	struct output *out = output_open(path, 0600);
	struct sink sink;

	assert_non_null(out);
	*fs = file_sink_new(out, NULL, clock);
	sink = file_sink_sink(*fs);
	return pipeline_new(base,
	    &(struct pipeline_params){.workers = workers,
		.serialize = {.format = FORMAT_AUTO},
		.sinks = &sink,
		.nsinks = 1,
		.on_progress = no_progress,
		.clock = clock});
}

static void
finish(struct pipeline *p, struct file_sink *fs)
{
	pipeline_finish(p);
	file_sink_free(fs);
}

/* Wait (bounded) for the workers to write everything submitted. */
static void
wait_idle(struct pipeline *p)
{
	struct timespec ms = {0, 1000000};

	for (int i = 0; i < WAIT_LIMIT_MS && !pipeline_idle(p); i++)
		nanosleep(&ms, NULL);
	assert_true(pipeline_idle(p));
}

/* The line count (process-wide: the trailer's and /metrics'). */
static uint64_t
lines_written(void)
{
	return atomic_load(&stats.lines_written);
}

static struct batch *
make_batch(unsigned batch_no, unsigned records, unsigned bad_every)
{
	struct batch *b = batch_new();

	for (unsigned i = 0; i < records; i++) {
		char rec[128];
		int n;

		if (bad_every && i % bad_every == bad_every - 1)
			n = snprintf(rec, sizeof(rec), "{\"broken\": ");
		else
			n = snprintf(rec, sizeof(rec), "{\"b\": %u, \"i\": %u, \"pad\": \"%*s\"}",
			    batch_no, i, (int)(i % 50), "");
		batch_add(b, b, "127.0.0.1:1", rec, (uint32_t)n);
	}
	return b;
}

/* Move record i of batch b on to the next one that should have a line:
 * past the end of a batch, and past the records rejected on purpose. */
static void
skip_to_line(unsigned *b, unsigned *i, unsigned last, const unsigned *sizes, unsigned bad_every)
{
	while (*b < last && (*i >= sizes[*b] || (bad_every && *i % bad_every == bad_every - 1))) {
		if (*i >= sizes[*b]) {
			(*b)++;
			*i = 0;
		} else {
			(*i)++;
		}
	}
}

/* The file holds exactly the lines of batches [first, last), in order: each
 * line is the next one expected, and none is missing at the end. */
static void
check_file(const char *path, unsigned first, unsigned last, const unsigned *sizes,
    unsigned bad_every)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned b = first, i = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned lb, li;

		skip_to_line(&b, &i, last, sizes, bad_every);
		assert_true(b < last); /* no line beyond the last record */
		assert_int_equal(sscanf(line, "{\"b\":%u,\"i\":%u", &lb, &li), 2);
		assert_int_equal(lb, b);
		assert_int_equal(li, i);
		i++;
	}
	fclose(f);
	skip_to_line(&b, &i, last, sizes, bad_every);
	assert_int_equal(b, last); /* the last record's line was there */
}

static void
test_ordered_commit(void **state)
{
	enum { BATCHES = 2000, BAD_EVERY = 97 };
	static unsigned sizes[BATCHES];
	char path[128];
	struct event_base *base = event_base_new();
	struct file_sink *fs;
	struct pipeline *p;
	uint64_t valid = 0, before = lines_written();

	(void)state;
	snprintf(path, sizeof(path), "%s/ordered.jsonl", tmpdir);
	p = start(base, path, 8, NULL, &fs);
	srand(12345);
	for (unsigned b = 0; b < BATCHES; b++) {
		/* Mostly small batches with a few large ones: a large batch is
		 * overtaken by the small ones after it. */
		sizes[b] = rand() % 10 == 0 ? 500 + (unsigned)rand() % 1500 : 1 + (unsigned)rand() % 20;
		for (unsigned i = 0; i < sizes[b]; i++)
			valid += i % BAD_EVERY != BAD_EVERY - 1;
		pipeline_submit(p, make_batch(b, sizes[b], BAD_EVERY));
	}
	wait_idle(p);
	assert_int_equal(lines_written() - before, valid);
	assert_int_equal(pipeline_pending_records(p), 0);
	assert_int_equal(pipeline_inflight(p), 0);
	finish(p, fs);
	check_file(path, 0, BATCHES, sizes, BAD_EVERY);
	event_base_free(base);
}

static void
test_reopen_between_batches(void **state)
{
	static const unsigned sizes[] = {300, 300, 300, 300};
	char path[128], rotated[140];
	struct event_base *base = event_base_new();
	struct file_sink *fs;
	struct pipeline *p;

	(void)state;
	snprintf(path, sizeof(path), "%s/reopen.jsonl", tmpdir);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	p = start(base, path, 4, NULL, &fs);
	pipeline_submit(p, make_batch(0, sizes[0], 0));
	pipeline_submit(p, make_batch(1, sizes[1], 0));
	assert_int_equal(rename(path, rotated), 0);
	pipeline_request_reopen(p);
	pipeline_submit(p, make_batch(2, sizes[2], 0));
	pipeline_submit(p, make_batch(3, sizes[3], 0));
	wait_idle(p);
	finish(p, fs);
	check_file(rotated, 0, 2, sizes, 0);
	check_file(path, 2, 4, sizes, 0);
	event_base_free(base);
}

/* A sink that records the batches it is handed: nth is the batch it wants
 * next; every `again`-th call it is not ready (SINK_AGAIN). before, if set,
 * is the sink ahead of it, which must have taken the batch already. */
struct recording_sink {
	uint64_t nth, calls, lines;
	unsigned again;
	const struct recording_sink *before;
	int out_of_order;
};

static enum sink_result
recording_write(void *self, const struct sink_batch *b)
{
	struct recording_sink *r = self;

	if (b->seq != r->nth || (r->before != NULL && r->before->nth <= b->seq))
		r->out_of_order = 1;
	if (r->again && ++r->calls % r->again == 0)
		return SINK_AGAIN;
	r->nth++;
	r->lines += b->nlines;
	return SINK_WRITTEN;
}

static void
test_every_sink_takes_every_batch_in_order(void **state)
{
	enum { BATCHES = 500 };
	struct event_base *base = event_base_new();
	struct recording_sink first = {.again = 3}, second = {.again = 5, .before = &first};
	struct sink sinks[] = {{recording_write, &first}, {recording_write, &second}};
	struct pipeline *p;
	uint64_t records = 0;

	(void)state;
	p = pipeline_new(base, &(struct pipeline_params){.workers = 4,
				   .serialize = {.format = FORMAT_JSON},
				   .sinks = sinks,
				   .nsinks = 2,
				   .on_progress = no_progress});
	srand(4242);
	for (unsigned b = 0; b < BATCHES; b++) {
		unsigned n = 1 + (unsigned)rand() % 30;

		records += n;
		pipeline_submit(p, make_batch(b, n, 0));
	}
	wait_idle(p);
	pipeline_finish(p);
	assert_int_equal(first.nth, BATCHES);
	assert_int_equal(second.nth, BATCHES);
	assert_int_equal(first.lines, records);
	assert_int_equal(second.lines, records);
	assert_false(first.out_of_order);
	assert_false(second.out_of_order);
	assert_true(first.calls > BATCHES && second.calls > BATCHES); /* asked again */
	event_base_free(base);
}

static _Atomic long fake_seconds = 1000;

static long
fake_clock(void)
{
	return atomic_load(&fake_seconds);
}

/* Work arriving after an idle hour is not an hour-long stall: the watchdog
 * and /healthz must see 0 until the writer really stops moving. The output
 * is a FIFO kept full, so the batch stays unwritten while we look. */
static void
test_stall_clock_starts_when_work_arrives(void **state)
{
	char path[128], fill[4096];
	struct event_base *base = event_base_new();
	struct file_sink *fs;
	struct pipeline *p;
	int reader, filler;

	(void)state;
	snprintf(path, sizeof(path), "%s/stall.fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	reader = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	p = start(base, path, 1, fake_clock, &fs);
	pipeline_submit(p, make_batch(0, 1, 0));
	wait_idle(p);

	atomic_fetch_add(&fake_seconds, 3600); /* an idle hour */
	filler = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(filler >= 0);
	memset(fill, 'x', sizeof(fill));
	while (write(filler, fill, sizeof(fill)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	pipeline_submit(p, make_batch(1, 1, 0));
	assert_false(pipeline_idle(p));
	assert_int_equal(pipeline_stalled_for(p), 0);

	/* Let the write through. */
	for (int i = 0; i < WAIT_LIMIT_MS && !pipeline_idle(p); i++) {
		while (read(reader, fill, sizeof(fill)) > 0)
			;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	assert_true(pipeline_idle(p));
	assert_int_equal(pipeline_stalled_for(p), 0);
	finish(p, fs);
	close(filler);
	close(reader);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordered_commit),
		cmocka_unit_test(test_reopen_between_batches),
		cmocka_unit_test(test_every_sink_takes_every_batch_in_order),
		cmocka_unit_test(test_stall_clock_starts_when_work_arrives),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup_threaded, tmpdir_teardown);
}
