/*
 * A batch's records to JSON lines: the work a worker does, as a function of
 * the batch alone (no pipeline, no threads, no locks), so it is tested by
 * itself. It lives beside the batch rather than in decode/ because it knows
 * a batch's layout (lines in place over the payloads, the rest copied out,
 * dead letters); decode/ turns one record into one line and knows nothing
 * of batches.
 */
#ifndef LC_SERIALIZE_H
#define LC_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "decode/record.h"

struct batch;

struct serialize_params {
	enum record_format format;
	size_t max_output; /* longest line of a pickle record */
	int dead_letters;  /* keep each rejected record as a dead letter */
};

/* Records rejected, by reason (indexed by enum record_reject; RECORD_OK
 * stays 0). */
struct serialize_rejects {
	uint64_t by_reason[RECORD_BAD_FORMAT + 1];
};

/* Turn every record of b into its line: the lines of the leading JSON
 * records over the payloads (in[0, head)), the rest appended to out. A
 * rejected record is logged (rate-limited) with its peer, counted in *rej
 * and, with dead_letters, appended to b's dead letters with its payload
 * as received (counted in b->ndead). Sets b->lines and b->rejected. */
void serialize_batch(struct batch *b, const struct serialize_params *sp,
    struct serialize_rejects *rej);

#endif
