#include "rig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/limits.h"
#include "pipeline/pipeline.h"
#include "sink/file_sink.h"
#include "sink/output.h"

static void
rig_progress(void *arg)
{
	struct rig *r = arg;

	if (r->intake != NULL)
		intake_progress(r->intake);
}

static void
rig_ignore_pause(void *arg, int paused)
{
	(void)arg;
	(void)paused;
}

void
rig_open(struct rig *r, const char *path)
{
	struct output *out = output_open(path, 0600);
	struct event_config *ec = event_config_new();
	struct sink sink;

	assert_non_null(out);
	assert_non_null(ec);
	memset(r, 0, sizeof(*r));
	/* Timers to the microsecond, not the coarse clock: tests time them. */
	assert_int_equal(event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER), 0);
	r->base = event_base_new_with_config(ec);
	event_config_free(ec);
	assert_non_null(r->base);
	r->file_sink = file_sink_new(out, NULL, NULL);
	sink = file_sink_sink(r->file_sink);
	r->pipeline = pipeline_new(r->base,
	    &(struct pipeline_params){.workers = 2,
		.serialize = {.format = FORMAT_JSON},
		.sinks = &sink,
		.nsinks = 1,
		.on_progress = rig_progress,
		.arg = r});
}

void
rig_intake(struct rig *r, const struct intake_params *params)
{
	struct intake_params defaults = {.max_inflight = LC_DEFAULT_MAX_INFLIGHT,
	    .max_frame_memory = LC_DEFAULT_FRAME_MEMORY,
	    .pause = rig_ignore_pause};

	r->intake = intake_new(r->base, r->pipeline, params != NULL ? params : &defaults);
}

long long
rig_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
rig_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int
rig_wait(struct rig *r, int (*cond)(void *arg), void *arg, unsigned limit_ms)
{
	long long deadline = rig_now_us() + (long long)limit_ms * 1000;
	struct event *tick = evtimer_new(r->base, rig_tick, NULL);
	struct timeval ms = {0, 1000};

	assert_non_null(tick);
	while (!cond(arg) && rig_now_us() < deadline) {
		evtimer_add(tick, &ms);
		assert_int_not_equal(event_base_loop(r->base, EVLOOP_ONCE), -1);
	}
	event_free(tick);
	return cond(arg);
}

static int
rig_idle(void *arg)
{
	return pipeline_idle(((struct rig *)arg)->pipeline);
}

void
rig_close(struct rig *r)
{
	if (r->intake != NULL)
		intake_flush(r->intake);
	assert_true(rig_wait(r, rig_idle, r, RIG_WAIT_LIMIT_MS));
	intake_free(r->intake);
	r->intake = NULL;
	pipeline_finish(r->pipeline);
	file_sink_free(r->file_sink);
	event_base_loop(r->base, EVLOOP_NONBLOCK); /* deferred frees (connections) */
	event_base_free(r->base);
}
