/*
 * JSON records: a payload must be one JSON object in strict RFC 8259 syntax
 * and valid UTF-8. cJSON checks the structure; the original text is then
 * copied without insignificant whitespace, so numbers keep their exact
 * digits (cJSON would round integers above 2^53 through a double).
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
