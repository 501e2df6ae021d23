/*
 * Process-wide counters, one list (STATS_COUNTERS) generating the struct, the
 * names and the snapshot. Updated with relaxed atomics from the loop and the
 * workers (per batch, not per record); read whole by stats_snapshot.
 */
#ifndef LC_STATS_H
#define LC_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define STATS_COUNTERS(X)                                                                  \
	X(records_received, "records framed from clients")                                 \
	X(lines_written, "record lines written to the output")                             \
	X(records_rejected, "records rejected (invalid payload)")                          \
	X(rejected_json, "records rejected as invalid JSON")                               \
	X(rejected_pickle, "records rejected as invalid pickles")                          \
	X(rejected_format, "records in neither format")                                    \
	X(frames_empty, "zero-length frames")                                              \
	X(frames_oversize, "frames over max_record_size (connection closed)")              \
	X(frames_incomplete, "incomplete frames dropped at disconnect or stop")            \
	X(datagrams_invalid, "UDP datagrams whose length prefix did not match")            \
	X(bytes_in, "bytes read from clients")                                             \
	X(connections_accepted, "TCP connections accepted")                                \
	X(connections_closed, "TCP connections closed")                                    \
	X(connections_rejected_limit, "connections closed at once: max_connections or fds") \
	X(connections_rejected_allow, "connections closed at once: peer not in allow")     \
	X(connections_idle_closed, "connections closed after idle_timeout")                \
	X(datagrams_rejected_allow, "UDP datagrams ignored: peer not in allow")            \
	X(dead_letters, "rejected records written to the dead-letter file")                \
	X(backpressure_pauses, "times reading paused for the in-flight limit")             \
	X(write_errors, "failed writes to the output (retried)")                           \
	X(reopens, "output reopens (SIGHUP)")

struct stats {
#define STATS_FIELD(name, help) _Atomic uint64_t name;
	STATS_COUNTERS(STATS_FIELD)
#undef STATS_FIELD
};

struct stats_snapshot {
#define STATS_FIELD(name, help) uint64_t name;
	STATS_COUNTERS(STATS_FIELD)
#undef STATS_FIELD
};

extern struct stats stats;

#define STATS_ADD(field, n) atomic_fetch_add_explicit(&stats.field, (n), memory_order_relaxed)

void stats_snapshot(struct stats_snapshot *s);

#endif
