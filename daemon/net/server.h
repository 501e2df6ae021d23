/*
 * The collector's inputs: TCP listeners and their connections, UDP sockets.
 * Loop thread only. Pauses and resumes reading for the intake's in-flight
 * limit, and on the stop closes the listeners and drains every connection.
 */
#ifndef LC_SERVER_H
#define LC_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct intake;
struct server;

/* A socket passed by the service manager (socket activation). */
struct server_socket {
	int fd;
	int udp; /* 0: a listening TCP socket */
};

/* What the server takes from the configuration. Passed sockets, if any,
 * replace the listen addresses. */
struct server_params {
	char *const *listen;
	size_t nlisten;
	char *const *listen_udp;
	size_t nlisten_udp;
	const struct server_socket *passed;
	size_t npassed;
	char *const *allow;
	size_t nallow;
	unsigned max_connections;
	uint32_t max_record;
	unsigned idle_timeout, frame_timeout; /* seconds; 0 = never */
};

/* params (and what it points to) must outlive the server. */
struct server *server_new(struct event_base *base, const struct server_params *params);

/* Bind every configured address (logging "listening on ..."); returns -1
 * if any could not be bound (the reason already printed). */
int server_listen(struct server *srv, struct intake *intake);

/* An intake_pause_fn. */
void server_pause(void *srv, int paused);

/* Stop accepting and reading datagrams. Connections are read on until each
 * goes quiet or closes; drained(arg) is called once none is left (at once
 * if there is none). */
void server_stop_inputs(struct server *srv, void (*drained)(void *arg), void *arg);

/* Take what the kernel holds for every connection left, and close them. */
void server_close_clients(struct server *srv);

size_t server_clients(const struct server *srv);

struct conn_info;
void server_foreach_client(const struct server *srv,
    void (*fn)(void *arg, const struct conn_info *info), void *arg);

void server_free(struct server *srv);

#endif
