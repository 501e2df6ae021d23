/* Framing edge cases: splits down to one byte, many frames per read, empty
 * frames, lengths over the limit detected before the payload arrives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "framing.h"

#define MAX_RECORD 1000

struct collected {
	char payloads[64][MAX_RECORD + 1];
	size_t n;
};

static void
collect(void *arg, const uint8_t *payload, uint32_t len)
{
	struct collected *c = arg;

	assert_true(c->n < 64);
	memcpy(c->payloads[c->n], payload, len);
	c->payloads[c->n][len] = '\0';
	c->n++;
}

static size_t
put_frame(uint8_t *dst, const char *payload)
{
	size_t len = strlen(payload);

	dst[0] = (uint8_t)(len >> 24);
	dst[1] = (uint8_t)(len >> 16);
	dst[2] = (uint8_t)(len >> 8);
	dst[3] = (uint8_t)len;
	memcpy(dst + 4, payload, len);
	return len + 4;
}

static const char *payloads[] = {"{\"a\":1}", "x", "", "{\"message\":\"hello world\"}", "yz"};

static size_t
make_stream(uint8_t *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
		n += put_frame(dst + n, payloads[i]);
	return n;
}

static void
check_collected(const struct collected *c, size_t empty)
{
	size_t k = 0;

	assert_int_equal(empty, 1);
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
		if (payloads[i][0] != '\0')
			assert_string_equal(c->payloads[k++], payloads[i]);
	assert_int_equal(c->n, k);
}

/* Feed the stream in pieces of `step` bytes, draining after each piece. */
static void
feed_in_steps(size_t step)
{
	uint8_t stream[256];
	size_t len = make_stream(stream), empty = 0;
	struct framer f;
	struct collected *c = calloc(1, sizeof(*c));
	const uint8_t *rest;

	framer_init(&f);
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		struct framing_result r = framer_feed(&f, stream + off, n, MAX_RECORD, collect, c);

		assert_int_equal(r.status, FRAME_NEED_MORE);
		empty += r.empty;
	}
	assert_int_equal(framer_pending(&f, &rest), 0);
	check_collected(c, empty);
	framer_free(&f);
	free(c);
}

static void
test_split_every_size(void **state)
{
	(void)state;
	for (size_t step = 1; step <= 64; step++)
		feed_in_steps(step);
}

static void
test_incomplete_frame_stays_buffered(void **state)
{
	uint8_t frame[64];
	size_t len = put_frame(frame, "{\"k\":\"v\"}");
	struct framer f;
	struct collected c = {.n = 0};
	struct framing_result r;
	const uint8_t *rest;

	(void)state;
	framer_init(&f);
	r = framer_feed(&f, frame, len - 1, MAX_RECORD, collect, &c);
	assert_int_equal(r.status, FRAME_NEED_MORE);
	assert_int_equal(r.frames, 0);
	/* The incomplete frame is held, bytes as sent (for a dead letter). */
	assert_int_equal(framer_pending(&f, &rest), len - 1);
	assert_memory_equal(rest, frame, len - 1);
	r = framer_feed(&f, frame + len - 1, 1, MAX_RECORD, collect, &c);
	assert_int_equal(r.frames, 1);
	assert_string_equal(c.payloads[0], "{\"k\":\"v\"}");
	assert_int_equal(framer_pending(&f, &rest), 0);
	framer_free(&f);
}

static void
test_too_big_detected_from_header_alone(void **state)
{
	uint8_t stream[64];
	size_t n = put_frame(stream, "ok");
	struct collected c = {.n = 0};
	struct framing_result r;
	/* MAX_RECORD + 1, with no payload bytes following yet. */
	const uint8_t hdr[4] = {0, 0, (MAX_RECORD + 1) >> 8, (MAX_RECORD + 1) & 0xff};

	(void)state;
	memcpy(stream + n, hdr, 4);
	/* Whole, and with the bad header split across two reads. */
	for (size_t split = n + 4; split >= n + 2; split -= 2) {
		struct framer f;

		c.n = 0;
		framer_init(&f);
		r = framer_feed(&f, stream, split, MAX_RECORD, collect, &c);
		if (split < n + 4)
			r = framer_feed(&f, stream + split, n + 4 - split, MAX_RECORD, collect, &c);
		assert_int_equal(r.status, FRAME_TOO_BIG);
		assert_int_equal(r.bad_len, MAX_RECORD + 1);
		/* Everything framed before the bad header was delivered. */
		assert_int_equal(c.n, 1);
		assert_string_equal(c.payloads[0], "ok");
		framer_free(&f);
	}
}

static void
test_largest_lengths(void **state)
{
	const uint8_t four_gib[4] = {0xff, 0xff, 0xff, 0xff};
	struct framer f;
	struct collected c = {.n = 0};
	struct framing_result r;

	(void)state;
	assert_int_equal(framing_length(four_gib), 0xffffffffu);
	framer_init(&f);
	r = framer_feed(&f, four_gib, 4, MAX_RECORD, collect, &c);
	assert_int_equal(r.status, FRAME_TOO_BIG);
	assert_int_equal(r.bad_len, 0xffffffffu);
	framer_free(&f);
}

static void
test_exactly_max_is_accepted(void **state)
{
	static char big[MAX_RECORD + 1];
	static uint8_t stream[MAX_RECORD + 4];
	struct framer f;
	struct collected *c = calloc(1, sizeof(*c));
	struct framing_result r;

	(void)state;
	memset(big, 'a', MAX_RECORD);
	put_frame(stream, big);
	framer_init(&f);
	r = framer_feed(&f, stream, sizeof(stream), MAX_RECORD, collect, c);
	assert_int_equal(r.status, FRAME_NEED_MORE);
	assert_int_equal(r.frames, 1);
	assert_int_equal(strlen(c->payloads[0]), MAX_RECORD);
	framer_free(&f);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_every_size),
		cmocka_unit_test(test_incomplete_frame_stays_buffered),
		cmocka_unit_test(test_too_big_detected_from_header_alone),
		cmocka_unit_test(test_largest_lengths),
		cmocka_unit_test(test_exactly_max_is_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
