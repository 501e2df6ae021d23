/*
 * The file sink's write of one batch is up to three pieces: the lines made
 * in place, the lines copied out, the dead letters (to their own file). A
 * failed attempt leaves `piece` and `done` where it stopped, waits its
 * backoff and returns SINK_AGAIN; the committer calls again with the same
 * batch and the write resumes there, so a partial write is never repeated.
 */
#include "sink/file_sink.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/monotime.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "sink/output.h"

enum file_sink_piece { PIECE_LINES, PIECE_MORE, PIECE_DEAD, PIECE_END };

struct file_sink {
	struct output *out;
	struct output *dead; /* or NULL */
	long (*now)(void);   /* monotonic seconds */

	/* The batch being written: where it stopped. */
	int started;	     /* the reopen and replaced checks are done */
	enum file_sink_piece piece;
	size_t done;	     /* bytes of the piece written */
	unsigned delay_ms;   /* the next backoff */

	int failing;	     /* a failure is logged, its recovery not yet */
	long checked_at;     /* when the output's identity was checked */
	_Atomic long failing_since; /* monotonic seconds, 0 when writes work */
};

struct file_sink *
file_sink_new(struct output *out, struct output *dead, long (*clock)(void))
{
	struct file_sink *fs = xcalloc(1, sizeof(*fs));

	fs->out = out;
	fs->dead = dead;
	fs->now = clock != NULL ? clock : monotime_seconds;
	fs->delay_ms = LC_WRITE_RETRY_MIN_MS;
	return fs;
}

/* Reopen the output (and the dead-letter file, rotated with it). */
static void
file_sink_reopen(struct file_sink *fs, const char *what)
{
	if (output_reopen(fs->out) == -1) {
		log_warn("cannot reopen %s; still writing to the old file", output_path(fs->out));
		return;
	}
	log_info("%s %s", what, output_path(fs->out));
	STATS_ADD(reopens, 1);
	if (fs->dead != NULL && output_reopen(fs->dead) == -1)
		log_warn("cannot reopen %s", output_path(fs->dead));
}

/* Before a batch: the reopen it asks for, or (at most once a second) a new
 * file if the output was deleted or replaced. */
static void
file_sink_check(struct file_sink *fs, int reopen)
{
	long now;

	if (reopen) {
		file_sink_reopen(fs, "reopened");
		return;
	}
	if ((now = fs->now()) == fs->checked_at)
		return;
	fs->checked_at = now;
	if (output_replaced(fs->out))
		file_sink_reopen(fs, "output file was deleted or replaced; created a new");
}

/* One attempt at the rest of a piece, timed for the write latency
 * histogram (an empty piece writes nothing and is not timed). */
static int
file_sink_timed_write(struct output *out, const char *data, size_t len, size_t *done)
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

static int
file_sink_write_piece(struct file_sink *fs, const struct sink_batch *b)
{
	switch (fs->piece) {
	case PIECE_LINES:
		return file_sink_timed_write(fs->out, b->lines, b->lines_len, &fs->done);
	case PIECE_MORE:
		return file_sink_timed_write(fs->out, b->more, b->more_len, &fs->done);
	case PIECE_DEAD:
		if (fs->dead == NULL || b->dead_len == 0)
			return 0;
		return file_sink_timed_write(fs->dead, b->dead, b->dead_len, &fs->done);
	case PIECE_END:
		break;
	}
	return 0;
}

/* A failed attempt: counted, logged once, then the backoff (100 ms doubling
 * to LC_WRITE_RETRY_MAX_MS). */
static void
file_sink_failed(struct file_sink *fs)
{
	struct output *to = fs->piece == PIECE_DEAD ? fs->dead : fs->out;
	struct timespec ts = {(time_t)(fs->delay_ms / 1000), (long)(fs->delay_ms % 1000) * 1000000L};

	STATS_ADD(write_errors, 1);
	if (!fs->failing) {
		log_warn("cannot write to %s; holding records and retrying", output_path(to));
		fs->failing = 1;
		atomic_store(&fs->failing_since, fs->now());
	}
	nanosleep(&ts, NULL);
	fs->delay_ms = fs->delay_ms * 2 > LC_WRITE_RETRY_MAX_MS ? LC_WRITE_RETRY_MAX_MS
								: fs->delay_ms * 2;
}

static enum sink_result
file_sink_write(void *self, const struct sink_batch *b)
{
	struct file_sink *fs = self;

	if (!fs->started) {
		file_sink_check(fs, b->reopen);
		fs->started = 1;
	}
	for (; fs->piece != PIECE_END; fs->piece++, fs->done = 0) {
		if (file_sink_write_piece(fs, b) == -1) {
			file_sink_failed(fs);
			return SINK_AGAIN;
		}
	}
	if (fs->dead != NULL && b->ndead > 0)
		STATS_ADD(dead_letters, b->ndead);
	if (fs->failing) {
		log_warnx("writing to %s again", output_path(fs->out));
		fs->failing = 0;
		atomic_store(&fs->failing_since, 0);
	}
	fs->started = 0;
	fs->piece = PIECE_LINES;
	fs->delay_ms = LC_WRITE_RETRY_MIN_MS;
	return SINK_WRITTEN;
}

struct sink
file_sink_sink(struct file_sink *fs)
{
	return (struct sink){.write = file_sink_write, .self = fs};
}

const struct output *
file_sink_output(const struct file_sink *fs)
{
	return fs->out;
}

int
file_sink_failing(const struct file_sink *fs)
{
	long since = atomic_load(&fs->failing_since);

	return since == 0 ? 0 : (int)(fs->now() - since) + 1;
}

int
file_sink_finish(struct file_sink *fs, uint64_t lines)
{
	char trailer[64];
	size_t done = 0;
	int rc = 0;

	snprintf(trailer, sizeof(trailer), "{\"lines_collected\": %llu}\n",
	    (unsigned long long)lines);
	if (output_sync(fs->out) == -1 ||
	    output_write(fs->out, trailer, strlen(trailer), &done) == -1 ||
	    output_sync(fs->out) == -1) {
		log_warn("cannot write the trailer to %s", output_path(fs->out));
		rc = -1;
	}
	file_sink_free(fs);
	return rc;
}

void
file_sink_free(struct file_sink *fs)
{
	if (fs == NULL)
		return;
	output_close(fs->out);
	output_close(fs->dead);
	free(fs);
}
