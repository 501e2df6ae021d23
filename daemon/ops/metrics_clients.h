/*
 * The metrics endpoint's /clients: the open connections as JSON, the most
 * active first (by records, then bytes), at most `max` of them, with the
 * total count.
 */
#ifndef LC_METRICS_CLIENTS_H
#define LC_METRICS_CLIENTS_H

#include <stddef.h>

struct buf;
struct conn_info;
struct server;

/* {"total": N, "shown": K, "clients": [{"peer": ..., "connected_since": T,
 * "last_record": T|null, "records": N, "bytes": N}, ...]} and a newline.
 * Sorts v in place. Times are seconds since the epoch. */
void metrics_clients_json(struct buf *out, struct conn_info *v, size_t n, size_t max);

/* The same for the server's clients (loop thread). */
void metrics_clients(struct buf *out, const struct server *srv, size_t max);

#endif
