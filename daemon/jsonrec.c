#include "jsonrec.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "utf8.h"

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

/* A string token starting at p[i] == '"'; returns the index after it, or 0. */
static size_t
jsonrec_scan_string(const uint8_t *p, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (p[i] == '"')
			return i + 1;
		if (p[i] < 0x20)
			return 0; /* raw control characters are not allowed in strings */
		if (p[i] != '\\')
			continue;
		if (++i >= len)
			return 0;
		if (p[i] == 'u') {
			if (len - i <= 4 || !jsonrec_is_hex(p[i + 1]) || !jsonrec_is_hex(p[i + 2]) ||
			    !jsonrec_is_hex(p[i + 3]) || !jsonrec_is_hex(p[i + 4]))
				return 0;
			i += 4;
		} else if (strchr("\"\\/bfnrt", p[i]) == NULL || p[i] == '\0') {
			return 0;
		}
	}
	return 0;
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

/* Copy the text without whitespace, checking every token strictly (cJSON
 * has already checked how the tokens nest). Returns 0 or -1. */
static int
jsonrec_compact(const uint8_t *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t end;

		if (jsonrec_is_space(c)) {
			i++;
			continue;
		}
		if (strchr("{}[]:,", c) != NULL && c != '\0') {
			buf_putc(out, (char)c);
			i++;
			continue;
		}
		if (c == '"')
			end = jsonrec_scan_string(p, len, i);
		else if (c == '-' || jsonrec_is_digit(c))
			end = jsonrec_scan_number(p, len, i);
		else if (len - i >= 4 && memcmp(p + i, "true", 4) == 0)
			end = i + 4;
		else if (len - i >= 5 && memcmp(p + i, "false", 5) == 0)
			end = i + 5;
		else if (len - i >= 4 && memcmp(p + i, "null", 4) == 0)
			end = i + 4;
		else
			end = 0;
		if (end == 0)
			return -1;
		buf_append(out, p + i, end - i);
		i = end;
	}
	return 0;
}

int
jsonrec_to_line(const uint8_t *data, size_t len, struct buf *out, const char **reason)
{
	const char *end = NULL;
	size_t mark = out->len;
	cJSON *root;
	int is_object;

	if (utf8_check(data, len) != len) {
		*reason = "invalid UTF-8";
		return -1;
	}
	root = cJSON_ParseWithLengthOpts((const char *)data, len, &end, 0);
	if (root == NULL) {
		*reason = "invalid JSON";
		return -1;
	}
	is_object = cJSON_IsObject(root);
	cJSON_Delete(root);
	if (!is_object) {
		*reason = "JSON value is not an object";
		return -1;
	}
	for (const uint8_t *rest = (const uint8_t *)end; rest < data + len; rest++) {
		if (!jsonrec_is_space(*rest)) {
			*reason = "trailing data after the JSON object";
			return -1;
		}
	}
	if (jsonrec_compact(data, len, out) == -1) {
		buf_truncate(out, mark);
		*reason = "invalid JSON";
		return -1;
	}
	buf_putc(out, '\n');
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
