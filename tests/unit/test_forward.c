/* The forwarder's pure parts: subject templates, message ids, the
 * checkpoint file, the acked-prefix window and trailer detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "base/limits.h"
#include "sink/forward_file.h"
#include "sink/forward_state.h"
#include "sink/forward_window.h"
#include "sink/subject.h"
#include "tmpdir.h"

static void
expect_subject(const char *tmpl, const char *line, const char *want)
{
	char *cause = NULL, got[LC_FWD_SUBJECT_MAX + 1];
	struct subject *s = subject_compile(tmpl, "web 1.example", &cause);

	assert_non_null(s);
	subject_render(s, line, strlen(line), got);
	assert_string_equal(got, want);
	subject_free(s);
}

static void
test_subject_render(void **state)
{
	(void)state;
	expect_subject("logs.{host}", "{}", "logs.web_1_example");
	expect_subject("logs.{name}", "{\"name\":\"app.db\",\"x\":1}", "logs.app_db");
	expect_subject("l.{levelno}.{name}", "{\"name\":\"a b*>\",\"levelno\":20}", "l.20.a_b__");
	expect_subject("l.{name}", "{\"msg\":\"x\"}", "l._");
	expect_subject("l.{name}", "{\"name\":\"\"}", "l._");
	expect_subject("l.{name}", "{\"name\":null}", "l._");
	expect_subject("l.{name}", "{\"name\":\"caf\xc3\xa9\"}", "l.caf__");
	expect_subject("l.{name}", "{\"name\":\"a\\\"b\\u0041\"}", "l.a_b_");
	/* Nested values are skipped, not matched. */
	expect_subject("l.{name}", "{\"o\":{\"name\":\"in\"},\"s\":\"}\",\"name\":\"out\"}",
	    "l.out");
	expect_subject("l.{n}", "{\"n\":-1.5e3}", "l.-1_5e3");
}

static void
test_subject_errors(void **state)
{
	const char *bad[] = {"", "a..b", "a.*", "a.>", "a b", "a.{", "a.{}", ".a", "a."};
	char *cause;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		assert_null(subject_compile(bad[i], "h", &cause));
		assert_non_null(cause);
		free(cause);
	}
}

static void
test_subject_covered(void **state)
{
	char *cause = NULL;
	struct subject *s = subject_compile("logs.{host}.{name}", "h", &cause);

	(void)state;
	assert_true(subject_covered_by(s, "logs.>"));
	assert_true(subject_covered_by(s, "logs.h.*"));
	assert_true(subject_covered_by(s, "*.*.*"));
	assert_true(subject_covered_by(s, ">"));
	assert_false(subject_covered_by(s, "logs.h"));
	assert_false(subject_covered_by(s, "logs.h.x"));
	assert_false(subject_covered_by(s, "logs.other.*"));
	assert_false(subject_covered_by(s, "logs.h.*.*"));
	assert_false(subject_covered_by(s, "logs.h.*.>"));
	subject_free(s);
}

static void
test_msgid(void **state)
{
	char id[FORWARD_MSGID_MAX];
	uint64_t fileno, off;

	(void)state;
	forward_msgid(id, "0123456789abcdef", 3, UINT64_MAX);
	assert_string_equal(id, "0123456789abcdef-3-18446744073709551615");
	assert_int_equal(forward_msgid_parse(id, "0123456789abcdef", &fileno, &off), 0);
	assert_int_equal(fileno, 3);
	assert_true(off == UINT64_MAX);
	assert_int_equal(forward_msgid_parse(id, "fedcba9876543210", &fileno, &off), -1);
	assert_int_equal(forward_msgid_parse("0123456789abcdef-3-", "0123456789abcdef", &fileno,
			     &off), -1);
}

static void
test_checkpoint(void **state)
{
	struct forward_state st, back;
	char path[128], *cause = NULL;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.forward", tmpdir);
	assert_int_equal(forward_state_load(path, &st, &cause), 0);
	assert_int_equal(strlen(st.instance), FORWARD_INSTANCE_LEN);
	st.fileno = 2;
	st.dev = 65024;
	st.ino = 77;
	st.offset = 123456789012ull;
	assert_int_equal(forward_state_save(path, &st), 0);
	st.offset++;
	assert_int_equal(forward_state_save(path, &st), 0); /* replaces it */
	assert_int_equal(forward_state_load(path, &back, &cause), 1);
	assert_memory_equal(&st, &back, sizeof(st));
	/* A torn or foreign file is an error, never a fresh start. */
	f = fopen(path, "w");
	fputs("logcatcher-forward 1 0123", f);
	fclose(f);
	assert_int_equal(forward_state_load(path, &back, &cause), -1);
	assert_non_null(cause);
	free(cause);
	remove(path);
}

static void
test_window_prefix(void **state)
{
	struct forward_window *w = forward_window_new(4);
	uint64_t end = 0;
	int found;

	(void)state;
	forward_window_push(w, 0, 10, 1, FORWARD_SENT, 0);
	forward_window_push(w, 10, 20, 2, FORWARD_SENT, 0);
	forward_window_push(w, 30, 5, 1, FORWARD_ACKED, 0); /* a skipped line */
	forward_window_push(w, 35, 5, 1, FORWARD_SENT, 0);
	assert_true(forward_window_full(w));
	/* Acks out of order: nothing moves until the first is acked. */
	forward_window_mark(w, 35, FORWARD_ACKED, &found);
	assert_true(found);
	forward_window_mark(w, 10, FORWARD_ACKED, &found);
	assert_int_equal(forward_window_release(w, &end), 0);
	assert_int_equal(end, 0);
	forward_window_mark(w, 0, FORWARD_FAILED, &found);
	assert_int_equal(forward_window_release(w, &end), 0);
	forward_window_mark(w, 0, FORWARD_ACKED, &found);
	assert_int_equal(forward_window_release(w, &end), 5);
	assert_int_equal(end, 40);
	assert_int_equal(forward_window_count(w), 0);
	/* A stale ack finds nothing; an ack is never undone by a failure. */
	forward_window_mark(w, 10, FORWARD_ACKED, &found);
	assert_false(found);
	forward_window_push(w, 40, 1, 1, FORWARD_ACKED, 0);
	forward_window_mark(w, 40, FORWARD_FAILED, &found);
	assert_int_equal(forward_window_at(w, 0)->state, FORWARD_ACKED);
	forward_window_free(w);
}

/* The failed count is exact whatever order retries and nacks come in: a nack
 * of a slot already passed by a retry scan is still counted, so it is
 * published again (it once stalled the window after a quorum loss). */
static void
test_window_failed_count(void **state)
{
	struct forward_window *w = forward_window_new(4);
	int found;

	(void)state;
	for (uint64_t off = 0; off < 4; off++)
		forward_window_push(w, off, 1, 1, FORWARD_SENT, 0);
	forward_window_mark(w, 0, FORWARD_FAILED, &found);
	forward_window_mark(w, 2, FORWARD_FAILED, &found);
	forward_window_mark(w, 2, FORWARD_FAILED, &found); /* nacked twice */
	assert_int_equal(forward_window_failed(w), 2);
	/* A retry scan takes slot 0 back to SENT... */
	forward_window_set(w, forward_window_at(w, 0), FORWARD_SENT);
	assert_int_equal(forward_window_failed(w), 1);
	/* ...and slot 0 is nacked again behind it while it goes on. */
	forward_window_mark(w, 0, FORWARD_FAILED, &found);
	forward_window_set(w, forward_window_at(w, 2), FORWARD_SENT);
	assert_int_equal(forward_window_failed(w), 1);
	assert_int_equal(forward_window_at(w, 0)->state, FORWARD_FAILED);
	/* An ack of a failed slot leaves the count; acked stays acked. */
	forward_window_mark(w, 0, FORWARD_ACKED, &found);
	assert_int_equal(forward_window_failed(w), 0);
	forward_window_set(w, forward_window_at(w, 0), FORWARD_FAILED);
	assert_int_equal(forward_window_failed(w), 0);
	forward_window_free(w);
}

static void
test_trailer(void **state)
{
	const char *t = "{\"lines_collected\": 42}\n";

	(void)state;
	assert_true(forward_file_is_trailer(t, strlen(t)));
	assert_false(forward_file_is_trailer("{\"lines_collected\":42}\n", 23));
	assert_false(forward_file_is_trailer("{\"lines_collected\": }\n", 22));
	assert_false(forward_file_is_trailer("{\"lines_collected\": 4,\"x\":1}\n", 29));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subject_render),
	    cmocka_unit_test(test_subject_errors),
	    cmocka_unit_test(test_subject_covered),
	    cmocka_unit_test(test_msgid),
	    cmocka_unit_test(test_checkpoint),
	    cmocka_unit_test(test_window_prefix),
	    cmocka_unit_test(test_window_failed_count),
	    cmocka_unit_test(test_trailer),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
