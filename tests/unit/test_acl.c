/* Access control lists: CIDR parsing and matching, IPv4-mapped peers (and
 * addr_ip, which unwraps them for the ACL and the metrics endpoint). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "net/acl.h"
#include "net/addr.h"

static void
sockaddr_of(struct sockaddr_storage *ss, const char *ip)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	}
}

static int
allows(const struct acl *acl, const char *ip)
{
	struct sockaddr_storage ss;

	sockaddr_of(&ss, ip);
	return acl_allows(acl, (struct sockaddr *)&ss);
}

static void
test_empty_list_allows_everyone(void **state)
{
	struct acl acl;

	(void)state;
	acl_init(&acl, NULL, 0);
	assert_true(allows(&acl, "203.0.113.9"));
	assert_true(allows(&acl, "2001:db8::1"));
	acl_free(&acl);
}

static void
test_blocks_match_by_prefix(void **state)
{
	char *texts[] = {"10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "172.16.0.0/12"};
	struct acl acl;

	(void)state;
	acl_init(&acl, texts, 4);
	assert_true(allows(&acl, "10.255.1.2"));
	assert_false(allows(&acl, "11.0.0.1"));
	assert_true(allows(&acl, "192.168.1.7"));
	assert_false(allows(&acl, "192.168.1.8"));
	assert_true(allows(&acl, "172.31.255.255"));
	assert_false(allows(&acl, "172.32.0.0"));
	assert_true(allows(&acl, "2001:db8:ffff::1"));
	assert_false(allows(&acl, "2001:db9::1"));
	/* An IPv4 client on a dual-stack socket. */
	assert_true(allows(&acl, "::ffff:10.1.2.3"));
	assert_false(allows(&acl, "::ffff:8.8.8.8"));
	acl_free(&acl);
}

static void
test_zero_prefix_and_host_routes(void **state)
{
	char *texts[] = {"0.0.0.0/0", "::1/128"};
	struct acl acl;

	(void)state;
	acl_init(&acl, texts, 2);
	assert_true(allows(&acl, "198.51.100.1"));
	assert_true(allows(&acl, "::1"));
	assert_false(allows(&acl, "::2"));
	acl_free(&acl);
}

static void
test_parse_errors(void **state)
{
	struct acl_block b;
	const char *cause = NULL;

	(void)state;
	assert_int_equal(acl_parse("10.0.0.0/33", &b, &cause), -1);
	assert_non_null(strstr(cause, "prefix"));
	assert_int_equal(acl_parse("::/129", &b, &cause), -1);
	assert_int_equal(acl_parse("10.0.0.0/", &b, &cause), -1);
	assert_int_equal(acl_parse("10.0.0.0/-1", &b, &cause), -1);
	assert_int_equal(acl_parse("example.com", &b, &cause), -1);
	assert_non_null(strstr(cause, "address"));
	assert_int_equal(acl_parse("", &b, &cause), -1);
	assert_int_equal(acl_parse("127.0.0.1/8", &b, &cause), 0);
	assert_int_equal(b.prefix, 8);
}

/* An IPv4 peer on a dual-stack socket is its IPv4 address; an IPv6 peer
 * stays IPv6; what has no IP address is AF_UNSPEC. */
static void
test_addr_ip_unwraps_ipv4_mapped(void **state)
{
	static const uint8_t v4[] = {10, 1, 2, 3};
	struct sockaddr_storage ss;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const uint8_t *ip;

	(void)state;
	sockaddr_of(&ss, "10.1.2.3");
	assert_int_equal(addr_ip((struct sockaddr *)&ss, &ip), AF_INET);
	assert_memory_equal(ip, v4, sizeof(v4));
	sockaddr_of(&ss, "::ffff:10.1.2.3");
	assert_int_equal(addr_ip((struct sockaddr *)&ss, &ip), AF_INET);
	assert_memory_equal(ip, v4, sizeof(v4));
	sockaddr_of(&ss, "::1");
	assert_int_equal(addr_ip((struct sockaddr *)&ss, &ip), AF_INET6);
	assert_memory_equal(ip, &in6addr_loopback, sizeof(in6addr_loopback));
	assert_int_equal(addr_ip((struct sockaddr *)&sun, &ip), AF_UNSPEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_list_allows_everyone),
		cmocka_unit_test(test_blocks_match_by_prefix),
		cmocka_unit_test(test_zero_prefix_and_host_routes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_addr_ip_unwraps_ipv4_mapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
