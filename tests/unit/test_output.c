/* The output file: append-only, created with its mode, reopened by path; a
 * torn last line left by a crash is cut off (to the dead letters) at open. */
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

#include "base/limits.h"
#include "base/stats.h"
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
make_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
	assert_int_equal(fclose(f), 0);
}

/* Open path (made with content) with dead letters, and close it again. */
static void
open_with_dead_letters(const char *path, const char *content, const char *dead_path)
{
	struct output *dead, *out;

	make_file(path, content);
	dead = output_open_dead_letter(dead_path, 0640);
	assert_non_null(dead);
	out = output_open_keeping(path, 0640, dead);
	assert_non_null(out);
	output_close(out);
	output_close(dead);
}

static uint64_t
torn_count(void)
{
	struct stats_snapshot st;

	stats_snapshot(&st);
	return st.torn_lines;
}

/* A crash left half a record: it moves to the dead letters as one entry and
 * the next record starts on its own line. */
static void
test_torn_tail_moves_to_dead_letters(void **state)
{
	char path[128], dead_path[128];
	struct output *out, *dead;
	uint64_t torn = torn_count();
	char *letters;

	(void)state;
	path_in_tmp(path, sizeof(path), "torn.jsonl");
	path_in_tmp(dead_path, sizeof(dead_path), "torn.dead");
	make_file(path, "{\"a\":1}\n{\"b\":2}\n{\"c\":");
	dead = output_open_dead_letter(dead_path, 0640);
	assert_non_null(dead);
	out = output_open_keeping(path, 0640, dead);
	assert_non_null(out);
	assert_int_equal(torn_count(), torn + 1);
	put(out, "{\"d\":4}\n");
	output_close(out);
	output_close(dead);
	expect_content(path, "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n");
	letters = tmpdir_slurp(dead_path, NULL);
	assert_non_null(letters);
	assert_non_null(strstr(letters, "\"peer\":\"logcatcherd\",\"reason\":\"torn last line of "
					 "the output (5 bytes) repaired at open\",\"size\":5,"
					 "\"payload_base64\":\"eyJjIjo=\"}\n"));
	assert_ptr_equal(strchr(letters, '\n'), letters + strlen(letters) - 1); /* one entry */
	free(letters);
}

/* Without a newline the whole file is one torn line; with no dead-letter
 * file it is dropped. */
static void
test_file_without_newline_is_one_torn_line(void **state)
{
	char path[128];
	struct output *out;
	struct stat st;

	(void)state;
	path_in_tmp(path, sizeof(path), "nonewline.jsonl");
	make_file(path, "{\"partial");
	out = output_open(path, 0640);
	assert_non_null(out);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	put(out, "{\"e\":5}\n");
	output_close(out);
	expect_content(path, "{\"e\":5}\n");
}

/* Whole files are never cut: one ending in '\n', an empty one. */
static void
test_whole_files_untouched(void **state)
{
	static const char *const contents[] = {"{\"a\":1}\n{\"b\":2}\n", "\n", ""};
	char path[128], dead_path[128];
	uint64_t torn = torn_count();

	(void)state;
	path_in_tmp(dead_path, sizeof(dead_path), "whole.dead");
	for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		path_in_tmp(path, sizeof(path), "whole.jsonl");
		open_with_dead_letters(path, contents[i], dead_path);
		expect_content(path, contents[i]);
		expect_content(dead_path, "");
	}
	assert_int_equal(torn_count(), torn);
}

/* The dead-letter file's own torn entry becomes a whole entry in it. */
static void
test_dead_letter_torn_tail(void **state)
{
	static const char first[] = "{\"time\":\"x\",\"peer\":\"p\",\"reason\":\"r\",\"size\":0,"
				    "\"payload_base64\":\"\"}\n";
	char path[128];
	struct output *dead;
	char *letters;

	(void)state;
	path_in_tmp(path, sizeof(path), "self.dead");
	make_file(path, "{\"time\":\"x\",\"peer\":\"p\",\"reason\":\"r\",\"size\":0,"
			"\"payload_base64\":\"\"}\n{\"time\":\"2026");
	dead = output_open_dead_letter(path, 0640);
	assert_non_null(dead);
	output_close(dead);
	letters = tmpdir_slurp(path, NULL);
	assert_non_null(letters);
	assert_memory_equal(letters, first, strlen(first));
	assert_non_null(strstr(letters + strlen(first),
	    "\"reason\":\"torn last line of the dead-letter file (13 bytes) repaired at "
	    "open\",\"size\":13,\"payload_base64\":\"eyJ0aW1lIjoiMjAyNg==\"}\n"));
	assert_ptr_equal(strchr(letters + strlen(first), '\n'), letters + strlen(letters) - 1);
	free(letters);
}

/* A huge torn tail: its dead letter keeps a bounded prefix and says so. */
static void
test_huge_torn_tail_is_bounded(void **state)
{
	enum { EXTRA = 1000 };
	size_t torn = LC_TORN_KEEP + EXTRA;
	char path[128], dead_path[128], want[128];
	char *big = malloc(torn + 1), *letters, *b64, *end;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', torn);
	big[torn] = '\0';
	big[0] = '\n';
	path_in_tmp(path, sizeof(path), "huge.jsonl");
	path_in_tmp(dead_path, sizeof(dead_path), "huge.dead");
	open_with_dead_letters(path, big, dead_path);
	expect_content(path, "\n");
	letters = tmpdir_slurp(dead_path, NULL);
	assert_non_null(letters);
	snprintf(want, sizeof(want),
	    "(%zu bytes) repaired at open; payload holds its first %u bytes\",\"size\":%zu,",
	    torn - 1, LC_TORN_KEEP, torn - 1);
	assert_non_null(strstr(letters, want));
	b64 = strstr(letters, "\"payload_base64\":\"");
	assert_non_null(b64);
	b64 += strlen("\"payload_base64\":\"");
	end = strchr(b64, '"');
	assert_non_null(end);
	assert_int_equal(end - b64, (LC_TORN_KEEP + 2) / 3 * 4);
	free(letters);
	free(big);
}

/* A file put at the path torn (a restore, another writer killed) is repaired
 * when reopened too. */
static void
test_reopen_repairs(void **state)
{
	char path[128];
	struct output *out;

	(void)state;
	path_in_tmp(path, sizeof(path), "reopen-torn.jsonl");
	out = output_open(path, 0640);
	assert_non_null(out);
	put(out, "{\"a\":1}\n");
	make_file(path, "{\"b\":2}\n{\"c");
	assert_int_equal(output_reopen(out), 0);
	put(out, "{\"d\":4}\n");
	output_close(out);
	expect_content(path, "{\"b\":2}\n{\"d\":4}\n");
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
		cmocka_unit_test(test_torn_tail_moves_to_dead_letters),
		cmocka_unit_test(test_file_without_newline_is_one_torn_line),
		cmocka_unit_test(test_whole_files_untouched),
		cmocka_unit_test(test_dead_letter_torn_tail),
		cmocka_unit_test(test_huge_torn_tail_is_bounded),
		cmocka_unit_test(test_reopen_repairs),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
