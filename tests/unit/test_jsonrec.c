/* JSON records: strict validation, compact output, exact numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "decode/jsonrec.h"

/* Gaps between where a payload lies and where its line is written in place:
 * over itself, and over the spare bytes of payloads before it. */
static const size_t in_place_gaps[] = {0, 1, 7};

/* The payload at mem + gap, with the spare byte after it, as a batch holds it. */
static uint8_t *
place(const char *in, size_t len, size_t gap)
{
	uint8_t *mem = malloc(gap + len + 1);

	assert_non_null(mem);
	memset(mem, '#', gap);
	memcpy(mem + gap, in, len);
	mem[gap + len] = '\n';
	return mem;
}

static void
expect_line(const char *in, const char *line)
{
	struct buf out;
	const char *reason = NULL;

	buf_init(&out);
	buf_puts(&out, "prefix|");
	assert_int_equal(jsonrec_to_line((const uint8_t *)in, strlen(in), &out, &reason), 0);
	buf_putc(&out, '\0');
	assert_string_equal(out.data + strlen("prefix|"), line);
	buf_free(&out);
	for (size_t g = 0; g < sizeof(in_place_gaps) / sizeof(in_place_gaps[0]); g++) {
		uint8_t *mem = place(in, strlen(in), in_place_gaps[g]);
		size_t n = 0;

		assert_int_equal(jsonrec_line_at(mem + in_place_gaps[g], strlen(in), mem, &n, &reason),
		    0);
		assert_int_equal(n, strlen(line));
		assert_memory_equal(mem, line, n);
		free(mem);
	}
}

static void
expect_reject(const char *in, size_t len, const char *why)
{
	struct buf out;
	const char *reason = NULL;

	buf_init(&out);
	buf_puts(&out, "kept");
	assert_int_equal(jsonrec_to_line((const uint8_t *)in, len, &out, &reason), -1);
	assert_non_null(reason);
	assert_non_null(strstr(reason, why));
	/* A rejected record leaves what was already there untouched. */
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "kept", 4);
	buf_free(&out);
	/* In place, the payload is left as it was (for the dead-letter file). */
	for (size_t g = 0; g < sizeof(in_place_gaps) / sizeof(in_place_gaps[0]); g++) {
		uint8_t *mem = place(in, len, in_place_gaps[g]);
		size_t n = 0;

		assert_int_equal(jsonrec_line_at(mem + in_place_gaps[g], len, mem, &n, &reason), -1);
		assert_memory_equal(mem + in_place_gaps[g], in, len);
		free(mem);
	}
}

#define REJECT(lit, why) expect_reject(lit, sizeof(lit) - 1, why)

/* Accepted, and the output is the input (already compact) plus '\n'. */
static void
expect_line_len(const char *in, size_t len)
{
	struct buf out;
	const char *reason = NULL;

	buf_init(&out);
	assert_int_equal(jsonrec_to_line((const uint8_t *)in, len, &out, &reason), 0);
	assert_int_equal(out.len, len + 1);
	assert_memory_equal(out.data, in, len);
	buf_free(&out);
}

static void
test_compacts_and_keeps_text(void **state)
{
	(void)state;
	expect_line("{}", "{}\n");
	expect_line(" \t\r\n{ \"a\" : 1 , \"b\" : [ 1 , 2 ] }\n ", "{\"a\":1,\"b\":[1,2]}\n");
	/* Spaces inside strings survive; escapes are kept as written. */
	expect_line("{\"msg\": \"a b  c\\n\\u00e9\\\"\"}", "{\"msg\":\"a b  c\\n\\u00e9\\\"\"}\n");
	/* Integers beyond 2^53 and float spellings are not rounded. */
	expect_line("{\"id\": 123456789012345678901234567890, \"f\": 640.0, \"e\": -1.5E+300}",
	    "{\"id\":123456789012345678901234567890,\"f\":640.0,\"e\":-1.5E+300}\n");
	expect_line("{\"u\":\"\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0\",\"t\":true,\"f\":false,\"n\":null}",
	    "{\"u\":\"\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0\",\"t\":true,\"f\":false,\"n\":null}\n");
}

static void
test_rejects_non_objects(void **state)
{
	(void)state;
	REJECT("[1,2]", "not an object");
	REJECT("\"text\"", "not an object");
	REJECT("42", "not an object");
	REJECT("null", "not an object");
}

static void
test_rejects_invalid_json(void **state)
{
	(void)state;
	REJECT("", "invalid JSON");
	REJECT("{", "invalid JSON");
	REJECT("{\"a\":1", "invalid JSON");
	REJECT("{\"a\" 1}", "invalid JSON");
	REJECT("{\"a\":1}{\"b\":2}", "trailing");
	REJECT("{\"a\":1} x", "trailing");
	REJECT("{\"a\":01}", "invalid JSON");
	REJECT("{\"a\":1.}", "invalid JSON");
	REJECT("{\"a\":-inf}", "invalid JSON");
	REJECT("{\"a\":NaN}", "invalid JSON");
	REJECT("{\"a\":\"tab\there\"}", "invalid JSON");
	REJECT("{\"a\":\"\\x41\"}", "invalid JSON");
	REJECT("{\"a\":\"\\u12\"}", "invalid JSON");
	REJECT("{\"a\":1}\0", "trailing");
}

static void
test_rejects_broken_structure(void **state)
{
	(void)state;
	REJECT("{\"a\":1,}", "invalid JSON");
	REJECT("{,}", "invalid JSON");
	REJECT("{\"a\"}", "invalid JSON");
	REJECT("{\"a\":}", "invalid JSON");
	REJECT("{\"a\":[1,2}", "invalid JSON");
	REJECT("{\"a\":{\"b\":1]}", "invalid JSON");
	REJECT("{\"a\":1 \"b\":2}", "invalid JSON");
	REJECT("{\"a\":[1,]}", "invalid JSON");
	REJECT("{1:2}", "invalid JSON");
	REJECT("{\"a\":1}}", "trailing");
	REJECT("{\"a\":[]]", "invalid JSON");
	expect_line("{\"a\":[],\"b\":{},\"c\":[{}, [[]], {\"d\": [1, {\"e\": null}]}]}",
	    "{\"a\":[],\"b\":{},\"c\":[{},[[]],{\"d\":[1,{\"e\":null}]}]}\n");
}

/* {"a":[[...]]} with `depth` containers in all (the object included). */
static size_t
nested(char *dst, size_t depth)
{
	size_t n = (size_t)sprintf(dst, "{\"a\":");

	memset(dst + n, '[', depth - 1);
	memset(dst + n + depth - 1, ']', depth - 1);
	n += 2 * (depth - 1);
	dst[n++] = '}';
	return n;
}

/* Found by fuzz_jsonrec: the 8-byte fast path of the string scanner lost a
 * quote in the upper half of a word (a 64-bit mask returned as int), so the
 * string ran on to the next quote and this invalid text passed. */
static void
test_fuzz_quote_in_upper_half_of_word(void **state)
{
	(void)state;
	REJECT(" { \"a, :0$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$.0 , true , false , null ] , "
	       "\"b\" : { } } ",
	    "invalid JSON");
	/* A quote, backslash or control character at every offset of a word. */
	for (int at = 0; at < 16; at++) {
		char text[64];
		int n = snprintf(text, sizeof(text), "{\"k\":\"%.*s\"}", at, "abcdefghijklmnop");

		expect_line_len(text, (size_t)n);
		text[6 + at] = '\x01';
		expect_reject(text, (size_t)n, "invalid JSON");
	}
}

/* As deep as Python prints (issue 12: at least 900 levels), no deeper. */
static void
test_nesting_limit(void **state)
{
	static char deep[2 * LC_MAX_NESTING + 16];
	size_t n;

	(void)state;
	assert_true(LC_MAX_NESTING >= 900);
	n = nested(deep, LC_MAX_NESTING);
	expect_line_len(deep, n);
	n = nested(deep, LC_MAX_NESTING + 1);
	expect_reject(deep, n, "nested deeper than 1000 levels");
}

/* Issue 12: no line has a duplicate key. As Python's json.loads: the last
 * value, at the first key's place (spelled as there), keys compared by what
 * they decode to; the line is written in place all the same. */
static void
test_duplicate_keys_last_value_first_place(void **state)
{
	(void)state;
	expect_line("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}\n");
	/* A later value longer than the text between: not over unread text. */
	expect_line("{\"a\":1,\"b\":2,\"a\":\"a much longer value\"}",
	    "{\"a\":\"a much longer value\",\"b\":2}\n");
	expect_line("{\"a\":1,\"a\":2,\"b\":3,\"a\":4,\"b\":5}", "{\"a\":4,\"b\":5}\n");
	expect_line("{ \"a\" : 1 ,\n \"a\" : [ 1 , 2 ] }", "{\"a\":[1,2]}\n");
	expect_line("{\"\":1,\"\":2}", "{\"\":2}\n");
	/* Values that are objects, and duplicates inside them and inside arrays. */
	expect_line("{\"a\":{\"x\":1,\"x\":2},\"b\":[{\"y\":1,\"y\":2}],"
		    "\"a\":{\"z\":1,\"z\":{\"q\":1,\"q\":2}}}",
	    "{\"a\":{\"z\":{\"q\":2}},\"b\":[{\"y\":2}]}\n");
	expect_line("{\"d\":[[{\"k\":1,\"k\":[]}]]}", "{\"d\":[[{\"k\":[]}]]}\n");
	/* The same key in different objects is no duplicate. */
	expect_line("{\"a\":{\"a\":1},\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}",
	    "{\"a\":{\"a\":1},\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}\n");
	expect_line("{\"a\":1,\"A\":2,\"a \":3,\"ab\":4,\"abcdefghi\":5,\"abcdefgh\":6}",
	    "{\"a\":1,\"A\":2,\"a \":3,\"ab\":4,\"abcdefghi\":5,\"abcdefgh\":6}\n");
}

static void
test_duplicate_keys_compared_decoded(void **state)
{
	(void)state;
	expect_line("{\"a\":1,\"\\u0061\":2}", "{\"a\":2}\n");
	expect_line("{\"\\u0061\":1,\"a\":2}", "{\"\\u0061\":2}\n");
	expect_line("{\"\\n\":1,\"\\u000a\":2,\"\\/\":3,\"/\":4}", "{\"\\n\":2,\"\\/\":4}\n");
	/* A surrogate pair is the character it encodes; a lone surrogate only
	 * equals itself. */
	expect_line("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", "{\"\\ud83d\\ude00\":2}\n");
	expect_line("{\"\\ud800\":1,\"\\uD800\":2,\"\\udc00\":3}",
	    "{\"\\ud800\":2,\"\\udc00\":3}\n");
	expect_line("{\"\xd0\xb0\":1,\"\\u0430\":2,\"\xd0\xb1\":3}",
	    "{\"\xd0\xb0\":2,\"\xd0\xb1\":3}\n");
	/* Escaped keys without a repeat are kept as they are. */
	expect_line("{\"\\u0061\":1,\"\\\"\":2}", "{\"\\u0061\":1,\"\\\"\":2}\n");
}

/* Issue 12: big records come out whole. */
static void
test_big_records(void **state)
{
	static const char *const units[] = {"x", "\xd1\x8f", "\xf0\x9f\x98\x80"};
	size_t cap = 2u << 20, n;
	char *text = malloc(cap), *line = malloc(cap);

	(void)state;
	assert_non_null(text);
	assert_non_null(line);
	/* A 1 MiB message in ASCII, Cyrillic and emoji. */
	for (size_t u = 0; u < 3; u++) {
		n = (size_t)sprintf(text, "{\"msg\":\"");
		while (n < (1u << 20) + 8)
			n += (size_t)sprintf(text + n, "%s", units[u]);
		n += (size_t)sprintf(text + n, "\"}");
		expect_line_len(text, n);
	}
	/* A 100,000-item array. */
	n = (size_t)sprintf(text, "{\"a\":[0");
	for (int i = 1; i < 100000; i++)
		n += (size_t)sprintf(text + n, ",%d", i);
	n += (size_t)sprintf(text + n, "]}");
	expect_line_len(text, n);
	/* 20,000 keys, then the same keys twice: the last values are kept. */
	n = (size_t)sprintf(text, "{\"k0\":0");
	for (int i = 1; i < 20000; i++)
		n += (size_t)sprintf(text + n, ",\"k%d\":%d", i, i);
	text[n] = '}';
	expect_line_len(text, n + 1);
	memcpy(line, text, n);
	line[n] = '\0';
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(text + n, ",\"k%d\":%d", i, -i);
	text[n++] = '}';
	text[n] = '\0';
	n = (size_t)sprintf(line, "{\"k0\":0");
	for (int i = 1; i < 20000; i++)
		n += (size_t)sprintf(line + n, ",\"k%d\":%d", i, -i);
	strcpy(line + n, "}\n");
	expect_line(text, line);
	free(text);
	free(line);
}

static void
test_rejects_invalid_utf8(void **state)
{
	(void)state;
	REJECT("{\"a\":\"\xff\"}", "UTF-8");
	REJECT("{\"a\":\"\xed\xa0\x80\"}", "UTF-8");
	REJECT("{\"a\":\"\xc0\xaf\"}", "UTF-8");
}

static void
test_sniff(void **state)
{
	(void)state;
	assert_true(jsonrec_sniff((const uint8_t *)"{}", 2));
	assert_true(jsonrec_sniff((const uint8_t *)" \n{", 3));
	assert_false(jsonrec_sniff((const uint8_t *)"[", 1));
	assert_false(jsonrec_sniff((const uint8_t *)"\x80\x01}", 3));
	assert_false(jsonrec_sniff((const uint8_t *)"   ", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compacts_and_keeps_text),
		cmocka_unit_test(test_rejects_non_objects),
		cmocka_unit_test(test_rejects_invalid_json),
		cmocka_unit_test(test_rejects_invalid_utf8),
		cmocka_unit_test(test_rejects_broken_structure),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_fuzz_quote_in_upper_half_of_word),
		cmocka_unit_test(test_duplicate_keys_last_value_first_place),
		cmocka_unit_test(test_duplicate_keys_compared_decoded),
		cmocka_unit_test(test_big_records),
		cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
