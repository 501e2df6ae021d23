#include "netaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defaults.h"
#include "mono.h"

int
netaddr_connect(const struct netaddr *na, int *fdp)
{
	int fd, one = 1;

	fd = socket(na->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Records are small and one-way: do not hold them back for ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	if (connect(fd, (const struct sockaddr *)&na->ss, na->len) == 0)
		return 0;
	if (errno == EINPROGRESS)
		return 1;
	close(fd);
	*fdp = -1;
	return -1;
}

/* Connect to na within LCC_CONNECT_TIMEOUT; 0 or -1 (errno). */
static int
netaddr_try(const struct netaddr *na)
{
	struct pollfd pfd = {.events = POLLOUT};
	int rc, soerr = 0;
	socklen_t len = sizeof(soerr);

	if ((rc = netaddr_connect(na, &pfd.fd)) <= 0) {
		if (rc == 0)
			close(pfd.fd);
		return rc;
	}
	rc = poll(&pfd, 1, (int)(LCC_CONNECT_TIMEOUT * 1000));
	if (rc == 0)
		soerr = ETIMEDOUT;
	else if (rc == -1)
		soerr = errno;
	else
		getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	close(pfd.fd);
	errno = soerr;
	return soerr ? -1 : 0;
}

int
netaddr_probe(struct netaddr *na, const char *host, const char *port, char **cause)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int v6 = strchr(host, ':') != NULL;
	int gai, saved = 0;

	snprintf(na->text, sizeof(na->text), "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (asprintf(cause, "cannot resolve %s: %s", na->text, gai_strerror(gai)) == -1)
			*cause = NULL;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		memcpy(&na->ss, ai->ai_addr, ai->ai_addrlen);
		na->len = ai->ai_addrlen;
		if (netaddr_try(na) == 0)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (ai != NULL)
		return 0;
	if (asprintf(cause, "cannot connect to %s: %s", na->text, strerror(saved)) == -1)
		*cause = NULL;
	return -1;
}
