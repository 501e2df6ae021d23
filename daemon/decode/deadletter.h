/*
 * Dead letters: a rejected record, written as one JSON line to the
 * dead-letter file so that nothing that arrived is silently gone:
 *   {"time":"2026-11-23T10:00:00.123Z","peer":"127.0.0.1:40000",
 *    "reason":"invalid JSON","size":9,"payload_base64":"bm90IGpzb24="}
 * "size" is the frame's announced payload size; "payload_base64" holds the
 * bytes that arrived (none for an oversize frame, which is never buffered).
 * Dead letters are written batch by batch, in order; within a batch those
 * the loop rejected (framing) come before those a worker rejected (payload).
 */
#ifndef LC_DEADLETTER_H
#define LC_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

void deadletter_append(struct buf *dst, const char *peer, const char *reason, uint64_t size,
    const void *payload, size_t len);

#endif
