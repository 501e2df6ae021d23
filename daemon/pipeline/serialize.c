#include "pipeline/serialize.h"

#include <string.h>

#include "base/log.h"
#include "decode/deadletter.h"
#include "pipeline/batch_int.h"

/* One record's line, over the payloads while every line so far has been
 * (b->head), else appended to b->out. */
static enum record_reject
serialize_record(struct batch *b, const struct serialize_params *sp, const uint8_t *payload,
    uint32_t len, int *in_place, const char **reason)
{
	enum record_reject rej;
	size_t n;

	if (*in_place && record_is_json(sp->format, payload, len)) {
		rej = record_json_line_at(payload, len, (uint8_t *)b->in.data + b->head, &n, reason);
		if (rej == RECORD_OK)
			b->head += n;
		return rej;
	}
	*in_place = 0;
	return record_to_line(sp->format, payload, len, &b->out, sp->max_output, reason);
}

void
serialize_batch(struct batch *b, const struct serialize_params *sp, struct serialize_rejects *rej)
{
	int in_place = 1;

	memset(rej, 0, sizeof(*rej));
	for (size_t i = 0; i < b->nrecs; i++) {
		const struct batch_rec *r = &b->recs[i];
		const uint8_t *payload = batch_payload(b, r);
		const char *reason = NULL;
		enum record_reject why;

		why = serialize_record(b, sp, payload, r->len, &in_place, &reason);
		if (why == RECORD_OK) {
			b->lines++;
			continue;
		}
		rej->by_reason[why]++;
		if (sp->dead_letters) {
			deadletter_append(&b->dead, b->peers[r->peer], reason, r->len, payload, r->len);
			b->ndead++;
		}
		if (!log_ratelimit_allow())
			continue; /* the sample is built only for a line printed */
		char sample[LOG_SAMPLE_BUFSZ];
		log_sample(sample, sizeof(sample), payload, r->len);
		log_warnx("rejected a record of %u bytes from %s: %s (starts \"%s\")", r->len,
		    b->peers[r->peer], reason, sample);
	}
	b->rejected = b->nrecs - b->lines;
}
