#include "stats.h"

struct stats stats;

void
stats_snapshot(struct stats_snapshot *s)
{
#define STATS_READ(name, help) s->name = atomic_load_explicit(&stats.name, memory_order_relaxed);
	STATS_COUNTERS(STATS_READ)
#undef STATS_READ
}
