/*
 * The metrics endpoint's HTTP side: libevent's evhttp in the loop thread.
 * Every reply is built in memory from atomics and loop-owned state, so a
 * request costs the collector one short callback. What a scraper could
 * otherwise hold is bounded: at most LC_METRICS_MAX_CONNECTIONS connections
 * (beyond them accepting pauses and the kernel's backlog waits), a timeout
 * on every read and write, and small caps on headers and bodies.
 *
 * libevent 2.1 has no evhttp_set_max_connections and tells nobody when a
 * server connection goes away, so connections are counted here: each gets
 * its bufferevent from metrics_conn_new, which keeps a reference to it.
 * bufferevent_free clears the callbacks evhttp always sets, so a sweep
 * (every second while connections are open) drops the bufferevents evhttp
 * has let go; the last reference closes the socket.
 */
#include "ops/metrics.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "intake/intake.h"
#include "net/addr.h"
#include "net/listener.h"
#include "net/server.h"
#include "ops/metrics_clients.h"
#include "ops/metrics_text.h"
#include "pipeline/pipeline.h"
#include "sink/forwarder.h"

/* Limits of the endpoint (it is for a scraper or two and an operator). */
#define METRICS_TEXT "text/plain; charset=utf-8"

struct metrics {
	struct evhttp *http;
	struct metrics_sources src;
	struct evconnlistener *listeners[LC_MAX_LISTENERS];
	size_t nlisteners;
	struct bufferevent *conns[LC_METRICS_MAX_CONNECTIONS];
	size_t nconns;
	struct event *sweep_ev;
	int accepting;
};

struct metrics_route {
	const char *path;
	const char *type;
	int (*serve)(struct metrics *m, struct buf *out); /* returns the status */
};

static void
metrics_accepting(struct metrics *m, int on)
{
	if (m->accepting == on)
		return;
	m->accepting = on;
	for (size_t i = 0; i < m->nlisteners; i++) {
		if (on)
			evconnlistener_enable(m->listeners[i]);
		else
			evconnlistener_disable(m->listeners[i]);
	}
	if (!on)
		log_info("metrics: %d connections open; accepting again when one closes",
			 LC_METRICS_MAX_CONNECTIONS);
}

/* Drop the bufferevents evhttp has freed (callbacks cleared). */
static void
metrics_sweep(struct metrics *m)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->nconns; i++) {
		bufferevent_event_cb eventcb;

		bufferevent_getcb(m->conns[i], NULL, NULL, &eventcb, NULL);
		if (eventcb == NULL)
			bufferevent_decref(m->conns[i]);
		else
			m->conns[kept++] = m->conns[i];
	}
	m->nconns = kept;
}

static void
metrics_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;
	struct timeval every = {LC_METRICS_SWEEP_SECONDS, 0};

	(void)fd;
	(void)what;
	metrics_sweep(m);
	if (m->nconns < LC_METRICS_MAX_CONNECTIONS)
		metrics_accepting(m, 1);
	if (m->nconns > 0)
		evtimer_add(m->sweep_ev, &every);
}

/* evhttp's bevcb: the bufferevent of each accepted connection. */
static struct bufferevent *
metrics_conn_new(struct event_base *base, void *arg)
{
	struct metrics *m = arg;
	struct timeval every = {LC_METRICS_SWEEP_SECONDS, 0};
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	if (bev == NULL)
		fatalx("metrics: cannot create a bufferevent");
	bufferevent_incref(bev);
	m->conns[m->nconns++] = bev;
	if (m->nconns == LC_METRICS_MAX_CONNECTIONS)
		metrics_accepting(m, 0);
	if (!evtimer_pending(m->sweep_ev, NULL))
		evtimer_add(m->sweep_ev, &every);
	return bev;
}

static int
metrics_serve_metrics(struct metrics *m, struct buf *out)
{
	const struct metrics_sources *src = &m->src;
	struct forwarder_lag lag = {0};
	struct stats_snapshot st;
	struct metrics_gauges g;

	if (src->forwarder != NULL)
		forwarder_lag(src->forwarder, &lag);
	g = (struct metrics_gauges){
	    .connections_active = server_clients(src->server),
	    .inflight_bytes = pipeline_inflight(src->pipeline),
	    .backpressure_active = intake_paused(src->intake) != 0,
	    .queue_batches = pipeline_batches_pending(src->pipeline),
	    .writer_stalled_seconds = pipeline_stalled_for(src->pipeline),
	    .forward_lag_records = lag.records,
	    .forward_lag_bytes = lag.bytes,
	    .forward_lag_seconds = lag.seconds,
	    .forward_connected = (uint64_t)lag.connected,
	    .start_time = (uint64_t)src->started,
	};

	stats_snapshot(&st);
	metrics_text(out, &st, &g);
	return HTTP_OK;
}

/* Answering at all proves the loop runs; the pipeline must be idle or
 * moving (the watchdog's check). A forwarder that is behind is not
 * unhealthy (the file holds the records): the body says how far. */
static int
metrics_serve_health(struct metrics *m, struct buf *out)
{
	unsigned stalled = pipeline_stalled_for(m->src.pipeline);
	struct forwarder_lag lag;

	if (stalled > LC_METRICS_STALL_UNHEALTHY) {
		buf_printf(out, "writer stalled for %u s\n", stalled);
		return HTTP_SERVUNAVAIL;
	}
	buf_puts(out, "ok\n");
	if (m->src.forwarder != NULL) {
		forwarder_lag(m->src.forwarder, &lag);
		buf_printf(out, "forwarder: %s, %llu lines (%llu bytes) not acked, for %llu s\n",
		    lag.connected ? "connected" : "disconnected", (unsigned long long)lag.records,
		    (unsigned long long)lag.bytes, (unsigned long long)lag.seconds);
	}
	return HTTP_OK;
}

static int
metrics_serve_clients(struct metrics *m, struct buf *out)
{
	metrics_clients(out, m->src.server, LC_METRICS_MAX_CLIENTS);
	return HTTP_OK;
}

static const struct metrics_route metrics_routes[] = {
    {"/metrics", "text/plain; version=0.0.4; charset=utf-8", metrics_serve_metrics},
    {"/healthz", METRICS_TEXT, metrics_serve_health},
    {"/clients", "application/json", metrics_serve_clients},
};

static void
metrics_reply(struct evhttp_request *req, int code, const char *type, const struct buf *body)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	struct evbuffer *evb = evbuffer_new();

	if (evb == NULL)
		fatalx("metrics: cannot allocate a reply");
	evhttp_add_header(headers, "Content-Type", type);
	evhttp_add_header(headers, "Cache-Control", "no-store");
	/* evhttp would send a HEAD reply's body, without its length. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		char length[24];

		snprintf(length, sizeof(length), "%zu", body->len);
		evhttp_add_header(headers, "Content-Length", length);
	} else {
		evbuffer_add(evb, body->data, body->len);
	}
	evhttp_send_reply(req, code, NULL, evb);
	evbuffer_free(evb);
}

static const struct metrics_route *
metrics_route(const char *path)
{
	for (size_t i = 0; i < sizeof(metrics_routes) / sizeof(metrics_routes[0]); i++)
		if (path != NULL && strcmp(path, metrics_routes[i].path) == 0)
			return &metrics_routes[i];
	return NULL;
}

static void
metrics_request(struct evhttp_request *req, void *arg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct metrics_route *r;
	struct buf body;
	int code;

	r = metrics_route(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)));
	buf_init(&body);
	if (r == NULL) {
		buf_puts(&body, "not found: try /metrics, /healthz or /clients\n");
		metrics_reply(req, HTTP_NOTFOUND, METRICS_TEXT, &body);
	} else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		buf_puts(&body, "method not allowed: use GET or HEAD\n");
		metrics_reply(req, HTTP_BADMETHOD, METRICS_TEXT, &body);
	} else {
		code = r->serve(arg, &body);
		metrics_reply(req, code, r->type, &body);
	}
	buf_free(&body);
}

static int
metrics_is_loopback(const struct sockaddr *sa)
{
	const uint8_t *ip;

	switch (addr_ip(sa, &ip)) {
	case AF_INET:
		return ip[0] == 127;
	case AF_INET6:
		return memcmp(ip, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
	default:
		return 0;
	}
}

/* "metrics on http://ADDR" with the port actually bound. */
static void
metrics_log_bound(int fd, const char *text)
{
	struct sockaddr_storage ss;
	char name[ADDR_STRLEN];

	if (listener_bound(fd, &ss, name) == -1)
		return;
	log_info("metrics on http://%s", name);
	if (!metrics_is_loopback((struct sockaddr *)&ss))
		log_warnx("metrics_listen %s is not a loopback address: anyone who can reach "
			  "it sees the clients' addresses and the daemon's counters",
			  text);
}

static int
metrics_bind(struct metrics *m, const char *text)
{
	struct evhttp_bound_socket *bound;
	int fd;

	if (m->nlisteners == LC_MAX_LISTENERS) {
		log_warnx("metrics: more than %d addresses", LC_MAX_LISTENERS);
		return -1;
	}
	if ((fd = listener_socket(text, SOCK_STREAM)) == -1)
		return -1;
	if ((bound = evhttp_accept_socket_with_handle(m->http, fd)) == NULL) {
		close(fd);
		log_warnx("metrics: cannot serve HTTP on %s", text);
		return -1;
	}
	m->listeners[m->nlisteners++] = evhttp_bound_socket_get_listener(bound);
	metrics_log_bound(fd, text);
	return 0;
}

struct metrics *
metrics_start(struct event_base *base, char *const *addrs, size_t naddrs,
	      const struct metrics_sources *src)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	m->src = *src;
	m->accepting = 1;
	m->http = evhttp_new(base);
	m->sweep_ev = evtimer_new(base, metrics_sweep_cb, m);
	if (m->http == NULL || m->sweep_ev == NULL)
		fatalx("metrics: cannot create the HTTP server");
	evhttp_set_bevcb(m->http, metrics_conn_new, m);
	evhttp_set_timeout(m->http, LC_METRICS_TIMEOUT);
	evhttp_set_max_headers_size(m->http, LC_METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, LC_METRICS_MAX_BODY);
	/* Let every method through to metrics_request, which answers 405. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, metrics_request, m);
	for (size_t i = 0; i < naddrs; i++) {
		if (metrics_bind(m, addrs[i]) == -1) {
			metrics_free(m);
			return NULL;
		}
	}
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	evhttp_free(m->http); /* frees every connection */
	metrics_sweep(m);
	event_free(m->sweep_ev);
	free(m);
}
