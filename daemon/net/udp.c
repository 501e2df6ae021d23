#include "net/udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "intake/framing.h"
#include "intake/intake.h"
#include "net/acl.h"
#include "net/addr.h"
#include "net/listener.h"

/* Datagrams read per callback, so TCP clients get their turn. */
#define UDP_BUDGET 256
#define UDP_MAX_DATAGRAM 65536

struct udp {
	int fd;
	struct event *ev;
	struct intake *intake;
	uint32_t max_record;
	const struct acl *acl;
	uint8_t *buf;
};

/* Read up to `budget` datagrams (-1: until the socket is empty). */
static void
udp_read(struct udp *u, int budget)
{
	for (int i = 0; budget < 0 || i < budget; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		char peer[ADDR_STRLEN];
		ssize_t n = recvfrom(u->fd, u->buf, UDP_MAX_DATAGRAM, MSG_TRUNC,
		    (struct sockaddr *)&ss, &sslen);
		uint32_t len;

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_ratelimited("udp: recvfrom: %s", strerror(errno));
			return;
		}
		STATS_ADD(bytes_in, (uint64_t)n);
		if (!acl_allows(u->acl, (struct sockaddr *)&ss)) {
			STATS_ADD(datagrams_rejected_allow, 1);
			continue;
		}
		addr_format((struct sockaddr *)&ss, peer, sizeof(peer));
		len = n >= LC_FRAME_HEADER ? framing_length(u->buf) : 0;
		if (n > UDP_MAX_DATAGRAM || n < LC_FRAME_HEADER + 1 ||
		    len != (size_t)n - LC_FRAME_HEADER || len > u->max_record) {
			STATS_ADD(datagrams_invalid, 1);
			intake_reject(u->intake, peer, "datagram does not hold one frame", len, u->buf,
			    n > UDP_MAX_DATAGRAM ? UDP_MAX_DATAGRAM : (size_t)n);
			log_ratelimited("udp %s: datagram of %zd bytes does not hold one frame "
					"(length prefix %u)",
			    peer, n, len);
			continue;
		}
		/* No source key: each datagram carries its own peer name. */
		intake_record(u->intake, NULL, peer, u->buf + LC_FRAME_HEADER, len);
	}
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	udp_read(arg, UDP_BUDGET);
}

struct udp *
udp_adopt(struct event_base *base, int fd, struct intake *intake, uint32_t max_record,
    const struct acl *acl)
{
	struct udp *u = xcalloc(1, sizeof(*u));

	u->acl = acl;
	u->fd = fd;
	u->intake = intake;
	u->max_record = max_record;
	u->buf = xmalloc(UDP_MAX_DATAGRAM);
	u->ev = event_new(base, fd, EV_READ | EV_PERSIST, udp_read_cb, u);
	if (u->ev == NULL)
		fatalx("udp: out of memory");
	event_add(u->ev, NULL);
	listener_log_bound(fd, "udp");
	return u;
}

struct udp *
udp_bind(struct event_base *base, const char *text, struct intake *intake, uint32_t max_record,
    const struct acl *acl)
{
	int fd = listener_socket(text, SOCK_DGRAM);

	if (fd == -1)
		return NULL;
	return udp_adopt(base, fd, intake, max_record, acl);
}

void
udp_pause(struct udp *u, int paused)
{
	if (paused)
		event_del(u->ev);
	else
		event_add(u->ev, NULL);
}

void
udp_drain_and_free(struct udp *u)
{
	udp_read(u, -1);
	event_free(u->ev);
	close(u->fd);
	free(u->buf);
	free(u);
}
