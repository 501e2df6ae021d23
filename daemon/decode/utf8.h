/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#ifndef LC_UTF8_H
#define LC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid sequence starting at s[0] (len > 0), or 0. */
size_t utf8_sequence(const uint8_t *s, size_t len);

/* Offset of the first byte that does not start a valid sequence, or len. */
size_t utf8_check(const uint8_t *s, size_t len);

/* Code point c (at most U+10FFFF) written at s as UTF-8, surrogates in the
 * three-byte form a strict reader refuses; the bytes written (1-4). */
size_t utf8_put(uint8_t *s, uint32_t c);

#endif
