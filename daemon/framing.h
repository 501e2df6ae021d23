/*
 * Length-prefixed framing: every frame is a 4-byte big-endian payload length
 * and the payload. The length is checked against the limit as soon as the
 * header is complete, before any of the payload is buffered.
 */
#ifndef LC_FRAMING_H
#define LC_FRAMING_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

enum frame_status {
	FRAME_NEED_MORE, /* no complete frame left; the rest stays buffered */
	FRAME_TOO_BIG,   /* a length above the limit: the stream is lost */
};

/* Receives each complete payload: it must remove exactly len bytes from in. */
typedef void (*framing_sink)(void *arg, struct evbuffer *in, uint32_t len);

struct framing_result {
	enum frame_status status;
	size_t frames; /* payloads handed to the sink */
	size_t empty;  /* zero-length frames skipped */
	uint32_t bad_len; /* the offending length with FRAME_TOO_BIG */
};

/* Hand every complete frame in `in` to sink, in order. */
struct framing_result framing_drain(struct evbuffer *in, uint32_t max_record, framing_sink sink,
    void *arg);

/* Decode a frame header (4 bytes, big-endian). */
uint32_t framing_length(const uint8_t hdr[4]);

#endif
