/*
 * The read path of one TCP connection, in one place: where each read goes,
 * the read itself, the start of a frame carried to the next read, framing,
 * and the frame memory a frame being assembled takes.
 *
 * - Most reads go straight into the intake's open batch, behind the start of
 *   a frame left by the last read (a carry of at most LC_READ_CARRY_MAX), so
 *   complete frames are framed where they lie and the loop copies no
 *   payload. Bytes of an oversize frame land there too and are skipped.
 * - A frame longer than a carry is sized whole from the intake's frame
 *   memory when its header arrives and read straight into its own buffer,
 *   each read stopping at its end; if it does not fit, the reader waits
 *   (reads nothing) until the intake wakes it in its turn.
 *
 * Rejects found while framing (zero-length, oversize, incomplete at the end,
 * a header that cannot be a frame) are counted, logged and dead-lettered
 * here, with the reader's peer. Loop thread only.
 */
#ifndef LC_READER_H
#define LC_READER_H

#include <stdint.h>
#include <sys/types.h>

#include "intake/framing.h"
#include "intake/intake.h"

struct reader {
	struct intake *intake;
	struct framer framer;
	size_t held;		     /* frame memory counted for the framer */
	struct intake_waiter waiter; /* queued while waiting for frame memory */
	int waiting;
	const void *source; /* who the records are from, for the batch's peers */
	const char *peer;
	void (*resume)(void *arg); /* frame memory came: read again */
	void *arg;
	uint64_t records, bytes;
};

enum reader_status {
	READER_DATA,  /* bytes were read (and framed) */
	READER_AGAIN, /* nothing to read now */
	READER_EOF,
	READER_ERROR,	    /* errno is set */
	READER_NOT_A_FRAME, /* four bytes that cannot be a frame header: close */
};

void reader_init(struct reader *r, struct intake *in, uint32_t max_record, const void *source,
		 const char *peer, void (*resume)(void *), void *arg);

/* One read(2) from fd, framed. A reader that is waiting reads nothing. */
enum reader_status reader_read(struct reader *r, int fd);

/* The stream ends: an unfinished frame is counted and dropped, the memory
 * given back. */
void reader_end(struct reader *r);

/* A frame longer than a carry is being read into its own (reserved)
 * buffer: its memory is counted, so it may be read while reading is paused. */
int reader_assembling(const struct reader *r);

/* Part of a frame is held (or an oversize one is being skipped). */
int reader_mid_frame(const struct reader *r);

#endif
