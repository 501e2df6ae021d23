/*
 * Protocol 0 text strings and Python 2 byte strings, decoded into the
 * decoder's scratch bytes as UTF-8.
 *
 * UNICODE is raw-unicode-escape: a byte is the code point of the same value
 * (so 0x80-0xFF are latin-1), and \uXXXX / \UXXXXXXXX preceded by an odd
 * number of backslashes are escapes. Surrogates come out as ED A0..BF xx, as
 * pickle's surrogatepass would write them; the JSON writer escapes those.
 *
 * STRING/BINSTRING/SHORT_BINSTRING are Python 2 str, i.e. bytes with no
 * declared encoding: kept as text when they are valid UTF-8, else read as
 * latin-1 (each byte one code point), so the record is never lost.
 */
#include <string.h>

#include "decode/pickle_int.h"
#include "decode/utf8.h"

static int
pk_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read exactly n hex digits; -1 if one is missing or not hex. */
static int64_t
pk_hex(const uint8_t *s, size_t left, size_t n)
{
	int64_t v = 0;

	if (left < n)
		return -1;
	for (size_t k = 0; k < n; k++) {
		int h = pk_hexval(s[k]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Reserve worst-case room in scratch; returns its start or NULL. */
static uint8_t *
pk_scratch_reserve(struct pk *pk, size_t n, uint32_t *off)
{
	uint8_t *p;

	if (n > UINT32_MAX / 2)
		return NULL;
	*off = pk->scratch.n;
	p = pk_vec_push(&pk->scratch, (uint32_t)n);
	return p;
}

static enum pickle_error
pk_scratch_str(struct pk *pk, uint32_t off, size_t used, uint32_t *result)
{
	struct pk_node *node;

	pk->scratch.n = off + (uint32_t)used; /* give back the unused reserve */
	if ((*result = pk_new(pk, PK_STR)) == PK_NIL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	node = PK_NODE(pk, *result);
	node->flags = PK_F_SCRATCH;
	node->u.s.off = off;
	node->u.s.len = (uint32_t)used;
	return PICKLE_OK;
}

enum pickle_error
pk_raw_unicode(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result)
{
	uint32_t off;
	uint8_t *dst = pk_scratch_reserve(pk, 2 * n, &off), *p = dst;
	size_t i = 0;

	if (dst == NULL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for strings");
	while (i < n) {
		size_t j = i, digits;
		int64_t cp;

		if (s[i] != '\\') {
			p += utf8_put(p, s[i++]);
			continue;
		}
		while (j < n && s[j] == '\\')
			j++;
		if (((j - i) & 1) == 0 || j == n || (s[j] != 'u' && s[j] != 'U')) {
			memset(p, '\\', j - i);
			p += j - i;
			i = j;
			continue;
		}
		memset(p, '\\', j - i - 1);
		p += j - i - 1;
		digits = s[j] == 'u' ? 4 : 8;
		cp = pk_hex(s + j + 1, n - j - 1, digits);
		if (cp < 0 || cp > 0x10ffff)
			return pk_fail(pk, PICKLE_ERR_VALUE, "bad \\u escape in UNICODE");
		p += utf8_put(p, (uint32_t)cp);
		i = j + 1 + digits;
	}
	return pk_scratch_str(pk, off, (size_t)(p - dst), result);
}

/* One backslash escape of a Python 2 string literal at s[0] (after the
 * backslash), as codecs.escape_decode reads it. Returns bytes consumed. */
static size_t
pk_escape(const uint8_t *s, size_t left, uint8_t **dst, int *bad)
{
	static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
	const char *hit = left > 0 && s[0] != '\0' ? strchr(from, s[0]) : NULL;
	int64_t v;

	if (left == 0) {
		*bad = 1;
		return 0;
	}
	if (hit != NULL) {
		*(*dst)++ = (uint8_t)to[hit - from];
		return 1;
	}
	if (s[0] >= '0' && s[0] <= '7') {
		size_t k = 0;

		for (v = 0; k < left && k < 3 && s[k] >= '0' && s[k] <= '7'; k++)
			v = v * 8 + (s[k] - '0');
		*(*dst)++ = (uint8_t)v;
		return k;
	}
	if (s[0] == 'x') {
		if ((v = pk_hex(s + 1, left - 1, 2)) < 0) {
			*bad = 1;
			return 0;
		}
		*(*dst)++ = (uint8_t)v;
		return 3;
	}
	*(*dst)++ = '\\'; /* unknown escapes stay as they are */
	*(*dst)++ = s[0];
	return 1;
}

/* Bytes at scratch off..off+n (or in the input) as text: UTF-8 if valid,
 * else latin-1. */
static enum pickle_error
pk_bytes_text(struct pk *pk, const uint8_t *s, size_t n, int in_scratch, uint32_t off,
    uint32_t *result)
{
	uint32_t off2;
	uint8_t *dst, *p;

	if (utf8_check(s, n) == n) {
		if (in_scratch)
			return pk_scratch_str(pk, off, n, result);
		if ((*result = pk_new(pk, PK_STR)) == PK_NIL)
			return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
		PK_NODE(pk, *result)->u.s.off = (uint32_t)(s - pk->data);
		PK_NODE(pk, *result)->u.s.len = (uint32_t)n;
		return PICKLE_OK;
	}
	if ((dst = pk_scratch_reserve(pk, 2 * n, &off2)) == NULL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for strings");
	if (in_scratch)
		s = (const uint8_t *)pk->scratch.p + off; /* scratch may have moved */
	p = dst;
	for (size_t k = 0; k < n; k++)
		p += utf8_put(p, s[k]);
	if (in_scratch) {
		/* Move the text down over the escaped bytes it came from. */
		memmove((uint8_t *)pk->scratch.p + off, dst, (size_t)(p - dst));
		return pk_scratch_str(pk, off, (size_t)(p - dst), result);
	}
	return pk_scratch_str(pk, off2, (size_t)(p - dst), result);
}

enum pickle_error
pk_py2_bytes(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result)
{
	return pk_bytes_text(pk, s, n, 0, 0, result);
}

/* STRING: a quoted literal with Python 2 escapes. */
enum pickle_error
pk_py2_literal(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result)
{
	uint32_t off;
	uint8_t *dst, *p;
	int bad = 0;

	if (n < 2 || s[0] != s[n - 1] || (s[0] != '\'' && s[0] != '"'))
		return pk_fail(pk, PICKLE_ERR_VALUE, "STRING argument not quoted");
	s++;
	n -= 2;
	if ((dst = pk_scratch_reserve(pk, n, &off)) == NULL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for strings");
	p = dst;
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			*p++ = s[i++];
			continue;
		}
		i++;
		i += pk_escape(s + i, n - i, &p, &bad);
		if (bad)
			return pk_fail(pk, PICKLE_ERR_VALUE, "bad escape in STRING");
	}
	pk->scratch.n = off + (uint32_t)(p - dst);
	return pk_bytes_text(pk, dst, (size_t)(p - dst), 1, off, result);
}
