/*
 * JSON records: a payload must be one JSON object in strict RFC 8259 syntax
 * and valid UTF-8. One pass checks it and copies the original text without
 * insignificant whitespace, so numbers keep their exact digits and spelling
 * (a parser like cJSON rounds integers above 2^53 through a double and
 * prints 640.0 as 640) and no memory is allocated per value. cJSON serves
 * as the independent oracle in the fuzz target and tests.
 */
#ifndef LC_JSONREC_H
#define LC_JSONREC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the record as one compact line (with '\n') to out. Returns 0, or -1
 * with *reason set to a static explanation (out unchanged). */
int jsonrec_to_line(const uint8_t *data, size_t len, struct buf *out, const char **reason);

/* Whether a payload looks like JSON: '{' after optional whitespace. */
int jsonrec_sniff(const uint8_t *data, size_t len);

#endif
