/*
 * Access control: a list of CIDR blocks ("10.0.0.0/8", "::1/128",
 * "192.168.1.7"). An empty list allows every peer. IPv4 peers reaching an
 * IPv6 socket as ::ffff:a.b.c.d match the IPv4 blocks.
 */
#ifndef LC_ACL_H
#define LC_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct acl_block {
	int family;      /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix; /* bits */
};

struct acl {
	struct acl_block *blocks;
	size_t n;
};

/* Parse one block. Returns 0, or -1 with *cause set to a static message. */
int acl_parse(const char *text, struct acl_block *block, const char **cause);

/* Build from a list of texts (already validated with acl_parse). */
void acl_init(struct acl *acl, char *const *texts, size_t n);
void acl_free(struct acl *acl);

int acl_allows(const struct acl *acl, const struct sockaddr *peer);

#endif
