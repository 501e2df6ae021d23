/* log: the rate limit that log_ratelimited and log_ratelimit_allow share,
 * and the count of what it suppressed. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/limits.h"
#include "base/log.h"
#include "tmpdir.h"

/* The limit's window is the wall-clock second: wait for a fresh one, so
 * that what follows falls in one window. */
static time_t
next_second(void)
{
	struct timespec ms = {0, 1000000};
	time_t now = time(NULL);

	while (time(NULL) == now)
		nanosleep(&ms, NULL);
	return time(NULL);
}

/* A refused line is counted, and reported before the next line allowed;
 * log_ratelimited takes its slots from the same limit. */
static void
test_ratelimit_allow_counts_what_it_refuses(void **state)
{
	enum { CALLS = LC_LOG_RATE_PER_SEC + 3 };
	int allowed[CALLS], next, saved, fd;
	char path[128], *log;
	time_t second, after;

	(void)state;
	snprintf(path, sizeof(path), "%s/stderr", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);

	second = next_second();
	log_ratelimited("the first line");
	for (int i = 1; i < CALLS; i++)
		allowed[i] = log_ratelimit_allow();
	log_ratelimited("a suppressed line");
	after = time(NULL);
	next_second();
	next = log_ratelimit_allow();

	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(after, second); /* else the window moved under the test */
	for (int i = 1; i < CALLS; i++)
		assert_int_equal(allowed[i], i < LC_LOG_RATE_PER_SEC);
	assert_true(next);
	log = tmpdir_slurp(path, NULL);
	assert_non_null(log);
	assert_non_null(strstr(log, "the first line\n"));
	assert_null(strstr(log, "a suppressed line"));
	assert_non_null(strstr(log, "(4 similar messages suppressed)\n"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ratelimit_allow_counts_what_it_refuses),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
