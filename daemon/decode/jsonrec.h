/*
 * JSON records: a payload must be one JSON object in strict RFC 8259 syntax
 * and valid UTF-8, nested at most LC_MAX_NESTING deep. One pass checks it
 * without copying; its line is the original text without insignificant
 * whitespace (most payloads have none, and are their own line), so numbers
 * keep their exact digits and spelling (a parser like cJSON rounds integers
 * above 2^53 through a double and prints 640.0 as 640) and no memory is
 * allocated per value. An object that repeats a key keeps, as Python's
 * json.loads does, the last value at the first key's place, keys compared
 * by their decoded text (the first spelling is written); the pass hashes
 * every key to notice repeats, and only a record with one is rebuilt. cJSON
 * serves as the independent oracle in the fuzz target and tests.
 */
#ifndef LC_JSONREC_H
#define LC_JSONREC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Write the record as one compact line (with '\n') to dst and its length to
 * *linelen, at most len + 1 (dropping repeated keys only shortens it). dst
 * may be data itself or lie before it (the line is then compacted in place:
 * written bytes never pass the bytes still to be read; a record with a
 * repeated key is built aside first); otherwise it must not overlap data.
 * Returns 0, or -1 with *reason set to a static explanation (data is then
 * left untouched). */
int jsonrec_line_at(const uint8_t *data, size_t len, uint8_t *dst, size_t *linelen,
    const char **reason);

/* Append the record as one compact line (with '\n') to out. Returns 0, or -1
 * with *reason set to a static explanation (out unchanged). */
int jsonrec_to_line(const uint8_t *data, size_t len, struct buf *out, const char **reason);

/* Whether a payload looks like JSON: '{' after optional whitespace. */
int jsonrec_sniff(const uint8_t *data, size_t len);

#endif
