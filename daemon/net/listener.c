#include "net/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "net/addr.h"

/* How long accept pauses after EMFILE/ENFILE, so that closing connections
 * can free descriptors (and the output can always be reopened). */
#define LISTENER_BACKOFF_MS 250

struct listener {
	struct evconnlistener *evl;
	struct event *backoff_ev;
	listener_accept_fn accept_fn;
	void *arg;
};

static int
listener_fail(const char *text, const char *what)
{
	log_warnx("cannot listen on %s: %s", text, what);
	return -1;
}

int
listener_socket(const char *text, int type)
{
	struct addr a;
	const char *cause;
	int fd, on = 1;

	if (addr_parse(text, &a, &cause) == -1)
		return listener_fail(text, cause);
	fd = socket(a.ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return listener_fail(text, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (a.ss.ss_family == AF_INET6) {
		/* Only the wildcard [::] also takes IPv4, so that "0.0.0.0:P" and
		 * "[::1]:P" can be listened on side by side. */
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a.ss;
		int v6only = !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) == -1 ||
	    (type == SOCK_STREAM && listen(fd, LC_LISTEN_BACKLOG) == -1)) {
		int e = errno;

		close(fd);
		return listener_fail(text, strerror(e));
	}
	return fd;
}

int
listener_bound(int fd, struct sockaddr_storage *ss, char *name)
{
	socklen_t len = sizeof(*ss);

	if (getsockname(fd, (struct sockaddr *)ss, &len) == -1) {
		log_warn("getsockname");
		return -1;
	}
	addr_format((struct sockaddr *)ss, name, ADDR_STRLEN);
	return 0;
}

void
listener_log_bound(int fd, const char *proto)
{
	struct sockaddr_storage ss;
	char name[ADDR_STRLEN];

	if (listener_bound(fd, &ss, name) == 0)
		log_info("listening on %s %s", proto, name);
}

static void
listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct listener *l = arg;

	(void)evl;
	(void)salen;
	l->accept_fn(l->arg, fd, sa);
}

static void
listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->evl);
}

static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {0, LISTENER_BACKOFF_MS * 1000};

	(void)evl;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		log_ratelimited("accept: %s; pausing accepts for %d ms", strerror(e),
		    LISTENER_BACKOFF_MS);
		evconnlistener_disable(l->evl);
		evtimer_add(l->backoff_ev, &tv);
	} else if (e != EAGAIN && e != ECONNABORTED && e != EINTR) {
		log_ratelimited("accept: %s", strerror(e));
	}
}

struct listener *
listener_adopt(struct event_base *base, int fd, listener_accept_fn accept_fn, void *arg)
{
	struct listener *l = xcalloc(1, sizeof(*l));

	l->accept_fn = accept_fn;
	l->arg = arg;
	/* Backlog 0: the socket already listens (ours, or systemd's Backlog=);
	 * libevent's -1 would call listen() again with 128. */
	l->evl = evconnlistener_new(base, listener_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	l->backoff_ev = evtimer_new(base, listener_resume_cb, l);
	if (l->evl == NULL || l->backoff_ev == NULL)
		fatalx("listener: out of memory");
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	listener_log_bound(fd, "tcp");
	return l;
}

struct listener *
listener_bind(struct event_base *base, const char *text, listener_accept_fn accept_fn,
    void *arg)
{
	int fd = listener_socket(text, SOCK_STREAM);

	if (fd == -1)
		return NULL;
	return listener_adopt(base, fd, accept_fn, arg);
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	evconnlistener_free(l->evl);
	event_free(l->backoff_ev);
	free(l);
}
