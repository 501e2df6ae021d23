/*
 * A batch's records name their peers: records share a peers entry only when
 * they come from the same source under the same name (issue 12: every
 * datagram has the source key NULL, and a connection can be reallocated at a
 * freed one's address within one batch).
 *
 * The pool of free batches counts in flight (issue 13): it holds what
 * batch_pool_bytes() says, never more than its byte limit nor LC_BATCH_POOL
 * batches, and a batch's buffers that grew beyond LC_BATCH_TRIM are given
 * back when it is freed, so that an idle pipeline is below the low mark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
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

/* A batch with one record of `len` bytes (at most 4 KiB). */
static struct batch *
batch_with(size_t len)
{
	static const char pad[4096];
	struct batch *b = batch_new();

	batch_add(b, b, "127.0.0.1:1", pad, (uint32_t)len);
	return b;
}

static void
test_big_buffers_are_trimmed_when_given_back(void **state)
{
	struct batch *b = batch_new(), *again;
	size_t bytes;

	(void)state;
	assert_int_equal(batch_pool_bytes(), 0);
	buf_reserve(&b->in, LC_BATCH_TRIM + 1);
	buf_reserve(&b->out, LC_BATCH_TRIM + 1);
	buf_reserve(&b->dead, LC_BATCH_TRIM + 1);
	batch_add(b, b, "127.0.0.1:1", "{}", 2);
	assert_true(batch_bytes(b) > 3 * LC_BATCH_TRIM);
	batch_free(b);
	/* Pooled, with its big buffers freed: the pool holds the batch and its
	 * record table, not the megabytes. */
	bytes = batch_pool_bytes();
	assert_true(bytes > 0);
	assert_true(bytes < LC_BATCH_TRIM);
	again = batch_new();
	assert_int_equal(batch_pool_bytes(), 0);
	assert_int_equal(again->in.cap, 0);
	assert_int_equal(again->out.cap, 0);
	assert_int_equal(again->dead.cap, 0);
	assert_int_equal(batch_bytes(again), bytes);
	/* Buffers at the trim size are kept. */
	buf_reserve(&again->in, LC_BATCH_TRIM);
	bytes = batch_bytes(again);
	assert_true(again->in.cap <= LC_BATCH_TRIM);
	batch_free(again);
	assert_int_equal(batch_pool_bytes(), bytes);
}

static void
test_pool_counts_its_bytes_until_drained(void **state)
{
	struct batch *a = batch_with(100), *b = batch_with(4000);
	size_t abytes = batch_bytes(a), bbytes = batch_bytes(b);

	(void)state;
	assert_int_equal(batch_pool_bytes(), 0);
	batch_free(a);
	assert_int_equal(batch_pool_bytes(), abytes);
	batch_free(b);
	assert_int_equal(batch_pool_bytes(), abytes + bbytes);
	/* Taking one back takes its bytes out. */
	a = batch_new();
	assert_int_equal(batch_pool_bytes(), abytes + bbytes - batch_bytes(a));
	batch_free(a);
	assert_int_equal(batch_pool_bytes(), abytes + bbytes);
	batch_pool_drain();
	assert_int_equal(batch_pool_bytes(), 0);
	/* Drained means empty: the next batch is a fresh one. */
	a = batch_new();
	assert_int_equal(a->in.cap, 0);
	assert_null(a->recs);
	batch_free(a);
}

static void
test_pool_byte_limit(void **state)
{
	struct batch *a = batch_with(1000), *b = batch_with(1000), *c = batch_with(10);
	size_t each = batch_bytes(a);

	(void)state;
	assert_int_equal(batch_bytes(b), each);
	/* Room for one and a bit: the second would go over, and is released. */
	batch_pool_limit(each + each / 2);
	batch_free(a);
	assert_int_equal(batch_pool_bytes(), each);
	batch_free(b);
	assert_int_equal(batch_pool_bytes(), each);
	/* Exactly at the limit is still within it. */
	batch_pool_limit(each + batch_bytes(c));
	batch_free(c);
	assert_int_equal(batch_pool_bytes(), each + batch_bytes(c));
	/* A limit of 0 keeps nothing. */
	batch_pool_drain();
	batch_pool_limit(0);
	batch_free(batch_with(1));
	assert_int_equal(batch_pool_bytes(), 0);
	a = batch_new();
	assert_int_equal(a->in.cap, 0); /* not a pooled one */
	batch_free(a);
}

static void
test_pool_keeps_at_most_LC_BATCH_POOL(void **state)
{
	enum { N = LC_BATCH_POOL + 5 };
	struct batch *b[N];
	size_t each;

	(void)state;
	for (size_t i = 0; i < N; i++)
		b[i] = batch_with(500);
	each = batch_bytes(b[0]);
	for (size_t i = 0; i < N; i++)
		batch_free(b[i]);
	assert_int_equal(batch_pool_bytes(), (size_t)LC_BATCH_POOL * each);
	/* The pooled ones come back with their buffers, then fresh ones. */
	for (size_t i = 0; i < N; i++) {
		b[i] = batch_new();
		if (i < LC_BATCH_POOL)
			assert_true(b[i]->in.cap > 0);
		else
			assert_int_equal(b[i]->in.cap, 0);
	}
	assert_int_equal(batch_pool_bytes(), 0);
	for (size_t i = 0; i < N; i++)
		batch_free(b[i]);
}

/* Each test starts with an empty pool without a byte limit. */
static int
drain_pool(void **state)
{
	(void)state;
	batch_pool_drain();
	batch_pool_limit(SIZE_MAX);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datagrams_keep_their_senders),
		cmocka_unit_test(test_reused_connection_address),
		cmocka_unit_test_teardown(test_big_buffers_are_trimmed_when_given_back, drain_pool),
		cmocka_unit_test_teardown(test_pool_counts_its_bytes_until_drained, drain_pool),
		cmocka_unit_test_teardown(test_pool_byte_limit, drain_pool),
		cmocka_unit_test_teardown(test_pool_keeps_at_most_LC_BATCH_POOL, drain_pool),
	};

	return cmocka_run_group_tests(tests, drain_pool, drain_pool);
}
