/*
 * The file sink: a batch's pieces (lines in place, lines copied out, dead
 * letters to their own file) are written once each; a failed write is
 * counted, reported as failing and retried after SINK_AGAIN from where it
 * stopped, never repeated; a deleted or replaced output is noticed at most
 * once a second (its own clock) and a new file is made; the stop fsyncs and
 * appends the trailer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "base/stats.h"
#include "sink/file_sink.h"
#include "sink/output.h"
#include "tmpdir.h"

static long fake_seconds = 1000;

static long
fake_clock(void)
{
	return fake_seconds;
}

static struct sink_batch
lines_batch(const char *lines, const char *more)
{
	return (struct sink_batch){.lines = lines,
	    .lines_len = strlen(lines),
	    .more = more,
	    .more_len = strlen(more),
	    .nlines = 2};
}

static void
assert_file_is(const char *path, const char *want)
{
	char *got = tmpdir_slurp(path, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_pieces_and_dead_letters(void **state)
{
	char path[128], dead_path[128];
	struct file_sink *fs;
	struct sink s;
	struct sink_batch b = lines_batch("{\"a\":1}\n", "{\"a\":2}\n");
	uint64_t dead_before = atomic_load(&stats.dead_letters);

	(void)state;
	snprintf(path, sizeof(path), "%s/pieces.jsonl", tmpdir);
	snprintf(dead_path, sizeof(dead_path), "%s/pieces.dead", tmpdir);
	fs = file_sink_new(output_open(path, 0600), output_open(dead_path, 0600), fake_clock);
	s = file_sink_sink(fs);
	b.dead = "{\"dead\":1}\n";
	b.dead_len = strlen(b.dead);
	b.ndead = 1;
	assert_int_equal(s.write(s.self, &b), SINK_WRITTEN);
	assert_int_equal(atomic_load(&stats.dead_letters) - dead_before, 1);
	assert_int_equal(file_sink_finish(fs, 2), 0);
	assert_file_is(path, "{\"a\":1}\n{\"a\":2}\n{\"lines_collected\": 2}\n");
	assert_file_is(dead_path, "{\"dead\":1}\n");
}

/* The output is a FIFO: with its reader gone writes fail (EPIPE); with a new
 * reader the retry goes through, and the reader sees the batch once. */
static void
test_failed_write_retried_not_repeated(void **state)
{
	char path[128], got[256];
	struct file_sink *fs;
	struct sink s;
	struct sink_batch b = lines_batch("{\"a\":1}\n", "{\"a\":2}\n");
	uint64_t errors_before = atomic_load(&stats.write_errors);
	int reader;
	ssize_t n;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "%s/retry.fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	reader = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	fs = file_sink_new(output_open(path, 0600), NULL, fake_clock);
	s = file_sink_sink(fs);
	close(reader);

	assert_int_equal(s.write(s.self, &b), SINK_AGAIN);
	assert_int_equal(atomic_load(&stats.write_errors) - errors_before, 1);
	assert_true(file_sink_failing(fs) > 0);

	reader = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	assert_int_equal(s.write(s.self, &b), SINK_WRITTEN);
	assert_int_equal(file_sink_failing(fs), 0);
	n = read(reader, got, sizeof(got) - 1);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "{\"a\":1}\n{\"a\":2}\n");
	file_sink_free(fs);
	close(reader);
}

/* A file renamed away with nothing at its path is a rotation in progress:
 * the sink keeps writing to it. Once another file is at the path, batches
 * in the same second still go to the old one; the first one a second later
 * goes to the new file. */
static void
test_replaced_file_noticed_once_a_second(void **state)
{
	char path[128], moved[140];
	struct file_sink *fs;
	struct sink s;
	struct sink_batch b[4];
	uint64_t reopens_before = atomic_load(&stats.reopens);
	int fd;

	(void)state;
	b[0] = lines_batch("{\"b\":0}\n", "");
	b[1] = lines_batch("{\"b\":1}\n", "");
	b[2] = lines_batch("{\"b\":2}\n", "");
	b[3] = lines_batch("{\"b\":3}\n", "");
	snprintf(path, sizeof(path), "%s/replaced.jsonl", tmpdir);
	snprintf(moved, sizeof(moved), "%s.moved", path);
	fs = file_sink_new(output_open(path, 0600), NULL, fake_clock);
	s = file_sink_sink(fs);
	assert_int_equal(s.write(s.self, &b[0]), SINK_WRITTEN);
	assert_int_equal(rename(path, moved), 0);
	fake_seconds++;
	assert_int_equal(s.write(s.self, &b[1]), SINK_WRITTEN);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(s.write(s.self, &b[2]), SINK_WRITTEN);
	assert_int_equal(atomic_load(&stats.reopens), reopens_before);
	fake_seconds++;
	assert_int_equal(s.write(s.self, &b[3]), SINK_WRITTEN);
	assert_int_equal(atomic_load(&stats.reopens) - reopens_before, 1);
	file_sink_free(fs);
	assert_file_is(moved, "{\"b\":0}\n{\"b\":1}\n{\"b\":2}\n");
	assert_file_is(path, "{\"b\":3}\n");
}

/* A reopen batch (SIGHUP) reopens at once, whatever the clock. */
static void
test_reopen_batch(void **state)
{
	char path[128], rotated[140];
	struct file_sink *fs;
	struct sink s;
	struct sink_batch b1 = lines_batch("{\"c\":1}\n", ""), reopen = {.reopen = 1},
			  b2 = lines_batch("{\"c\":2}\n", "");

	(void)state;
	snprintf(path, sizeof(path), "%s/rotated.jsonl", tmpdir);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	fs = file_sink_new(output_open(path, 0600), NULL, fake_clock);
	s = file_sink_sink(fs);
	assert_int_equal(s.write(s.self, &b1), SINK_WRITTEN);
	assert_int_equal(rename(path, rotated), 0);
	assert_int_equal(s.write(s.self, &reopen), SINK_WRITTEN);
	assert_int_equal(s.write(s.self, &b2), SINK_WRITTEN);
	file_sink_free(fs);
	assert_file_is(rotated, "{\"c\":1}\n");
	assert_file_is(path, "{\"c\":2}\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_and_dead_letters),
		cmocka_unit_test(test_failed_write_retried_not_repeated),
		cmocka_unit_test(test_replaced_file_noticed_once_a_second),
		cmocka_unit_test(test_reopen_batch),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
