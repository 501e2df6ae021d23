/*
 * A connection reads straight into the open batch and frames records where
 * they lie, carrying the start of a frame from one read to the next, and
 * assembles frames too long to carry in its framer. Frames of every size
 * around those limits, sent in pieces of every size (each piece one read),
 * must all come out as lines, in order, with nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/buf.h"
#include "base/limits.h"
#include "intake/intake.h"
#include "net/conn.h"
#include "pipeline/pipeline.h"
#include "sink/output.h"
#include "tmpdir.h"

#define WAIT_LIMIT_MS 60000
#define MAX_RECORD (1024u * 1024u)

struct rig {
	struct event_base *base;
	struct pipeline *pipeline;
	struct intake *intake;
	struct conn_env env;
	int closed;
	int peer_fd; /* the client's end */
};

static void
no_progress(void *arg)
{
	(void)arg;
}

static void
no_pause(void *arg, int paused)
{
	(void)arg;
	(void)paused;
}

static void
on_close(void *arg, void *cookie)
{
	(void)cookie;
	((struct rig *)arg)->closed = 1;
}

static void
rig_start(struct rig *r, const char *path)
{
	struct pipeline_params params = {
	    .workers = 2, .format = FORMAT_JSON, .on_progress = no_progress};
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(1)};
	struct output *out = output_open(path, 0600);
	int sv[2];

	assert_non_null(out);
	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	r->pipeline = pipeline_new(r->base, out, &params);
	r->intake = intake_new(r->base, r->pipeline,
	    &(struct intake_params){.max_inflight = LC_DEFAULT_MAX_INFLIGHT,
		.max_frame_memory = LC_DEFAULT_FRAME_MEMORY,
		.pause = no_pause});
	r->env = (struct conn_env){.base = r->base, .intake = r->intake,
	    .max_record = MAX_RECORD, .on_close = on_close, .arg = r};
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conn_new(&r->env, sv[0], (struct sockaddr *)&peer, 0, NULL);
	r->peer_fd = sv[1];
}

/* Write one piece, letting the connection read (once per readiness) as
 * often as the socket buffer needs. */
static void
rig_send(struct rig *r, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(r->peer_fd, data, len);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
		}
		assert_int_equal(event_base_loop(r->base, EVLOOP_NONBLOCK), 0);
	}
}

/* Close the client's end, then wait (bounded) for every line. */
static void
rig_finish(struct rig *r)
{
	struct timespec ms = {0, 1000000};

	close(r->peer_fd);
	for (int i = 0; i < WAIT_LIMIT_MS && !r->closed; i++) {
		event_base_loop(r->base, EVLOOP_NONBLOCK);
		nanosleep(&ms, NULL);
	}
	assert_true(r->closed);
	intake_flush(r->intake);
	for (int i = 0; i < WAIT_LIMIT_MS && !pipeline_idle(r->pipeline); i++)
		nanosleep(&ms, NULL);
	assert_true(pipeline_idle(r->pipeline));
	intake_free(r->intake);
	output_close(pipeline_finish(r->pipeline));
	event_base_loop(r->base, EVLOOP_NONBLOCK); /* the connection's deferred free */
	event_base_free(r->base);
}

/* A JSON record of exactly `size` bytes (size >= 24) with its number. */
static void
append_frame(struct buf *stream, struct buf *expected, unsigned i, size_t size)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "{\"i\":%u,\"p\":\"", i);
	uint8_t hdr[4] = {(uint8_t)(size >> 24), (uint8_t)(size >> 16), (uint8_t)(size >> 8),
	    (uint8_t)size};
	size_t start = expected->len;

	assert_true((size_t)n + 2 <= size);
	buf_append(stream, hdr, 4);
	buf_append(expected, head, (size_t)n);
	while (expected->len - start < size - 2)
		buf_putc(expected, (char)('a' + (expected->len % 26)));
	buf_append(expected, "\"}", 2);
	buf_append(stream, expected->data + start, size);
	buf_putc(expected, '\n');
}

static void
test_frames_of_every_size_in_pieces_of_every_size(void **state)
{
	/* Around the carry limit, the read size and the batch size; pieces
	 * from one byte to more than a read. */
	static const size_t sizes[] = {24, 25, 100, 440, LC_READ_CARRY_MAX - 5,
	    LC_READ_CARRY_MAX + 1, LC_READ_CARRY_MAX + 3000, LC_READ_BUDGET - 4,
	    LC_READ_BUDGET + 1, LC_BATCH_BYTES + 10000, 3 * LC_READ_BUDGET, 30, 441};
	static const size_t pieces[] = {1, 2, 3, 4, 5, 7, 300, 4096, 17000, 70000,
	    LC_READ_BUDGET + 100};
	char path[128];
	struct buf stream, expected;
	struct rig r;
	char *got;
	size_t len, off = 0;
	unsigned i = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/conn.jsonl", tmpdir);
	buf_init(&stream);
	buf_init(&expected);
	for (unsigned round = 0; round < 3; round++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			append_frame(&stream, &expected, i++, sizes[(s + round * 5) % 13]);
	for (unsigned k = 0; k < 2000; k++) /* many small records: many per read */
		append_frame(&stream, &expected, i++, 24 + k % 500);
	rig_start(&r, path);
	for (unsigned k = 0; off < stream.len; k++) {
		size_t n = pieces[(k * 7) % (sizeof(pieces) / sizeof(pieces[0]))];

		n = n < stream.len - off ? n : stream.len - off;
		rig_send(&r, (const uint8_t *)stream.data + off, n);
		off += n;
	}
	rig_finish(&r);
	got = tmpdir_slurp(path, &len);
	assert_non_null(got);
	assert_int_equal(len, expected.len);
	assert_memory_equal(got, expected.data, len);
	free(got);
	buf_free(&stream);
	buf_free(&expected);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_of_every_size_in_pieces_of_every_size),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup_threaded, tmpdir_teardown);
}
