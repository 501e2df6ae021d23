/*
 * One record to one JSON line: picks the decoder by the payload's first
 * bytes (or the configured format) and reports why a record is rejected.
 */
#ifndef LC_RECORD_H
#define LC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Which decoder reads a payload: detected per record, or forced. */
enum record_format { FORMAT_AUTO, FORMAT_JSON, FORMAT_PICKLE };

enum record_reject {
	RECORD_OK,
	RECORD_BAD_JSON,
	RECORD_BAD_PICKLE,
	RECORD_BAD_FORMAT, /* neither JSON nor pickle */
};

/* Append the record's line (with '\n') to out, or return why not with
 * *reason set to a static explanation (out unchanged). A pickle record's
 * line may be at most max_output bytes long (a JSON record's line is never
 * longer than its payload). */
enum record_reject record_to_line(enum record_format format, const uint8_t *data, size_t len,
    struct buf *out, size_t max_output, const char **reason);

/* Whether the record is read as JSON. A JSON record's line is never longer
 * than its payload and a '\n', so it can be written in place. */
int record_is_json(enum record_format format, const uint8_t *data, size_t len);

/* A JSON record's line to dst, which may be data itself or lie before it
 * (see jsonrec_line_at); its length in *linelen. */
enum record_reject record_json_line_at(const uint8_t *data, size_t len, uint8_t *dst,
    size_t *linelen, const char **reason);

#endif
