/* metrics: the Prometheus text generated from the counter list, the write
 * latency histogram, the gauges, /clients' JSON, and binding its addresses
 * through the listener's functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/buf.h"
#include "base/stats.h"
#include "net/addr.h"
#include "net/conn.h"
#include "net/listener.h"
#include "ops/metrics.h"
#include "ops/metrics_clients.h"
#include "ops/metrics_text.h"

/* Whether the NUL-terminated text holds this exact line. */
static int
has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return 1;
	return 0;
}

static void
render(struct buf *out, const struct stats_snapshot *st, const struct metrics_gauges *g)
{
	buf_init(out);
	metrics_text(out, st, g);
	buf_putc(out, '\0');
}

/* The test helper generated from the list: one row per counter. */
static const struct field {
	const char *family, *label, *help;
	size_t offset;
} fields[] = {
#define FIELD_ROW(field, family, label, help)                                                      \
	{family, label, help, offsetof(struct stats_snapshot, field)},
    STATS_COUNTERS(FIELD_ROW)
#undef FIELD_ROW
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Every exported field shows up as its own sample with its own value, under
 * one TYPE line per family; an internal one (family NULL) does not. */
static void
test_every_counter_exported(void **state)
{
	struct stats_snapshot st = {0};
	struct metrics_gauges g = {0};
	struct buf out;
	char line[256];

	(void)state;
	for (size_t i = 0; i < NFIELDS; i++)
		*(uint64_t *)((char *)&st + fields[i].offset) = 1000 + i;
	render(&out, &st, &g);
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		const char *type;

		if (f->family == NULL) {
			snprintf(line, sizeof(line), " %zu\n", 1000 + i);
			assert_null(strstr(out.data, line));
			continue;
		}
		snprintf(line, sizeof(line), "logcatcher_%s_total%s%s%s %zu", f->family,
			 f->label[0] ? "{" : "", f->label, f->label[0] ? "}" : "", 1000 + i);
		assert_true(has_line(out.data, line));
		snprintf(line, sizeof(line), "# TYPE logcatcher_%s_total counter\n", f->family);
		type = strstr(out.data, line);
		assert_non_null(type);
		assert_null(strstr(type + 1, line));
	}
	buf_free(&out);
}

/* A family's fields follow each other; its HELP is on the first one, and
 * the others tell themselves apart by a label. */
static void
test_families_contiguous(void **state)
{
	const char *prev = NULL;

	(void)state;
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		int first;

		if (f->family == NULL)
			continue;
		first = prev == NULL || strcmp(prev, f->family) != 0;
		assert_int_equal(f->help[0] != '\0', first);
		if (!first)
			assert_true(f->label[0] != '\0');
		for (size_t j = 0; first && j < i; j++)
			assert_true(fields[j].family == NULL ||
				    strcmp(fields[j].family, f->family) != 0);
		prev = f->family;
	}
}

static void
test_histogram_cumulative(void **state)
{
	struct stats_snapshot st;
	struct metrics_gauges g = {0};
	struct buf out;

	(void)state;
	stats_observe_write(50000);	  /* 50 us */
	stats_observe_write(3000000);	  /* 3 ms */
	stats_observe_write(20000000000); /* 20 s: only +Inf */
	stats_snapshot(&st);
	assert_int_equal(st.write_count, 3);
	assert_int_equal(st.write_le[0], 1);
	assert_int_equal(st.write_le[STATS_WRITE_NBUCKETS - 1], 2);
	render(&out, &st, &g);
	assert_true(has_line(out.data, "# TYPE logcatcher_write_seconds histogram"));
	assert_true(has_line(out.data, "logcatcher_write_seconds_bucket{le=\"0.0001\"} 1"));
	assert_true(has_line(out.data, "logcatcher_write_seconds_bucket{le=\"0.005\"} 2"));
	assert_true(has_line(out.data, "logcatcher_write_seconds_bucket{le=\"10\"} 2"));
	assert_true(has_line(out.data, "logcatcher_write_seconds_bucket{le=\"+Inf\"} 3"));
	assert_true(has_line(out.data, "logcatcher_write_seconds_sum 20.003050000"));
	assert_true(has_line(out.data, "logcatcher_write_seconds_count 3"));
	buf_free(&out);
}

static void
test_gauges_and_info(void **state)
{
	struct stats_snapshot st = {0};
	struct metrics_gauges g = {
	    .connections_active = 7, .backpressure_active = 1, .start_time = 1700000000};
	struct buf out;

	(void)state;
	render(&out, &st, &g);
	assert_true(has_line(out.data, "# TYPE logcatcher_connections_active gauge"));
	assert_true(has_line(out.data, "logcatcher_connections_active 7"));
	assert_true(has_line(out.data, "logcatcher_backpressure_active 1"));
	assert_true(has_line(out.data, "logcatcher_inflight_bytes 0"));
	assert_true(has_line(out.data, "process_start_time_seconds 1700000000"));
	assert_true(has_line(out.data, "logcatcher_build_info{version=\"" LC_VERSION "\"} 1"));
	buf_free(&out);
}

static void
test_clients_sorted_and_capped(void **state)
{
	struct conn_info v[3] = {
	    {"127.0.0.1:1000", 100, 0, 5, 50},
	    {"[::1]:2000", 200, 210, 9, 90},
	    {"127.0.0.1:3000", 300, 310, 7, 70},
	};
	struct buf out;
	const char *want =
	    "{\"total\":3,\"shown\":2,\"clients\":["
	    "{\"peer\":\"[::1]:2000\",\"connected_since\":200,\"last_record\":210,"
	    "\"records\":9,\"bytes\":90},"
	    "{\"peer\":\"127.0.0.1:3000\",\"connected_since\":300,\"last_record\":310,"
	    "\"records\":7,\"bytes\":70}]}\n";

	(void)state;
	buf_init(&out);
	metrics_clients_json(&out, v, 3, 2);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data, want, out.len);
	buf_truncate(&out, 0);
	metrics_clients_json(&out, v, 1, 100); /* v[0] is now the busiest */
	buf_putc(&out, '\0');
	assert_non_null(strstr(out.data, "\"last_record\":210"));
	buf_free(&out);
}

/* listener_bound tells the port bound for port 0; metrics_start binds its
 * addresses with listener_socket, so an address in use fails it. */
static void
test_bind_through_the_listener(void **state)
{
	struct event_base *base = event_base_new();
	struct metrics_sources src = {0};
	struct sockaddr_storage ss;
	char name[ADDR_STRLEN], *taken[] = {name}, *any[] = {"127.0.0.1:0"};
	struct metrics *m;
	int fd;

	(void)state;
	assert_non_null(base);
	fd = listener_socket("127.0.0.1:0", SOCK_STREAM);
	assert_int_not_equal(fd, -1);
	assert_int_equal(listener_bound(fd, &ss, name), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(strncmp(name, "127.0.0.1:", 10), 0);
	assert_int_not_equal(strcmp(name, "127.0.0.1:0"), 0);
	assert_null(metrics_start(base, taken, 1, &src));
	close(fd);
	m = metrics_start(base, any, 1, &src);
	assert_non_null(m);
	metrics_free(m);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_counter_exported),
	    cmocka_unit_test(test_families_contiguous),
	    cmocka_unit_test(test_histogram_cumulative),
	    cmocka_unit_test(test_gauges_and_info),
	    cmocka_unit_test(test_clients_sorted_and_capped),
	    cmocka_unit_test(test_bind_through_the_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
