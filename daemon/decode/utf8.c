#include "decode/utf8.h"

#include <string.h>

size_t
utf8_sequence(const uint8_t *s, size_t len)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f; /* U+D800..U+DFFF are not characters */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (len <= n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return n + 1;
}

size_t
utf8_check(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n;

		/* Most log text is ASCII: skip it eight bytes at a time. */
		if (s[i] < 0x80 && len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) == 0) {
				i += 8;
				continue;
			}
		}
		if ((n = utf8_sequence(s + i, len - i)) == 0)
			return i;
		i += n;
	}
	return len;
}

size_t
utf8_put(uint8_t *s, uint32_t c)
{
	if (c < 0x80) {
		s[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		s[0] = (uint8_t)(0xc0 | c >> 6);
		s[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		s[0] = (uint8_t)(0xe0 | c >> 12);
		s[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		s[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	s[0] = (uint8_t)(0xf0 | c >> 18);
	s[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
	s[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
	s[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}
