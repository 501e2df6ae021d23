/*
 * The intake's budgets and timer (issue 13): reading pauses when the bytes
 * in flight (the pipeline's and the pool's) reach max_inflight and resumes
 * at or below half; the open batch goes to the pipeline LC_FLUSH_DELAY_US
 * after its first record even when it is not full; and connections waiting
 * for frame memory are woken in order, the first keeping its turn while it
 * still does not fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/limits.h"
#include "base/stats.h"
#include "intake/intake.h"
#include "pipeline/batch_int.h"
#include "pipeline/pipeline.h"
#include "rig.h"
#include "tmpdir.h"

/* What the pause callback was told, and the bytes in flight then. */
struct pauses {
	struct rig *rig;
	int calls;
	int last;
	size_t inflight_at[8];
};

static size_t
inflight(const struct rig *r)
{
	return pipeline_inflight(r->pipeline) + batch_pool_bytes();
}

/* Lines written so far: the process-wide counter the trailer reads. */
static uint64_t
written_lines(void)
{
	struct stats_snapshot st;

	stats_snapshot(&st);
	return st.lines_written;
}

static void
on_pause(void *arg, int paused)
{
	struct pauses *p = arg;

	assert_true(p->calls < 8);
	/* Strictly alternating: pause, resume, pause, ... */
	assert_int_equal(paused, p->calls % 2 == 0);
	p->inflight_at[p->calls++] = inflight(p->rig);
	p->last = paused;
}

/* A batch of about 64 KiB, all of its bytes counted. */
static struct batch *
big_batch(void)
{
	struct batch *b = batch_new();

	buf_reserve(&b->in, 64 * 1024);
	batch_add(b, b, "127.0.0.1:1", "{}", 2);
	return b;
}

/* The marks exactly: the free batches in the pool count in flight, and the
 * test sets them to the byte. */
static void
test_pause_at_the_mark_resume_at_half(void **state)
{
	struct batch *b[5];
	struct pauses p = {0};
	struct rig r;
	char path[128];
	size_t each;

	(void)state;
	snprintf(path, sizeof(path), "%s/marks.jsonl", tmpdir);
	batch_pool_drain();
	for (int i = 0; i < 5; i++)
		b[i] = big_batch();
	each = batch_bytes(b[0]);
	assert_int_equal(batch_bytes(b[4]), each);
	rig_open(&r, path);
	p.rig = &r;
	rig_intake(&r, &(struct intake_params){.max_inflight = 4 * each,
	    .max_frame_memory = LC_DEFAULT_FRAME_MEMORY, .pause = on_pause, .arg = &p});
	batch_pool_limit(SIZE_MAX); /* the test fills the pool past the intake's cap */

	for (int i = 0; i < 3; i++)
		batch_free(b[i]);
	intake_progress(r.intake);
	assert_int_equal(p.calls, 0); /* 3/4 of the mark */
	assert_false(intake_paused(r.intake));
	batch_free(b[3]);
	intake_progress(r.intake);
	assert_int_equal(p.calls, 1); /* at the mark */
	assert_int_equal(p.inflight_at[0], 4 * each);
	assert_true(intake_paused(r.intake));
	batch_free(b[4]);
	intake_progress(r.intake);
	assert_int_equal(p.calls, 1); /* paused once */

	for (int i = 4; i >= 3; i--) {
		b[i] = batch_new();
		intake_progress(r.intake);
		assert_int_equal(p.calls, 1); /* above half */
	}
	b[2] = batch_new();
	intake_progress(r.intake);
	assert_int_equal(p.calls, 2); /* at half */
	assert_int_equal(p.inflight_at[1], 2 * each);
	assert_false(intake_paused(r.intake));
	b[1] = batch_new();
	intake_progress(r.intake);
	assert_int_equal(p.calls, 2);

	for (int i = 1; i < 5; i++)
		batch_free(b[i]);
	batch_pool_drain();
	rig_close(&r);
}

struct fifo {
	struct rig *rig;
	struct pauses *pauses;
	int reader;
};

/* Let the output move: empty the FIFO. */
static void
fifo_drain(struct fifo *f)
{
	char sink[65536];

	while (read(f->reader, sink, sizeof(sink)) > 0)
		;
}

static int
resumed(void *arg)
{
	struct fifo *f = arg;

	fifo_drain(f);
	return f->pauses->calls == 2;
}

static int
drained(void *arg)
{
	struct fifo *f = arg;

	fifo_drain(f);
	return pipeline_idle(f->rig->pipeline);
}

/* The pipeline's bytes: batches submitted to an output that cannot be
 * written (a full FIFO) pause reading once they reach the mark; as the
 * output drains, the pipeline's progress resumes it at half. */
static void
test_pipeline_bytes_pause_and_resume(void **state)
{
	enum { HIGH = 256 * 1024 };
	char path[128], fill[4096], rec[1000];
	struct pauses p = {0};
	struct rig r;
	struct fifo f = {&r, &p, -1};
	int filler, submitted = 0;
	uint64_t before = written_lines();

	(void)state;
	snprintf(path, sizeof(path), "%s/inflight.fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	f.reader = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(f.reader >= 0);
	batch_pool_drain();
	rig_open(&r, path);
	p.rig = &r;
	rig_intake(&r, &(struct intake_params){.max_inflight = HIGH,
	    .max_frame_memory = LC_DEFAULT_FRAME_MEMORY, .pause = on_pause, .arg = &p});
	filler = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(filler >= 0);
	memset(fill, 'x', sizeof(fill));
	while (write(filler, fill, sizeof(fill)) > 0)
		;
	assert_int_equal(errno, EAGAIN);

	memset(rec, ' ', sizeof(rec));
	rec[0] = '{';
	rec[sizeof(rec) - 1] = '}';
	while (p.calls == 0) {
		/* Nothing is written: what is in flight only grows, and stays
		 * below the mark until the pause. */
		assert_true(inflight(&r) < HIGH);
		for (int i = 0; i < 10; i++)
			intake_record(r.intake, &r, "127.0.0.1:1", rec, sizeof(rec));
		intake_flush(r.intake);
		assert_true(++submitted < 1000);
	}
	assert_true(p.inflight_at[0] >= HIGH);
	assert_true(intake_paused(r.intake));
	assert_true(pipeline_inflight(r.pipeline) > HIGH / 2);

	assert_true(rig_wait(&r, resumed, &f, RIG_WAIT_LIMIT_MS));
	assert_true(p.inflight_at[1] <= HIGH / 2);
	assert_false(intake_paused(r.intake));
	assert_true(rig_wait(&r, drained, &f, RIG_WAIT_LIMIT_MS));
	assert_int_equal(written_lines() - before, (uint64_t)submitted * 10);
	rig_close(&r);
	close(filler);
	close(f.reader);
	batch_pool_drain();
}

struct flush {
	struct rig *rig;
	uint64_t before; /* lines written before the records */
};

static int
submitted(void *arg)
{
	struct flush *f = arg;

	return pipeline_batches_pending(f->rig->pipeline) > 0 ||
	       written_lines() > f->before;
}

static int
idle(void *arg)
{
	return pipeline_idle(((struct rig *)arg)->pipeline);
}

/* A quiet client's records wait at most LC_FLUSH_DELAY_US, gathered into one
 * batch: not submitted at once, nor by the next record, but by the timer. */
static void
test_open_batch_flushed_after_the_delay(void **state)
{
	struct rig r;
	char path[128];
	long long t0, waited;

	(void)state;
	snprintf(path, sizeof(path), "%s/flush.jsonl", tmpdir);
	rig_open(&r, path);
	rig_intake(&r, NULL);
	for (int round = 0; round < 3; round++) {
		uint64_t before = written_lines();
		struct flush f = {&r, before};

		t0 = rig_now_us();
		intake_record(r.intake, &r, "127.0.0.1:1", "{\"n\":1}", 7);
		intake_record(r.intake, &r, "127.0.0.1:1", "{\"n\":2}", 7);
		assert_int_equal(pipeline_batches_pending(r.pipeline), 0);
		assert_int_equal(written_lines(), before);
		assert_true(rig_wait(&r, submitted, &f, RIG_WAIT_LIMIT_MS));
		waited = rig_now_us() - t0;
		assert_true(waited >= LC_FLUSH_DELAY_US);
		/* Both records went in that one batch. */
		assert_int_equal(pipeline_pending_records(r.pipeline) + written_lines(),
		    before + 2);
		assert_true(rig_wait(&r, idle, &r, RIG_WAIT_LIMIT_MS));
		assert_int_equal(written_lines(), before + 2);
	}
	rig_close(&r);
}

/* A waiter for frame memory: takes `need` bytes when woken, if they fit. */
struct waiter {
	struct intake_waiter w;
	struct intake *in;
	size_t need;
	int id;
	int *log, *nlog;
};

static int
waiter_wake(void *arg)
{
	struct waiter *w = arg;

	w->log[(*w->nlog)++] = w->id;
	if (!intake_frame_admit(w->in, w->need))
		return 0;
	intake_frame_held(w->in, (long long)w->need); /* as a connection reserves */
	return 1;
}

static void
test_frame_memory_waiters_in_order(void **state)
{
	enum { BUDGET = 100 };
	struct rig r;
	char path[128];
	int log[16], nlog = 0;
	struct waiter w[4];
	static const size_t need[4] = {50, 20, 5, 1};

	(void)state;
	snprintf(path, sizeof(path), "%s/frames.jsonl", tmpdir);
	rig_open(&r, path);
	rig_intake(&r, &(struct intake_params){.max_inflight = LC_DEFAULT_MAX_INFLIGHT,
	    .max_frame_memory = BUDGET, .pause = on_pause});
	for (int i = 0; i < 4; i++)
		w[i] = (struct waiter){.w = {.wake = waiter_wake, .arg = &w[i]}, .in = r.intake,
		    .need = need[i], .id = i, .log = log, .nlog = &nlog};

	intake_frame_held(r.intake, 80);
	assert_int_equal(intake_frame_memory(r.intake), 80);
	assert_true(intake_frame_admit(r.intake, 20));
	assert_false(intake_frame_admit(r.intake, 21));
	assert_false(intake_frame_contended(r.intake));
	intake_frame_wait(r.intake, &w[0].w);
	intake_frame_wait(r.intake, &w[1].w);
	intake_frame_wait(r.intake, &w[0].w); /* already waiting: keeps its place */
	intake_frame_wait(r.intake, &w[2].w);
	assert_true(intake_frame_contended(r.intake));

	/* Taking memory wakes no one. */
	intake_frame_held(r.intake, 10);
	assert_int_equal(nlog, 0);
	/* 45 free, w0 needs 50: it keeps its turn, and w1 and w2, which would
	 * fit, are not asked before it. */
	intake_frame_held(r.intake, -35);
	assert_int_equal(nlog, 1);
	assert_int_equal(log[0], 0);
	/* 60 free: w0 takes 50; w1 (20) does not fit in the 10 left and keeps
	 * its turn before w2 (5), which would. */
	intake_frame_held(r.intake, -15);
	assert_int_equal(intake_frame_memory(r.intake), 90);
	assert_int_equal(nlog, 3);
	assert_int_equal(log[1], 0);
	assert_int_equal(log[2], 1);
	assert_true(intake_frame_contended(r.intake));
	/* The last one leaves the queue; a new one queues behind w1, and w2
	 * again behind it. */
	intake_frame_unwait(r.intake, &w[2].w);
	intake_frame_wait(r.intake, &w[3].w);
	intake_frame_wait(r.intake, &w[2].w);
	intake_frame_held(r.intake, -50);
	assert_int_equal(intake_frame_memory(r.intake), 40 + 20 + 1 + 5);
	assert_int_equal(nlog, 6);
	assert_int_equal(log[3], 1);
	assert_int_equal(log[4], 3);
	assert_int_equal(log[5], 2);
	assert_false(intake_frame_contended(r.intake));
	/* Nobody left to wake. */
	intake_frame_held(r.intake, -66);
	assert_int_equal(intake_frame_memory(r.intake), 0);
	assert_int_equal(nlog, 6);
	rig_close(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_at_the_mark_resume_at_half),
		cmocka_unit_test(test_pipeline_bytes_pause_and_resume),
		cmocka_unit_test(test_open_batch_flushed_after_the_delay),
		cmocka_unit_test(test_frame_memory_waiters_in_order),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup_threaded, tmpdir_teardown);
}
