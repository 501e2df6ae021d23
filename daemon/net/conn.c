#include "net/conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "intake/reader.h"
#include "net/addr.h"

struct conn {
	const struct conn_env *env;
	void *cookie;
	int fd;
	struct event *ev;
	struct reader reader;
	char peer[ADDR_STRLEN];
	time_t since, last_record;
	int paused;   /* the server paused every client (max_inflight) */
	int stopping; /* the daemon stops: read until quiet */
	int armed;    /* the read event is added, with timeout `armed_for` */
	unsigned armed_for;
	int closed;
};

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_arm(struct conn *c);

void
conn_info(const struct conn *c, struct conn_info *info)
{
	info->peer = c->peer;
	info->since = c->since;
	info->last_record = c->last_record;
	info->records = c->reader.records;
	info->bytes = c->reader.bytes;
}

/*
 * Read or not, and with which timeout (milliseconds, 0 = none): the read
 * event is changed only when that changes. A paused connection that holds a
 * reserved frame reads on to its end, since its memory is already counted;
 * that is what keeps a full budget from waiting on itself.
 */
static void
conn_arm(struct conn *c)
{
	int read =
	    !c->closed && !c->reader.waiting && (!c->paused || reader_assembling(&c->reader));
	unsigned ms = c->stopping		     ? LC_STOP_QUIET_MS
		      : reader_mid_frame(&c->reader) ? c->env->frame_timeout * 1000u
						     : c->env->idle_timeout * 1000u;

	if (read && c->armed && c->armed_for == ms)
		return;
	if (!read) {
		if (c->armed)
			event_del(c->ev);
		c->armed = 0;
		return;
	}
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	/* With EV_PERSIST the timeout restarts at every read. */
	event_add(c->ev, ms ? &tv : NULL);
	c->armed = 1;
	c->armed_for = ms;
}

/* Frame memory came for the frame the reader waited on. */
static void
conn_resume_reading(void *arg)
{
	conn_arm(arg);
}

struct conn *
conn_new(const struct conn_env *env, int fd, const struct sockaddr *peer, int paused, void *cookie)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->env = env;
	c->cookie = cookie;
	c->fd = fd;
	addr_format(peer, c->peer, sizeof(c->peer));
	c->since = time(NULL);
	reader_init(&c->reader, env->intake, env->max_record, c, c->peer, conn_resume_reading, c);
	c->ev = event_new(env->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	if (c->ev == NULL)
		fatalx("conn: out of memory");
	c->paused = paused;
	conn_arm(c);
	log_debug("client %s connected", c->peer);
	return c;
}

void
conn_pause(struct conn *c)
{
	c->paused = 1;
	conn_arm(c);
}

void
conn_resume(struct conn *c)
{
	c->paused = 0;
	conn_arm(c);
}

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	event_free(c->ev);
	free(c);
}

/* The one close path: count, log, release the socket now and the memory
 * once no callback of this connection can still be running. `abort` resets
 * the connection instead of closing it: a client that never reads (like
 * SocketHandler) then fails its next send, where after a FIN its next
 * record would be sent into a closed socket and lost. */
static void
conn_close_how(struct conn *c, const char *reason, int abort)
{
	if (c->closed)
		return;
	c->closed = 1;
	if (c->armed)
		event_del(c->ev);
	c->armed = 0;
	if (abort) {
		struct linger reset = {1, 0};

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	}
	close(c->fd);
	reader_end(&c->reader);
	STATS_ADD(connections_closed, 1);
	log_info("client %s disconnected (%s): %llu records, %llu bytes", c->peer, reason,
		 (unsigned long long)c->reader.records, (unsigned long long)c->reader.bytes);
	c->env->on_close(c->env->arg, c->cookie);
	if (event_base_once(c->env->base, -1, EV_TIMEOUT, conn_free_cb, c, NULL) == -1)
		fatalx("conn: cannot schedule a free");
}

static void
conn_close(struct conn *c, const char *reason)
{
	conn_close_how(c, reason, 0);
}

/* Read once, or for the last read at the stop until the socket is empty (at
 * most LC_STOP_DRAIN_MAX bytes). Returns 1 on EOF, -1 on error (errno) or if
 * the connection was closed, 0 otherwise. */
static int
conn_read(struct conn *c, int until_empty)
{
	uint64_t start = c->reader.bytes, records = c->reader.records;
	enum reader_status st;

	do {
		st = reader_read(&c->reader, c->fd);
	} while (st == READER_DATA && until_empty && !c->reader.waiting &&
		 c->reader.bytes - start < LC_STOP_DRAIN_MAX);
	if (c->reader.records != records)
		c->last_record = time(NULL);
	switch (st) {
	case READER_NOT_A_FRAME:
		conn_close_how(c, "not a frame header", 1);
		return -1;
	case READER_EOF:
		return 1;
	case READER_ERROR:
		return -1;
	default:
		conn_arm(c);
		return 0;
	}
}

/* Take the last bytes the kernel holds and close, resetting the connection
 * so that the client's next send fails instead of vanishing. A client still
 * sending keeps its newest records in its own kernel (Nagle) until we ACK
 * what it sent, and our ACK may be delayed (40 ms or more): the reset would
 * discard records whose send succeeded. So once the socket is empty, send
 * that ACK now (TCP_QUICKACK) and read what it releases. */
static void
conn_finish(struct conn *c, const char *reason)
{
	int r = conn_read(c, 1);

	/* Quick-ack mode lasts a few segments: ask again each round, until a
	 * round releases nothing more (bounded, for a client that never stops). */
	for (int round = 0; r == 0 && !c->closed && !c->reader.waiting &&
			    round < LC_STOP_ACK_ROUNDS;
	     round++) {
		uint64_t before = c->reader.bytes;
		int on = 1;

		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
		r = conn_read(c, 1);
		if (c->reader.bytes == before)
			break;
	}
	if (c->closed)
		return;
	if (r == 1)
		conn_close(c, "closed by peer");
	else
		conn_close_how(c, r == -1 ? strerror(errno) : reason, 1);
}

static void
conn_timeout(struct conn *c)
{
	if (c->stopping) {
		conn_finish(c, "daemon stopping");
	} else if (reader_mid_frame(&c->reader)) {
		STATS_ADD(connections_frame_timeout, 1);
		log_warnx("client %s: no byte for %u s in the middle of a frame (frame_timeout)",
			  c->peer, c->env->frame_timeout);
		conn_finish(c, "frame timeout");
	} else {
		STATS_ADD(connections_idle_closed, 1);
		conn_finish(c, "idle timeout");
	}
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int r;

	(void)fd;
	if (what & EV_TIMEOUT) {
		conn_timeout(c);
		return;
	}
	r = conn_read(c, 0);
	if (c->closed)
		return;
	if (r == -1)
		conn_close(c, strerror(errno));
	else if (r == 1)
		conn_close(c, "closed by peer");
}

void
conn_stop(struct conn *c)
{
	c->stopping = 1;
	conn_arm(c);
}

void
conn_drain_and_close(struct conn *c)
{
	if (!c->closed)
		conn_finish(c, "daemon stopping");
}
