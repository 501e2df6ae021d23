/*
 * A safe pickle decoder: it builds data only and never imports, calls or
 * constructs anything. It turns a pickled dict (what Python's
 * logging.handlers.SocketHandler sends) into the JSON object that
 * json.dumps(pickle.loads(payload)) would print. Protocols 0-5.
 */
#ifndef LC_PICKLE_H
#define LC_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Why a record was rejected; pickle_error_name() gives a short stable name
 * (for counters and logs). */
enum pickle_error {
	PICKLE_OK = 0,
	PICKLE_ERR_TRUNCATED,     /* ran off the end / claimed length beyond frame */
	PICKLE_ERR_OPCODE,        /* unknown or unsupported opcode */
	PICKLE_ERR_NOT_DICT,      /* top level is not a dict */
	PICKLE_ERR_TRAILING,      /* bytes after STOP */
	PICKLE_ERR_STACK,         /* stack/mark misuse, or stack limit */
	PICKLE_ERR_MEMO,          /* bad memo reference, or memo limit */
	PICKLE_ERR_DEPTH,         /* nesting deeper than the limit */
	PICKLE_ERR_TOO_BIG,       /* output over the per-record limit */
	PICKLE_ERR_UTF8,          /* invalid UTF-8 in a string */
	PICKLE_ERR_VALUE,         /* malformed literal (INT/FLOAT/LONG text, ...) */
	PICKLE_ERR_KEY,           /* unhashable or unsupported dict key */
	PICKLE_ERR_COUNT
};

const char *pickle_error_name(enum pickle_error err);

/* Decode one pickle and append its JSON (one compact object, no newline) to
 * out; a record whose JSON would be longer than max_output bytes is
 * rejected (PICKLE_ERR_TOO_BIG). On error out is left as it was and the
 * reason is returned; *detail, if not NULL, gets a static human-readable
 * explanation. Never allocates more than a bounded multiple of len +
 * max_output. Thread-safe (no global state). */
enum pickle_error pickle_to_json(const uint8_t *data, size_t len, struct buf *out,
    size_t max_output, const char **detail);

/* Whether a payload looks like a pickle (0x80 PROTO, or a protocol 0/1
 * opening opcode), for per-frame format detection. */
int pickle_sniff(const uint8_t *data, size_t len);

#endif
