/*
 * The metrics endpoint: an HTTP server (libevent's evhttp) on its own
 * addresses, off unless metrics_listen is set. Serves /metrics (Prometheus
 * text), /healthz (200 or 503 with a reason) and /clients (JSON). Runs in
 * the loop thread and never blocks the collector.
 */
#ifndef LC_METRICS_H
#define LC_METRICS_H

#include <stddef.h>
#include <time.h>

struct event_base;
struct forwarder;
struct intake;
struct metrics;
struct pipeline;
struct server;

/* Where the gauges come from; all owned by the loop thread, and outliving
 * the metrics endpoint. */
struct metrics_sources {
	const struct server *server;
	const struct pipeline *pipeline;
	const struct intake *intake;
	const struct forwarder *forwarder; /* or NULL */
	time_t started;
};

/* Bind every address (logging "metrics on http://ADDR", and a warning for
 * one that is not loopback); NULL after printing why one could not be
 * bound. */
struct metrics *metrics_start(struct event_base *base, char *const *addrs, size_t naddrs,
			      const struct metrics_sources *src);
/* Close the listeners and every connection; NULL is fine. */
void metrics_free(struct metrics *m);

#endif
