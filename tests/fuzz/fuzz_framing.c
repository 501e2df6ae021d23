/*
 * Framing under arbitrary input: the first byte picks how the rest is split
 * into reads, so the fuzzer explores headers and payloads cut anywhere. A
 * reference walk of the stream says what must come out: every frame up to
 * max_record, in order; every oversize frame skipped, reported once with
 * its first bytes; a header above the hard bound ends the stream; what is
 * left at the end is exactly the stream's incomplete tail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "intake/framing.h"

#define MAX_RECORD 4096

struct check {
	const uint8_t *stream;
	size_t len;
	size_t pos; /* where the next frame's header must start */
};

/* Step over the frames the framer hands nothing for (zero-length). */
static void
skip_empty(struct check *c)
{
	while (c->pos + 4 <= c->len && framing_length(c->stream + c->pos) == 0)
		c->pos += 4;
}

static void
fuzz_sink(void *arg, const uint8_t *payload, uint32_t len)
{
	struct check *c = arg;

	skip_empty(c);
	if (c->pos + 4 + len > c->len || framing_length(c->stream + c->pos) != len ||
	    memcmp(payload, c->stream + c->pos + 4, len) != 0)
		abort();
	c->pos += 4 + len;
}

static void
fuzz_oversize(void *arg, uint32_t len, const uint8_t *sample, size_t n)
{
	struct check *c = arg;
	size_t avail, want;

	skip_empty(c);
	if (c->pos + 4 > c->len || framing_length(c->stream + c->pos) != len ||
	    len <= MAX_RECORD || len > LC_FRAME_HARD_MAX)
		abort();
	avail = c->len - c->pos - 4;
	want = len < LC_OVERSIZE_SAMPLE ? len : LC_OVERSIZE_SAMPLE;
	/* The whole sample, or at the end of the stream what arrived of it. */
	if (n != (avail < want ? avail : want) || memcmp(sample, c->stream + c->pos + 4, n) != 0)
		abort();
	c->pos += 4 + (size_t)len; /* may pass the end: the rest never came */
}

static const struct framing_sinks fuzz_sinks = {fuzz_sink, fuzz_oversize};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer f;
	struct check c;
	size_t step, rest_len;
	const uint8_t *rest;
	int bad = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	c.stream = data + 1;
	c.len = size - 1;
	c.pos = 0;
	framer_init(&f, MAX_RECORD);
	for (size_t off = 0; off < c.len && !bad; off += step) {
		size_t n = c.len - off < step ? c.len - off : step;
		struct framing_result r = framer_feed(&f, c.stream + off, n, &fuzz_sinks, &c);

		if (r.status == FRAME_BAD) {
			skip_empty(&c);
			if (c.pos + 4 > c.len || memcmp(r.bad_header, c.stream + c.pos, 4) != 0 ||
			    framing_length(r.bad_header) <= LC_FRAME_HARD_MAX)
				abort();
			bad = 1;
		}
		/* Skipping never buffers the frame whole. */
		if (framer_skipping(&f) > 0 && f.pending.len > LC_FRAME_HEADER + LC_OVERSIZE_SAMPLE)
			abort();
	}
	if (!bad) {
		rest_len = framer_end(&f, &fuzz_sinks, &c, &rest);
		skip_empty(&c);
		/* What is left is the incomplete tail, unless an oversize frame
		 * ran past the end (then it was reported, and nothing is left). */
		if (c.pos < c.len && (rest_len != c.len - c.pos ||
					 memcmp(rest, c.stream + c.pos, rest_len) != 0))
			abort();
		if (c.pos >= c.len && rest_len != 0)
			abort();
	}
	framer_free(&f);
	return 0;
}
