#include "sink/forward_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base/limits.h"
#include "base/xmalloc.h"

#define FORWARD_FILE_TRAILER "{\"lines_collected\": "

struct forward_file *
forward_file_new(int fd, uint64_t fileno, uint64_t end)
{
	struct forward_file *f;
	struct stat st;

	if (fstat(fd, &st) == -1)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->fd = fd;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->fileno = fileno;
	atomic_init(&f->end, end);
	atomic_init(&f->next, NULL);
	return f;
}

void
forward_file_free(struct forward_file *f)
{
	if (f == NULL)
		return;
	close(f->fd);
	free(f->buf);
	free(f);
}

int
forward_file_is(const struct forward_file *f, int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == f->dev && (uint64_t)st.st_ino == f->ino;
}

int
forward_file_pread(const struct forward_file *f, uint64_t off, size_t len, char *dst)
{
	while (len > 0) {
		ssize_t n = pread(f->fd, dst, len, (off_t)off);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				errno = EIO; /* the file shrank */
			return -1;
		}
		dst += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Read [off, off + want) into the buffer, growing it to want. */
static int
forward_file_fill(struct forward_file *f, uint64_t off, size_t want)
{
	if (want > f->buf_cap) {
		free(f->buf);
		f->buf = xmalloc(want);
		f->buf_cap = want;
	}
	f->buf_off = off;
	f->buf_len = 0;
	if (forward_file_pread(f, off, want, f->buf) == -1)
		return -1;
	f->buf_len = want;
	return 0;
}

/* The length of the line at off that is longer than the limit: read on
 * from `at` until its '\n', without keeping it. */
static enum forward_line
forward_file_skip_big(struct forward_file *f, uint64_t off, uint64_t at, uint64_t end, size_t *len)
{
	while (at < end) {
		size_t n = end - at < LC_FWD_READ_CHUNK ? (size_t)(end - at) : LC_FWD_READ_CHUNK;
		const char *nl;

		if (forward_file_fill(f, at, n) == -1)
			return FORWARD_LINE_ERROR;
		if ((nl = memchr(f->buf, '\n', n)) != NULL) {
			*len = (size_t)(at + (uint64_t)(nl - f->buf) + 1 - off);
			return FORWARD_LINE_BIG;
		}
		at += n;
	}
	return FORWARD_LINE_NONE;
}

enum forward_line
forward_file_line(struct forward_file *f, uint64_t off, uint64_t end, size_t max,
    const char **line, size_t *len)
{
	for (;;) {
		int in = off >= f->buf_off && off < f->buf_off + f->buf_len;
		size_t have = in ? (size_t)(f->buf_off + f->buf_len - off) : 0, want;
		const char *start = in ? f->buf + (off - f->buf_off) : NULL, *nl;

		if (in && (nl = memchr(start, '\n', have)) != NULL) {
			*line = start;
			*len = (size_t)(nl - start) + 1;
			return *len > max ? FORWARD_LINE_BIG : FORWARD_LINE;
		}
		if (off + have >= end)
			return FORWARD_LINE_NONE; /* the rest is not written yet */
		if (have > max)
			return forward_file_skip_big(f, off, off + have, end, len);
		/* A line that did not fit doubles the buffer, up to the limit. */
		want = 2 * have > LC_FWD_READ_CHUNK ? 2 * have : LC_FWD_READ_CHUNK;
		if (want > max + 1)
			want = max + 1;
		if (want > end - off)
			want = (size_t)(end - off);
		if (forward_file_fill(f, off, want) == -1)
			return FORWARD_LINE_ERROR;
	}
}

int64_t
forward_file_count_lines(struct forward_file *f, uint64_t from, uint64_t to)
{
	int64_t lines = 0;

	while (from < to) {
		size_t n = to - from < LC_FWD_READ_CHUNK ? (size_t)(to - from) : LC_FWD_READ_CHUNK;

		if (forward_file_fill(f, from, n) == -1)
			return -1;
		for (const char *p = f->buf; (p = memchr(p, '\n', n - (size_t)(p - f->buf))) != NULL;
		     p++)
			lines++;
		from += n;
	}
	return lines;
}

int
forward_file_is_trailer(const char *line, size_t len)
{
	size_t n = sizeof(FORWARD_FILE_TRAILER) - 1, i = n;

	if (len <= n + 2 || memcmp(line, FORWARD_FILE_TRAILER, n) != 0)
		return 0;
	while (i < len && line[i] >= '0' && line[i] <= '9')
		i++;
	return i > n && i + 2 == len && line[i] == '}' && line[i + 1] == '\n';
}
