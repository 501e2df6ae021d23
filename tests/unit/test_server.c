/*
 * The server without the rest of the daemon (issue 13): it listens on
 * loopback from a config, accepts clients into connections that read into
 * the intake, refuses the one beyond max_connections and peers outside the
 * allow list, pauses and resumes every connection (those accepted while
 * paused too), and on the stop closes its listeners and says once, when the
 * last connection has gone, that it is drained (at once if there is none).
 * A real event base, bounded waits, loopback only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include <netinet/in.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/limits.h"
#include "net/conn.h"
#include "net/server.h"
#include "ops/config.h"
#include "rig.h"
#include "tmpdir.h"

/* How long a wait for something that must not happen goes on. */
#define QUIET_LOOPS 20

struct srv {
	struct rig rig;
	struct config cfg;
	struct server_params params;
	struct server *server;
	uint16_t port;
	char path[128];
};

/* The port of the one listening TCP socket this process has. */
static uint16_t
listening_port(void)
{
	uint16_t port = 0;

	for (int fd = 0; fd < 1024; fd++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(int), slen = sizeof(sin);
		int on = 0;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on &&
		    getsockname(fd, (struct sockaddr *)&sin, &slen) == 0 &&
		    sin.sin_family == AF_INET) {
			assert_int_equal(port, 0);
			port = ntohs(sin.sin_port);
		}
	}
	return port;
}

/* A server listening on 127.0.0.1:0 with options {name, value, ..., NULL}. */
static void
srv_start(struct srv *s, const char *name, const char *const *options)
{
	char *cause = NULL;

	snprintf(s->path, sizeof(s->path), "%s/%s.jsonl", tmpdir, name);
	config_init(&s->cfg);
	assert_int_equal(config_set(&s->cfg, "listen", "127.0.0.1:0", &cause), 0);
	for (size_t i = 0; options != NULL && options[i] != NULL; i += 2)
		if (config_set(&s->cfg, options[i], options[i + 1], &cause) != 0)
			fail_msg("%s = %s: %s", options[i], options[i + 1], cause);
	rig_open(&s->rig, s->path);
	s->params = (struct server_params){.listen = s->cfg.listen,
	    .nlisten = s->cfg.nlisten,
	    .allow = s->cfg.allow,
	    .nallow = s->cfg.nallow,
	    .max_connections = s->cfg.max_connections,
	    .max_record = (uint32_t)s->cfg.max_record_size,
	    .idle_timeout = s->cfg.idle_timeout,
	    .frame_timeout = s->cfg.frame_timeout};
	s->server = server_new(s->rig.base, &s->params);
	rig_intake(&s->rig, &(struct intake_params){.max_inflight = s->cfg.max_inflight,
	    .max_frame_memory = s->cfg.max_frame_memory, .pause = server_pause,
	    .arg = s->server});
	assert_int_equal(server_listen(s->server, s->rig.intake), 0);
	s->port = listening_port();
	assert_int_not_equal(s->port, 0);
}

static void
srv_stop(struct srv *s)
{
	server_free(s->server);
	rig_close(&s->rig);
	config_free(&s->cfg);
}

/* A client's socket connected to the server (non-blocking), or -1 with
 * errno if connect failed. */
static int
client_connect(const struct srv *s)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(s->port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static void
client_send_record(int fd, const char *json)
{
	uint32_t len = (uint32_t)strlen(json);
	uint8_t frame[256];

	assert_true(len + 4 <= sizeof(frame));
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	memcpy(frame + 4, json, len);
	assert_int_equal(write(fd, frame, len + 4), (ssize_t)len + 4);
}

struct clients_is {
	struct srv *s;
	size_t n;
};

static int
clients_are(void *arg)
{
	struct clients_is *c = arg;

	return server_clients(c->s->server) == c->n;
}

static void
wait_clients(struct srv *s, size_t n)
{
	struct clients_is c = {s, n};

	if (!rig_wait(&s->rig, clients_are, &c, RIG_WAIT_LIMIT_MS))
		fail_msg("%zu clients, expected %zu", server_clients(s->server), n);
}

struct peer_wait {
	struct srv *s;
	int fd;
};

/* The server closed the client's connection (EOF or reset). */
static int
closed_by_server(void *arg)
{
	struct peer_wait *w = arg;
	struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
	char c;

	if (poll(&pfd, 1, 0) != 1)
		return 0;
	return read(w->fd, &c, 1) == 0 || errno == ECONNRESET;
}

static void
wait_refused(struct srv *s, int fd)
{
	struct peer_wait w = {s, fd};

	assert_true(rig_wait(&s->rig, closed_by_server, &w, RIG_WAIT_LIMIT_MS));
}

/* Run the loop a while: what is ready would be handled. */
static void
run_quietly(struct srv *s)
{
	for (int i = 0; i < QUIET_LOOPS; i++)
		assert_int_not_equal(event_base_loop(s->rig.base, EVLOOP_NONBLOCK), -1);
}

static void
sum_bytes(void *arg, const struct conn_info *info)
{
	*(uint64_t *)arg += info->bytes;
}

static uint64_t
bytes_read(const struct srv *s)
{
	uint64_t sum = 0;

	server_foreach_client(s->server, sum_bytes, &sum);
	return sum;
}

static void
check_lines(const struct srv *s, const char *expected)
{
	char *got = tmpdir_slurp(s->path, NULL);

	assert_non_null(got);
	assert_string_equal(got, expected);
	free(got);
}

static void
test_accepts_and_reads(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, "accept", NULL);
	assert_int_equal(server_clients(s.server), 0);
	fd = client_connect(&s);
	assert_true(fd >= 0);
	wait_clients(&s, 1);
	client_send_record(fd, "{\"n\":1}");
	close(fd);
	wait_clients(&s, 0); /* read to its EOF and closed */
	srv_stop(&s);
	check_lines(&s, "{\"n\":1}\n");
}

static void
test_max_connections_refuses_the_next(void **state)
{
	static const char *const options[] = {"max_connections", "2", NULL};
	struct srv s;
	int a, b, c, d;

	(void)state;
	srv_start(&s, "max", options);
	a = client_connect(&s);
	wait_clients(&s, 1);
	b = client_connect(&s);
	wait_clients(&s, 2);
	c = client_connect(&s); /* the kernel accepts; the server closes it */
	assert_true(a >= 0 && b >= 0 && c >= 0);
	wait_refused(&s, c);
	assert_int_equal(server_clients(s.server), 2);
	/* A place freed is taken again. */
	close(a);
	wait_clients(&s, 1);
	d = client_connect(&s);
	assert_true(d >= 0);
	wait_clients(&s, 2);
	client_send_record(d, "{\"d\":1}");
	close(b);
	close(c);
	close(d);
	wait_clients(&s, 0);
	srv_stop(&s);
	check_lines(&s, "{\"d\":1}\n");
}

static void
test_allow_list(void **state)
{
	static const char *const elsewhere[] = {"allow", "10.0.0.0/8,::1/128", NULL};
	static const char *const loopback[] = {"allow", "10.0.0.0/8,127.0.0.1", NULL};
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, "deny", elsewhere);
	fd = client_connect(&s);
	assert_true(fd >= 0);
	client_send_record(fd, "{\"denied\":1}");
	wait_refused(&s, fd);
	assert_int_equal(server_clients(s.server), 0);
	close(fd);
	srv_stop(&s);
	check_lines(&s, ""); /* nothing was read from it */

	srv_start(&s, "allow", loopback);
	fd = client_connect(&s);
	assert_true(fd >= 0);
	wait_clients(&s, 1);
	client_send_record(fd, "{\"allowed\":1}");
	close(fd);
	wait_clients(&s, 0);
	srv_stop(&s);
	check_lines(&s, "{\"allowed\":1}\n");
}

/* The connection's end of a client socket, found by its peer address. */
static int
server_end(int client)
{
	struct sockaddr_in mine, peer;
	socklen_t len = sizeof(mine);

	assert_int_equal(getsockname(client, (struct sockaddr *)&mine, &len), 0);
	for (int fd = 0; fd < 1024; fd++) {
		len = sizeof(peer);
		if (fd != client && getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
		    peer.sin_family == AF_INET && peer.sin_port == mine.sin_port)
			return fd;
	}
	fail_msg("no server socket for the client");
	return -1;
}

struct arrival {
	struct srv *s;
	int fd[2];
	int unread;
};

/* What was sent has reached the connections' sockets, or was read. */
static int
arrived(void *arg)
{
	struct arrival *a = arg;
	int total = 0;

	for (int i = 0; i < 2; i++) {
		int n;

		assert_int_equal(ioctl(a->fd[i], FIONREAD, &n), 0);
		total += n;
	}
	return total == a->unread || bytes_read(a->s) > 0;
}

static int
all_read(void *arg)
{
	struct arrival *a = arg;

	return bytes_read(a->s) == (uint64_t)a->unread;
}

static void
test_pause_reaches_connections(void **state)
{
	struct srv s;
	struct arrival a = {&s, {-1, -1}, 0};
	int c1, c2;
	char *got;

	(void)state;
	srv_start(&s, "pause", NULL);
	c1 = client_connect(&s);
	assert_true(c1 >= 0);
	wait_clients(&s, 1);
	a.fd[0] = server_end(c1);
	server_pause(s.server, 1);
	/* Accepted while paused: paused too. */
	c2 = client_connect(&s);
	assert_true(c2 >= 0);
	wait_clients(&s, 2);
	a.fd[1] = server_end(c2);
	client_send_record(c1, "{\"c\":1}");
	client_send_record(c2, "{\"c\":2}");
	a.unread = 2 * (4 + 7);
	assert_true(rig_wait(&s.rig, arrived, &a, RIG_WAIT_LIMIT_MS));
	run_quietly(&s);
	assert_int_equal(bytes_read(&s), 0);
	assert_true(arrived(&a));

	server_pause(s.server, 0);
	assert_true(rig_wait(&s.rig, all_read, &a, RIG_WAIT_LIMIT_MS));
	close(c1);
	close(c2);
	wait_clients(&s, 0);
	srv_stop(&s);
	got = tmpdir_slurp(s.path, NULL);
	assert_non_null(got);
	/* In one batch, in the order the loop happened to read them. */
	if (strcmp(got, "{\"c\":2}\n{\"c\":1}\n") != 0)
		assert_string_equal(got, "{\"c\":1}\n{\"c\":2}\n");
	free(got);
}

static void
on_drained(void *arg)
{
	(*(int *)arg)++;
}

struct count_is {
	int *count;
	int n;
};

static int
count_is(void *arg)
{
	struct count_is *c = arg;

	return *c->count == c->n;
}

static void
test_stop_inputs_drained_once(void **state)
{
	struct srv s;
	int drained = 0, quiet, leaving;

	(void)state;
	/* No connection: drained at once, and the listener is closed. */
	srv_start(&s, "stop-none", NULL);
	server_stop_inputs(s.server, on_drained, &drained);
	assert_int_equal(drained, 1);
	assert_int_equal(client_connect(&s), -1);
	assert_int_equal(errno, ECONNREFUSED);
	run_quietly(&s);
	assert_int_equal(drained, 1);
	srv_stop(&s);

	/* Two: read on in the grace; drained once the last has gone. */
	drained = 0;
	srv_start(&s, "stop-two", NULL);
	quiet = client_connect(&s);
	leaving = client_connect(&s);
	assert_true(quiet >= 0 && leaving >= 0);
	wait_clients(&s, 2);
	server_stop_inputs(s.server, on_drained, &drained);
	assert_int_equal(drained, 0);
	assert_int_equal(client_connect(&s), -1);
	assert_int_equal(errno, ECONNREFUSED);
	client_send_record(leaving, "{\"in\":\"grace\"}");
	close(leaving);
	wait_clients(&s, 1);
	assert_int_equal(drained, 0);
	/* The quiet one closes after LC_STOP_QUIET_MS without a byte. */
	assert_true(rig_wait(&s.rig, count_is, &(struct count_is){&drained, 1},
	    RIG_WAIT_LIMIT_MS));
	assert_int_equal(server_clients(s.server), 0);
	run_quietly(&s);
	assert_int_equal(drained, 1);
	close(quiet);
	srv_stop(&s);
	check_lines(&s, "{\"in\":\"grace\"}\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_and_reads),
		cmocka_unit_test(test_max_connections_refuses_the_next),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_pause_reaches_connections),
		cmocka_unit_test(test_stop_inputs_drained_once),
	};

	signal(SIGPIPE, SIG_IGN); /* a client closed by the server fails a write, not the run */
	return cmocka_run_group_tests(tests, tmpdir_setup_threaded, tmpdir_teardown);
}
