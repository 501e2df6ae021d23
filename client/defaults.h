/*
 * Named defaults and limits of logcatcher-client. Every tunable literal lives
 * here; options.c takes its defaults and ranges from these.
 */
#ifndef LCC_DEFAULTS_H
#define LCC_DEFAULTS_H

/* 9020 is logging.handlers.DEFAULT_TCP_LOGGING_PORT, the daemon's default. */
#define LCC_DEFAULT_HOST "127.0.0.1"
#define LCC_DEFAULT_PORT "9020"

/* Sort mode. Above 12 items one permutation walk can take minutes. */
#define LCC_DEFAULT_WORKLOAD 10
#define LCC_DEFAULT_MIN_ITEMS 3
#define LCC_DEFAULT_MAX_ITEMS 10
#define LCC_MAX_ITEMS 12
#define LCC_MAX_WORKERS 4096

/* Flood mode. */
#define LCC_DEFAULT_RECORDS 100000
#define LCC_DEFAULT_CONNECTIONS 1
#define LCC_MAX_CONNECTIONS 100000
#define LCC_DEFAULT_SIZE 300
/* The daemon's default maximum record size. */
#define LCC_MAX_SIZE (1024u * 1024u)
/* Frames queued per flood connection before it waits for the socket. */
#define LCC_FLOOD_QUEUE 64

/* Sending: unsent records kept per connection while the daemon is away. */
#define LCC_DEFAULT_BUFFER 10000
/* Reconnect backoff, as logging.handlers.SocketHandler: 1 s doubling to 30 s. */
#define LCC_RETRY_START 1.0
#define LCC_RETRY_FACTOR 2.0
#define LCC_RETRY_CAP 30.0
/* Give up after this long without a connection (seconds). */
#define LCC_DEFAULT_RETRY_MAX 30.0
#define LCC_CONNECT_TIMEOUT 10.0

/* Progress line and worker reports (seconds). */
#define LCC_PROGRESS_INTERVAL 0.2
#define LCC_REPORT_INTERVAL 0.1

#endif
