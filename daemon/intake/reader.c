#include "intake/reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"

/* Tell the intake how much memory the framer holds now. */
static void
reader_account(struct reader *r)
{
	size_t now = framer_held(&r->framer);

	if (now != r->held) {
		long long delta = (long long)now - (long long)r->held;

		r->held = now;
		intake_frame_held(r->intake, delta);
	}
}

int
reader_assembling(const struct reader *r)
{
	return framer_frame_size(&r->framer) > LC_READ_CARRY_MAX;
}

int
reader_mid_frame(const struct reader *r)
{
	const uint8_t *p;

	return framer_pending(&r->framer, &p) > 0 || framer_skipping(&r->framer) > 0;
}

/* Size the buffer of a frame being assembled, if it fits. Returns 1 if the
 * frame may be read. */
static int
reader_reserve(struct reader *r)
{
	size_t need = framer_frame_size(&r->framer);

	if (need <= r->held)
		return 1;
	if (!intake_frame_admit(r->intake, need - r->held))
		return 0;
	framer_reserve(&r->framer);
	reader_account(r);
	return 1;
}

/* The intake released frame memory and this reader is first in line. */
static int
reader_wake(void *arg)
{
	struct reader *r = arg;

	if (!reader_reserve(r))
		return 0;
	r->waiting = 0;
	r->resume(r->arg);
	return 1;
}

/* After framing: count the framer's memory and reserve a frame that began,
 * or wait in line for its memory. */
static void
reader_settle(struct reader *r)
{
	reader_account(r);
	if (reader_assembling(r) && !reader_reserve(r)) {
		r->waiting = 1;
		intake_frame_wait(r->intake, &r->waiter);
		log_debug("client %s: waiting for memory for a frame of %zu bytes", r->peer,
			  framer_frame_size(&r->framer));
	}
}

void
reader_init(struct reader *r, struct intake *in, uint32_t max_record, const void *source,
	    const char *peer, void (*resume)(void *), void *arg)
{
	memset(r, 0, sizeof(*r));
	r->intake = in;
	framer_init(&r->framer, max_record);
	r->waiter.wake = reader_wake;
	r->waiter.arg = r;
	r->source = source;
	r->peer = peer;
	r->resume = resume;
	r->arg = arg;
}

/* A record framed in the framer's own buffer: copied into the batch. */
static void
reader_record_copied(void *arg, const uint8_t *payload, uint32_t len)
{
	struct reader *r = arg;

	intake_record(r->intake, r->source, r->peer, payload, len);
	r->records++;
}

/* A record framed where it was read, in the open batch. */
static void
reader_record_in_place(void *arg, const uint8_t *payload, uint32_t len)
{
	struct reader *r = arg;

	intake_record_in_place(r->intake, r->source, r->peer, payload, len);
	r->records++;
}

static void
reader_oversize(void *arg, uint32_t len, const uint8_t *sample, size_t n)
{
	struct reader *r = arg;

	STATS_ADD(frames_oversize, 1);
	log_ratelimited("client %s: skipped a frame of %u bytes, over max_record_size (%u)",
			r->peer, len, r->framer.max_record);
	intake_reject(r->intake, r->peer, "frame exceeds max_record_size", len, sample, n);
}

static const struct framing_sinks reader_copied = {reader_record_copied, reader_oversize};
static const struct framing_sinks reader_in_place = {reader_record_in_place, reader_oversize};

/* What framing found besides records. */
static enum reader_status
reader_framed(struct reader *r, const struct framing_result *fr)
{
	if (fr->empty > 0) {
		STATS_ADD(frames_empty, fr->empty);
		log_ratelimited("client %s: %zu zero-length frames skipped", r->peer, fr->empty);
		for (size_t i = 0; i < fr->empty; i++)
			intake_reject(r->intake, r->peer, "zero-length frame", 0, NULL, 0);
	}
	if (fr->status == FRAME_BAD) {
		char sample[LOG_SAMPLE_BUFSZ];

		STATS_ADD(frames_bad, 1);
		log_sample(sample, sizeof(sample), fr->bad_header, sizeof(fr->bad_header));
		/* Not rate-limited: like the disconnect line, one per connection. */
		log_warnx("client %s: \"%s\" is no frame header (a length of %u bytes): looks like "
			  "%s; this port expects 4-byte length-prefixed frames; closing",
			  r->peer, sample, framing_length(fr->bad_header),
			  framing_describe(fr->bad_header));
		intake_reject(r->intake, r->peer, "not a frame header",
			      framing_length(fr->bad_header), fr->bad_header,
			      sizeof(fr->bad_header));
		return READER_NOT_A_FRAME;
	}
	return READER_DATA;
}

static enum reader_status
reader_status_of(struct reader *r, ssize_t n)
{
	if (n == 0)
		return READER_EOF;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? READER_AGAIN
										 : READER_ERROR;
	r->bytes += (uint64_t)n;
	STATS_ADD(bytes_in, (uint64_t)n);
	return READER_DATA;
}

/* The rest of a reserved frame, straight into its buffer, no further than
 * its end. */
static enum reader_status
reader_read_assembling(struct reader *r, int fd)
{
	size_t room;
	uint8_t *buf = framer_space(&r->framer, &room);
	ssize_t n = read(fd, buf, room < LC_READ_BUDGET ? room : LC_READ_BUDGET);
	enum reader_status st = reader_status_of(r, n);

	if (st == READER_DATA)
		framer_filled(&r->framer, (size_t)n, &reader_copied, r);
	return st;
}

/* Into the open batch, behind the carry. While connections wait for frame
 * memory, reads are kept to a carry, so that one that turns out to start a
 * big frame holds little until its turn. */
static enum reader_status
reader_read_in_batch(struct reader *r, int fd)
{
	const uint8_t *carry;
	size_t ncarry = framer_pending(&r->framer, &carry), room;
	uint8_t *buf = intake_read_space(r->intake, ncarry, &room);
	struct framing_result fr;
	enum reader_status st;
	ssize_t n;

	if (intake_frame_contended(r->intake) && room > LC_READ_CARRY_MAX)
		room = LC_READ_CARRY_MAX;
	n = read(fd, buf + ncarry, room);
	if ((st = reader_status_of(r, n)) != READER_DATA)
		return st;
	if (ncarry > 0) {
		memcpy(buf, carry, ncarry);
		framer_discard(&r->framer);
	}
	fr = framer_feed(&r->framer, buf, ncarry + (size_t)n, &reader_in_place, r);
	return reader_framed(r, &fr);
}

enum reader_status
reader_read(struct reader *r, int fd)
{
	enum reader_status st;

	if (r->waiting)
		return READER_AGAIN;
	st = reader_assembling(r) ? reader_read_assembling(r, fd) : reader_read_in_batch(r, fd);
	if (st == READER_DATA)
		reader_settle(r);
	return st;
}

void
reader_end(struct reader *r)
{
	const uint8_t *rest;
	size_t n = framer_end(&r->framer, &reader_copied, r, &rest);

	if (n > 0) {
		STATS_ADD(frames_incomplete, 1);
		log_warnx("client %s: dropped an incomplete frame (%zu bytes)", r->peer, n);
		intake_reject(r->intake, r->peer, "incomplete frame at disconnect",
			      n >= LC_FRAME_HEADER ? framing_length(rest) : 0, rest, n);
	}
	intake_frame_unwait(r->intake, &r->waiter);
	r->waiting = 0;
	framer_free(&r->framer);
	reader_account(r);
}
