#include "sender.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bytebuf.h"
#include "defaults.h"
#include "mono.h"

/* Compact the buffer once this much of its front has been sent. */
#define SENDER_COMPACT (64u * 1024u)

enum sender_state {
	SENDER_DOWN,	   /* waiting for retry_at */
	SENDER_CONNECTING, /* connect() in progress */
	SENDER_UP,
	SENDER_DEAD, /* gave up: everything is dropped */
};

struct sender {
	struct sender_opts opts;
	enum sender_state state;
	int fd;
	int was_up;	      /* a connection existed before this outage */
	int outage_logged;    /* the outage's first failure was reported */
	double down_since;    /* start of the current outage */
	double retry_at;      /* next connect attempt */
	double retry_delay;   /* backoff after the next failure */
	double connect_until; /* deadline of a connect in progress */
	struct bytebuf q;     /* framed records */
	size_t head;	      /* offset of the first unsent frame in q */
	size_t written;	      /* bytes of that frame (and beyond) already sent */
	size_t count;	      /* frames from head on */
	struct sender_stats st;
};

struct sender *
sender_new(const struct sender_opts *opts)
{
	struct sender *s = calloc(1, sizeof(*s));

	if (s == NULL)
		err(1, "sender_new");
	s->opts = *opts;
	if (s->opts.max_records == 0)
		s->opts.max_records = 1;
	s->state = SENDER_DOWN;
	s->fd = -1;
	s->down_since = mono_now();
	s->retry_delay = LCC_RETRY_START;
	return s;
}

static void
sender_close_fd(struct sender *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

static void
sender_drop_all(struct sender *s)
{
	s->st.dropped += s->count;
	s->count = 0;
	s->head = s->written = 0;
	s->q.len = 0;
}

void
sender_free(struct sender *s)
{
	if (s == NULL)
		return;
	sender_drop_all(s);
	sender_close_fd(s);
	bytebuf_free(&s->q);
	free(s);
}

const struct sender_stats *
sender_stats(const struct sender *s)
{
	return &s->st;
}

size_t
sender_queued(const struct sender *s)
{
	return s->count;
}

int
sender_gave_up(const struct sender *s)
{
	return s->state == SENDER_DEAD;
}

int
sender_queue(struct sender *s, const void *payload, size_t len)
{
	s->st.produced++;
	if (s->state == SENDER_DEAD || s->count >= s->opts.max_records || len > UINT32_MAX) {
		s->st.dropped++;
		return -1;
	}
	bytebuf_put_u32be(&s->q, (uint32_t)len);
	bytebuf_append(&s->q, payload, len);
	s->count++;
	return 0;
}

/* The connection broke: keep every unsent frame, the partial one whole. */
static void
sender_lost(struct sender *s, int error)
{
	sender_close_fd(s);
	s->written = 0;
	s->state = SENDER_DOWN;
	s->was_up = 1;
	s->outage_logged = 1;
	s->down_since = mono_now();
	/* Like SocketHandler: the first reconnect is attempted at once. */
	s->retry_at = s->down_since;
	s->retry_delay = LCC_RETRY_START;
	if (s->opts.label)
		warnx("%s: connection to %s lost: %s; reconnecting", s->opts.label,
		      s->opts.addr->text, error ? strerror(error) : "closed by peer");
}

/* A connect attempt failed: back off, or give up after retry_max. */
static void
sender_failed(struct sender *s, int error)
{
	double now = mono_now(), deadline = s->down_since + s->opts.retry_max;

	sender_close_fd(s);
	if (now >= deadline) {
		s->state = SENDER_DEAD;
		if (s->opts.label)
			warnx("%s: giving up on %s after %.0f s: %s; %zu records dropped",
			      s->opts.label, s->opts.addr->text, now - s->down_since,
			      strerror(error), s->count);
		sender_drop_all(s);
		return;
	}
	if (s->opts.label && !s->outage_logged)
		warnx("%s: cannot connect to %s: %s; retrying for up to %.0f s", s->opts.label,
		      s->opts.addr->text, strerror(error), s->opts.retry_max);
	s->outage_logged = 1;
	s->state = SENDER_DOWN;
	s->retry_at = now + s->retry_delay < deadline ? now + s->retry_delay : deadline;
	s->retry_delay *= LCC_RETRY_FACTOR;
	if (s->retry_delay > LCC_RETRY_CAP)
		s->retry_delay = LCC_RETRY_CAP;
}

static void
sender_connected(struct sender *s)
{
	s->state = SENDER_UP;
	s->retry_delay = LCC_RETRY_START;
	if (s->was_up) {
		s->st.reconnects++;
		if (s->opts.label)
			warnx("%s: reconnected to %s", s->opts.label, s->opts.addr->text);
	} else if (s->opts.label && s->outage_logged) {
		warnx("%s: connected to %s", s->opts.label, s->opts.addr->text);
	}
	s->outage_logged = 0;
}

static void
sender_start_connect(struct sender *s)
{
	int rc = netaddr_connect(s->opts.addr, &s->fd);

	if (rc == -1) {
		sender_failed(s, errno);
	} else if (rc == 0) {
		sender_connected(s);
	} else {
		s->state = SENDER_CONNECTING;
		s->connect_until = mono_now() + LCC_CONNECT_TIMEOUT;
	}
}

static void
sender_finish_connect(struct sender *s)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (poll(&pfd, 1, 0) <= 0) {
		if (mono_now() >= s->connect_until)
			sender_failed(s, ETIMEDOUT);
		return;
	}
	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr != 0)
		sender_failed(s, soerr);
	else
		sender_connected(s);
}

/* Account for n more bytes written: whole frames become sent. */
static void
sender_advance(struct sender *s, size_t n)
{
	s->written += n;
	while (s->count > 0) {
		const unsigned char *p = s->q.data + s->head;
		size_t frame =
		    4 + ((size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);

		if (s->written < frame)
			break;
		s->written -= frame;
		s->head += frame;
		s->count--;
		s->st.sent++;
	}
	if (s->count == 0) {
		s->q.len = s->head = 0;
	} else if (s->head >= SENDER_COMPACT && s->head >= s->q.len / 2) {
		bytebuf_consume(&s->q, s->head);
		s->head = 0;
	}
}

/* Has the peer closed or reset? The daemon never sends, so any readable
 * or hang-up state means the connection is over: writing into it would
 * count records as sent that nobody reads. */
static int
sender_peer_gone(struct sender *s, int *error)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN | POLLRDHUP};
	socklen_t len = sizeof(*error);

	*error = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, error, &len);
	return 1;
}

static void
sender_write(struct sender *s)
{
	int error;

	if (s->count == 0)
		return;
	if (sender_peer_gone(s, &error)) {
		sender_lost(s, error);
		return;
	}
	while (s->count > 0) {
		size_t off = s->head + s->written;
		ssize_t n = send(s->fd, s->q.data + off, s->q.len - off, MSG_NOSIGNAL);

		if (n > 0) {
			sender_advance(s, (size_t)n);
		} else if (n == -1 && errno == EINTR) {
			continue;
		} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		} else {
			sender_lost(s, n == -1 ? errno : 0);
			return;
		}
	}
}

void
sender_pump(struct sender *s)
{
	if (s->state == SENDER_DOWN && mono_now() >= s->retry_at)
		sender_start_connect(s);
	if (s->state == SENDER_CONNECTING)
		sender_finish_connect(s);
	if (s->state == SENDER_UP)
		sender_write(s);
}

int
sender_poll(const struct sender *s, struct pollfd *pfd)
{
	pfd->fd = -1;
	pfd->events = 0;
	pfd->revents = 0;
	switch (s->state) {
	case SENDER_DOWN:
		return mono_ms_until(s->retry_at);
	case SENDER_CONNECTING:
		pfd->fd = s->fd;
		pfd->events = POLLOUT;
		return mono_ms_until(s->connect_until);
	case SENDER_UP:
		/* Idle connections are not watched: a hang-up is noticed on the
		 * next write, and watching it would spin until then. */
		if (s->count > 0) {
			pfd->fd = s->fd;
			pfd->events = POLLOUT | POLLRDHUP;
		}
		return -1;
	default:
		return -1;
	}
}

static void
sender_wait(const struct sender *s)
{
	struct pollfd pfd;
	int timeout = sender_poll(s, &pfd);

	poll(&pfd, 1, timeout);
}

static int
sender_connecting_or_up(const struct sender *s)
{
	return s->state == SENDER_CONNECTING || s->state == SENDER_UP;
}

int
sender_send(struct sender *s, const void *payload, size_t len)
{
	int rc;

	for (;;) {
		sender_pump(s);
		if (s->count < s->opts.max_records || !sender_connecting_or_up(s))
			break;
		sender_wait(s);
	}
	rc = sender_queue(s, payload, len);
	sender_pump(s);
	return rc;
}

void
sender_flush(struct sender *s)
{
	for (;;) {
		sender_pump(s);
		if (s->count == 0 || s->state == SENDER_DEAD)
			return;
		sender_wait(s);
	}
}
