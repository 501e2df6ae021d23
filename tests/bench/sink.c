/*
 * The benchmark's ceiling: a trivial no-parse sink for logcatcher frames.
 *
 *   sink -p port -o output
 *
 * One thread, one epoll loop: accept, read frames (4-byte big-endian length +
 * payload), append each payload and '\n' to a 2 MiB buffer, write() it when it
 * is full and whenever the loop has drained the ready sockets, so the file
 * catches up as soon as the input stops. No decoding, no threads, no
 * bounds beyond the frame size: what the machine can do at best for the same
 * bytes. Prints "listening on PORT" once bound (port 0 picks one); SIGTERM or
 * SIGINT flushes and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define SINK_OUT_SIZE (2 << 20)
#define SINK_READ_SIZE (256 << 10)
#define SINK_MAX_FRAME (1 << 20)
#define SINK_READS_PER_EVENT 8
_Static_assert(SINK_MAX_FRAME < SINK_OUT_SIZE, "a frame always fits the output buffer");

struct sink_conn {
	int fd;
	unsigned char *buf;
	size_t len, cap;
};

static unsigned char sink_out[SINK_OUT_SIZE];
static size_t sink_out_len;
static int sink_out_fd;

static void
sink_flush(void)
{
	size_t off = 0;

	while (off < sink_out_len) {
		ssize_t n = write(sink_out_fd, sink_out + off, sink_out_len - off);

		if (n == -1 && errno != EINTR)
			bench_die(1, "write");
		if (n > 0)
			off += (size_t)n;
	}
	sink_out_len = 0;
}

static void
sink_emit(const unsigned char *payload, size_t len)
{
	if (sink_out_len + len + 1 > sizeof(sink_out))
		sink_flush();
	memcpy(sink_out + sink_out_len, payload, len);
	sink_out_len += len;
	sink_out[sink_out_len++] = '\n';
}

/* Read a few chunks and emit every complete frame; 0 at EOF. Reads go to one
 * shared buffer, after the bytes the connection had left over: only a partial
 * frame is kept per connection, so 1,000 connections cost no memory. Level-
 * triggered epoll brings us back, so one busy client cannot starve the others. */
static int
sink_read(struct sink_conn *c)
{
	static unsigned char rbuf[SINK_MAX_FRAME + 4 + SINK_READ_SIZE];

	for (int round = 0; round < SINK_READS_PER_EVENT; round++) {
		size_t off = 0, len = c->len;
		ssize_t n;

		if (c->len > 0) /* c->buf is NULL until a partial frame was kept */
			memcpy(rbuf, c->buf, c->len);
		n = read(c->fd, rbuf + len, SINK_READ_SIZE);
		if (n == 0)
			return 0;
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		len += (size_t)n;
		while (len - off >= 4) {
			const unsigned char *p = rbuf + off;
			uint32_t flen = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
					(uint32_t)p[2] << 8 | p[3];

			if (flen > SINK_MAX_FRAME)
				return 0;
			if (len - off - 4 < flen)
				break;
			sink_emit(p + 4, flen);
			off += 4 + flen;
		}
		c->len = len - off;
		if (c->len > c->cap) {
			c->cap = c->len;
			c->buf = realloc(c->buf, c->cap);
			if (c->buf == NULL)
				bench_die(1, "realloc");
		}
		memcpy(c->buf, rbuf + off, c->len);
	}
	return 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t salen = sizeof(sa);
	struct epoll_event ev = {.events = EPOLLIN};
	const char *output = NULL;
	int port = 0, opt, one = 1, lfd, sfd, ep;
	sigset_t sigs;

	while ((opt = getopt(argc, argv, "p:o:")) != -1) {
		if (opt == 'p')
			port = atoi(optarg);
		else if (opt == 'o')
			output = optarg;
		else
			port = -1;
	}
	if (output == NULL || port < 0 || optind != argc) {
		fprintf(stderr, "usage: sink -p port -o output\n");
		return 2;
	}
	bench_raise_nofile();
	sink_out_fd = open(output, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (sink_out_fd == -1)
		bench_die(1, "%s", output);

	/* Signals arrive as a readable fd in the same loop. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)port);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 4096) == -1 || getsockname(lfd, (struct sockaddr *)&sa, &salen) == -1)
		bench_die(1, "listen on port %d", port);
	ep = epoll_create1(0);
	ev.data.ptr = &lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	printf("listening on %d\n", ntohs(sa.sin_port));
	fflush(stdout);

	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);

		if (n == -1 && errno != EINTR)
			bench_die(1, "epoll_wait");
		for (int i = 0; i < n; i++) {
			void *what = evs[i].data.ptr;

			if (what == &sfd) {
				sink_flush();
				return 0;
			}
			if (what == &lfd) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
					struct sink_conn *c = calloc(1, sizeof(*c));

					if (c == NULL)
						bench_die(1, "calloc");
					c->fd = fd;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (!sink_read(what)) {
				struct sink_conn *c = what;

				close(c->fd);
				free(c->buf);
				free(c);
			}
		}
		sink_flush();
	}
}
