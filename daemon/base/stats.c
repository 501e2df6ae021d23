#include "base/stats.h"

#include <stddef.h>

struct stats stats;

#define STATS_BOUND(bound) bound,
const double stats_write_bounds[STATS_WRITE_NBUCKETS] = {STATS_WRITE_BUCKETS(STATS_BOUND)};
#undef STATS_BOUND

void
stats_observe_write(uint64_t nsec)
{
	double seconds = (double)nsec / 1e9;
	size_t i = 0;

	while (i < STATS_WRITE_NBUCKETS && seconds > stats_write_bounds[i])
		i++;
	atomic_fetch_add_explicit(&stats.write_buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.write_nsec, nsec, memory_order_relaxed);
}

void
stats_snapshot(struct stats_snapshot *s)
{
	uint64_t total = 0;

#define STATS_READ(name, family, label, help)                                                      \
	s->name = atomic_load_explicit(&stats.name, memory_order_relaxed);
	STATS_COUNTERS(STATS_READ)
#undef STATS_READ
	/* The count is summed from the buckets read here, so that +Inf and
	 * every bucket agree even while writes are being observed. */
	for (size_t i = 0; i <= STATS_WRITE_NBUCKETS; i++) {
		total += atomic_load_explicit(&stats.write_buckets[i], memory_order_relaxed);
		if (i < STATS_WRITE_NBUCKETS)
			s->write_le[i] = total;
	}
	s->write_count = total;
	s->write_seconds =
	    (double)atomic_load_explicit(&stats.write_nsec, memory_order_relaxed) / 1e9;
}
