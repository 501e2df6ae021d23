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
#include <string.h>

#include "buf.h"

/* jsonw_string for text that needs escapes or holds non-ASCII. */
int jsonw_string_escaped(struct buf *out, const uint8_t *s, size_t len);

/* Bytes that go out as they are: printable ASCII except '"' and '\\'. */
static inline int
jsonw_plain(uint8_t c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Whether any of the 8 bytes in w is not plain. Each test sets a byte's high
 * bit when that byte matches (it may also flag bytes above a true match, which
 * does not change the answer). */
static inline int
jsonw_special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
	uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

	return ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
		    ((bslash - ones) & ~bslash) | w) &
		   high) != 0;
}

/* Whether all of s is plain, a word at a time (the last word overlapping
 * the one before). */
static inline int
jsonw_all_plain(const uint8_t *s, size_t len)
{
	uint64_t w;
	uint32_t a, b;
	size_t i;

	if (len < 4) {
		for (i = 0; i < len; i++)
			if (!jsonw_plain(s[i]))
				return 0;
		return 1;
	}
	if (len < 8) {
		memcpy(&a, s, sizeof(a));
		memcpy(&b, s + len - 4, sizeof(b));
		return !jsonw_special8((uint64_t)a << 32 | b);
	}
	for (i = 0; i + 8 < len; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		if (jsonw_special8(w))
			return 0;
	}
	memcpy(&w, s + len - 8, sizeof(w));
	return !jsonw_special8(w);
}

/* Append s (len bytes of UTF-8, where ED A0..BF xx surrogate sequences are
 * allowed and escaped) as a quoted JSON string. Returns 0, or -1 if s holds
 * other invalid UTF-8 (out unchanged). Inline for the common case, plain
 * ASCII, which is copied as it is. */
static inline int
jsonw_string(struct buf *out, const uint8_t *s, size_t len)
{
	char *p;

	if (!jsonw_all_plain(s, len))
		return jsonw_string_escaped(out, s, len);
	buf_reserve(out, len + 2);
	p = out->data + out->len;
	p[0] = '"';
	memcpy(p + 1, s, len);
	p[len + 1] = '"';
	out->len += len + 2;
	return 0;
}

/* Python float repr: shortest round-trip digits; "1.0", "1e+16", "1e-05". */
void jsonw_double(struct buf *out, double v);

/* A 64-bit integer in decimal. */
void jsonw_int(struct buf *out, int64_t v);

/* Base64 (RFC 4648, padded). */
void jsonw_base64(struct buf *out, const uint8_t *data, size_t len);

#endif
