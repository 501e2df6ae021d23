/*
 * One TCP client. Reads at most LC_READ_BUDGET bytes per callback (so one
 * flooding client cannot starve the others) straight into the intake's open
 * batch and frames the records there; a frame longer than a carry is read
 * into its own buffer, reserved from the intake's frame memory (waiting
 * unread until it fits). Closes itself on EOF, errors, a header that cannot
 * be a frame, idle_timeout, or frame_timeout in the middle of a frame, with
 * one log line saying why and how many records it delivered.
 */
#ifndef LC_CONN_H
#define LC_CONN_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct conn;
struct event_base;
struct intake;

struct conn_env {
	struct event_base *base;
	struct intake *intake;
	uint32_t max_record;
	unsigned idle_timeout;  /* seconds without data before closing; 0 = never */
	unsigned frame_timeout; /* the same in the middle of a frame */
	/* Told once, when the connection closes (before it is freed), with the
	 * cookie given to conn_new. */
	void (*on_close)(void *arg, void *cookie);
	void *arg;
};

/* Takes ownership of fd (non-blocking). Reading starts unless paused. */
struct conn *conn_new(const struct conn_env *env, int fd, const struct sockaddr *peer,
    int paused, void *cookie);

void conn_pause(struct conn *c);
void conn_resume(struct conn *c);

/* The stop's grace: read on, and close once nothing arrived for
 * LC_STOP_QUIET_MS (or at the peer's EOF). */
void conn_stop(struct conn *c);

/* The stop's end: read what the kernel already holds, frame it, drop (and
 * count) an incomplete trailing frame, and close. */
void conn_drain_and_close(struct conn *c);

/* What a client has done, for the metrics endpoint's /clients. */
struct conn_info {
	const char *peer;
	time_t since;       /* connected, wall clock */
	time_t last_record; /* 0 if none yet */
	uint64_t records;
	uint64_t bytes;
};
void conn_info(const struct conn *c, struct conn_info *info);

#endif
