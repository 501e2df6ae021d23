#include "ops/metrics_text.h"

#include <stddef.h>

#include "base/buf.h"
#include "base/stats.h"

#define METRICS_PREFIX "logcatcher_"

struct metrics_counter {
	const char *family; /* NULL: not exported */
	const char *label;
	const char *help; /* "" after the family's first field */
	size_t offset;	  /* in struct stats_snapshot */
};

static const struct metrics_counter metrics_counters[] = {
#define METRICS_COUNTER(field, family, label, help)                                                \
	{family, label, help, offsetof(struct stats_snapshot, field)},
    STATS_COUNTERS(METRICS_COUNTER)
#undef METRICS_COUNTER
};

static void
metrics_text_header(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_text_counters(struct buf *out, const struct stats_snapshot *st)
{
	for (size_t i = 0; i < sizeof(metrics_counters) / sizeof(metrics_counters[0]); i++) {
		const struct metrics_counter *c = &metrics_counters[i];
		const uint64_t *value = (const uint64_t *)((const char *)st + c->offset);

		if (c->family == NULL)
			continue;
		if (c->help[0] != '\0')
			buf_printf(out,
				   "# HELP " METRICS_PREFIX "%s_total %s\n"
				   "# TYPE " METRICS_PREFIX "%s_total counter\n",
				   c->family, c->help, c->family);
		buf_printf(out, METRICS_PREFIX "%s_total%s%s%s %llu\n", c->family,
			   c->label[0] != '\0' ? "{" : "", c->label, c->label[0] != '\0' ? "}" : "",
			   (unsigned long long)*value);
	}
}

static void
metrics_text_histogram(struct buf *out, const struct stats_snapshot *st)
{
	const char *name = METRICS_PREFIX "write_seconds";

	metrics_text_header(
	    out, name, "histogram",
	    "Time taken by each write of a batch to the output or the dead-letter file.");
	for (size_t i = 0; i < STATS_WRITE_NBUCKETS; i++)
		buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, stats_write_bounds[i],
			   (unsigned long long)st->write_le[i]);
	buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
		   (unsigned long long)st->write_count, name, st->write_seconds, name,
		   (unsigned long long)st->write_count);
}

static void
metrics_text_gauges(struct buf *out, const struct metrics_gauges *g)
{
#define METRICS_GAUGE(name, help)                                                                  \
	metrics_text_header(out, METRICS_PREFIX #name, "gauge", help);                             \
	buf_printf(out, METRICS_PREFIX #name " %llu\n", (unsigned long long)g->name);
	METRICS_GAUGES(METRICS_GAUGE)
#undef METRICS_GAUGE
	metrics_text_header(out, "process_start_time_seconds", "gauge",
			    "Start time of the process since unix epoch in seconds.");
	buf_printf(out, "process_start_time_seconds %llu\n", (unsigned long long)g->start_time);
	metrics_text_header(out, METRICS_PREFIX "build_info", "gauge",
			    "Always 1; the version of logcatcherd as a label.");
	buf_printf(out, METRICS_PREFIX "build_info{version=\"%s\"} 1\n", LC_VERSION);
}

void
metrics_text(struct buf *out, const struct stats_snapshot *st, const struct metrics_gauges *g)
{
	metrics_text_counters(out, st);
	metrics_text_histogram(out, st);
	metrics_text_gauges(out, g);
}
