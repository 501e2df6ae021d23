#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "framing.h"
#include "intake.h"
#include "limits.h"
#include "log.h"
#include "stats.h"
#include "xmalloc.h"

struct conn {
	const struct conn_env *env;
	void *cookie;
	int fd;
	struct event *ev;
	struct framer framer;
	char peer[ADDR_STRLEN];
	uint64_t records;
	uint64_t bytes;
	time_t since, last_record;
	int closed;
};

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);

void
conn_info(const struct conn *c, struct conn_info *info)
{
	info->peer = c->peer;
	info->since = c->since;
	info->last_record = c->last_record;
	info->records = c->records;
	info->bytes = c->bytes;
}

struct conn *
conn_new(const struct conn_env *env, int fd, const struct sockaddr *peer, int paused,
    void *cookie)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->env = env;
	c->cookie = cookie;
	c->fd = fd;
	addr_format(peer, c->peer, sizeof(c->peer));
	c->since = time(NULL);
	framer_init(&c->framer);
	c->ev = event_new(env->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	if (c->ev == NULL)
		fatalx("conn: out of memory");
	if (!paused)
		conn_resume(c);
	log_debug("client %s connected", c->peer);
	return c;
}

void
conn_pause(struct conn *c)
{
	event_del(c->ev);
}

void
conn_resume(struct conn *c)
{
	/* With EV_PERSIST the idle timer restarts at every read. */
	struct timeval idle = {(time_t)c->env->idle_timeout, 0};

	if (!c->closed)
		event_add(c->ev, c->env->idle_timeout ? &idle : NULL);
}

/* A record framed from the loop's scratch buffer: copied into the batch. */
static void
conn_sink(void *arg, const uint8_t *payload, uint32_t len)
{
	struct conn *c = arg;

	intake_record(c->env->intake, c, c->peer, payload, len);
	c->records++;
}

/* A record framed where it was read, in the open batch. */
static void
conn_sink_in_place(void *arg, const uint8_t *payload, uint32_t len)
{
	struct conn *c = arg;

	intake_record_in_place(c->env->intake, c, c->peer, payload, len);
	c->records++;
}

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	event_free(c->ev);
	framer_free(&c->framer);
	free(c);
}

static void
conn_drop_incomplete(struct conn *c, const uint8_t *data, size_t rest)
{
	STATS_ADD(frames_incomplete, 1);
	log_warnx("client %s: dropped an incomplete frame (%zu bytes)", c->peer, rest);
	intake_reject(c->env->intake, c->peer, "incomplete frame at disconnect",
	    rest >= LC_FRAME_HEADER ? framing_length(data) : 0, data, rest);
}

/* The one close path: count, log, release the socket now and the memory
 * once no callback of this connection can still be running. */
static void
conn_close(struct conn *c, const char *reason)
{
	const uint8_t *pending;
	size_t rest = framer_pending(&c->framer, &pending);

	if (c->closed)
		return;
	c->closed = 1;
	event_del(c->ev);
	close(c->fd);
	if (rest > 0)
		conn_drop_incomplete(c, pending, rest);
	STATS_ADD(connections_closed, 1);
	log_info("client %s disconnected (%s): %llu records, %llu bytes", c->peer, reason,
	    (unsigned long long)c->records, (unsigned long long)c->bytes);
	c->env->on_close(c->env->arg, c->cookie);
	if (event_base_once(c->env->base, -1, EV_TIMEOUT, conn_free_cb, c, NULL) == -1)
		fatalx("conn: cannot schedule a free");
}

/* Frame what has been read; returns -1 if the connection was closed. */
static int
conn_frame(struct conn *c, const uint8_t *data, size_t len, framing_sink sink)
{
	uint64_t before = c->records;
	struct framing_result r = framer_feed(&c->framer, data, len, c->env->max_record, sink, c);

	if (c->records != before)
		c->last_record = time(NULL);
	if (r.empty > 0) {
		STATS_ADD(frames_empty, r.empty);
		log_ratelimited("client %s: %zu zero-length frames skipped", c->peer, r.empty);
		for (size_t i = 0; i < r.empty; i++)
			intake_reject(c->env->intake, c->peer, "zero-length frame", 0, NULL, 0);
	}
	if (r.status == FRAME_TOO_BIG) {
		STATS_ADD(frames_oversize, 1);
		intake_reject(c->env->intake, c->peer, "frame exceeds max_record_size", r.bad_len,
		    NULL, 0);
		log_warnx("client %s: frame of %u bytes exceeds max_record_size (%u); closing, "
			  "the stream cannot be resynchronised",
		    c->peer, r.bad_len, c->env->max_record);
		framer_free(&c->framer); /* what follows the bad header is not a frame */
		conn_close(c, "oversize frame");
		return -1;
	}
	return 0;
}

static size_t
conn_count(struct conn *c, ssize_t n)
{
	c->bytes += (uint64_t)n;
	STATS_ADD(bytes_in, (uint64_t)n);
	return (size_t)n;
}

/*
 * One read(2), straight into the open batch behind the start of a frame
 * left by the last read, so that complete frames are framed where they lie
 * and never copied by the loop. A frame too long to carry from read to read
 * is assembled in the framer instead, from the loop's scratch buffer (only
 * the loop thread reads, so one buffer serves every connection), reading no
 * further than its end. Returns what read(2) returned, or -1 with c->closed
 * set if a broken frame closed the connection.
 */
static ssize_t
conn_read_once(struct conn *c)
{
	static uint8_t scratch[LC_READ_BUDGET];
	const uint8_t *carry;
	size_t ncarry = framer_pending(&c->framer, &carry), room;
	uint8_t *buf;
	ssize_t n;

	if (ncarry > LC_READ_CARRY_MAX) {
		room = framer_missing(&c->framer);
		n = read(c->fd, scratch, room < sizeof(scratch) ? room : sizeof(scratch));
		if (n > 0 && conn_frame(c, scratch, conn_count(c, n), conn_sink) == -1)
			return -1;
		return n;
	}
	buf = intake_read_space(c->env->intake, ncarry, &room);
	if ((n = read(c->fd, buf + ncarry, room)) <= 0)
		return n;
	conn_count(c, n);
	if (ncarry > 0) {
		memcpy(buf, carry, ncarry);
		framer_discard(&c->framer);
	}
	if (conn_frame(c, buf, ncarry + (size_t)n, conn_sink_in_place) == -1)
		return -1;
	return n;
}

/* Read once (or, for the stop, until the socket is empty). Returns 1 on EOF,
 * -1 on error (errno) or if the connection was closed, 0 otherwise. */
static int
conn_read(struct conn *c, int until_empty)
{
	do {
		ssize_t n = conn_read_once(c);

		if (c->closed)
			return -1;
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	} while (until_empty);
	return 0;
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int r;

	(void)fd;
	if (what & EV_TIMEOUT) {
		STATS_ADD(connections_idle_closed, 1);
		conn_close(c, "idle timeout");
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
conn_drain_and_close(struct conn *c)
{
	int r;

	if (c->closed)
		return;
	r = conn_read(c, 1);
	if (c->closed)
		return;
	conn_close(c, r == -1 ? strerror(errno) : "daemon stopping");
}
