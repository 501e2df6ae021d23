/*
 * A batch's records to lines, as a function of the batch alone (no threads):
 * JSON lines are written over the payloads until the first record that
 * cannot be (a pickle), the rest are copied out; either way they keep the
 * records' order; rejects are counted by reason, and a rejected payload
 * reaches the dead letters unchanged although lines were compacted over the
 * payloads before it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/batch_int.h"
#include "pipeline/serialize.h"

static const struct {
	const char *payload;
	size_t len;
} recs[] = {
    {"{\"n\":1}", 7},
    {"{ \"n\" : 2 }", 11},
    {"{\"n\": 3", 7},                            /* rejected: truncated */
    {"{\"n\":4}", 7},
    {"\x80\x02}X\x01\x00\x00\x00nK\x05s.", 13}, /* pickle of {'n': 5} */
    {"{ \"n\": 6 }", 10},
    {"xyz", 3},                                   /* rejected: no format */
    {"{\"n\":8}", 7},
};

static struct batch *
mixed_batch(void)
{
	struct batch *b = batch_new();

	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		batch_add(b, b, "127.0.0.1:1", recs[i].payload, (uint32_t)recs[i].len);
	return b;
}

static void
test_lines_in_place_then_copied_in_order(void **state)
{
	struct serialize_params sp = {.format = FORMAT_AUTO, .max_output = 1 << 20};
	struct serialize_rejects rej;
	struct batch *b = mixed_batch();

	(void)state;
	serialize_batch(b, &sp, &rej);
	assert_int_equal(b->lines, 6);
	assert_int_equal(b->rejected, 2);
	assert_int_equal(rej.by_reason[RECORD_BAD_JSON], 1);
	assert_int_equal(rej.by_reason[RECORD_BAD_FORMAT], 1);
	assert_int_equal(rej.by_reason[RECORD_BAD_PICKLE], 0);
	/* In place up to the pickle, compacted (spaces gone). */
	assert_int_equal(b->head, strlen("{\"n\":1}\n{\"n\":2}\n{\"n\":4}\n"));
	assert_memory_equal(b->in.data, "{\"n\":1}\n{\"n\":2}\n{\"n\":4}\n", b->head);
	assert_int_equal(b->out.len, strlen("{\"n\":5}\n{\"n\":6}\n{\"n\":8}\n"));
	assert_memory_equal(b->out.data, "{\"n\":5}\n{\"n\":6}\n{\"n\":8}\n", b->out.len);
	assert_int_equal(b->ndead, 0); /* no dead-letter file */
	assert_int_equal(b->dead.len, 0);
	batch_free(b);
}

static void
test_rejects_become_dead_letters_unchanged(void **state)
{
	struct serialize_params sp = {.format = FORMAT_AUTO, .max_output = 1 << 20,
	    .dead_letters = 1};
	struct serialize_rejects rej;
	struct batch *b = mixed_batch();
	char *dead;

	(void)state;
	serialize_batch(b, &sp, &rej);
	assert_int_equal(b->ndead, 2);
	dead = strndup(b->dead.data, b->dead.len);
	assert_non_null(dead);
	/* base64 of '{"n": 3' and of 'xyz', each on its own line, in order */
	assert_non_null(strstr(dead, "\"payload_base64\":\"eyJuIjogMw==\""));
	assert_non_null(strstr(dead, "\"payload_base64\":\"eHl6\""));
	assert_true(strstr(dead, "eyJuIjogMw==") < strstr(dead, "eHl6"));
	assert_non_null(strstr(dead, "127.0.0.1:1"));
	free(dead);
	batch_free(b);
}

/* Above max_output a pickle record is rejected, not cut. */
static void
test_output_limit_rejects(void **state)
{
	struct serialize_params sp = {.format = FORMAT_PICKLE, .max_output = 4};
	struct serialize_rejects rej;
	struct batch *b = batch_new();

	(void)state;
	batch_add(b, b, "127.0.0.1:1", recs[4].payload, (uint32_t)recs[4].len);
	serialize_batch(b, &sp, &rej);
	assert_int_equal(b->lines, 0);
	assert_int_equal(rej.by_reason[RECORD_BAD_PICKLE], 1);
	assert_int_equal(b->out.len, 0);
	batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_in_place_then_copied_in_order),
		cmocka_unit_test(test_rejects_become_dead_letters_unchanged),
		cmocka_unit_test(test_output_limit_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
