/*
 * Length-prefixed framing: every frame is a 4-byte big-endian payload length
 * and the payload. A framer takes bytes as they are read, in pieces of any
 * size, and hands each complete payload to a sink, in order. It keeps only
 * the one frame that is not complete yet; complete frames go to the sink
 * straight from the caller's buffer. The length is checked against the
 * limit as soon as the header is complete, before the payload is buffered.
 */
#ifndef LC_FRAMING_H
#define LC_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum frame_status {
	FRAME_NEED_MORE, /* everything complete was handed over */
	FRAME_TOO_BIG,   /* a length above the limit: the stream is lost */
};

/* Receives each complete payload. */
typedef void (*framing_sink)(void *arg, const uint8_t *payload, uint32_t len);

struct framing_result {
	enum frame_status status;
	size_t frames;    /* payloads handed to the sink */
	size_t empty;     /* zero-length frames skipped */
	uint32_t bad_len; /* the offending length with FRAME_TOO_BIG */
};

struct framer {
	struct buf pending; /* the start of a frame not complete yet */
};

void framer_init(struct framer *f);
void framer_free(struct framer *f);

struct framing_result framer_feed(struct framer *f, const uint8_t *data, size_t len,
    uint32_t max_record, framing_sink sink, void *arg);

/* The bytes of the incomplete frame held (for a drop at disconnect). */
static inline size_t
framer_pending(const struct framer *f, const uint8_t **data)
{
	*data = (const uint8_t *)f->pending.data;
	return f->pending.len;
}

/* Forget the incomplete frame (the caller has taken its bytes). */
static inline void
framer_discard(struct framer *f)
{
	f->pending.len = 0;
}

/* Bytes still missing from the incomplete frame, or 0 while its header is
 * incomplete too (or there is none). */
size_t framer_missing(const struct framer *f);

/* Decode a frame header (4 bytes, big-endian). */
uint32_t framing_length(const uint8_t hdr[4]);

#endif
