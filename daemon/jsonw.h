/*
 * Writing JSON text directly into a buf, the way Python's json.dumps prints
 * values: strings as strict JSON (valid UTF-8 out; lone surrogates as \udXXX
 * escapes), floats in repr() form that keep their float type ("640.0"),
 * non-finite floats as null.
 */
#ifndef LC_JSONW_H
#define LC_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append s (len bytes of UTF-8, where ED A0..BF xx surrogate sequences are
 * allowed and escaped) as a quoted JSON string. Returns 0, or -1 if s holds
 * other invalid UTF-8 (out unchanged). */
int jsonw_string(struct buf *out, const uint8_t *s, size_t len);

/* Python float repr: shortest round-trip digits; "1.0", "1e+16", "1e-05". */
void jsonw_double(struct buf *out, double v);

/* A 64-bit integer in decimal. */
void jsonw_int(struct buf *out, int64_t v);

/* Base64 (RFC 4648, padded). */
void jsonw_base64(struct buf *out, const uint8_t *data, size_t len);

#endif
