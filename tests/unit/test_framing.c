/* Framing edge cases: splits down to one byte, many frames per read, empty
 * frames, oversize frames skipped as they arrive (at every split), headers
 * that cannot be frames, and frames read into a reserved buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "intake/framing.h"

#define MAX_RECORD 1000

struct collected {
	char payloads[64][MAX_RECORD + 1];
	size_t n;
	/* oversize frames: announced length, sample */
	uint32_t big_len[8];
	uint8_t sample[8][LC_OVERSIZE_SAMPLE];
	size_t sample_len[8];
	size_t nbig;
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

static void
collect_big(void *arg, uint32_t len, const uint8_t *sample, size_t n)
{
	struct collected *c = arg;

	assert_true(c->nbig < 8);
	assert_true(n <= LC_OVERSIZE_SAMPLE);
	c->big_len[c->nbig] = len;
	memcpy(c->sample[c->nbig], sample, n);
	c->sample_len[c->nbig] = n;
	c->nbig++;
}

static const struct framing_sinks sinks = {collect, collect_big};

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

	framer_init(&f, MAX_RECORD);
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		struct framing_result r = framer_feed(&f, stream + off, n, &sinks, c);

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
	framer_init(&f, MAX_RECORD);
	r = framer_feed(&f, frame, len - 1, &sinks, &c);
	assert_int_equal(r.status, FRAME_NEED_MORE);
	assert_int_equal(r.frames, 0);
	/* The incomplete frame is held, bytes as sent (for a dead letter). */
	assert_int_equal(framer_pending(&f, &rest), len - 1);
	assert_memory_equal(rest, frame, len - 1);
	r = framer_feed(&f, frame + len - 1, 1, &sinks, &c);
	assert_int_equal(r.frames, 1);
	assert_string_equal(c.payloads[0], "{\"k\":\"v\"}");
	assert_int_equal(framer_pending(&f, &rest), 0);
	framer_free(&f);
}

/* An oversize frame between two records, fed in pieces of every size: it
 * is reported once with its first bytes and the stream goes on. */
static void
test_oversize_is_skipped_at_every_split(void **state)
{
	static uint8_t stream[3 * MAX_RECORD];
	size_t len = put_frame(stream, "before"), big = MAX_RECORD + 500;
	uint8_t *p = stream + len;

	(void)state;
	p[0] = 0;
	p[1] = 0;
	p[2] = (uint8_t)(big >> 8);
	p[3] = (uint8_t)big;
	for (size_t i = 0; i < big; i++)
		p[4 + i] = (uint8_t)(i * 7);
	len += 4 + big;
	len += put_frame(stream + len, "after");
	for (size_t step = 1; step <= 600; step += step < 8 ? 1 : 37) {
		struct collected *c = calloc(1, sizeof(*c));
		struct framer f;
		const uint8_t *rest;

		framer_init(&f, MAX_RECORD);
		for (size_t off = 0; off < len; off += step) {
			size_t n = len - off < step ? len - off : step;

			assert_int_equal(framer_feed(&f, stream + off, n, &sinks, c).status,
			    FRAME_NEED_MORE);
		}
		assert_int_equal(c->n, 2);
		assert_string_equal(c->payloads[0], "before");
		assert_string_equal(c->payloads[1], "after");
		assert_int_equal(c->nbig, 1);
		assert_int_equal(c->big_len[0], big);
		assert_int_equal(c->sample_len[0], LC_OVERSIZE_SAMPLE < big ? LC_OVERSIZE_SAMPLE : big);
		assert_memory_equal(c->sample[0], p + 4, c->sample_len[0]);
		/* Never buffered whole: at most the header and the sample. */
		assert_true(framer_held(&f) <= 2 * (LC_FRAME_HEADER + LC_OVERSIZE_SAMPLE));
		assert_int_equal(framer_pending(&f, &rest), 0);
		framer_free(&f);
		free(c);
	}
}

/* The stream ends before the oversize frame's sample was complete: it is
 * reported at the end with what arrived, and is no incomplete frame. */
static void
test_oversize_cut_short_is_reported_at_end(void **state)
{
	const uint8_t part[] = {0, 0, 0x10, 0, 'a', 'b', 'c'};
	struct collected *c = calloc(1, sizeof(*c));
	struct framer f;
	const uint8_t *rest;

	(void)state;
	framer_init(&f, MAX_RECORD);
	framer_feed(&f, part, sizeof(part), &sinks, c);
	assert_int_equal(c->nbig, 0);
	assert_true(framer_skipping(&f) > 0);
	assert_int_equal(framer_end(&f, &sinks, c, &rest), 0);
	assert_int_equal(c->nbig, 1);
	assert_int_equal(c->big_len[0], 0x1000);
	assert_int_equal(c->sample_len[0], 3);
	assert_memory_equal(c->sample[0], "abc", 3);
	framer_free(&f);
	free(c);
}

/* Above the hard bound a length cannot be a frame: what was framed before
 * is delivered, the header is returned, whole or split. */
static void
test_header_that_cannot_be_a_frame(void **state)
{
	uint8_t stream[64];
	size_t n = put_frame(stream, "ok");
	struct collected c = {.n = 0};

	(void)state;
	memcpy(stream + n, "GET / HTTP/1.1\r\n", 16);
	for (size_t split = n + 4; split >= n + 1; split--) {
		struct framer f;
		struct framing_result r;

		c.n = 0;
		framer_init(&f, MAX_RECORD);
		r = framer_feed(&f, stream, split, &sinks, &c);
		if (r.status != FRAME_BAD)
			r = framer_feed(&f, stream + split, n + 16 - split, &sinks, &c);
		assert_int_equal(r.status, FRAME_BAD);
		assert_memory_equal(r.bad_header, "GET ", 4);
		assert_int_equal(c.n, 1);
		assert_string_equal(c.payloads[0], "ok");
		framer_free(&f);
	}
}

static void
test_describe_what_is_not_a_frame(void **state)
{
	(void)state;
	assert_string_equal(framing_describe((const uint8_t *)"POST"), "an HTTP request");
	assert_string_equal(framing_describe((const uint8_t *)"\x16\x03\x01\x02"),
	    "a TLS handshake");
	assert_string_equal(framing_describe((const uint8_t *)"{\"ms"),
	    "JSON text without a length prefix");
	assert_string_equal(framing_describe((const uint8_t *)" {\"a"),
	    "JSON text without a length prefix");
	assert_string_equal(framing_describe((const uint8_t *)"<13>"), "a syslog message");
	assert_string_equal(framing_describe((const uint8_t *)"hell"), "text");
	assert_string_equal(framing_describe((const uint8_t *)"\xff\xff\xff\xff"),
	    "binary data that is not a frame header");
	/* Each of those is above the hard bound: none can be a length. */
	assert_true(framing_length((const uint8_t *)"\x16\x03\x00\x00") > LC_FRAME_HARD_MAX);
	assert_true(framing_length((const uint8_t *)"    ") > LC_FRAME_HARD_MAX);
}

/* A frame read into its own reserved buffer, in pieces. */
static void
test_reserved_frame_read_in_place(void **state)
{
	static uint8_t stream[MAX_RECORD + 4];
	static char big[MAX_RECORD + 1];
	struct collected *c = calloc(1, sizeof(*c));
	struct framer f;
	size_t missing, got = 10;
	uint8_t *space;

	(void)state;
	memset(big, 'q', MAX_RECORD);
	put_frame(stream, big);
	framer_init(&f, MAX_RECORD);
	framer_feed(&f, stream, got, &sinks, c);
	assert_int_equal(framer_frame_size(&f), MAX_RECORD + 4);
	framer_reserve(&f);
	assert_int_equal(framer_held(&f), MAX_RECORD + 4);
	while (c->n == 0) {
		space = framer_space(&f, &missing);
		assert_int_equal(missing, MAX_RECORD + 4 - got);
		missing = missing < 333 ? missing : 333;
		memcpy(space, stream + got, missing);
		got += missing;
		framer_filled(&f, missing, &sinks, c);
	}
	assert_int_equal(got, MAX_RECORD + 4);
	assert_string_equal(c->payloads[0], big);
	assert_int_equal(framer_frame_size(&f), 0);
	framer_free(&f);
	free(c);
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
	framer_init(&f, MAX_RECORD);
	r = framer_feed(&f, stream, sizeof(stream), &sinks, c);
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
		cmocka_unit_test(test_oversize_is_skipped_at_every_split),
		cmocka_unit_test(test_oversize_cut_short_is_reported_at_end),
		cmocka_unit_test(test_header_that_cannot_be_a_frame),
		cmocka_unit_test(test_describe_what_is_not_a_frame),
		cmocka_unit_test(test_reserved_frame_read_in_place),
		cmocka_unit_test(test_exactly_max_is_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
