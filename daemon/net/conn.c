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
#include "intake/framing.h"
#include "intake/intake.h"
#include "net/addr.h"

struct conn {
	const struct conn_env *env;
	void *cookie;
	int fd;
	struct event *ev;
	struct framer framer;
	size_t held; /* frame memory counted for the framer */
	struct intake_waiter waiter;
	char peer[ADDR_STRLEN];
	uint64_t records;
	uint64_t bytes;
	time_t since, last_record;
	int paused;   /* the server paused every client (max_inflight) */
	int waiting;  /* for frame memory */
	int stopping; /* the daemon stops: read until quiet */
	int armed;    /* the read event is added, with timeout `armed_for` */
	unsigned armed_for;
	int closed;
};

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static int conn_wake(void *arg);

void
conn_info(const struct conn *c, struct conn_info *info)
{
	info->peer = c->peer;
	info->since = c->since;
	info->last_record = c->last_record;
	info->records = c->records;
	info->bytes = c->bytes;
}

/* A frame larger than a carry is being assembled in the framer's buffer. */
static int
conn_assembling(const struct conn *c)
{
	return framer_frame_size(&c->framer) > LC_READ_CARRY_MAX;
}

/* Whether part of a frame is held (or being skipped). */
static int
conn_mid_frame(const struct conn *c)
{
	const uint8_t *p;

	return framer_pending(&c->framer, &p) > 0 || framer_skipping(&c->framer) > 0;
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
	int read = !c->closed && !c->waiting && (!c->paused || conn_assembling(c));
	unsigned ms = c->stopping	  ? LC_STOP_QUIET_MS
		      : conn_mid_frame(c) ? c->env->frame_timeout * 1000u
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
	framer_init(&c->framer, env->max_record);
	c->waiter.wake = conn_wake;
	c->waiter.arg = c;
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

/* Tell the intake how much memory the framer holds now. */
static void
conn_account(struct conn *c)
{
	size_t now = framer_held(&c->framer);

	if (now != c->held) {
		long long delta = (long long)now - (long long)c->held;

		c->held = now;
		intake_frame_held(c->env->intake, delta);
	}
}

/* A frame longer than a carry has begun: size its buffer if it fits, else
 * wait unread for memory. Returns 1 if it may be read. */
static int
conn_reserve(struct conn *c)
{
	size_t need = framer_frame_size(&c->framer);

	if (need <= c->held)
		return 1;
	if (!intake_frame_admit(c->env->intake, need - c->held))
		return 0;
	framer_reserve(&c->framer);
	conn_account(c);
	return 1;
}

static int
conn_wake(void *arg)
{
	struct conn *c = arg;

	if (!conn_reserve(c))
		return 0;
	c->waiting = 0;
	conn_arm(c);
	return 1;
}

/* After framing: count the framer's memory and reserve a frame that began. */
static void
conn_settle(struct conn *c)
{
	conn_account(c);
	if (conn_assembling(c) && !conn_reserve(c)) {
		c->waiting = 1;
		intake_frame_wait(c->env->intake, &c->waiter);
		log_debug("client %s: waiting for memory for a frame of %zu bytes", c->peer,
		    framer_frame_size(&c->framer));
	}
	conn_arm(c);
}

/* A record framed in the framer's own buffer: copied into the batch. */
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
conn_oversize(void *arg, uint32_t len, const uint8_t *sample, size_t n)
{
	struct conn *c = arg;

	STATS_ADD(frames_oversize, 1);
	log_ratelimited("client %s: skipped a frame of %u bytes, over max_record_size (%u)",
	    c->peer, len, c->env->max_record);
	intake_reject(c->env->intake, c->peer, "frame exceeds max_record_size", len, sample, n);
}

static const struct framing_sinks conn_copy_sinks = {conn_sink, conn_oversize};
static const struct framing_sinks conn_in_place_sinks = {conn_sink_in_place, conn_oversize};

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
	const uint8_t *rest;
	size_t n;

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
	n = framer_end(&c->framer, &conn_copy_sinks, c, &rest);
	if (n > 0) {
		STATS_ADD(frames_incomplete, 1);
		log_warnx("client %s: dropped an incomplete frame (%zu bytes)", c->peer, n);
		intake_reject(c->env->intake, c->peer, "incomplete frame at disconnect",
		    n >= LC_FRAME_HEADER ? framing_length(rest) : 0, rest, n);
	}
	intake_frame_unwait(c->env->intake, &c->waiter);
	framer_free(&c->framer);
	conn_account(c);
	STATS_ADD(connections_closed, 1);
	log_info("client %s disconnected (%s): %llu records, %llu bytes", c->peer, reason,
	    (unsigned long long)c->records, (unsigned long long)c->bytes);
	c->env->on_close(c->env->arg, c->cookie);
	if (event_base_once(c->env->base, -1, EV_TIMEOUT, conn_free_cb, c, NULL) == -1)
		fatalx("conn: cannot schedule a free");
}

static void
conn_close(struct conn *c, const char *reason)
{
	conn_close_how(c, reason, 0);
}

/* Frame what has been read; returns -1 if the connection was closed. */
static int
conn_frame(struct conn *c, const uint8_t *data, size_t len, const struct framing_sinks *sinks)
{
	uint64_t before = c->records;
	struct framing_result r = framer_feed(&c->framer, data, len, sinks, c);

	if (c->records != before)
		c->last_record = time(NULL);
	if (r.empty > 0) {
		STATS_ADD(frames_empty, r.empty);
		log_ratelimited("client %s: %zu zero-length frames skipped", c->peer, r.empty);
		for (size_t i = 0; i < r.empty; i++)
			intake_reject(c->env->intake, c->peer, "zero-length frame", 0, NULL, 0);
	}
	if (r.status == FRAME_BAD) {
		char sample[LOG_SAMPLE_BUFSZ];

		STATS_ADD(frames_bad, 1);
		log_sample(sample, sizeof(sample), r.bad_header, sizeof(r.bad_header));
		/* Not rate-limited: like the disconnect line, one per connection. */
		log_warnx("client %s: \"%s\" is no frame header (a length of %u bytes): looks like "
			  "%s; this port expects 4-byte length-prefixed frames; closing",
		    c->peer, sample, framing_length(r.bad_header), framing_describe(r.bad_header));
		intake_reject(c->env->intake, c->peer, "not a frame header",
		    framing_length(r.bad_header), r.bad_header, sizeof(r.bad_header));
		conn_close_how(c, "not a frame header", 1);
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
 * One read(2). A frame being assembled is read straight into its own
 * buffer, no further than its end. Otherwise the read goes straight into the
 * open batch behind the start of a frame left by the last read (a carry),
 * so that complete frames are framed where they lie and never copied by the
 * loop; bytes of an oversize frame land there too and are skipped. Returns
 * what read(2) returned, or -1 with c->closed set if a header that cannot
 * be a frame closed the connection.
 */
static ssize_t
conn_read_once(struct conn *c)
{
	struct intake *in = c->env->intake;
	const uint8_t *carry;
	size_t ncarry, room;
	uint8_t *buf;
	ssize_t n;

	if (conn_assembling(c)) {
		buf = framer_space(&c->framer, &room);
		n = read(c->fd, buf, room < LC_READ_BUDGET ? room : LC_READ_BUDGET);
		if (n > 0) {
			uint64_t before = c->records;

			framer_filled(&c->framer, conn_count(c, n), &conn_copy_sinks, c);
			if (c->records != before)
				c->last_record = time(NULL);
		}
		return n;
	}
	ncarry = framer_pending(&c->framer, &carry);
	buf = intake_read_space(in, ncarry, &room);
	if (intake_frame_contended(in) && room > LC_READ_CARRY_MAX)
		room = LC_READ_CARRY_MAX;
	if ((n = read(c->fd, buf + ncarry, room)) <= 0)
		return n;
	conn_count(c, n);
	if (ncarry > 0) {
		memcpy(buf, carry, ncarry);
		framer_discard(&c->framer);
	}
	if (conn_frame(c, buf, ncarry + (size_t)n, &conn_in_place_sinks) == -1)
		return -1;
	return n;
}

/* Read once, or for the last read at the stop until the socket is empty (at
 * most LC_STOP_DRAIN_MAX bytes). Returns 1 on EOF, -1 on error (errno) or if
 * the connection was closed, 0 otherwise. */
static int
conn_read(struct conn *c, int until_empty)
{
	uint64_t start = c->bytes;

	do {
		ssize_t n = conn_read_once(c);

		if (c->closed)
			return -1;
		conn_settle(c);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	} while (until_empty && !c->waiting && c->bytes - start < LC_STOP_DRAIN_MAX);
	return 0;
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
	int r = c->waiting ? 0 : conn_read(c, 1);

	if (r == 0 && !c->closed && !c->waiting) {
		int on = 1;

		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
		r = conn_read(c, 1);
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
	} else if (conn_mid_frame(c)) {
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
