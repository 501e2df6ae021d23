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

static void
conn_sink(void *arg, const uint8_t *payload, uint32_t len)
{
	struct conn *c = arg;

	intake_record(c->env->intake, c, c->peer, payload, len);
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
conn_frame(struct conn *c, const uint8_t *data, size_t len)
{
	uint64_t before = c->records;
	struct framing_result r =
	    framer_feed(&c->framer, data, len, c->env->max_record, conn_sink, c);

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

/*
 * Read once (or, for the stop, until the socket is empty) into the loop's
 * scratch buffer and frame it from there: one read(2) per call, and each
 * payload copied once, into its batch. Only the loop thread reads, so one
 * buffer serves every connection. Returns 1 on EOF, -1 on error (errno) or
 * if the connection was closed, 0 otherwise.
 */
static int
conn_read(struct conn *c, int until_empty)
{
	static uint8_t scratch[LC_READ_BUDGET];

	do {
		ssize_t n = read(c->fd, scratch, sizeof(scratch));

		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->bytes += (uint64_t)n;
		STATS_ADD(bytes_in, (uint64_t)n);
		if (conn_frame(c, scratch, (size_t)n) == -1)
			return -1;
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
