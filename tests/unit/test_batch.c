/*
 * A batch's records name their peers: records share a peers entry only when
 * they come from the same source under the same name (issue 12: every
 * datagram has the source key NULL, and a connection can be reallocated at a
 * freed one's address within one batch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/batch_int.h"

static const char *
peer_of(const struct batch *b, size_t rec)
{
	return b->peers[b->recs[rec].peer];
}

static void
add(struct batch *b, const void *key, const char *peer)
{
	batch_add(b, key, peer, "{}", 2);
}

static void
test_datagrams_keep_their_senders(void **state)
{
	struct batch *b = batch_new();

	(void)state;
	add(b, NULL, "127.0.0.1:1001");
	add(b, NULL, "127.0.0.1:1002");
	add(b, NULL, "127.0.0.1:1002");
	add(b, NULL, "127.0.0.1:1001");
	assert_string_equal(peer_of(b, 0), "127.0.0.1:1001");
	assert_string_equal(peer_of(b, 1), "127.0.0.1:1002");
	assert_string_equal(peer_of(b, 2), "127.0.0.1:1002");
	assert_string_equal(peer_of(b, 3), "127.0.0.1:1001");
	assert_int_equal(b->npeers, 3); /* a run from one sender shares its entry */
	batch_free(b);
}

/* A new connection at a freed one's address is another peer. */
static void
test_reused_connection_address(void **state)
{
	static int conn;
	struct batch *b = batch_new();

	(void)state;
	add(b, &conn, "10.0.0.1:5000");
	add(b, &conn, "10.0.0.1:5000");
	add(b, &conn, "10.0.0.2:6000");
	assert_string_equal(peer_of(b, 0), "10.0.0.1:5000");
	assert_string_equal(peer_of(b, 1), "10.0.0.1:5000");
	assert_string_equal(peer_of(b, 2), "10.0.0.2:6000");
	assert_int_equal(b->npeers, 2);
	batch_free(b);
}

static int
drain_pool(void **state)
{
	(void)state;
	batch_pool_drain();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datagrams_keep_their_senders),
		cmocka_unit_test(test_reused_connection_address),
	};

	return cmocka_run_group_tests(tests, NULL, drain_pool);
}
