/*
 * Process-wide counters, one list (STATS_COUNTERS) generating the struct, the
 * snapshot, the Prometheus exposition (ops/metrics_text.c) and the unit test that
 * checks it. Updated with relaxed atomics from the loop and the workers (per
 * batch, not per record); read whole by stats_snapshot. State gauges (open
 * connections, bytes in flight) are not counted here: they are read from
 * their owners when scraped.
 *
 * X(field, family, label, help):
 *   field   the C name, for STATS_ADD(field, n);
 *   family  the Prometheus name, printed as logcatcher_<family>_total; NULL
 *           for a field that is only kept internally (a sum of a labelled
 *           family, which Prometheus sums itself);
 *   label   "" or the one label that tells apart the fields of a family,
 *           which follow each other in the list;
 *   help    the family's HELP text, on its first field ("" on the others).
 */
#ifndef LC_STATS_H
#define LC_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define STATS_COUNTERS(X)                                                                          \
	X(records_received, "records_received", "", "Records framed from clients.")                \
	X(lines_written, "records_written", "",                                                    \
	  "Record lines written to the output (the trailer's lines_collected).")                   \
	X(records_rejected, NULL, "", "")                                                          \
	X(rejected_json, "records_rejected", "reason=\"json\"",                                    \
	  "Records rejected: invalid JSON, invalid pickle, or neither format.")                    \
	X(rejected_pickle, "records_rejected", "reason=\"pickle\"", "")                            \
	X(rejected_format, "records_rejected", "reason=\"format\"", "")                            \
	X(frames_empty, "frames_rejected", "reason=\"empty\"",                                     \
	  "Frames dropped by the framing: zero-length, over max_record_size (skipped), "           \
	  "incomplete at a disconnect or the stop, a header that is no frame (closes).")           \
	X(frames_oversize, "frames_rejected", "reason=\"oversize\"", "")                           \
	X(frames_incomplete, "frames_rejected", "reason=\"incomplete\"", "")                       \
	X(frames_bad, "frames_rejected", "reason=\"not_a_frame\"", "")                             \
	X(datagrams_invalid, "datagrams_invalid", "",                                              \
	  "UDP datagrams whose length prefix did not match their size.")                           \
	X(bytes_in, "received_bytes", "", "Bytes read from clients.")                              \
	X(connections_accepted, "connections_accepted", "", "TCP connections accepted.")           \
	X(connections_closed, "connections_closed", "", "TCP connections closed.")                 \
	X(connections_rejected_limit, "connections_rejected", "reason=\"limit\"",                  \
	  "Connections closed at once: max_connections or the descriptor limit "                   \
	  "(limit), peer not in allow (allow).")                                                   \
	X(connections_rejected_allow, "connections_rejected", "reason=\"allow\"", "")              \
	X(connections_idle_closed, "connections_idle_closed", "",                                  \
	  "Connections closed after idle_timeout.")                                                \
	X(connections_frame_timeout, "connections_frame_timeout", "",                              \
	  "Connections closed after frame_timeout in the middle of a frame.")                      \
	X(datagrams_rejected_allow, "datagrams_rejected", "reason=\"allow\"",                      \
	  "UDP datagrams ignored: peer not in allow.")                                             \
	X(dead_letters, "dead_letters", "", "Rejected records written to the dead-letter file.")   \
	X(backpressure_pauses, "backpressure_pauses", "",                                          \
	  "Times reading paused for the max_inflight limit.")                                      \
	X(write_errors, "write_errors", "", "Failed writes to the output (retried).")              \
	X(reopens, "reopens", "", "Output reopens (SIGHUP, or the file was replaced).")            \
	X(torn_lines, "torn_lines_repaired", "",                                                   \
	  "Torn last lines (cut short by a crash) cut off the output or dead-letter file at "      \
	  "open.")                                                                                 \
	X(forward_published, "forward_published", "",                                              \
	  "Record lines published to NATS JetStream (first attempts).")                            \
	X(forward_acked, "forward_acked", "", "Record lines JetStream acked (stored).")             \
	X(forward_duplicates, "forward_duplicates", "",                                            \
	  "Acked lines JetStream had already (published again after a restart or a retry; "        \
	  "dropped by the stream's duplicate window).")                                            \
	X(forward_retried, "forward_retried", "",                                                  \
	  "Messages published again (nacked, not acked in time, or not sent).")                    \
	X(forward_failed, "forward_failed", "",                                                    \
	  "Publishes that failed or were nacked (each is retried).")                               \
	X(forward_skipped, "forward_skipped", "",                                                  \
	  "Lines never forwarded: longer than the server's max_payload.")                          \
	X(forward_files_lost, "forward_files_lost", "",                                            \
	  "Checkpointed output files gone at start: what they held beyond the checkpoint was "     \
	  "not forwarded.")

/* Upper bounds (seconds) of the write latency histogram's buckets. */
/* clang-format off */
#define STATS_WRITE_BUCKETS(X) \
	X(0.0001) X(0.00025) X(0.0005) X(0.001) X(0.0025) X(0.005) X(0.01) X(0.025) X(0.05) \
	X(0.1) X(0.25) X(0.5) X(1) X(2.5) X(5) X(10)
/* clang-format on */
#define STATS_COUNT_BUCKET(bound) +1
#define STATS_WRITE_NBUCKETS (0 STATS_WRITE_BUCKETS(STATS_COUNT_BUCKET))

struct stats {
#define STATS_FIELD(name, family, label, help) _Atomic uint64_t name;
	STATS_COUNTERS(STATS_FIELD)
#undef STATS_FIELD
	/* Per bucket, not cumulative; the last one is above every bound. */
	_Atomic uint64_t write_buckets[STATS_WRITE_NBUCKETS + 1];
	_Atomic uint64_t write_nsec;
};

struct stats_snapshot {
#define STATS_FIELD(name, family, label, help) uint64_t name;
	STATS_COUNTERS(STATS_FIELD)
#undef STATS_FIELD
	/* Cumulative, as Prometheus wants them: write_le[i] is the number of
	 * writes that took at most stats_write_bounds[i]; write_count all. */
	uint64_t write_le[STATS_WRITE_NBUCKETS];
	uint64_t write_count;
	double write_seconds;
};

extern struct stats stats;
extern const double stats_write_bounds[STATS_WRITE_NBUCKETS];

#define STATS_ADD(field, n) atomic_fetch_add_explicit(&stats.field, (n), memory_order_relaxed)

/* One write to the output took this long (committer thread). */
void stats_observe_write(uint64_t nsec);

void stats_snapshot(struct stats_snapshot *s);

#endif
