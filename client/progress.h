/* What a run reports: the live progress line and the final summary. */
#ifndef LCC_PROGRESS_H
#define LCC_PROGRESS_H

#include <stdint.h>

#include "sender.h"

struct progress {
	struct sender_stats st; /* summed over workers or connections */
	unsigned workers;
	unsigned workers_done;
	unsigned connections;
	double start;	  /* mono_now() at the start of the run */
	double next_line; /* when the progress line is due again */
	int live;	  /* draw the progress line (stderr is a terminal) */
};

void progress_init(struct progress *p, int quiet);
void progress_add(struct sender_stats *sum, const struct sender_stats *st);
/* Redraw the progress line if it is due (or force). */
void progress_tick(struct progress *p, int force);
/* Clear the line and print the summary: text on stderr unless quiet, one
 * JSON line on stdout if json. */
void progress_summary(struct progress *p, int quiet, int json);

#endif
