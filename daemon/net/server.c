#include "net/server.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/queue.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "intake/intake.h"
#include "net/acl.h"
#include "net/addr.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/udp.h"

struct server_conn {
	TAILQ_ENTRY(server_conn) entry;
	struct conn *conn;
};
TAILQ_HEAD(server_conns, server_conn);

struct server {
	struct event_base *base;
	const struct server_params *params;
	struct conn_env env;
	struct listener *listeners[LC_MAX_LISTENERS];
	size_t nlisteners;
	struct udp *udps[LC_MAX_LISTENERS];
	size_t nudps;
	struct server_conns conns;
	size_t nconns;
	size_t max_conns; /* max_connections, lowered to fit the fd limit */
	struct acl acl;
	int paused;
	void (*drained)(void *); /* during the stop, until no connection is left */
	void *drained_arg;
};

static void
server_check_drained(struct server *srv)
{
	void (*drained)(void *) = srv->drained;

	if (drained != NULL && srv->nconns == 0) {
		srv->drained = NULL;
		drained(srv->drained_arg);
	}
}

static void
server_conn_closed(void *arg, void *cookie)
{
	struct server *srv = arg;
	struct server_conn *sc = cookie;

	TAILQ_REMOVE(&srv->conns, sc, entry);
	free(sc);
	srv->nconns--;
	server_check_drained(srv);
}

/* Close a client at once, before reading anything from it. */
static void
server_refuse(int fd, const struct sockaddr *peer, const char *why)
{
	char name[ADDR_STRLEN];

	addr_format(peer, name, sizeof(name));
	log_ratelimited("refusing client %s: %s", name, why);
	close(fd);
}

static void
server_accept(void *arg, int fd, const struct sockaddr *peer)
{
	struct server *srv = arg;
	struct server_conn *sc;

	STATS_ADD(connections_accepted, 1);
	if (!acl_allows(&srv->acl, peer)) {
		STATS_ADD(connections_rejected_allow, 1);
		server_refuse(fd, peer, "not in allow");
		return;
	}
	if (srv->nconns >= srv->max_conns) {
		STATS_ADD(connections_rejected_limit, 1);
		server_refuse(fd, peer, "too many connections (max_connections or fd limit)");
		return;
	}
	sc = xcalloc(1, sizeof(*sc));
	TAILQ_INSERT_TAIL(&srv->conns, sc, entry);
	sc->conn = conn_new(&srv->env, fd, peer, srv->paused, sc);
	srv->nconns++;
}

/*
 * Raise the descriptor limit to its hard maximum and fit max_connections
 * under it, keeping LC_FD_RESERVE descriptors (and those already open) for
 * the output, the dead-letter file and their reopening.
 */
static size_t
server_connection_budget(unsigned max_connections)
{
	struct rlimit rl;
	size_t budget;
	int probe;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return max_connections;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The lowest free descriptor tells how many are already in use. */
	probe = dup(STDERR_FILENO);
	if (probe != -1)
		close(probe);
	if (rl.rlim_cur == RLIM_INFINITY)
		return max_connections;
	budget = rl.rlim_cur > (rlim_t)(probe + LC_FD_RESERVE)
	    ? (size_t)(rl.rlim_cur - (rlim_t)(probe + LC_FD_RESERVE))
	    : 1;
	if (budget < max_connections)
		log_warnx("max_connections is %u but the descriptor limit (%llu) allows %zu",
		    max_connections, (unsigned long long)rl.rlim_cur, budget);
	return budget < max_connections ? budget : max_connections;
}

struct server *
server_new(struct event_base *base, const struct server_params *params)
{
	struct server *srv = xcalloc(1, sizeof(*srv));

	srv->base = base;
	srv->params = params;
	TAILQ_INIT(&srv->conns);
	srv->max_conns = server_connection_budget(params->max_connections);
	acl_init(&srv->acl, params->allow, params->nallow);
	return srv;
}

static void
server_adopt(struct server *srv, int fd, int udp, struct intake *intake)
{
	if (udp)
		srv->udps[srv->nudps++] =
		    udp_adopt(srv->base, fd, intake, srv->env.max_record, &srv->acl);
	else
		srv->listeners[srv->nlisteners++] =
		    listener_adopt(srv->base, fd, server_accept, srv);
}

int
server_listen(struct server *srv, struct intake *intake)
{
	const struct server_params *params = srv->params;

	srv->env.base = srv->base;
	srv->env.intake = intake;
	srv->env.max_record = params->max_record;
	srv->env.idle_timeout = params->idle_timeout;
	srv->env.frame_timeout = params->frame_timeout;
	srv->env.on_close = server_conn_closed;
	srv->env.arg = srv;
	if (params->nlisten + params->nlisten_udp > LC_MAX_LISTENERS ||
	    params->npassed > LC_MAX_LISTENERS) {
		log_warnx("at most %d listen addresses", LC_MAX_LISTENERS);
		return -1;
	}
	if (params->npassed > 0) {
		/* Socket activation replaces the configured addresses. */
		log_info("using %zu sockets passed by systemd", params->npassed);
		for (size_t i = 0; i < params->npassed; i++)
			server_adopt(srv, params->passed[i].fd, params->passed[i].udp, intake);
		return 0;
	}
	for (size_t i = 0; i < params->nlisten; i++) {
		struct listener *l =
		    listener_bind(srv->base, params->listen[i], server_accept, srv);

		if (l == NULL)
			return -1;
		srv->listeners[srv->nlisteners++] = l;
	}
	for (size_t i = 0; i < params->nlisten_udp; i++) {
		struct udp *u = udp_bind(srv->base, params->listen_udp[i], intake,
		    srv->env.max_record, &srv->acl);

		if (u == NULL)
			return -1;
		srv->udps[srv->nudps++] = u;
	}
	return 0;
}

void
server_pause(void *arg, int paused)
{
	struct server *srv = arg;
	struct server_conn *sc;

	srv->paused = paused;
	TAILQ_FOREACH(sc, &srv->conns, entry) {
		if (paused)
			conn_pause(sc->conn);
		else
			conn_resume(sc->conn);
	}
	for (size_t i = 0; i < srv->nudps; i++)
		udp_pause(srv->udps[i], paused);
}

static void
server_close_inputs(struct server *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++)
		listener_free(srv->listeners[i]);
	srv->nlisteners = 0;
	for (size_t i = 0; i < srv->nudps; i++)
		udp_drain_and_free(srv->udps[i]);
	srv->nudps = 0;
}

void
server_stop_inputs(struct server *srv, void (*drained)(void *arg), void *arg)
{
	struct server_conn *sc;

	server_close_inputs(srv);
	srv->drained = drained;
	srv->drained_arg = arg;
	TAILQ_FOREACH(sc, &srv->conns, entry)
		conn_stop(sc->conn);
	server_check_drained(srv);
}

void
server_close_clients(struct server *srv)
{
	struct server_conn *sc;

	/* Closing a connection removes it from the list. */
	while ((sc = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_drain_and_close(sc->conn);
}

size_t
server_clients(const struct server *srv)
{
	return srv->nconns;
}

void
server_foreach_client(const struct server *srv,
    void (*fn)(void *arg, const struct conn_info *info), void *arg)
{
	const struct server_conn *sc;
	struct conn_info info;

	TAILQ_FOREACH(sc, &srv->conns, entry) {
		conn_info(sc->conn, &info);
		fn(arg, &info);
	}
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	srv->drained = NULL;
	server_close_inputs(srv);
	server_close_clients(srv);
	acl_free(&srv->acl);
	free(srv);
}
