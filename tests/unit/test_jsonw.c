/* jsonw: strings, floats and base64 printed the way Python prints them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "decode/jsonw.h"

static void
check_string(const char *in, size_t len, const char *want)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(jsonw_string(&b, (const uint8_t *)in, len), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

static void
test_string_escapes(void **state)
{
	(void)state;
	check_string("plain", 5, "\"plain\"");
	check_string("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_string("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	check_string("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
	check_string("\0", 1, "\"\\u0000\"");
	check_string("", 0, "\"\"");
}

/* Every length around the word-at-a-time copy, plain or with a quote at
 * each place (found after part of the string was copied), after other text. */
static void
test_string_every_length(void **state)
{
	char in[40], want[96];
	struct buf b;

	(void)state;
	for (size_t len = 0; len < sizeof(in); len++) {
		for (size_t q = 0; q <= len; q++) {
			size_t k = 0;

			want[k++] = '"';
			for (size_t i = 0; i < len; i++) {
				in[i] = i == q ? '"' : (char)('a' + i % 26);
				if (i == q)
					want[k++] = '\\';
				want[k++] = in[i];
			}
			want[k++] = '"';
			buf_init(&b);
			buf_puts(&b, "keep");
			assert_int_equal(jsonw_string(&b, (const uint8_t *)in, len), 0);
			assert_int_equal(b.len, 4 + k);
			assert_memory_equal(b.data, "keep", 4);
			assert_memory_equal(b.data + 4, want, k);
			buf_free(&b);
		}
	}
}

/* The word test flags exactly the bytes that are not plain, wherever they
 * are in the word. */
static void
test_special8_exact(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		for (int at = 0; at < 8; at++) {
			uint64_t w = 0x6161616161616161u & ~((uint64_t)0xff << at * 8);

			w |= (uint64_t)c << at * 8;
			assert_int_equal(jsonw_special8(w), !jsonw_plain((uint8_t)c));
		}
	}
}

/* Any byte at any place in strings of every length around the word copy
 * comes out as the general escaping loop writes it. */
static void
test_string_any_byte(void **state)
{
	uint8_t in[24];
	struct buf fast, slow;

	(void)state;
	memset(in, 'a', sizeof(in));
	for (size_t len = 1; len <= sizeof(in); len++) {
		for (size_t at = 0; at < len; at++) {
			for (int c = 0; c < 256; c++) {
				in[at] = (uint8_t)c;
				buf_init(&fast);
				buf_init(&slow);
				assert_int_equal(jsonw_string(&fast, in, len),
				    jsonw_string_escaped(&slow, in, len));
				assert_int_equal(fast.len, slow.len);
				assert_memory_equal(fast.data, slow.data, fast.len);
				buf_free(&fast);
				buf_free(&slow);
			}
			in[at] = 'a';
		}
	}
}

static void
test_string_utf8_kept(void **state)
{
	(void)state;
	check_string("\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0", 8, "\"\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0\"");
	check_string("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
}

/* Lone surrogates (pickle's surrogatepass) come out as json.dumps writes them. */
static void
test_string_surrogates_escaped(void **state)
{
	(void)state;
	check_string("caf\xed\xb3\xa9", 6, "\"caf\\udce9\"");
	check_string("\xed\xa0\xbd\xed\xb8\x80", 6, "\"\\ud83d\\ude00\"");
}

static void
test_string_invalid_utf8_rejected(void **state)
{
	static const char *const bad[] = {"\xff", "\xc3", "\xc0\x80", "\xe0\x80\x80",
	    "\xf4\x90\x80\x80", "a\x80", "\xed\xa0"};
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "keep");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(jsonw_string(&b, (const uint8_t *)bad[i], strlen(bad[i])), -1);
		assert_int_equal(b.len, 4); /* unchanged */
	}
	buf_free(&b);
}

static void
check_double(double v, const char *want)
{
	struct buf b;

	buf_init(&b);
	jsonw_double(&b, v);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

/* Each expected string is Python 3.11's repr() of the same double. */
static void
test_double_repr(void **state)
{
	(void)state;
	check_double(640.0, "640.0");
	check_double(1e16, "1e+16");
	check_double(1e15, "1000000000000000.0");
	check_double(1e-05, "1e-05");
	check_double(0.0001, "0.0001");
	check_double(-0.0, "-0.0");
	check_double(0.0, "0.0");
	check_double(0.1, "0.1");
	check_double(0.1 + 0.2, "0.30000000000000004");
	check_double(1712345678.123456, "1712345678.123456");
	check_double(13.056135177612305, "13.056135177612305");
	check_double(5e-324, "5e-324");
	check_double(1.7976931348623157e308, "1.7976931348623157e+308");
	check_double(-1.5e-7, "-1.5e-07");
	check_double(123456789012345678.0, "1.2345678901234568e+17");
	check_double(1005369574750092.25, "1005369574750092.2"); /* tie: half-even */
	check_double(-9007199254740993.0, "-9007199254740992.0");
}

static void
test_double_nonfinite_null(void **state)
{
	(void)state;
	check_double(NAN, "null");
	check_double(INFINITY, "null");
	check_double(-INFINITY, "null");
}

/* Each power of ten, one either side of it, and the extremes, as printf
 * prints them. */
static void
test_int(void **state)
{
	int64_t cases[4 * 19 + 3] = {0, INT64_MAX, INT64_MIN};
	size_t n = 3;
	char want[24];
	struct buf b;

	(void)state;
	for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10) {
		cases[n++] = p * 10 - 1;
		cases[n++] = p * 10;
		cases[n++] = p * 10 + 1;
		cases[n++] = -p * 10 + 1;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%lld", (long long)cases[i]);
		buf_init(&b);
		jsonw_int(&b, cases[i]);
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.data, want, b.len);
		buf_free(&b);
	}
}

static void
test_base64(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="}, {"\xff\xfe\x00", "//4A"}};
	struct buf b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = i == 5 ? 3 : strlen(cases[i].in);

		buf_init(&b);
		jsonw_base64(&b, (const uint8_t *)cases[i].in, n);
		assert_int_equal(b.len, strlen(cases[i].out));
		assert_memory_equal(b.data, cases[i].out, b.len);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string_escapes),
	    cmocka_unit_test(test_string_every_length),
	    cmocka_unit_test(test_special8_exact),
	    cmocka_unit_test(test_string_any_byte),
	    cmocka_unit_test(test_string_utf8_kept),
	    cmocka_unit_test(test_string_surrogates_escaped),
	    cmocka_unit_test(test_string_invalid_utf8_rejected),
	    cmocka_unit_test(test_double_repr),
	    cmocka_unit_test(test_double_nonfinite_null),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
