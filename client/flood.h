/*
 * Flood mode: no sorting; send o->records LogRecord-like records of about
 * o->size bytes over o->connections connections from one process, with
 * non-blocking sockets and poll(), as fast as possible or at o->rate.
 */
#ifndef LCC_FLOOD_H
#define LCC_FLOOD_H

#include <signal.h>

#include "netaddr.h"
#include "options.h"
#include "progress.h"

/* Run the flood, summing the connections' counters into p->st; records not
 * generated because of *stop are not counted. Returns 0, or -1 (with a
 * message) if it could not start. */
int flood_run(const struct options *o, const struct netaddr *na, struct progress *p,
	      const volatile sig_atomic_t *stop);

#endif
