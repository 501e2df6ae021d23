/* record: LogRecord dicts with CPython 3.11's keys, in its order, with
 * Python-typed numbers; compact JSON that python3 -m json.tool accepts. */
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
#include "record.h"

static void
check_repr(double v, const char *want)
{
	char got[RECORD_FLOAT_MAX];

	record_float_repr(v, got);
	assert_string_equal(got, want);
}

static void
test_float_repr_fixed(void **state)
{
	(void)state;
	check_repr(640.0, "640.0");
	check_repr(100.0, "100.0");
	check_repr(0.1, "0.1");
	check_repr(123.456, "123.456");
	check_repr(-2.5, "-2.5");
	check_repr(0.0, "0.0");
	check_repr(-0.0, "-0.0");
	check_repr(0.0001, "0.0001");
	check_repr(1e-05, "1e-05");
	check_repr(1e16, "1e+16");
	check_repr(1234567890123456.0, "1234567890123456.0");
	check_repr(12345678901234567890.0, "1.2345678901234567e+19");
	check_repr(1.5e300, "1.5e+300");
	check_repr(5e-324, "5e-324");
	check_repr(1.7976931348623157e308, "1.7976931348623157e+308");
	check_repr(1795426884.274849, "1795426884.274849");
}

/* Random bit patterns: our repr equals Python's, character for character. */
static void
test_float_repr_random(void **state)
{
	static const char py[] =
	    "import struct, sys\n"
	    "for line in open(sys.argv[1]):\n"
	    "    bits, ours = line.split()\n"
	    "    v = struct.unpack('<d', struct.pack('<Q', int(bits, 16)))[0]\n"
	    "    if repr(v) != ours:\n"
	    "        sys.exit('%s: want %s got %s' % (bits, repr(v), ours))\n";
	char *lines = NULL, *path;
	size_t size = 0;
	FILE *f = open_memstream(&lines, &size);
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		char text[RECORD_FLOAT_MAX];
		double v;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (v != v || v - v != 0)
			continue; /* NaN and infinities never reach a record */
		record_float_repr(v, text);
		fprintf(f, "%016llx %s\n", (unsigned long long)x, text);
	}
	fclose(f);
	path = client_py_tmpfile(lines, size);
	assert_non_null(path);
	assert_int_equal(client_py_run((const char *[]){"-c", py, path, NULL}), 0);
	unlink(path);
	free(path);
	free(lines);
}

static cJSON *
sample_record(struct record_source *src)
{
	struct record_event ev = {RECORD_DEBUG, 17, "sort", "Sorting 5"};

	record_source_init(src, "BogoSort", "/srv/app/bogosort.py");
	src->start = 1000.5;
	return record_new(src, &ev, 1002.640625);
}

static void
test_keys_and_values(void **state)
{
	static const char *keys[] = {
	    "name",	   "msg",     "args",	  "levelname",	     "levelno",	   "pathname",
	    "filename",	   "module",  "exc_info", "exc_text",	     "stack_info", "lineno",
	    "funcName",	   "created", "msecs",	  "relativeCreated", "thread",	   "threadName",
	    "processName", "process",
	};
	struct record_source src;
	cJSON *rec = sample_record(&src), *item;
	char name[64];
	size_t i = 0;

	(void)state;
	assert_non_null(rec);
	cJSON_ArrayForEach(item, rec)
	{
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(item->string, keys[i++]);
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	snprintf(name, sizeof(name), "app_%ld.BogoSort", (long)getpid());
	assert_string_equal(cJSON_GetObjectItem(rec, "name")->valuestring, name);
	assert_string_equal(cJSON_GetObjectItem(rec, "levelname")->valuestring, "DEBUG");
	assert_string_equal(cJSON_GetObjectItem(rec, "filename")->valuestring, "bogosort.py");
	assert_string_equal(cJSON_GetObjectItem(rec, "module")->valuestring, "bogosort");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(rec, "args")));
	assert_string_equal(cJSON_GetObjectItem(rec, "msecs")->valuestring, "640.0");
	assert_string_equal(cJSON_GetObjectItem(rec, "relativeCreated")->valuestring, "2140.625");
	assert_true(strtoull(cJSON_GetObjectItem(rec, "thread")->valuestring, NULL, 10) >
		    (1ull << 31));
	cJSON_Delete(rec);
}

static void
test_json_tool_accepts(void **state)
{
	static const char py[] = "import json, sys\n"
				 "d = json.load(open(sys.argv[1]))\n"
				 "assert type(d['msecs']) is float and d['msecs'] == 640.0\n"
				 "assert type(d['thread']) is int and d['thread'] > 2**31\n";
	struct record_source src;
	cJSON *rec = sample_record(&src);
	struct bytebuf out = {0};
	char *path;

	(void)state;
	assert_int_equal(record_serialize(rec, RECORD_JSON, &out), 0);
	assert_null(memchr(out.data, '\n', out.len)); /* compact: one line */
	path = client_py_tmpfile(out.data, out.len);
	assert_non_null(path);
	assert_int_equal(
	    client_py_run((const char *[]){"-m", "json.tool", path, "/dev/null", NULL}), 0);
	assert_int_equal(client_py_run((const char *[]){"-c", py, path, NULL}), 0);
	unlink(path);
	free(path);
	bytebuf_free(&out);
	cJSON_Delete(rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_float_repr_fixed),
	    cmocka_unit_test(test_float_repr_random),
	    cmocka_unit_test(test_keys_and_values),
	    cmocka_unit_test(test_json_tool_accepts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
