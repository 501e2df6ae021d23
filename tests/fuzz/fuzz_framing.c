/*
 * Framing under arbitrary input: the first byte picks how the rest is split
 * into reads, so the fuzzer explores headers and payloads cut anywhere. The
 * framed payloads must be exactly the stream's frames, in order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "framing.h"

#define MAX_RECORD 4096

struct check {
	const uint8_t *stream;
	size_t len;
	size_t pos; /* where the next frame's header must start */
};

static void
fuzz_sink(void *arg, struct evbuffer *in, uint32_t len)
{
	struct check *c = arg;
	uint8_t *got = malloc(len);

	/* Skip zero-length frames, which the framer drops. */
	while (c->pos + 4 <= c->len && framing_length(c->stream + c->pos) == 0)
		c->pos += 4;
	if (got == NULL || c->pos + 4 + len > c->len || framing_length(c->stream + c->pos) != len ||
	    evbuffer_remove(in, got, len) != (int)len ||
	    memcmp(got, c->stream + c->pos + 4, len) != 0)
		abort();
	c->pos += 4 + len;
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in;
	struct check c;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	c.stream = data + 1;
	c.len = size - 1;
	c.pos = 0;
	in = evbuffer_new();
	for (size_t off = 0; off < c.len; off += step) {
		size_t n = c.len - off < step ? c.len - off : step;
		struct framing_result r;

		evbuffer_add(in, c.stream + off, n);
		r = framing_drain(in, MAX_RECORD, fuzz_sink, &c);
		if (r.status == FRAME_TOO_BIG) {
			if (r.bad_len <= MAX_RECORD)
				abort();
			break;
		}
	}
	evbuffer_free(in);
	return 0;
}
