/*
 * Small helpers shared by the benchmark's load generator and sink.
 */
#ifndef BENCHUTIL_H
#define BENCHUTIL_H

#include <stddef.h>

/* Print "PROG: message" (plus strerror(errno) when with_errno) and exit 1. */
void bench_die(int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Raise the soft descriptor limit to the hard one, for 1,000+ connections. */
void bench_raise_nofile(void);

void bench_set_nonblock(int fd);

/* CLOCK_MONOTONIC in seconds: the same clock as Python's time.monotonic(). */
double bench_now(void);

/* Read a whole file into memory; dies on error. */
unsigned char *bench_read_file(const char *path, size_t *lenp);

#endif
