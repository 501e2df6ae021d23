/*
 * A connection reads straight into the open batch and frames records where
 * they lie, carrying the start of a frame from one read to the next, and
 * assembles frames too long to carry in its framer. Frames of every size
 * around those limits, sent in pieces of every size (each piece one read),
 * must all come out as lines, in order, with nothing else; and so must
 * those of several connections whose reads interleave in one open batch.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
#include "rig.h"
#include "tmpdir.h"

#define MAX_RECORD (1024u * 1024u)
#define MAX_CONNS 3

/* Connections over one intake, each with the client's end of its socket. */
struct conns {
	struct rig rig;
	struct conn_env env;
	size_t n;
	int closed;
	int peer_fd[MAX_CONNS]; /* the clients' ends */
	int conn_fd[MAX_CONNS]; /* the connections' ends, to see what they left unread */
};

static void
on_close(void *arg, void *cookie)
{
	(void)cookie;
	((struct conns *)arg)->closed++;
}

static void
conns_start(struct conns *c, const char *path, size_t n)
{
	struct sockaddr_in peer = {.sin_family = AF_INET};

	memset(c, 0, sizeof(*c));
	rig_open(&c->rig, path);
	rig_intake(&c->rig, NULL);
	c->env = (struct conn_env){.base = c->rig.base, .intake = c->rig.intake,
	    .max_record = MAX_RECORD, .on_close = on_close, .arg = c};
	c->n = n;
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i < n; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
		assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
		peer.sin_port = htons((uint16_t)(1000 + i));
		conn_new(&c->env, sv[0], (struct sockaddr *)&peer, 0, NULL);
		c->conn_fd[i] = sv[0];
		c->peer_fd[i] = sv[1];
	}
}

/* Write one piece from client i; the connections read (once per
 * readiness) only if the socket buffer is full. */
static void
conns_write(struct conns *c, size_t i, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(c->peer_fd[i], data, len);

		if (n < 0)
			assert_int_equal(errno, EAGAIN); /* not closed by the connection */
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		}
		if (len > 0)
			assert_int_equal(event_base_loop(c->rig.base, EVLOOP_NONBLOCK), 0);
	}
}

/* The same, and then let the connections read once: each piece one read. */
static void
conns_send(struct conns *c, size_t i, const uint8_t *data, size_t len)
{
	conns_write(c, i, data, len);
	assert_int_equal(event_base_loop(c->rig.base, EVLOOP_NONBLOCK), 0);
}

/* Every connection has read all that was sent to it. */
static int
conns_read_all(void *arg)
{
	struct conns *c = arg;

	for (size_t i = 0; i < c->n; i++) {
		int unread;

		assert_int_equal(ioctl(c->conn_fd[i], FIONREAD, &unread), 0);
		if (unread > 0)
			return 0;
	}
	return 1;
}

static int
conns_all_closed(void *arg)
{
	struct conns *c = arg;

	return (size_t)c->closed == c->n;
}

/* Close the clients' ends, then wait (bounded) for every line. */
static void
conns_finish(struct conns *c)
{
	for (size_t i = 0; i < c->n; i++)
		close(c->peer_fd[i]);
	assert_true(rig_wait(&c->rig, conns_all_closed, c, RIG_WAIT_LIMIT_MS));
	rig_close(&c->rig);
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
	struct conns c;
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
	conns_start(&c, path, 1);
	for (unsigned k = 0; off < stream.len; k++) {
		size_t n = pieces[(k * 7) % (sizeof(pieces) / sizeof(pieces[0]))];

		n = n < stream.len - off ? n : stream.len - off;
		conns_send(&c, 0, (const uint8_t *)stream.data + off, n);
		off += n;
	}
	conns_finish(&c);
	got = tmpdir_slurp(path, &len);
	assert_non_null(got);
	assert_int_equal(len, expected.len);
	assert_memory_equal(got, expected.data, len);
	free(got);
	buf_free(&stream);
	buf_free(&expected);
}

/*
 * Issue 13: several connections leave partial frames in the one open batch
 * at once. In each round every client sends one piece and then every
 * connection reads, into the same open batch, behind its own carry; each
 * piece ends `split` bytes into a frame (in its header, at its end, in its
 * payload, around LC_READ_CARRY_MAX into a frame assembled in the framer's
 * own buffer), a different split for each connection, every split for
 * every connection over the blocks of the stream. Every record of every
 * connection comes out whole and in that connection's order, and nothing
 * else.
 */
static const long splits[] = {0, 1, 2, 3, 4, 5, 9, LC_READ_CARRY_MAX - 1, LC_READ_CARRY_MAX,
    LC_READ_CARRY_MAX + 1, -1, -2, -3, -4, -5}; /* negative: from the frame's end */
#define NSPLITS (sizeof(splits) / sizeof(splits[0]))
/* Payload sizes of a block: a frame of LC_READ_CARRY_MAX - 4 is carried
 * (header and payload fill a carry), one byte more is assembled. */
static const size_t block[] = {24, 100, LC_READ_CARRY_MAX - 6, LC_READ_CARRY_MAX - 5,
    LC_READ_CARRY_MAX - 4, LC_READ_CARRY_MAX - 3, LC_READ_CARRY_MAX - 2, 40000, 70000, 30};
#define NBLOCK (sizeof(block) / sizeof(block[0]))
#define ROUNDS (NSPLITS * NBLOCK)

/* Where the frame of `whole` bytes starting at `start` is cut. */
static size_t
cut_at(size_t start, size_t whole, long split)
{
	long at = split >= 0 ? split : (long)whole + split;

	if (at < 0)
		at = 0;
	return start + ((size_t)at < whole ? (size_t)at : whole);
}

/* Each line is the next one expected of its connection; all of them came. */
static void
check_per_connection(const char *got, size_t len, struct buf *expected, size_t n)
{
	size_t next[MAX_CONNS] = {0}, lines = 0;
	const char *p = got, *end = got + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		unsigned id;
		size_t c, llen;

		assert_non_null(nl);
		llen = (size_t)(nl - p) + 1;
		assert_int_equal(sscanf(p, "{\"i\":%u", &id), 1);
		c = id / 1000000;
		assert_true(c < n);
		assert_true(next[c] + llen <= expected[c].len);
		assert_memory_equal(p, expected[c].data + next[c], llen);
		next[c] += llen;
		p = nl + 1;
		lines++;
	}
	for (size_t c = 0; c < n; c++)
		assert_int_equal(next[c], expected[c].len);
	assert_int_equal(lines, n * ROUNDS);
}

static void
test_connections_leave_partial_frames_in_one_batch(void **state)
{
	enum { N = MAX_CONNS };
	struct buf stream[N], expected[N];
	static size_t cuts[N][ROUNDS + 1];
	size_t sent[N] = {0};
	char path[128];
	struct conns c;
	char *got;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/conns.jsonl", tmpdir);
	for (size_t k = 0; k < N; k++) {
		unsigned i = (unsigned)k * 1000000;

		buf_init(&stream[k]);
		buf_init(&expected[k]);
		for (size_t j = 0; j < NSPLITS; j++) {
			/* Connection k cuts block j at its own split. */
			long split = splits[(j + 5 * k) % NSPLITS];

			for (size_t f = 0; f < NBLOCK; f++) {
				size_t start = stream[k].len;

				append_frame(&stream[k], &expected[k], i++, block[f]);
				cuts[k][j * NBLOCK + f] = cut_at(start, stream[k].len - start, split);
			}
		}
		cuts[k][ROUNDS] = stream[k].len;
	}
	conns_start(&c, path, N);
	for (size_t round = 0; round <= ROUNDS; round++) {
		for (size_t m = 0; m < N; m++) {
			size_t k = (round + m) % N; /* who reads first changes */

			conns_write(&c, k, (const uint8_t *)stream[k].data + sent[k],
			    cuts[k][round] - sent[k]);
			sent[k] = cuts[k][round];
		}
		assert_true(rig_wait(&c.rig, conns_read_all, &c, RIG_WAIT_LIMIT_MS));
	}
	conns_finish(&c);
	got = tmpdir_slurp(path, &len);
	assert_non_null(got);
	check_per_connection(got, len, expected, N);
	free(got);
	for (size_t k = 0; k < N; k++) {
		buf_free(&stream[k]);
		buf_free(&expected[k]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_of_every_size_in_pieces_of_every_size),
		cmocka_unit_test(test_connections_leave_partial_frames_in_one_batch),
	};

	signal(SIGPIPE, SIG_IGN); /* a connection closed early fails a write, not the run */
	return cmocka_run_group_tests(tests, tmpdir_setup_threaded, tmpdir_teardown);
}
