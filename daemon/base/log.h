/*
 * The daemon's own logging, OpenBSD style: log_warn adds strerror(errno),
 * log_warnx does not; fatal/fatalx exit. Lines go to stderr, with a <N>
 * priority prefix when stderr is the journal. Thread-safe; errno preserved.
 */
#ifndef LC_LOG_H
#define LC_LOG_H

#include <stddef.h>

#include "base/limits.h"

enum log_level { LOG_LEVEL_ERR = 3, LOG_LEVEL_WARN = 4, LOG_LEVEL_INFO = 6, LOG_LEVEL_DEBUG = 7 };

void log_init(enum log_level level);
void log_set_level(enum log_level level);
int log_parse_level(const char *name, enum log_level *level);
const char *log_level_name(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Rate-limited warning for bad input from peers: at most LC_LOG_RATE_PER_SEC
 * lines a second; the number suppressed is reported with the next line. */
void log_ratelimited(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same limit, for a line that costs something to build (a sample of
 * the peer's bytes): 1 if it may be printed now (with log_warnx), after
 * reporting what was suppressed; 0 if not, counted as suppressed. */
int log_ratelimit_allow(void);

/* Escape up to LC_LOG_SAMPLE bytes of untrusted data into dst (C-style
 * escapes, "..." appended when cut). Always NUL-terminates. */
void log_sample(char *dst, size_t dstsz, const void *data, size_t len);
#define LOG_SAMPLE_BUFSZ (4 * LC_LOG_SAMPLE + 8)


#endif
