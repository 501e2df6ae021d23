/* UTF-8 validation: what RFC 3629 allows and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/utf8.h"

#define CHECK(lit) utf8_check((const uint8_t *)(lit), sizeof(lit) - 1)

static void
test_valid(void **state)
{
	(void)state;
	assert_int_equal(CHECK(""), 0);
	assert_int_equal(CHECK("plain ascii"), 11);
	assert_int_equal(CHECK("\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0"), 8);      /* анна */
	assert_int_equal(CHECK("\xe2\x82\xac"), 3);                          /* U+20AC */
	assert_int_equal(CHECK("\xf0\x9f\x98\x80"), 4);                      /* U+1F600 */
	assert_int_equal(CHECK("\xf4\x8f\xbf\xbf"), 4);                      /* U+10FFFF */
	assert_int_equal(CHECK("\xed\x9f\xbf"), 3);                          /* U+D7FF */
	assert_int_equal(CHECK("nul\0inside"), 10);
}

static void
test_invalid(void **state)
{
	(void)state;
	assert_int_equal(CHECK("ab\x80"), 2);             /* lone continuation */
	assert_int_equal(CHECK("\xc0\xaf"), 0);           /* overlong '/' */
	assert_int_equal(CHECK("\xc1\xbf"), 0);           /* overlong */
	assert_int_equal(CHECK("\xe0\x80\xaf"), 0);       /* overlong 3-byte */
	assert_int_equal(CHECK("\xf0\x80\x80\xaf"), 0);   /* overlong 4-byte */
	assert_int_equal(CHECK("x\xed\xa0\x80"), 1);      /* surrogate U+D800 */
	assert_int_equal(CHECK("\xf4\x90\x80\x80"), 0);   /* above U+10FFFF */
	assert_int_equal(CHECK("\xf5\x80\x80\x80"), 0);
	assert_int_equal(CHECK("\xff"), 0);
	assert_int_equal(CHECK("ok\xe2\x82"), 2);         /* truncated */
	assert_int_equal(CHECK("\xe2\x28\xa1"), 0);       /* bad continuation */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
