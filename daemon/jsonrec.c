#include "jsonrec.h"

#include <stdint.h>
#include <string.h>

#include "jsonw.h" /* the bytes a string holds as they are */
#include "limits.h"
#include "utf8.h"

/* What the scanner accepts next. */
enum jsonrec_expect {
	EXPECT_VALUE,
	EXPECT_VALUE_OR_CLOSE, /* just after '[' */
	EXPECT_KEY,            /* after ',' in an object */
	EXPECT_KEY_OR_CLOSE,   /* just after '{' */
	EXPECT_COLON,
	EXPECT_COMMA_OR_CLOSE,
	EXPECT_END, /* the top-level object is closed */
};

static int
jsonrec_is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
jsonrec_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int
jsonrec_is_hex(uint8_t c)
{
	return jsonrec_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uint64_t
jsonrec_load8(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* A string token starting at p[i] == '"'; returns the index after it, or 0
 * (with *reason set if its UTF-8 is invalid). Strings are the only place
 * JSON allows bytes above 0x7f, so they are checked here. Plain text is
 * skipped eight bytes at a time, then at most seven bytes one by one up to
 * the special byte, so no byte is looked at twice. */
static size_t
jsonrec_scan_string(const uint8_t *p, size_t len, size_t i, const char **reason)
{
	for (i++;; i++) {
		size_t n;

		while (len - i >= 8 && !jsonw_special8(jsonrec_load8(p + i)))
			i += 8;
		while (i < len && jsonw_plain(p[i]))
			i++;
		if (i >= len || p[i] < 0x20)
			return 0; /* unterminated, or a raw control character */
		if (p[i] >= 0x80) {
			if ((n = utf8_sequence(p + i, len - i)) == 0) {
				*reason = "invalid UTF-8";
				return 0;
			}
			i += n - 1;
			continue;
		}
		if (p[i] == '"')
			return i + 1;
		if (++i >= len)
			return 0;
		if (p[i] == 'u') {
			if (len - i <= 4 || !jsonrec_is_hex(p[i + 1]) || !jsonrec_is_hex(p[i + 2]) ||
			    !jsonrec_is_hex(p[i + 3]) || !jsonrec_is_hex(p[i + 4]))
				return 0;
			i += 4;
		} else if (memchr("\"\\/bfnrt", p[i], 8) == NULL) {
			return 0;
		}
	}
}

/* A number token -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; index after
 * it, or 0. */
static size_t
jsonrec_scan_number(const uint8_t *p, size_t len, size_t i)
{
	if (i < len && p[i] == '-')
		i++;
	if (i < len && p[i] == '0') {
		if (++i < len && jsonrec_is_digit(p[i]))
			return 0; /* no leading zeros */
	} else if (i < len && jsonrec_is_digit(p[i])) {
		while (i < len && jsonrec_is_digit(p[i]))
			i++;
	} else {
		return 0;
	}
	if (i < len && p[i] == '.') {
		if (++i >= len || !jsonrec_is_digit(p[i]))
			return 0;
		while (i < len && jsonrec_is_digit(p[i]))
			i++;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		if (++i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= len || !jsonrec_is_digit(p[i]))
			return 0;
		while (i < len && jsonrec_is_digit(p[i]))
			i++;
	}
	return i;
}

/* A scalar token at p[i]: string, number or literal. Index after it, or 0. */
static size_t
jsonrec_scan_scalar(const uint8_t *p, size_t len, size_t i, const char **reason)
{
	uint8_t c = p[i];

	if (c == '"')
		return jsonrec_scan_string(p, len, i, reason);
	if (c == '-' || jsonrec_is_digit(c))
		return jsonrec_scan_number(p, len, i);
	if (len - i >= 4 && memcmp(p + i, "true", 4) == 0)
		return i + 4;
	if (len - i >= 5 && memcmp(p + i, "false", 5) == 0)
		return i + 5;
	if (len - i >= 4 && memcmp(p + i, "null", 4) == 0)
		return i + 4;
	return 0;
}

/* The state after a complete value (or a closed container). */
static enum jsonrec_expect
jsonrec_after_value(size_t depth)
{
	return depth == 0 ? EXPECT_END : EXPECT_COMMA_OR_CLOSE;
}

/*
 * Check strict RFC 8259 syntax (tokens, nesting, commas and colons, nothing
 * after the top-level object) without copying or allocating. *compact tells
 * whether the text has no insignificant whitespace, i.e. is its own line.
 * Returns 0, or -1 with *reason set.
 */
static int
jsonrec_scan(const uint8_t *p, size_t len, int *compact, const char **reason)
{
	uint8_t stack[LC_JSON_MAX_DEPTH]; /* '{' or '[' per open container */
	enum jsonrec_expect expect = EXPECT_VALUE;
	size_t i = 0, depth = 0;

	*reason = "invalid JSON";
	*compact = 1;
	while (i < len) {
		uint8_t c = p[i];
		size_t end = i + 1;

		if (jsonrec_is_space(c)) {
			*compact = 0;
			i++;
			continue;
		}
		switch (expect) {
		case EXPECT_END:
			*reason = "trailing data after the JSON object";
			return -1;
		case EXPECT_COLON:
			if (c != ':')
				return -1;
			expect = EXPECT_VALUE;
			break;
		case EXPECT_KEY:
		case EXPECT_KEY_OR_CLOSE:
			if (c == '}' && expect == EXPECT_KEY_OR_CLOSE) {
				expect = jsonrec_after_value(--depth);
			} else if (c == '"' && (end = jsonrec_scan_string(p, len, i, reason)) != 0) {
				expect = EXPECT_COLON;
			} else {
				return -1;
			}
			break;
		case EXPECT_COMMA_OR_CLOSE:
			if (c == ',')
				expect = stack[depth - 1] == '{' ? EXPECT_KEY : EXPECT_VALUE;
			else if ((c == '}' || c == ']') && stack[depth - 1] == (c == '}' ? '{' : '['))
				expect = jsonrec_after_value(--depth);
			else
				return -1;
			break;
		case EXPECT_VALUE:
		case EXPECT_VALUE_OR_CLOSE:
			if (depth == 0 && c != '{') {
				*reason = "JSON value is not an object";
				return -1;
			}
			if (c == ']' && expect == EXPECT_VALUE_OR_CLOSE) {
				expect = jsonrec_after_value(--depth);
			} else if (c == '{' || c == '[') {
				if (depth == LC_JSON_MAX_DEPTH) {
					*reason = "JSON nested too deeply";
					return -1;
				}
				stack[depth++] = c;
				expect = c == '{' ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
			} else if ((end = jsonrec_scan_scalar(p, len, i, reason)) != 0) {
				expect = jsonrec_after_value(depth);
			} else {
				return -1;
			}
			break;
		}
		i = end;
	}
	return expect == EXPECT_END ? 0 : -1;
}

/*
 * Most records are one flat, compact object: {"key":scalar,...}. This checks
 * that shape in one straight pass, with no state machine or nesting stack.
 * 1 if the record is such an object and valid; 0 if it is anything else
 * (nested, spaced or invalid), which jsonrec_scan then judges, so every
 * rejection and its reason come from one place.
 */
static int
jsonrec_scan_flat(const uint8_t *p, size_t len)
{
	const char *unused;
	size_t i = 1;

	if (len < 2 || p[0] != '{')
		return 0;
	if (p[1] == '}')
		return len == 2;
	for (;;) {
		if (p[i] != '"' || (i = jsonrec_scan_string(p, len, i, &unused)) == 0)
			return 0;
		if (i + 1 >= len || p[i] != ':' || p[i + 1] == '{' || p[i + 1] == '[' ||
		    (i = jsonrec_scan_scalar(p, len, i + 1, &unused)) == 0 || i >= len)
			return 0;
		if (p[i] != ',')
			return p[i] == '}' && i + 1 == len;
		if (++i >= len)
			return 0;
	}
}

/* Copy checked JSON to dst without its insignificant whitespace, text between
 * whitespace in one piece. Every byte is written at or before the place it
 * is read from, so dst may be p itself or lie before it. Returns the length. */
static size_t
jsonrec_compact(const uint8_t *p, size_t len, uint8_t *dst)
{
	size_t i = 0, span = 0, o = 0;
	const char *unused;

	while (i < len) {
		if (p[i] == '"') {
			i = jsonrec_scan_string(p, len, i, &unused);
		} else if (jsonrec_is_space(p[i])) {
			memmove(dst + o, p + span, i - span);
			o += i - span;
			span = ++i;
		} else {
			i++;
		}
	}
	memmove(dst + o, p + span, len - span);
	return o + len - span;
}

int
jsonrec_line_at(const uint8_t *data, size_t len, uint8_t *dst, size_t *linelen,
    const char **reason)
{
	int compact = 1;
	size_t n = len;

	if (!jsonrec_scan_flat(data, len) && jsonrec_scan(data, len, &compact, reason) == -1)
		return -1;
	if (!compact)
		n = jsonrec_compact(data, len, dst);
	else if (dst != data)
		memmove(dst, data, len);
	dst[n] = '\n';
	*linelen = n + 1;
	return 0;
}

int
jsonrec_to_line(const uint8_t *data, size_t len, struct buf *out, const char **reason)
{
	size_t n;

	buf_reserve(out, len + 1);
	if (jsonrec_line_at(data, len, (uint8_t *)out->data + out->len, &n, reason) == -1)
		return -1;
	out->len += n;
	return 0;
}

int
jsonrec_sniff(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!jsonrec_is_space(data[i]))
			return data[i] == '{';
	return 0;
}
