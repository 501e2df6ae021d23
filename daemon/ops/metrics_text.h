/*
 * The Prometheus text exposition (format 0.0.4) of the counters (base/stats.h),
 * the write latency histogram and the state gauges below. Pure: it prints
 * what it is given, so a unit test can check every line.
 */
#ifndef LC_METRICS_TEXT_H
#define LC_METRICS_TEXT_H

#include <stdint.h>

struct buf;
struct stats_snapshot;

/* X(name, help): state read from its owner at each scrape (metrics.c),
 * printed as the gauge logcatcher_<name>. */
#define METRICS_GAUGES(X)                                                                          \
	X(connections_active, "Open TCP client connections.")                                      \
	X(inflight_bytes, "Bytes framed and not yet written; reading pauses above "                \
			  "max_inflight.")                                                         \
	X(backpressure_active, "1 while reading from clients is paused for max_inflight.")         \
	X(queue_batches, "Batches handed to the workers and not yet written (queued, "             \
			 "being serialized or waiting for their turn).")                           \
	X(writer_stalled_seconds, "Seconds the writer has had work but made no progress "          \
				  "(0 while idle or moving); /healthz fails above 5.")                     \
	X(forward_lag_records, "Record lines written to the output and not yet acked by "          \
			       "JetStream (0 without nats_servers).")                              \
	X(forward_lag_bytes, "Bytes of the output not yet acked by JetStream.")                    \
	X(forward_lag_seconds, "Seconds since every line was last acked by JetStream (an upper "   \
			       "bound on the age of the oldest unacked line; 0 when caught up).")  \
	X(forward_connected, "1 while the forwarder is connected to NATS.")

struct metrics_gauges {
#define METRICS_GAUGE_FIELD(name, help) uint64_t name;
	METRICS_GAUGES(METRICS_GAUGE_FIELD)
#undef METRICS_GAUGE_FIELD
	uint64_t start_time; /* process_start_time_seconds */
};

void metrics_text(struct buf *out, const struct stats_snapshot *st, const struct metrics_gauges *g);

#endif
