/*
 * The sink seam: where committed batches leave the pipeline.
 *
 * The committer (one worker thread at a time, see pipeline/pipeline.c)
 * hands every committed batch to each sink in turn, in the order the sinks
 * were given to the pipeline and in sequence order: batch n reaches a sink
 * only after every sink has taken batch n-1, and the sink after the first
 * only after the first has written it. The file sink (sink/file_sink.h) is
 * always first: the output file is the record of truth, and a later sink
 * (the forwarder) may read what it wrote.
 *
 * The contract:
 *
 * - What a sink may block on. write() runs on the committer thread with no
 *   pipeline lock held, and every batch behind waits while it runs. A sink
 *   may block only on its own durable store (the file sink on write(2) to
 *   its file, and on the backoff between failed attempts). A sink that
 *   feeds anything slower (a network) must not block: it records how far
 *   the batch goes, wakes its own thread and returns, taking at most a
 *   short lock that its thread never holds across I/O.
 *
 * - Back-pressure and errors. A sink that cannot take a batch now returns
 *   SINK_AGAIN, after waiting out its own backoff; the committer then calls
 *   it again with the same batch (the sink keeps how far it got), unless
 *   the stop has given up. Nothing is dropped: meanwhile batches pile up in
 *   flight, and past max_inflight the loop stops reading sockets. So the
 *   back-pressure is the committer waiting; each SINK_AGAIN counts as
 *   progress for the watchdog, a write blocked in the kernel does not. A
 *   sink logs its own errors (once per change of state) and says how it is
 *   doing through its own functions (file_sink_failing, forwarder_lag).
 *
 * - What "written" means. SINK_WRITTEN from the file sink: the batch's
 *   lines (and its dead letters) are in the file, handed to the kernel with
 *   write(2) — not yet fsynced; the file is fsynced at the stop, before and
 *   after the trailer. For a forwarding sink it means it has been told:
 *   it forwards from the file later, at its own pace.
 */
#ifndef LC_SINK_H
#define LC_SINK_H

#include <stddef.h>
#include <stdint.h>

/* One committed batch, as the sinks see it. Valid during write() only. */
struct sink_batch {
	uint64_t seq;	    /* consecutive: every batch reaches every sink */
	const char *lines;  /* the record lines: lines[0, lines_len) */
	size_t lines_len;
	const char *more;   /* then more[0, more_len) (lines not made in place) */
	size_t more_len;
	uint64_t nlines;    /* record lines in both */
	const char *dead;   /* dead letters, dead[0, dead_len): ndead lines */
	size_t dead_len;
	uint64_t ndead;
	int reopen;	    /* an empty batch asking to reopen the output (SIGHUP) */
};

enum sink_result {
	SINK_WRITTEN, /* done with this batch */
	SINK_AGAIN,   /* not taken yet (after the sink's backoff): call again */
};

struct sink {
	enum sink_result (*write)(void *self, const struct sink_batch *b);
	void *self;
};

#endif
