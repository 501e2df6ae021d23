/*
 * The file sink, the first sink (sink/sink.h): writes each committed
 * batch's lines to the output file and its dead letters to the dead-letter
 * file, retrying a failed write with backoff (records are held, never
 * dropped), timing each write for the latency histogram. Between batches
 * it reopens the output on request (SIGHUP) and, at most once a second,
 * when the file at its path was deleted or replaced. Owned by the
 * committer thread but for file_sink_failing.
 */
#ifndef LC_FILE_SINK_H
#define LC_FILE_SINK_H

#include <stdint.h>

#include "sink/sink.h"

struct file_sink;
struct output;

/* Takes over out and dead (NULL: no dead-letter file). clock: monotonic
 * seconds, NULL for CLOCK_MONOTONIC (tests pass their own). */
struct file_sink *file_sink_new(struct output *out, struct output *dead, long (*clock)(void));

/* The sink to hand the pipeline. */
struct sink file_sink_sink(struct file_sink *fs);

/* The output, for a sink after this one that reads it back (committer
 * thread), and for its name. */
const struct output *file_sink_output(const struct file_sink *fs);

/* Whether writes have been failing, as 1 + the seconds since they started
 * to (0 if writing works). Any thread: for the status and the watchdog. */
int file_sink_failing(const struct file_sink *fs);

/* After the last batch: fsync, append the trailer {"lines_collected": lines},
 * fsync; then close both files and free. 0, or -1 after logging why (the
 * files are closed either way). */
int file_sink_finish(struct file_sink *fs, uint64_t lines);

/* Close both files without a trailer (a start that failed) and free. NULL
 * is fine. */
void file_sink_free(struct file_sink *fs);

#endif
