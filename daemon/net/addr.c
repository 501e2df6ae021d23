#include "net/addr.h"

#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* Split "host:port" / "[v6]:port" / ":port" into host and port. */
static int
addr_split(const char *text, char *host, size_t hostsz, unsigned long *portnum,
    const char **cause)
{
	const char *port, *colon;
	size_t hostlen;
	char *end;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':') {
			*cause = "expected [IPv6]:port";
			return -1;
		}
		text++;
		hostlen = (size_t)(close - text);
		port = close + 2;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL) {
			*cause = "expected host:port";
			return -1;
		}
		if (strchr(text, ':') != colon) {
			*cause = "IPv6 addresses must be written [addr]:port";
			return -1;
		}
		hostlen = (size_t)(colon - text);
		port = colon + 1;
	}
	if (hostlen >= hostsz) {
		*cause = "address too long";
		return -1;
	}
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	*portnum = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end != '\0' || *portnum > 65535) {
		*cause = "port must be a number from 0 to 65535";
		return -1;
	}
	return 0;
}

int
addr_check(const char *text, const char **cause)
{
	char host[256];
	unsigned long port;

	if (addr_split(text, host, sizeof(host), &port, cause) == -1)
		return -1;
	for (const char *p = host; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr(".-_:%", *p) == NULL) {
			*cause = "not an address or host name";
			return -1;
		}
	}
	return 0;
}

int
addr_parse(const char *text, struct addr *a, const char **cause)
{
	char host[256], port[8];
	struct addrinfo hints, *res, *pick;
	unsigned long portnum;

	if (addr_check(text, cause) == -1 ||
	    addr_split(text, host, sizeof(host), &portnum, cause) == -1)
		return -1;
	snprintf(port, sizeof(port), "%lu", portnum);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res) != 0 || res == NULL) {
		*cause = "cannot resolve host";
		return -1;
	}
	/* ":port" means every address: prefer the IPv6 wildcard, which also
	 * takes IPv4 (see listener_socket). */
	pick = res;
	if (host[0] == '\0')
		for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
			if (ai->ai_family == AF_INET6)
				pick = ai;
	memcpy(&a->ss, pick->ai_addr, pick->ai_addrlen);
	a->len = pick->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void
addr_format(const struct sockaddr *sa, char *dst, size_t dstsz)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(dst, dstsz, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(dst, dstsz, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(dst, dstsz, "(family %d)", sa->sa_family);
	}
}

int
addr_ip(const struct sockaddr *sa, const uint8_t **ip)
{
	if (sa->sa_family == AF_INET) {
		*ip = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		*ip = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			*ip += 12;
			return AF_INET;
		}
		return AF_INET6;
	}
	return AF_UNSPEC;
}
