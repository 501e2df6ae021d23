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

#include "base/buf.h"

/* jsonw_string for text that needs escapes or holds non-ASCII. */
int jsonw_string_escaped(struct buf *out, const uint8_t *s, size_t len);

/* Bytes that go out as they are: printable ASCII except '"' and '\\'. */
static inline int
jsonw_plain(uint8_t c)
{
	return c != '"' && c != '\\' && c >= 0x20 && c < 0x80;
}

/* Whether any of the 8 bytes in w is not plain. Below 0x80, a subtraction
 * sets a byte's high bit only when that byte is below 0x20, or is '"' or
 * '\\' (xor 0), or when such a byte below it borrows from it (which does not
 * change the answer); bytes from 0x80 up are flagged by their own high bit. */
static inline int
jsonw_special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
	uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

	return (((w - ones * 0x20) | (quote - ones) | (bslash - ones) | w) & high) != 0;
}

/* Copy s to d if all of it is plain, a word at a time (the last word
 * overlapping the one before), checking each word as it goes; returns
 * whether it was. d may be written even when s is not all plain. */
static inline int
jsonw_copy_plain(char *d, const uint8_t *s, size_t len)
{
	uint64_t w;
	uint32_t a, b;
	size_t i;

	if (len < 4) {
		for (i = 0; i < len; i++) {
			if (!jsonw_plain(s[i]))
				return 0;
			d[i] = (char)s[i];
		}
		return 1;
	}
	if (len < 8) {
		memcpy(&a, s, sizeof(a));
		memcpy(&b, s + len - 4, sizeof(b));
		memcpy(d, &a, sizeof(a));
		memcpy(d + len - 4, &b, sizeof(b));
		return !jsonw_special8((uint64_t)a << 32 | b);
	}
	for (i = 0; i + 8 < len; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		if (jsonw_special8(w))
			return 0;
		memcpy(d + i, &w, sizeof(w));
	}
	memcpy(&w, s + len - 8, sizeof(w));
	memcpy(d + len - 8, &w, sizeof(w));
	return !jsonw_special8(w);
}

/* Append s (len bytes of UTF-8, where ED A0..BF xx surrogate sequences are
 * allowed and escaped) as a quoted JSON string. Returns 0, or -1 if s holds
 * other invalid UTF-8 (out unchanged). Inline for the common case, plain
 * ASCII, which is copied as it is checked, without a call to memcpy. */
static inline int
jsonw_string(struct buf *out, const uint8_t *s, size_t len)
{
	char *p;

	buf_reserve(out, len + 2);
	p = out->data + out->len;
	if (!jsonw_copy_plain(p + 1, s, len))
		return jsonw_string_escaped(out, s, len);
	p[0] = '"';
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
