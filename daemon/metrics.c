/* Placeholder until the metrics endpoint lands (issue 8). */
#include "metrics.h"

#include <stdio.h>

struct metrics *
metrics_start(struct event_base *base, char *const *addrs, size_t naddrs,
    const struct metrics_sources *src)
{
	(void)base;
	(void)addrs;
	(void)naddrs;
	(void)src;
	fprintf(stderr, "logcatcherd: metrics_listen is not supported yet\n");
	return NULL;
}

void
metrics_free(struct metrics *m)
{
	(void)m;
}
