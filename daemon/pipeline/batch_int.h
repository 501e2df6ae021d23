/*
 * The fields of a batch, for the batch and pipeline code only: the intake
 * fills a batch through batch.h alone.
 */
#ifndef LC_BATCH_INT_H
#define LC_BATCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/limits.h"
#include "pipeline/batch.h"

struct batch_rec {
	uint32_t off;  /* payload offset in batch->in */
	uint32_t len;
	uint32_t peer; /* index into batch->peers */
};

struct batch {
	uint64_t seq;
	struct buf in; /* payloads, each followed by a spare byte */
	struct batch_rec *recs;
	size_t nrecs, caprecs;
	char (*peers)[LC_PEER_STRLEN];
	size_t npeers, cappeers;
	const void *last_peer_key; /* the source of peers[npeers-1] (with its name) */

	size_t head;      /* lines written in place over in, filled by a worker */
	struct buf out;   /* the lines after those, filled by a worker */
	struct buf dead;  /* dead letters, from the loop and the worker */
	size_t ndead;
	size_t lines;     /* records turned into lines */
	size_t rejected;  /* records rejected by the worker */
	int reopen;       /* reopen the output before writing this batch */
	size_t counted;   /* bytes the pipeline counts in flight for it */
	struct batch *next;
};

static inline const uint8_t *
batch_payload(const struct batch *b, const struct batch_rec *r)
{
	return (const uint8_t *)b->in.data + r->off;
}

#endif
