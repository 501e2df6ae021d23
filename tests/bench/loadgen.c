/*
 * The benchmark's load generator: the same one for every target.
 *
 *   loadgen [-H host] -p port -c connections -n records_per_connection
 *           [-f lc|octet] [-m max_connecting] PAYLOADS
 *
 * PAYLOADS holds the distinct payloads, each as a logcatcher frame (4-byte
 * big-endian length + payload); they are cycled. The frames are built once,
 * before the first connect, in the chosen framing: "lc" (logcatcher: length +
 * payload) or "octet" (RFC 6587 octet counting: "LEN SP MSG", for syslog
 * daemons). Then every connection sends its share over non-blocking sockets
 * driven by one epoll loop. At most max_connecting connects are in flight at
 * once, so a target's small listen backlog never turns into SYN retries.
 *
 * Prints one JSON line: first_connect and last_sent (CLOCK_MONOTONIC seconds,
 * comparable with Python's time.monotonic()), records and bytes sent. Then it
 * keeps every connection open until its standard input reaches EOF, as a
 * long-lived SocketHandler does: some targets (rsyslog's imptcp) lose what a
 * peer sent just before closing, which no real logging client does.
 * Any connection error is fatal: a benchmark that lost records is void.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

/* Frames per pre-built block: enough distinct bytes that no cache trick
 * helps the target, small enough to stay in the loadgen's cache. */
#define LOADGEN_BLOCK_FRAMES 4096
#define LOADGEN_MAX_CONNECTING 64

enum loadgen_state { LG_CONNECTING, LG_SENDING, LG_DONE };

struct loadgen_conn {
	int fd;
	enum loadgen_state state;
	unsigned long remaining; /* records not yet sent completely */
	size_t pos, pass_end;	 /* byte range of the current pass in the block */
	unsigned long pass_frames;
};

struct loadgen_block {
	unsigned char *data;
	size_t *offs; /* offs[i]: start of frame i; offs[nframes]: the end */
	unsigned long nframes;
};

static void
loadgen_build_block(struct loadgen_block *b, const unsigned char *in, size_t inlen, int octet,
    unsigned long nframes)
{
	size_t npay = 0, cap = 0, *poff = NULL, *plen = NULL, off = 0, total = 0;

	/* Index the distinct payloads. */
	while (off + 4 <= inlen) {
		uint32_t len = (uint32_t)in[off] << 24 | (uint32_t)in[off + 1] << 16 |
			       (uint32_t)in[off + 2] << 8 | in[off + 3];

		if (len == 0 || off + 4 + len > inlen)
			bench_die(0, "payload file: bad frame at byte %zu", off);
		if (npay == cap) {
			cap = cap ? cap * 2 : 64;
			poff = realloc(poff, cap * sizeof(*poff));
			plen = realloc(plen, cap * sizeof(*plen));
			if (poff == NULL || plen == NULL)
				bench_die(1, "realloc");
		}
		poff[npay] = off;
		plen[npay++] = len;
		off += 4 + len;
	}
	if (npay == 0 || off != inlen)
		bench_die(0, "payload file: no payloads or trailing bytes");

	for (unsigned long i = 0; i < nframes; i++)
		total += plen[i % npay] + 16;
	b->data = malloc(total);
	b->offs = malloc((nframes + 1) * sizeof(*b->offs));
	if (b->data == NULL || b->offs == NULL)
		bench_die(1, "malloc");
	b->nframes = nframes;
	off = 0;
	for (unsigned long i = 0; i < nframes; i++) {
		size_t p = i % npay;

		b->offs[i] = off;
		if (octet) {
			off += (size_t)sprintf((char *)b->data + off, "%zu ", plen[p]);
		} else {
			memcpy(b->data + off, in + poff[p], 4);
			off += 4;
		}
		memcpy(b->data + off, in + poff[p] + 4, plen[p]);
		off += plen[p];
	}
	b->offs[nframes] = off;
	free(poff);
	free(plen);
}

static void
loadgen_next_pass(struct loadgen_conn *c, const struct loadgen_block *b)
{
	c->pass_frames = c->remaining < b->nframes ? c->remaining : b->nframes;
	c->pos = 0;
	c->pass_end = b->offs[c->pass_frames];
}

static void
loadgen_connect(struct loadgen_conn *c, const struct sockaddr_in *sa, int ep)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};

	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd == -1)
		bench_die(1, "socket");
	bench_set_nonblock(c->fd);
	if (connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1 &&
	    errno != EINPROGRESS)
		bench_die(1, "connect");
	c->state = LG_CONNECTING;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		bench_die(1, "epoll_ctl");
}

/* Send until the socket is full or this connection is done; 1 when done. */
static int
loadgen_send(struct loadgen_conn *c, const struct loadgen_block *b, unsigned long long *bytes)
{
	for (;;) {
		ssize_t n = send(c->fd, b->data + c->pos, c->pass_end - c->pos, MSG_NOSIGNAL);

		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			bench_die(1, "send");
		}
		c->pos += (size_t)n;
		*bytes += (unsigned long long)n;
		if (c->pos < c->pass_end)
			continue;
		c->remaining -= c->pass_frames;
		if (c->remaining == 0)
			return 1;
		loadgen_next_pass(c, b);
	}
}

static void
loadgen_usage(void)
{
	fprintf(stderr, "usage: loadgen [-H host] -p port -c connections -n records_per_connection\n"
			"               [-f lc|octet] [-m max_connecting] PAYLOADS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	unsigned long nconn = 1, per_conn = 0, max_connecting = LOADGEN_MAX_CONNECTING;
	unsigned long started = 0, connecting = 0, done = 0;
	unsigned long long bytes = 0;
	int port = 0, octet = 0, opt, ep;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct loadgen_block block;
	struct loadgen_conn *conns;
	unsigned char *in;
	size_t inlen;
	double first_connect, last_sent;

	while ((opt = getopt(argc, argv, "H:p:c:n:f:m:")) != -1) {
		switch (opt) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'c':
			nconn = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			per_conn = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			max_connecting = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			if (strcmp(optarg, "octet") == 0)
				octet = 1;
			else if (strcmp(optarg, "lc") != 0)
				loadgen_usage();
			break;
		default:
			loadgen_usage();
		}
	}
	if (optind != argc - 1 || port <= 0 || nconn == 0 || per_conn == 0 || max_connecting == 0)
		loadgen_usage();
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		bench_die(0, "bad IPv4 address %s", host);

	bench_raise_nofile();
	in = bench_read_file(argv[optind], &inlen);
	loadgen_build_block(&block, in, inlen, octet,
	    per_conn < LOADGEN_BLOCK_FRAMES ? per_conn : LOADGEN_BLOCK_FRAMES);
	free(in);
	conns = calloc(nconn, sizeof(*conns));
	if (conns == NULL)
		bench_die(1, "calloc");
	if ((ep = epoll_create1(0)) == -1)
		bench_die(1, "epoll_create1");

	first_connect = bench_now();
	while (done < nconn) {
		struct epoll_event evs[256];
		int n;

		for (; started < nconn && connecting < max_connecting; started++, connecting++) {
			conns[started].remaining = per_conn;
			loadgen_connect(&conns[started], &sa, ep);
		}
		n = epoll_wait(ep, evs, 256, -1);
		if (n == -1 && errno != EINTR)
			bench_die(1, "epoll_wait");
		for (int i = 0; i < n; i++) {
			struct loadgen_conn *c = evs[i].data.ptr;

			if (c->state == LG_CONNECTING) {
				int err = 0;
				socklen_t len = sizeof(err);

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err != 0) {
					errno = err;
					bench_die(1, "connect to %s:%d", host, port);
				}
				connecting--;
				c->state = LG_SENDING;
				loadgen_next_pass(c, &block);
			} else if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				bench_die(0, "connection closed by the target");
			}
			if (loadgen_send(c, &block, &bytes)) {
				if (epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL) == -1)
					bench_die(1, "epoll_ctl");
				c->state = LG_DONE;
				done++;
			}
		}
	}
	last_sent = bench_now();
	printf("{\"first_connect\": %.6f, \"last_sent\": %.6f, \"records\": %llu, \"bytes\": %llu}\n",
	    first_connect, last_sent, (unsigned long long)nconn * per_conn, bytes);
	fflush(stdout);
	while (read(STDIN_FILENO, &opt, 1) > 0)
		;
	for (unsigned long i = 0; i < nconn; i++)
		close(conns[i].fd);
	free(conns);
	free(block.data);
	free(block.offs);
	return 0;
}
