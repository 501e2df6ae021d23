/*
 * Length-prefixed framing: every frame is a 4-byte big-endian payload length
 * and the payload. A framer takes bytes as they are read, in pieces of any
 * size, and hands each complete payload to a sink, in order. It keeps only
 * the one frame that is not complete yet; complete frames go to the sink
 * straight from the caller's buffer.
 *
 * A length prefix never loses sync: a frame over max_record is skipped as
 * it arrives (its first bytes kept as a sample, the rest discarded, never
 * buffered whole) and the stream goes on with the next frame. Only a length
 * above LC_FRAME_HARD_MAX cannot be a frame: those four bytes are text or
 * another protocol, and the stream is lost (FRAME_BAD).
 */
#ifndef LC_FRAMING_H
#define LC_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum frame_status {
	FRAME_NEED_MORE, /* everything complete was handed over */
	FRAME_BAD,       /* a header that cannot be a frame: the stream is lost */
};

struct framing_sinks {
	/* A complete payload. */
	void (*record)(void *arg, const uint8_t *payload, uint32_t len);
	/* A frame over max_record, once its sample (its first bytes, at most
	 * LC_OVERSIZE_SAMPLE) has arrived, or at framer_end if it had not. */
	void (*oversize)(void *arg, uint32_t len, const uint8_t *sample, size_t n);
};

struct framing_result {
	enum frame_status status;
	size_t frames;         /* payloads handed to the sink */
	size_t empty;          /* zero-length frames skipped */
	uint8_t bad_header[4]; /* with FRAME_BAD */
};

struct framer {
	uint32_t max_record;
	struct buf pending; /* the start of a frame not complete yet; while an
			       oversize frame is skipped, its header and sample */
	uint64_t skip;      /* bytes of an oversize frame still to discard */
	int reported;       /* the frame being skipped went to the oversize sink */
};

void framer_init(struct framer *f, uint32_t max_record);
void framer_free(struct framer *f);

struct framing_result framer_feed(struct framer *f, const uint8_t *data, size_t len,
    const struct framing_sinks *sinks, void *arg);

/* The bytes of the incomplete frame held, while not skipping. */
static inline size_t
framer_pending(const struct framer *f, const uint8_t **data)
{
	*data = (const uint8_t *)f->pending.data;
	return f->skip > 0 ? 0 : f->pending.len;
}

/* Forget the incomplete frame (the caller has taken its bytes). */
static inline void
framer_discard(struct framer *f)
{
	f->pending.len = 0;
}

/* Bytes of an oversize frame still to be discarded (0 if none). */
static inline uint64_t
framer_skipping(const struct framer *f)
{
	return f->skip;
}

/* The whole size (header and payload) of the incomplete frame, or 0 while
 * its header is incomplete too (or there is none, or it is being skipped). */
size_t framer_frame_size(const struct framer *f);

/* Memory the framer holds (its buffer's capacity), for the budget. */
static inline size_t
framer_held(const struct framer *f)
{
	return f->pending.cap;
}

/* Size the buffer for the whole incomplete frame (framer_frame_size), so
 * that it can be read straight into with framer_space. */
void framer_reserve(struct framer *f);

/* Where to read the rest of a reserved frame, and how much is missing. */
uint8_t *framer_space(struct framer *f, size_t *missing);

/* n bytes were read into framer_space: hand the frame over if complete. */
void framer_filled(struct framer *f, size_t n, const struct framing_sinks *sinks, void *arg);

/* The stream ends: an oversize frame not reported yet goes to the sink with
 * what arrived of its sample. Returns the incomplete frame's bytes (0 if
 * there is none), for the caller to count and drop; the framer is empty. */
size_t framer_end(struct framer *f, const struct framing_sinks *sinks, void *arg,
    const uint8_t **rest);

/* Give the buffer back if it holds nothing and grew beyond a carry. */
void framer_trim(struct framer *f);

/* Decode a frame header (4 bytes, big-endian). */
uint32_t framing_length(const uint8_t hdr[4]);

/* What four bytes that cannot be a frame header look like ("an HTTP
 * request", "a TLS handshake", ...), for the log line that closes. */
const char *framing_describe(const uint8_t hdr[4]);

#endif
