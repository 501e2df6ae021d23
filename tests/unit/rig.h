/* A pipeline with its intake on a real event base, as the collector wires
 * them, for the tests of what reads into the intake (conn, server, intake),
 * and bounded waits on a condition while the loop runs. */
#ifndef LC_TEST_RIG_H
#define LC_TEST_RIG_H

#include <stddef.h>

#include "intake/intake.h"

struct event_base;
struct file_sink;
struct pipeline;

/* How long any wait of a test may take before it fails. */
#define RIG_WAIT_LIMIT_MS 60000

struct rig {
	struct event_base *base;
	struct pipeline *pipeline;
	struct file_sink *file_sink; /* its only sink */
	struct intake *intake; /* told of the pipeline's progress */
};

/* A base and a pipeline (2 workers, JSON) writing to `path` (a file, or a
 * FIFO that has a reader). */
void rig_open(struct rig *r, const char *path);
/* The intake; params NULL: the default budgets, the pause ignored. */
void rig_intake(struct rig *r, const struct intake_params *params);

/* Run the loop until cond(arg) holds, at most limit_ms; returns cond(arg).
 * The loop blocks on its events, waking at least every millisecond. */
int rig_wait(struct rig *r, int (*cond)(void *arg), void *arg, unsigned limit_ms);

/* Submit the open batch, wait (bounded) until everything is written, and
 * free it all. */
void rig_close(struct rig *r);

/* Monotonic microseconds. */
long long rig_now_us(void);

#endif
