#include "net/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "net/addr.h"

int
acl_parse(const char *text, struct acl_block *block, const char **cause)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t hostlen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	if (hostlen == 0 || hostlen >= sizeof(host)) {
		*cause = "expected an address or address/prefix";
		return -1;
	}
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	memset(block, 0, sizeof(*block));
	if (inet_pton(AF_INET, host, block->addr) == 1) {
		block->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, block->addr) == 1) {
		block->family = AF_INET6;
		max = 128;
	} else {
		*cause = "not an IPv4 or IPv6 address";
		return -1;
	}
	block->prefix = max;
	if (slash != NULL) {
		char *end;
		unsigned long bits = strtoul(slash + 1, &end, 10);

		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || bits > max) {
			*cause = "prefix length out of range";
			return -1;
		}
		block->prefix = (unsigned)bits;
	}
	return 0;
}

void
acl_init(struct acl *acl, char *const *texts, size_t n)
{
	const char *cause;

	acl->blocks = n ? xcalloc(n, sizeof(*acl->blocks)) : NULL;
	acl->n = n;
	for (size_t i = 0; i < n; i++)
		if (acl_parse(texts[i], &acl->blocks[i], &cause) == -1)
			fatalx("allow: %s: %s", texts[i], cause);
}

void
acl_free(struct acl *acl)
{
	free(acl->blocks);
	acl->blocks = NULL;
	acl->n = 0;
}

static int
acl_match(const struct acl_block *b, int family, const uint8_t *addr)
{
	unsigned full = b->prefix / 8, rest = b->prefix % 8;

	if (b->family != family)
		return 0;
	if (memcmp(b->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (b->addr[full] & mask) == (addr[full] & mask);
}

int
acl_allows(const struct acl *acl, const struct sockaddr *peer)
{
	const uint8_t *addr;
	int family;

	if (acl->n == 0)
		return 1;
	if ((family = addr_ip(peer, &addr)) == AF_UNSPEC)
		return 0;
	for (size_t i = 0; i < acl->n; i++)
		if (acl_match(&acl->blocks[i], family, addr))
			return 1;
	return 0;
}
