/*
 * Framing under arbitrary input: the first byte picks how the rest is split
 * into reads, so the fuzzer explores headers and payloads cut anywhere. The
 * framed payloads must be exactly the stream's frames, in order, and what is
 * left pending exactly the stream's incomplete tail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"

#define MAX_RECORD 4096

struct check {
	const uint8_t *stream;
	size_t len;
	size_t pos; /* where the next frame's header must start */
};

/* Skip the zero-length frames, which the framer counts but does not hand
 * over. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer f;
	struct check c;
	size_t step;
	const uint8_t *rest;
	int too_big = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	c.stream = data + 1;
	c.len = size - 1;
	c.pos = 0;
	framer_init(&f);
	for (size_t off = 0; off < c.len && !too_big; off += step) {
		size_t n = c.len - off < step ? c.len - off : step;
		struct framing_result r = framer_feed(&f, c.stream + off, n, MAX_RECORD, fuzz_sink, &c);

		if (r.status == FRAME_TOO_BIG) {
			if (r.bad_len <= MAX_RECORD)
				abort();
			too_big = 1;
		}
	}
	skip_empty(&c);
	/* Without a broken header, what is pending is the incomplete tail. */
	if (!too_big && (framer_pending(&f, &rest) != c.len - c.pos ||
			    memcmp(rest, c.stream + c.pos, c.len - c.pos) != 0))
		abort();
	framer_free(&f);
	return 0;
}
