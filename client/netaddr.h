/* The daemon's address: resolved once, and probed so a client that cannot
 * reach it says so at once instead of retrying in the background. */
#ifndef LCC_NETADDR_H
#define LCC_NETADDR_H

#include <sys/socket.h>

struct netaddr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[300]; /* host:port as the user gave it, for messages */
};

/* Resolve host:port and connect to each address in turn; keep the first
 * that accepts. -1 with *cause ("cannot connect to H:P: reason", malloc'd). */
int netaddr_probe(struct netaddr *na, const char *host, const char *port, char **cause);
/* A new non-blocking, close-on-exec socket for na with a connect() started:
 * 0 connected, 1 in progress, -1 (errno) failed. */
int netaddr_connect(const struct netaddr *na, int *fdp);

#endif
