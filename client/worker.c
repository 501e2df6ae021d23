#include "worker.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "bogosort.h"
#include "defaults.h"
#include "mono.h"
#include "record.h"

/* Where the Python original of this demo would live. */
#define WORKER_PATHNAME "/opt/logcatcher-demo/bogosort.py"

struct worker {
	const struct options *o;
	struct record_source src;
	struct sender *sender;
	struct bytebuf payload;
	struct worker_report report;
	int report_fd;
	double next_report;
	uint64_t rng;
};

/* xorshift64*: per-process random data without global state. */
static uint64_t
worker_random(struct worker *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ull;
}

static void
worker_report(struct worker *w, int done)
{
	double now = mono_now();

	if (!done && now < w->next_report)
		return;
	w->next_report = now + LCC_REPORT_INTERVAL;
	w->report.done = (uint32_t)done;
	w->report.st = *sender_stats(w->sender);
	/* A parent that went away is not this worker's problem. */
	if (write(w->report_fd, &w->report, sizeof(w->report)) == -1)
		return;
}

static void __attribute__((format(printf, 5, 6)))
worker_log(struct worker *w, int levelno, int lineno, const char *func, const char *fmt, ...)
{
	struct record_event ev = {levelno, lineno, func, NULL};
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev.msg = msg;
	record_encode(&w->src, &ev, w->o->format, &w->payload);
	sender_send(w->sender, w->payload.data, w->payload.len);
	if (w->o->echo)
		/* One write per line: workers share stderr. */
		dprintf(STDERR_FILENO, "%s:%s:%s\n", record_level_name(levelno), w->src.name, msg);
	worker_report(w, 0);
}

static void
worker_sort_one(struct worker *w, unsigned number)
{
	unsigned span = w->o->max_items - w->o->min_items + 1;
	size_t n = w->o->min_items + (size_t)(worker_random(w) % span);
	double v[LCC_MAX_ITEMS], t0, ms;
	uint64_t steps;

	for (size_t i = 0; i < n; i++)
		v[i] = (double)(worker_random(w) >> 11) / 9007199254740992.0; /* [0, 1) */
	worker_log(w, RECORD_DEBUG, 21, "sort", "Sorting %u", number);
	t0 = mono_now();
	steps = bogosort_sort(v, n);
	ms = (mono_now() - t0) * 1000.0;
	worker_log(w, RECORD_INFO, 24, "sort", "Sorted %zu items in %llu steps, %.3f ms", n,
		   (unsigned long long)steps, ms);
}

int
worker_run(const struct options *o, const struct netaddr *na, unsigned index, int report_fd,
	   const volatile sig_atomic_t *stop)
{
	struct worker w = {.o = o, .report_fd = report_fd, .report.index = index};
	char label[32];
	struct sender_opts so = {na, o->buffer, o->retry_max, NULL};
	double t0 = mono_now();
	int dropped;

	snprintf(label, sizeof(label), "worker %u", index);
	if (!o->quiet)
		so.label = label;
	record_source_init(&w.src, "BogoSort", WORKER_PATHNAME);
	w.src.start = mono_wall();
	w.rng = ((uint64_t)getpid() << 32 ^ (uint64_t)(mono_wall() * 1e6)) | 1;
	w.sender = sender_new(&so);
	worker_log(&w, RECORD_INFO, 30, "run", "sorting %u collections", o->workload);
	/* A worker whose connection was given up on has no one to log to. */
	for (unsigned i = 1; i <= o->workload && !*stop && !sender_gave_up(w.sender); i++)
		worker_sort_one(&w, i);
	worker_log(&w, RECORD_INFO, 34, "run", "produced %llu entries, taking %f s",
		   (unsigned long long)sender_stats(w.sender)->produced + 1, mono_now() - t0);
	sender_flush(w.sender);
	worker_report(&w, 1);
	dropped = sender_stats(w.sender)->dropped > 0;
	sender_free(w.sender);
	bytebuf_free(&w.payload);
	return dropped ? 1 : 0;
}
