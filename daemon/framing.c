#include "framing.h"

#include "limits.h"

uint32_t
framing_length(const uint8_t hdr[4])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

void
framer_init(struct framer *f)
{
	buf_init(&f->pending);
}

void
framer_free(struct framer *f)
{
	buf_free(&f->pending);
}

size_t
framer_missing(const struct framer *f)
{
	if (f->pending.len < LC_FRAME_HEADER)
		return 0;
	return LC_FRAME_HEADER + (size_t)framing_length((const uint8_t *)f->pending.data) -
	    f->pending.len;
}

/* Move up to `want` bytes from the input into the pending frame. */
static void
framer_take(struct framer *f, const uint8_t **data, size_t *len, size_t want)
{
	size_t n = *len < want ? *len : want;

	buf_append(&f->pending, *data, n);
	*data += n;
	*len -= n;
}

/* Complete the pending frame from the input, if it can be. Returns 0 when
 * it is complete (and handed over, or empty), 1 if more input is needed. */
static int
framer_complete_pending(struct framer *f, const uint8_t **data, size_t *len, uint32_t max,
    framing_sink sink, void *arg, struct framing_result *r)
{
	uint32_t flen;

	if (f->pending.len < LC_FRAME_HEADER) {
		framer_take(f, data, len, LC_FRAME_HEADER - f->pending.len);
		if (f->pending.len < LC_FRAME_HEADER)
			return 1;
	}
	flen = framing_length((const uint8_t *)f->pending.data);
	if (flen > max) {
		r->status = FRAME_TOO_BIG;
		r->bad_len = flen;
		return 1;
	}
	framer_take(f, data, len, LC_FRAME_HEADER + (size_t)flen - f->pending.len);
	if (f->pending.len < LC_FRAME_HEADER + (size_t)flen)
		return 1;
	if (flen == 0) {
		r->empty++;
	} else {
		sink(arg, (const uint8_t *)f->pending.data + LC_FRAME_HEADER, flen);
		r->frames++;
	}
	f->pending.len = 0;
	return 0;
}

struct framing_result
framer_feed(struct framer *f, const uint8_t *data, size_t len, uint32_t max, framing_sink sink,
    void *arg)
{
	struct framing_result r = {FRAME_NEED_MORE, 0, 0, 0};

	if (f->pending.len > 0 && framer_complete_pending(f, &data, &len, max, sink, arg, &r))
		return r;
	while (len >= LC_FRAME_HEADER) {
		uint32_t flen = framing_length(data);

		if (flen > max) {
			r.status = FRAME_TOO_BIG;
			r.bad_len = flen;
			return r;
		}
		if (len - LC_FRAME_HEADER < flen)
			break;
		if (flen == 0)
			r.empty++;
		else {
			sink(arg, data + LC_FRAME_HEADER, flen);
			r.frames++;
		}
		data += LC_FRAME_HEADER + flen;
		len -= LC_FRAME_HEADER + flen;
	}
	if (len > 0)
		buf_append(&f->pending, data, len);
	else if (f->pending.cap > LC_READ_BUDGET)
		buf_free(&f->pending); /* a big frame passed: give its memory back */
	return r;
}
