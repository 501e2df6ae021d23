#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

void
bench_die(int with_errno, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	exit(1);
}

void
bench_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void
bench_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		bench_die(1, "fcntl");
}

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned char *
bench_read_file(const char *path, size_t *lenp)
{
	struct stat st;
	unsigned char *data;
	size_t off = 0;
	int fd = open(path, O_RDONLY);

	if (fd == -1 || fstat(fd, &st) == -1)
		bench_die(1, "%s", path);
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL)
		bench_die(1, "malloc");
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, data + off, (size_t)st.st_size - off);

		if (n <= 0)
			bench_die(n < 0, "read %s", path);
		off += (size_t)n;
	}
	close(fd);
	*lenp = off;
	return data;
}
