#include "flood.h"

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "defaults.h"
#include "mono.h"
#include "record.h"
#include "sender.h"

#define FLOOD_PATHNAME "/opt/logcatcher-demo/flood.py"
/* File descriptors kept for everything but the connections. */
#define FLOOD_FD_RESERVE 16

struct flood_conn {
	struct sender *sender;
	uint64_t remaining; /* records still to generate for it */
};

struct flood {
	const struct options *o;
	struct record_source src;
	struct flood_conn *conns;
	struct pollfd *pfds;
	struct bytebuf payload;
	char *filler; /* message padding that brings records to o->size */
	char *msg;    /* room for one message: prefix + filler */
	size_t msg_size;
	uint64_t generated;
	double start;
};

/* 1000 connections need more descriptors than the usual soft limit. */
static void
flood_raise_nofile(unsigned connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)connections + FLOOD_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < want)
		warnx("only %llu file descriptors for %u connections",
		      (unsigned long long)rl.rlim_cur, connections);
}

static void
flood_make(struct flood *f, uint64_t seq, unsigned conn)
{
	struct record_event ev = {RECORD_INFO, 12, "flood", f->msg};

	snprintf(f->msg, f->msg_size, "flood record %llu on connection %u %s",
		 (unsigned long long)seq, conn, f->filler);
	record_encode(&f->src, &ev, f->o->format, &f->payload);
}

static void
flood_alloc_msg(struct flood *f)
{
	f->msg_size = strlen(f->filler) + 96;
	free(f->msg);
	if ((f->msg = malloc(f->msg_size)) == NULL)
		err(1, "flood message");
}

/* Padding so that a record comes out at about o->size bytes. */
static void
flood_size_filler(struct flood *f)
{
	static const char lorem[] = "lorem ipsum dolor sit amet consectetur adipiscing elit ";
	size_t base, want;

	f->filler = "";
	flood_alloc_msg(f);
	flood_make(f, 0, 0);
	base = f->payload.len;
	want = f->o->size > base ? f->o->size - base : 0;
	if ((f->filler = malloc(want + 1)) == NULL)
		err(1, "flood filler");
	for (size_t i = 0; i < want; i++)
		f->filler[i] = lorem[i % (sizeof(lorem) - 1)];
	f->filler[want] = '\0';
	flood_alloc_msg(f);
}

/* How many records may exist by now under --rate. */
static uint64_t
flood_allowed(const struct flood *f)
{
	double n;

	if (f->o->rate <= 0)
		return f->o->records;
	n = f->o->rate * (mono_now() - f->start) + 1;
	return n >= (double)f->o->records ? f->o->records : (uint64_t)n;
}

/* Top up one connection's queue; returns whether anything was queued. */
static int
flood_fill(struct flood *f, unsigned i, uint64_t allowed)
{
	struct flood_conn *c = &f->conns[i];
	int queued = 0;

	while (c->remaining > 0 && f->generated < allowed &&
	       (sender_queued(c->sender) < LCC_FLOOD_QUEUE || sender_gave_up(c->sender))) {
		flood_make(f, f->generated, i);
		sender_queue(c->sender, f->payload.data, f->payload.len);
		c->remaining--;
		f->generated++;
		queued = 1;
	}
	return queued;
}

static int
flood_finished(const struct flood *f)
{
	for (unsigned i = 0; i < f->o->connections; i++) {
		const struct flood_conn *c = &f->conns[i];

		if (c->remaining > 0 ||
		    (sender_queued(c->sender) > 0 && !sender_gave_up(c->sender)))
			return 0;
	}
	return 1;
}

static int
flood_min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* One round: fill and pump every connection, then wait for the sockets. */
static void
flood_round(struct flood *f, struct progress *p)
{
	uint64_t allowed = flood_allowed(f);
	int timeout = -1;

	for (unsigned i = 0; i < f->o->connections; i++) {
		struct flood_conn *c = &f->conns[i];

		/* Pump what became ready, got new records or waits on a timer. */
		if (flood_fill(f, i, allowed) || f->pfds[i].revents || f->pfds[i].fd == -1)
			sender_pump(c->sender);
		timeout = flood_min_timeout(timeout, sender_poll(c->sender, &f->pfds[i]));
		/* The pump made room: top it up in the next round at once. */
		if (c->remaining > 0 && f->generated < allowed &&
		    sender_queued(c->sender) < LCC_FLOOD_QUEUE)
			timeout = 0;
	}
	if (f->o->rate > 0 && f->generated < f->o->records)
		timeout = flood_min_timeout(
		    timeout, mono_ms_until(f->start + (double)f->generated / f->o->rate));
	if (p->live)
		timeout = flood_min_timeout(timeout, (int)(LCC_PROGRESS_INTERVAL * 1000));
	if (!flood_finished(f))
		poll(f->pfds, f->o->connections, timeout);
}

static void
flood_totals(const struct flood *f, struct progress *p)
{
	memset(&p->st, 0, sizeof(p->st));
	for (unsigned i = 0; i < f->o->connections; i++)
		progress_add(&p->st, sender_stats(f->conns[i].sender));
}

int
flood_run(const struct options *o, const struct netaddr *na, struct progress *p,
	  const volatile sig_atomic_t *stop)
{
	struct flood f = {.o = o};
	struct sender_opts so = {na, o->buffer, o->retry_max, o->quiet ? NULL : "flood"};

	flood_raise_nofile(o->connections);
	record_source_init(&f.src, "Flood", FLOOD_PATHNAME);
	f.src.start = mono_wall();
	flood_size_filler(&f);
	f.conns = calloc(o->connections, sizeof(*f.conns));
	f.pfds = calloc(o->connections, sizeof(*f.pfds));
	if (f.conns == NULL || f.pfds == NULL)
		err(1, "flood: %u connections", o->connections);
	for (unsigned i = 0; i < o->connections; i++) {
		f.conns[i].sender = sender_new(&so);
		f.conns[i].remaining =
		    o->records / o->connections + (i < o->records % o->connections);
		f.pfds[i].fd = -1;
		/* One connection reports state changes; the rest would repeat it. */
		so.label = NULL;
	}
	p->connections = o->connections;
	f.start = mono_now();
	while (!flood_finished(&f)) {
		if (*stop)
			for (unsigned i = 0; i < o->connections; i++)
				f.conns[i].remaining = 0;
		flood_round(&f, p);
		flood_totals(&f, p);
		progress_tick(p, 0);
	}
	for (unsigned i = 0; i < o->connections; i++)
		sender_free(f.conns[i].sender);
	free(f.conns);
	free(f.pfds);
	free(f.filler);
	free(f.msg);
	bytebuf_free(&f.payload);
	return 0;
}
