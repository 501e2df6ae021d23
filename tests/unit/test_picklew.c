/* picklew: output equals CPython's pickle.dumps(d, 1) for the same dict, and
 * pickletools.dis accepts it. Python builds d by json.loads of the same
 * object, so numbers keep their type (raw items carry repr() text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client_py.h"
#include "picklew.h"
#include "record.h"

static const char compare_py[] =
    "import io, json, pickle, pickletools, sys\n"
    "text = open(sys.argv[1], 'rb').read()\n"
    "ours = open(sys.argv[2], 'rb').read()\n"
    "d = json.loads(text)\n"
    "pickletools.dis(ours, out=io.StringIO())\n"
    "assert pickle.loads(ours) == d, 'loads differs'\n"
    "want = pickle.dumps(d, 1)\n"
    "if ours != want:\n"
    "    i = next(i for i in range(len(want) + 1) if want[i:i + 1] != ours[i:i + 1])\n"
    "    sys.exit('differs at %d: want %r got %r' % (i, want[i - 20:i + 20],\n"
    "             ours[i - 20:i + 20]))\n";

/* Pickle obj and have CPython check the bytes; consumes obj. */
static void
check_against_python(cJSON *obj)
{
	struct bytebuf out = {0};
	char *text = cJSON_PrintUnformatted(obj);
	char *jpath, *ppath;

	assert_non_null(text);
	assert_int_equal(picklew_dump(obj, &out), 0);
	jpath = client_py_tmpfile(text, strlen(text));
	ppath = client_py_tmpfile(out.data, out.len);
	assert_non_null(jpath);
	assert_non_null(ppath);
	assert_int_equal(client_py_run((const char *[]){"-c", compare_py, jpath, ppath, NULL}), 0);
	unlink(jpath);
	unlink(ppath);
	free(jpath);
	free(ppath);
	cJSON_free(text);
	bytebuf_free(&out);
	cJSON_Delete(obj);
}

static void
test_golden_bytes(void **state)
{
	static const char want[] = "}q\0X\1\0\0\0aq\1I01\ns.";
	cJSON *obj = cJSON_CreateObject();
	struct bytebuf out = {0};

	(void)state;
	cJSON_AddTrueToObject(obj, "a");
	assert_int_equal(picklew_dump(obj, &out), 0);
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.data, want, out.len);
	bytebuf_free(&out);
	cJSON_Delete(obj);
}

static void
test_log_record(void **state)
{
	struct record_source src;
	struct record_event ev = {RECORD_INFO, 42, "sort",
				  "Sorted 7 items in 1234 steps, 0.512 ms"};

	(void)state;
	record_source_init(&src, "BogoSort", "/srv/app/bogosort.py");
	src.start = 1795426880.125;
	check_against_python(record_new(&src, &ev, 1795426884.274849));
}

static void
test_scalars(void **state)
{
	static const char *raws[] = {
	    "0",
	    "255",
	    "256",
	    "65535",
	    "65536",
	    "-1",
	    "-2147483648",
	    "2147483647",
	    "2147483648",
	    "-2147483649",
	    "140491807619968",
	    "9223372036854775808",
	    "-123456789012345678901234567890",
	    "640.0",
	    "0.1",
	    "1e-05",
	    "1e+16",
	    "-0.0",
	    "1795426884.274849",
	    "5e-324",
	    "1.7976931348623157e+308",
	};
	cJSON *obj = cJSON_CreateObject();
	char key[16];

	(void)state;
	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		snprintf(key, sizeof(key), "n%zu", i);
		cJSON_AddRawToObject(obj, key, raws[i]);
	}
	cJSON_AddNumberToObject(obj, "plain_int", 70000);
	cJSON_AddNumberToObject(obj, "plain_float", 0.5);
	cJSON_AddTrueToObject(obj, "yes");
	cJSON_AddFalseToObject(obj, "no");
	cJSON_AddNullToObject(obj, "none");
	check_against_python(obj);
}

static void
test_strings_and_sharing(void **state)
{
	static const char *strs[] = {
	    "x",	   "x",	 "",	     "",	 "\xc3\xa9",	     "\xc3\xa9",
	    "ab",	   "ab", "\xc4\x80", "\xc4\x80", "\xe2\x82\xac uro", "\xf0\x9f\x98\x80",
	    "a\"b\\c\n\t",
	};
	cJSON *obj = cJSON_CreateObject();
	char key[16];

	(void)state;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		snprintf(key, sizeof(key), "s%zu", i);
		cJSON_AddStringToObject(obj, key, strs[i]);
	}
	/* A one-character key shares the memo slot of the same value. */
	cJSON_AddStringToObject(obj, "x", "y");
	check_against_python(obj);
}

static void
test_nested_and_small(void **state)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *one = cJSON_AddObjectToObject(obj, "one");

	(void)state;
	cJSON_AddObjectToObject(obj, "empty");
	cJSON_AddRawToObject(one, "k", "1");
	cJSON_AddObjectToObject(cJSON_AddObjectToObject(obj, "deep"), "er");
	check_against_python(obj);
	check_against_python(cJSON_CreateObject());
}

/* Around the batch size of 1000 (a multiple of it ends with an empty
 * MARK SETITEMS in CPython's C pickler) and over
 * 256 memo entries (LONG_BINPUT, and LONG_BINGET for a shared string). */
static void
test_batches_and_long_memo(void **state)
{
	static const int totals[] = {999, 1000, 1001, 2000};
	char key[16];

	(void)state;
	for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]); t++) {
		cJSON *obj = cJSON_CreateObject();

		for (int i = 0; i < totals[t]; i++) {
			snprintf(key, sizeof(key), "k%04d", i);
			if (i == 400 || i == 900)
				cJSON_AddStringToObject(obj, key, "\xc3\xbf");
			else
				cJSON_AddRawToObject(obj, key, i % 3 ? "7" : "2.5");
		}
		check_against_python(obj);
	}
}

static void
test_unsupported(void **state)
{
	cJSON *obj = cJSON_CreateObject();
	struct bytebuf out = {0};

	(void)state;
	bytebuf_append(&out, "keep", 4);
	cJSON_AddRawToObject(obj, "bad", "12x");
	assert_int_equal(picklew_dump(obj, &out), -1);
	assert_int_equal(out.len, 4);
	cJSON_DeleteItemFromObject(obj, "bad");
	cJSON_AddArrayToObject(obj, "list");
	assert_int_equal(picklew_dump(obj, &out), -1);
	assert_int_equal(out.len, 4);
	assert_int_equal(picklew_dump(cJSON_GetObjectItem(obj, "list"), &out), -1);
	bytebuf_free(&out);
	cJSON_Delete(obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_bytes),     cmocka_unit_test(test_log_record),
	    cmocka_unit_test(test_scalars),	     cmocka_unit_test(test_strings_and_sharing),
	    cmocka_unit_test(test_nested_and_small), cmocka_unit_test(test_batches_and_long_memo),
	    cmocka_unit_test(test_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
