/*
 * The monotonic clock in whole seconds: for the stall and failure clocks
 * that status, the watchdog and /healthz report (tests pass their own).
 */
#ifndef LC_MONOTIME_H
#define LC_MONOTIME_H

#include <time.h>

static inline long
monotime_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

#endif
