#include "mono.h"

#include <limits.h>
#include <time.h>

static double
mono_read(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
mono_now(void)
{
	return mono_read(CLOCK_MONOTONIC);
}

double
mono_wall(void)
{
	return mono_read(CLOCK_REALTIME);
}

int
mono_ms_until(double when)
{
	double ms = (when - mono_now()) * 1000.0;

	if (ms <= 0)
		return 0;
	if (ms >= INT_MAX)
		return INT_MAX;
	/* Round up so a wait never wakes just before its deadline. */
	return (int)ms + 1;
}
