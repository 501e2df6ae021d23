/* The output file: append-only, created with its mode, reopened by path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sink/output.h"
#include "tmpdir.h"

static void
path_in_tmp(char *dst, size_t dstsz, const char *name)
{
	snprintf(dst, dstsz, "%s/%s", tmpdir, name);
}

static void
put(struct output *out, const char *s)
{
	size_t done = 0;

	assert_int_equal(output_write(out, s, strlen(s), &done), 0);
	assert_int_equal(done, strlen(s));
}

static void
expect_content(const char *path, const char *want)
{
	char got[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	assert_string_equal(got, want);
}

static void
test_appends_never_truncates(void **state)
{
	char path[128];
	FILE *f;
	struct output *out;

	(void)state;
	path_in_tmp(path, sizeof(path), "append.jsonl");
	f = fopen(path, "w");
	fputs("{\"old\":1}\n", f);
	fclose(f);
	out = output_open(path, 0640);
	assert_non_null(out);
	put(out, "{\"new\":2}\n");
	assert_int_equal(output_sync(out), 0);
	output_close(out);
	expect_content(path, "{\"old\":1}\n{\"new\":2}\n");
}

static void
test_creates_with_mode(void **state)
{
	char path[128];
	struct output *out;
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	path_in_tmp(path, sizeof(path), "mode.jsonl");
	out = output_open(path, 0604);
	umask(old);
	assert_non_null(out);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0604);
	assert_string_equal(output_path(out), path);
	output_close(out);
}

static void
test_reopen_after_rename(void **state)
{
	char path[128], rotated[140];
	struct output *out;

	(void)state;
	path_in_tmp(path, sizeof(path), "rotate.jsonl");
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	out = output_open(path, 0640);
	assert_non_null(out);
	put(out, "a\n");
	assert_int_equal(rename(path, rotated), 0);
	put(out, "b\n"); /* still the old file until reopened */
	assert_int_equal(output_reopen(out), 0);
	put(out, "c\n");
	output_close(out);
	expect_content(rotated, "a\nb\n");
	expect_content(path, "c\n");
}

static void
test_open_failure_sets_errno(void **state)
{
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "missing-dir/x.jsonl");
	errno = 0;
	assert_null(output_open(path, 0640));
	assert_int_equal(errno, ENOENT);
}

static void
test_write_error_reports_errno(void **state)
{
	struct output *out = output_open("/dev/full", 0640);
	size_t done = 0;

	(void)state;
	assert_non_null(out);
	errno = 0;
	assert_int_equal(output_write(out, "x\n", 2, &done), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(done, 0);
	output_close(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends_never_truncates),
		cmocka_unit_test(test_creates_with_mode),
		cmocka_unit_test(test_reopen_after_rename),
		cmocka_unit_test(test_open_failure_sets_errno),
		cmocka_unit_test(test_write_error_reports_errno),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
