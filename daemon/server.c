#include "server.h"

#include <stdlib.h>
#include <sys/queue.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "intake.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "sd.h"
#include "stats.h"
#include "udp.h"
#include "xmalloc.h"

struct server_conn {
	TAILQ_ENTRY(server_conn) entry;
	struct conn *conn;
};
TAILQ_HEAD(server_conns, server_conn);

struct server {
	struct event_base *base;
	const struct config *cfg;
	struct conn_env env;
	struct listener *listeners[LC_MAX_LISTENERS];
	size_t nlisteners;
	struct udp *udps[LC_MAX_LISTENERS];
	size_t nudps;
	struct server_conns conns;
	size_t nconns;
	int paused;
};

static void
server_conn_closed(void *arg, void *cookie)
{
	struct server *srv = arg;
	struct server_conn *sc = cookie;

	TAILQ_REMOVE(&srv->conns, sc, entry);
	free(sc);
	srv->nconns--;
}

static void
server_accept(void *arg, int fd, const struct sockaddr *peer)
{
	struct server *srv = arg;
	struct server_conn *sc = xcalloc(1, sizeof(*sc));

	STATS_ADD(connections_accepted, 1);
	TAILQ_INSERT_TAIL(&srv->conns, sc, entry);
	sc->conn = conn_new(&srv->env, fd, peer, srv->paused, sc);
	srv->nconns++;
}

struct server *
server_new(struct event_base *base, const struct config *cfg)
{
	struct server *srv = xcalloc(1, sizeof(*srv));

	srv->base = base;
	srv->cfg = cfg;
	TAILQ_INIT(&srv->conns);
	return srv;
}

static void
server_adopt(struct server *srv, int fd, int udp, struct intake *intake)
{
	if (udp)
		srv->udps[srv->nudps++] = udp_adopt(srv->base, fd, intake, srv->env.max_record);
	else
		srv->listeners[srv->nlisteners++] =
		    listener_adopt(srv->base, fd, server_accept, srv);
}

int
server_listen(struct server *srv, struct intake *intake)
{
	const struct config *cfg = srv->cfg;
	struct sd_socket sockets[LC_MAX_LISTENERS];
	int activated;

	srv->env.base = srv->base;
	srv->env.intake = intake;
	srv->env.max_record = (uint32_t)cfg->max_record_size;
	srv->env.on_close = server_conn_closed;
	srv->env.arg = srv;
	if (cfg->nlisten + cfg->nlisten_udp > LC_MAX_LISTENERS) {
		log_warnx("at most %d listen addresses", LC_MAX_LISTENERS);
		return -1;
	}
	activated = sd_activated_sockets(sockets, LC_MAX_LISTENERS);
	if (activated < 0)
		return -1;
	if (activated > 0) {
		/* Socket activation replaces the configured addresses. */
		log_info("using %d sockets passed by systemd", activated);
		for (int i = 0; i < activated; i++)
			server_adopt(srv, sockets[i].fd, sockets[i].udp, intake);
		return 0;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		struct listener *l = listener_bind(srv->base, cfg->listen[i], server_accept, srv);

		if (l == NULL)
			return -1;
		srv->listeners[srv->nlisteners++] = l;
	}
	for (size_t i = 0; i < cfg->nlisten_udp; i++) {
		struct udp *u = udp_bind(srv->base, cfg->listen_udp[i], intake,
		    srv->env.max_record);

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

void
server_stop_inputs(struct server *srv)
{
	struct server_conn *sc;

	for (size_t i = 0; i < srv->nlisteners; i++)
		listener_free(srv->listeners[i]);
	srv->nlisteners = 0;
	for (size_t i = 0; i < srv->nudps; i++)
		udp_drain_and_free(srv->udps[i]);
	srv->nudps = 0;
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
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	server_stop_inputs(srv);
	free(srv);
}
