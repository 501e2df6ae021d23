/*
 * Logging to stderr. Under systemd (JOURNAL_STREAM names our stderr) each line
 * gets a <N> prefix so journald keeps its priority; elsewhere a timestamp and
 * the level name. One mutex keeps lines from different threads whole.
 */
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/limits.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static int log_to_journal;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char *name;
	enum log_level level;
} log_levels[] = {
	{"error", LOG_LEVEL_ERR},
	{"warning", LOG_LEVEL_WARN},
	{"info", LOG_LEVEL_INFO},
	{"debug", LOG_LEVEL_DEBUG},
};

/* JOURNAL_STREAM is "dev:ino" of the journal's socket; it is ours only if
 * stderr is still that socket (a child may inherit the variable). */
static int
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(enum log_level level)
{
	log_level = level;
	log_to_journal = stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_parse_level(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcmp(name, log_levels[i].name) == 0) {
			*level = log_levels[i].level;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "unknown";
}

static void log_vemit(enum log_level level, const char *errstr, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_vemit(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char msg[2048];
	int saved_errno = errno;

	if (level > log_level) {
		errno = saved_errno;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);

	pthread_mutex_lock(&log_mutex);
	if (log_to_journal) {
		fprintf(stderr, "<%d>%s%s%s\n", (int)level, msg, errstr ? ": " : "",
		    errstr ? errstr : "");
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld logcatcherd[%s]: %s%s%s\n", when, ts.tv_nsec / 1000000,
		    log_level_name(level), msg, errstr ? ": " : "", errstr ? errstr : "");
	}
	fflush(stderr);
	pthread_mutex_unlock(&log_mutex);
	errno = saved_errno;
}

#define LOG_FUNC(fn, level, with_errno)                                                    \
	void fn(const char *fmt, ...)                                                      \
	{                                                                                  \
		va_list ap;                                                                \
		int e = errno;                                                             \
		va_start(ap, fmt);                                                         \
		log_vemit(level, with_errno ? strerror(e) : NULL, fmt, ap);                \
		va_end(ap);                                                                \
		errno = e;                                                                 \
	}

LOG_FUNC(log_warn, LOG_LEVEL_WARN, 1)
LOG_FUNC(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FUNC(log_info, LOG_LEVEL_INFO, 0)
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERR, strerror(e), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_ratelimit_allow(void)
{
	static _Atomic long window;
	static _Atomic unsigned in_window, suppressed;
	long now = (long)time(NULL);
	long seen = atomic_load(&window);

	if (seen != now && atomic_compare_exchange_strong(&window, &seen, now))
		atomic_store(&in_window, 0);
	if (atomic_fetch_add(&in_window, 1) >= LC_LOG_RATE_PER_SEC) {
		atomic_fetch_add(&suppressed, 1);
		return 0;
	}
	unsigned dropped = atomic_exchange(&suppressed, 0);
	if (dropped > 0)
		log_warnx("(%u similar messages suppressed)", dropped);
	return 1;
}

void
log_ratelimited(const char *fmt, ...)
{
	va_list ap;

	if (!log_ratelimit_allow())
		return;
	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_WARN, NULL, fmt, ap);
	va_end(ap);
}

void
log_sample(char *dst, size_t dstsz, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t n = len < LC_LOG_SAMPLE ? len : LC_LOG_SAMPLE;
	size_t o = 0;

	if (dstsz == 0)
		return;
	for (size_t i = 0; i < n && o + 5 < dstsz; i++) {
		unsigned char c = p[i];

		if (c == '\\' || c == '"') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (n < len && o + 4 <= dstsz) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}
