/* Listen addresses as users write them: "127.0.0.1:9020", "[::1]:9020",
 * "0.0.0.0:9020", ":9020" (all IPv4 and IPv6 addresses), "localhost:9020". */
#ifndef LC_ADDR_H
#define LC_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/limits.h"

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Returns 0, or -1 with *cause set to a static message. Names resolve with
 * getaddrinfo (numeric ports only); the first result is used. */
int addr_parse(const char *text, struct addr *a, const char **cause);

/* The syntax alone, resolving nothing (for validating a configuration). */
int addr_check(const char *text, const char **cause);

/* "127.0.0.1:9020" / "[::1]:9020" into dst (ADDR_STRLEN bytes). */
#define ADDR_STRLEN LC_PEER_STRLEN
void addr_format(const struct sockaddr *sa, char *dst, size_t dstsz);

/* The IP address in sa: returns its family and points *ip at its bytes (4
 * for AF_INET, 16 for AF_INET6). An IPv4 peer on a dual-stack socket
 * (::ffff:a.b.c.d) is the AF_INET address it carries. AF_UNSPEC for any
 * other family. */
int addr_ip(const struct sockaddr *sa, const uint8_t **ip);

#endif
