/*
 * One sort worker, run in its own process with its own connection: sorts
 * `workload` random collections with bogosort and logs what it does like a
 * Python app would (1 + 2 x workload + 1 records). It reports its counters
 * to the parent as fixed-size messages on a pipe.
 */
#ifndef LCC_WORKER_H
#define LCC_WORKER_H

#include <signal.h>
#include <stdint.h>

#include "netaddr.h"
#include "options.h"
#include "sender.h"

/* Smaller than PIPE_BUF, so each write to the pipe is atomic. */
struct worker_report {
	uint32_t index;
	uint32_t done;
	struct sender_stats st;
};

/* Run worker `index`; returns its exit status (1 if it dropped records).
 * It stops sorting early once *stop is set. */
int worker_run(const struct options *o, const struct netaddr *na, unsigned index, int report_fd,
	       const volatile sig_atomic_t *stop);

#endif
