/*
 * One connection to the daemon, with the reconnect behaviour of Python's
 * logging.handlers.SocketHandler and a bounded buffer of unsent records.
 *
 * Records are framed (4-byte big-endian length + payload) into the buffer
 * and written with non-blocking sends. A record counts as sent once all of
 * its bytes are in the kernel: the protocol is one-way, there is no ack.
 * When the connection fails (EPIPE, ECONNRESET, the peer closing), the
 * partly written frame is kept and resent whole on the next connection.
 * Reconnects back off from 1 s doubling to 30 s; after retry_max seconds
 * without a connection the sender gives up and drops what it holds. While
 * disconnected, records beyond max_records are dropped; while connected the
 * blocking sender_send() waits for room instead.
 *
 * The caller drives it: sender_pump() does whatever is due, sender_poll()
 * says what to wait for. sender_send()/sender_flush() wrap that for a
 * process with a single connection.
 */
#ifndef LCC_SENDER_H
#define LCC_SENDER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

struct sender;

struct sender_opts {
	const struct netaddr *addr;
	size_t max_records; /* unsent records held, at least 1 */
	double retry_max;   /* seconds without a connection before giving up */
	const char *label;  /* prefix of state-change messages; NULL: silent */
};

/* produced = sent + dropped + still queued, at every moment. */
struct sender_stats {
	uint64_t produced;
	uint64_t sent;
	uint64_t dropped;
	uint64_t reconnects;
};

struct sender *sender_new(const struct sender_opts *opts);
/* Close the connection; records still queued count as dropped. */
void sender_free(struct sender *s);
const struct sender_stats *sender_stats(const struct sender *s);
size_t sender_queued(const struct sender *s);
int sender_gave_up(const struct sender *s);

/* Queue one record without waiting: 0, or -1 if it was dropped (buffer
 * full, payload too large, or given up). */
int sender_queue(struct sender *s, const void *payload, size_t len);
/* Connect if due, finish a connect, write what the socket takes. */
void sender_pump(struct sender *s);
/* Fill pfd with what to wait for (fd -1 for nothing) and return the poll
 * timeout in ms until the sender has something to do by itself, or -1. */
int sender_poll(const struct sender *s, struct pollfd *pfd);

/* Blocking use: queue, first waiting for room while connected. */
int sender_send(struct sender *s, const void *payload, size_t len);
/* Blocking use: wait until everything is sent or the sender gave up. */
void sender_flush(struct sender *s);

#endif
