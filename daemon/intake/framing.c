#include "intake/framing.h"

#include "base/limits.h"

uint32_t
framing_length(const uint8_t hdr[4])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

static int
framing_is_text(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

const char *
framing_describe(const uint8_t hdr[4])
{
	static const char *const http[] = {"GET ", "POST", "PUT ", "HEAD", "DELE", "OPTI",
	    "PATC", "CONN", "TRAC", "PRI "};
	size_t text = 0;

	for (size_t i = 0; i < sizeof(http) / sizeof(http[0]); i++)
		if (memcmp(hdr, http[i], 4) == 0)
			return "an HTTP request";
	/* A TLS record: handshake (22), version 3.x. */
	if (hdr[0] == 0x16 && hdr[1] == 0x03 && hdr[2] <= 0x04)
		return "a TLS handshake";
	while (text < 4 && framing_is_text(hdr[text]))
		text++;
	if (text == 4 || hdr[0] == '{') {
		size_t i = 0;

		while (i < 3 && (hdr[i] == ' ' || hdr[i] == '\t' || hdr[i] == '\r' || hdr[i] == '\n'))
			i++;
		if (hdr[i] == '{' || hdr[i] == '[')
			return "JSON text without a length prefix";
		if (hdr[0] == '<' && hdr[1] >= '0' && hdr[1] <= '9')
			return "a syslog message";
		return "text";
	}
	return "binary data that is not a frame header";
}

void
framer_init(struct framer *f, uint32_t max_record)
{
	f->max_record = max_record;
	buf_init(&f->pending);
	f->skip = 0;
	f->reported = 0;
}

void
framer_free(struct framer *f)
{
	buf_free(&f->pending);
	f->skip = 0;
	f->reported = 0;
}

void
framer_trim(struct framer *f)
{
	if (f->pending.len == 0 && f->pending.cap > LC_READ_CARRY_MAX)
		buf_free(&f->pending);
}

size_t
framer_frame_size(const struct framer *f)
{
	if (f->skip > 0 || f->pending.len < LC_FRAME_HEADER)
		return 0;
	return LC_FRAME_HEADER + (size_t)framing_length((const uint8_t *)f->pending.data);
}

void
framer_reserve(struct framer *f)
{
	buf_set_capacity(&f->pending, framer_frame_size(f));
}

uint8_t *
framer_space(struct framer *f, size_t *missing)
{
	*missing = framer_frame_size(f) - f->pending.len;
	return (uint8_t *)f->pending.data + f->pending.len;
}

/* Hand over the pending frame, which is complete, and forget it. */
static void
framer_deliver(struct framer *f, const struct framing_sinks *sinks, void *arg,
    struct framing_result *r)
{
	uint32_t flen = (uint32_t)(f->pending.len - LC_FRAME_HEADER);

	if (flen == 0) {
		r->empty++;
	} else {
		sinks->record(arg, (const uint8_t *)f->pending.data + LC_FRAME_HEADER, flen);
		r->frames++;
	}
	f->pending.len = 0;
}

void
framer_filled(struct framer *f, size_t n, const struct framing_sinks *sinks, void *arg)
{
	struct framing_result r = {FRAME_NEED_MORE, 0, 0, {0}};

	f->pending.len += n;
	if (f->pending.len == framer_frame_size(f)) {
		framer_deliver(f, sinks, arg, &r);
		framer_trim(f);
	}
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

/* Discard what arrives of the oversize frame in pending (its header), keeping
 * the sample; report it once the sample is complete. */
static void
framer_skip(struct framer *f, const uint8_t **data, size_t *len, const struct framing_sinks *sinks,
    void *arg)
{
	uint32_t flen = framing_length((const uint8_t *)f->pending.data);
	size_t sample = flen < LC_OVERSIZE_SAMPLE ? flen : LC_OVERSIZE_SAMPLE;
	size_t have = f->pending.len - LC_FRAME_HEADER;
	size_t n = *len < f->skip ? *len : (size_t)f->skip;

	if (have < sample)
		buf_append(&f->pending, *data, n < sample - have ? n : sample - have);
	*data += n;
	*len -= n;
	f->skip -= n;
	if (!f->reported && f->pending.len - LC_FRAME_HEADER == sample) {
		f->reported = 1;
		sinks->oversize(arg, flen, (const uint8_t *)f->pending.data + LC_FRAME_HEADER, sample);
	}
	if (f->skip == 0) {
		f->pending.len = 0;
		f->reported = 0;
	}
}

/*
 * The header in pending is complete: a frame over max_record starts being
 * skipped, one that cannot be a frame is FRAME_BAD. Returns 0 for a frame to
 * read, 1 otherwise.
 */
static int
framer_check_header(struct framer *f, const uint8_t **data, size_t *len,
    const struct framing_sinks *sinks, void *arg, struct framing_result *r)
{
	uint32_t flen = framing_length((const uint8_t *)f->pending.data);

	if (flen <= f->max_record)
		return 0;
	if (flen > LC_FRAME_HARD_MAX) {
		r->status = FRAME_BAD;
		memcpy(r->bad_header, f->pending.data, LC_FRAME_HEADER);
		f->pending.len = 0;
		return 1;
	}
	f->skip = flen;
	f->reported = 0;
	framer_skip(f, data, len, sinks, arg);
	return 1;
}

/* Complete the pending frame from the input, if it can be. Returns 0 when it
 * is done (handed over, empty or skipped), 1 if more input is needed or the
 * stream is lost. */
static int
framer_complete_pending(struct framer *f, const uint8_t **data, size_t *len,
    const struct framing_sinks *sinks, void *arg, struct framing_result *r)
{
	if (f->skip > 0) {
		framer_skip(f, data, len, sinks, arg);
		return f->skip > 0;
	}
	if (f->pending.len < LC_FRAME_HEADER) {
		framer_take(f, data, len, LC_FRAME_HEADER - f->pending.len);
		if (f->pending.len < LC_FRAME_HEADER)
			return 1;
		if (framer_check_header(f, data, len, sinks, arg, r))
			return r->status == FRAME_BAD || f->skip > 0;
	}
	framer_take(f, data, len, framer_frame_size(f) - f->pending.len);
	if (f->pending.len < framer_frame_size(f))
		return 1;
	framer_deliver(f, sinks, arg, r);
	return 0;
}

struct framing_result
framer_feed(struct framer *f, const uint8_t *data, size_t len, const struct framing_sinks *sinks,
    void *arg)
{
	struct framing_result r = {FRAME_NEED_MORE, 0, 0, {0}};

	if ((f->pending.len > 0 || f->skip > 0) &&
	    framer_complete_pending(f, &data, &len, sinks, arg, &r))
		return r;
	while (len >= LC_FRAME_HEADER) {
		uint32_t flen = framing_length(data);

		if (flen > f->max_record) {
			/* Skipped or bad: the slow path, from pending. */
			framer_take(f, &data, &len, LC_FRAME_HEADER);
			if (framer_check_header(f, &data, &len, sinks, arg, &r) && r.status == FRAME_BAD)
				return r;
			if (f->skip > 0)
				return r;
			continue;
		}
		if (len - LC_FRAME_HEADER < flen)
			break;
		if (flen == 0)
			r.empty++;
		else {
			sinks->record(arg, data + LC_FRAME_HEADER, flen);
			r.frames++;
		}
		data += LC_FRAME_HEADER + flen;
		len -= LC_FRAME_HEADER + flen;
	}
	if (len > 0)
		buf_append(&f->pending, data, len);
	else
		framer_trim(f); /* a big frame passed: give its memory back */
	return r;
}

size_t
framer_end(struct framer *f, const struct framing_sinks *sinks, void *arg, const uint8_t **rest)
{
	size_t n;

	if (f->skip > 0) {
		if (!f->reported)
			sinks->oversize(arg, framing_length((const uint8_t *)f->pending.data),
			    (const uint8_t *)f->pending.data + LC_FRAME_HEADER,
			    f->pending.len - LC_FRAME_HEADER);
		f->skip = 0;
		f->reported = 0;
		f->pending.len = 0;
	}
	*rest = (const uint8_t *)f->pending.data;
	n = f->pending.len;
	f->pending.len = 0;
	return n;
}
