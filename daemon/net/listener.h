/*
 * Listening sockets. TCP listeners accept through libevent's evconnlistener
 * and back off for a moment when accept fails for lack of descriptors.
 */
#ifndef LC_LISTENER_H
#define LC_LISTENER_H

#include <sys/socket.h>

struct event_base;
struct listener;

typedef void (*listener_accept_fn)(void *arg, int fd, const struct sockaddr *peer);

/* A bound socket of the given type (SOCK_STREAM listening, or SOCK_DGRAM)
 * for a user-written address, non-blocking and close-on-exec. On failure
 * logs "cannot listen on ADDR: reason" and returns -1. */
int listener_socket(const char *text, int type);

/* Where fd is bound (the port actually bound, for a port 0): the address in
 * *ss, formatted into name (ADDR_STRLEN bytes). Returns -1 after logging
 * why not. */
int listener_bound(int fd, struct sockaddr_storage *ss, char *name);

/* Logs "listening on tcp|udp ADDR" with the port actually bound. */
void listener_log_bound(int fd, const char *proto);

/* Listen on a text address (bind here) or adopt an already listening fd. */
struct listener *listener_bind(struct event_base *base, const char *text,
    listener_accept_fn accept_fn, void *arg);
struct listener *listener_adopt(struct event_base *base, int fd, listener_accept_fn accept_fn,
    void *arg);
void listener_free(struct listener *l);

#endif
