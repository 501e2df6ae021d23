#include "sink/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "decode/deadletter.h"

/* Bytes read at a time while looking back for the last '\n'. */
#define OUTPUT_SCAN_CHUNK 8192

struct output {
	char *path; /* NULL for stdout */
	unsigned mode;
	int fd;
	unsigned generation; /* successful reopens */
	struct output *dead; /* where a torn last line goes: NULL (dropped), or itself */
};

static int
output_write_fd(int fd, const char *data, size_t len, size_t *done)
{
	while (*done < len) {
		ssize_t n = write(fd, data + *done, len - *done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		*done += (size_t)n;
	}
	return 0;
}

/* pread exactly len bytes (the file may not shrink under us: EIO if it did). */
static int
output_pread(int fd, char *dst, size_t len, off_t at)
{
	while (len > 0) {
		ssize_t n = pread(fd, dst, len, at);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				errno = EIO;
			return -1;
		}
		dst += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

/* Where the last complete line of the first `size` bytes ends: just past its
 * '\n', 0 if there is none (the whole file is one torn line), -1 on error. */
static off_t
output_line_end(int fd, off_t size)
{
	char chunk[OUTPUT_SCAN_CHUNK];
	off_t end = size;

	while (end > 0) {
		size_t n = end < (off_t)sizeof(chunk) ? (size_t)end : sizeof(chunk);
		const char *nl;

		if (output_pread(fd, chunk, n, end - (off_t)n) == -1)
			return -1;
		if ((nl = memrchr(chunk, '\n', n)) != NULL)
			return end - (off_t)n + (nl - chunk) + 1;
		end -= (off_t)n;
	}
	return 0;
}

/* The torn tail [at, size) as one dead letter, its first LC_TORN_KEEP
 * bytes kept. */
static int
output_torn_letter(const struct output *out, int rfd, off_t at, uint64_t size, struct buf *dst)
{
	size_t keep = size > LC_TORN_KEEP ? LC_TORN_KEEP : (size_t)size;
	char *data = xmalloc(keep);
	struct buf reason;

	if (output_pread(rfd, data, keep, at) == -1) {
		free(data);
		return -1;
	}
	buf_init(&reason);
	/* Not the path: it need not be UTF-8, and the log line names it. */
	buf_printf(&reason, "torn last line of the %s (%llu bytes) repaired at open",
	    out->dead == out ? "dead-letter file" : "output", (unsigned long long)size);
	if (keep < size)
		buf_printf(&reason, "; payload holds its first %zu bytes", keep);
	buf_putc(&reason, '\0');
	deadletter_append(dst, "logcatcherd", reason.data, size, data, keep);
	buf_free(&reason);
	free(data);
	return 0;
}

/* Opened for reading: the same file as fd (not one put at the path since),
 * or -1. Without read permission there is nothing to check: *skip is set. */
static int
output_open_read(const char *path, int fd, int *skip)
{
	struct stat st, rst;
	int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	*skip = rfd == -1 && errno == EACCES;
	if (rfd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || fstat(rfd, &rst) == -1 || st.st_dev != rst.st_dev ||
	    st.st_ino != rst.st_ino) {
		close(rfd);
		errno = ESTALE; /* replaced while opening: the next check reopens */
		return -1;
	}
	return rfd;
}

/* Cut the torn tail [at, size) off fd, after saving it as a dead letter (to
 * out->dead, or to fd itself when out is the dead-letter file). */
static int
output_cut(const struct output *out, int fd, int rfd, off_t at, off_t size)
{
	uint64_t torn = (uint64_t)(size - at);
	struct buf letter;
	size_t done = 0;
	int rc = -1;

	buf_init(&letter);
	if (out->dead != NULL && output_torn_letter(out, rfd, at, torn, &letter) == -1)
		goto done;
	/* Saved before cutting, so a crash in between duplicates, never loses. */
	if (out->dead != NULL && out->dead != out &&
	    output_write_fd(out->dead->fd, letter.data, letter.len, &done) == -1)
		goto done;
	if (ftruncate(fd, at) == -1)
		goto done;
	if (out->dead == out && output_write_fd(fd, letter.data, letter.len, &done) == -1)
		goto done;
	STATS_ADD(torn_lines, 1);
	log_warnx("%s ended in a torn line of %llu bytes (a crash?): %s", out->path,
	    (unsigned long long)torn,
	    out->dead == NULL ? "dropped (no dead_letter file)" : "moved to the dead letters");
	rc = 0;
done:
	buf_free(&letter);
	return rc;
}

/* Before anything is appended to fd (out's file, just opened): a last line
 * without its '\n' was cut short by a crash; appending after it would merge
 * two records into one invalid line. Only such a tail is ever cut off. */
static int
output_repair(const struct output *out, int fd)
{
	struct stat st;
	off_t at;
	char last;
	int rfd, skip, rc;

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return 0; /* a FIFO, device or empty file: nothing to repair */
	if ((rfd = output_open_read(out->path, fd, &skip)) == -1) {
		if (!skip)
			return -1;
		log_warnx("%s is not readable: cannot check that its last line is whole",
		    out->path);
		return 0;
	}
	if ((rc = output_pread(rfd, &last, 1, st.st_size - 1)) == 0 && last != '\n') {
		if ((at = output_line_end(rfd, st.st_size)) == -1)
			rc = -1;
		else
			rc = output_cut(out, fd, rfd, at, st.st_size);
	}
	close(rfd);
	return rc;
}

/* Opened and repaired, or -1 with errno set. */
static int
output_open_fd(const struct output *out)
{
	int fd = open(out->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    (mode_t)out->mode);

	if (fd != -1 && output_repair(out, fd) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static struct output *
output_new(const char *path, unsigned mode, struct output *dead, int is_dead)
{
	struct output *out = xcalloc(1, sizeof(*out));

	out->mode = mode;
	if (strcmp(path, "-") == 0) {
		out->fd = STDOUT_FILENO;
		return out;
	}
	out->path = xstrdup(path);
	out->dead = is_dead ? out : dead;
	if ((out->fd = output_open_fd(out)) == -1) {
		int saved = errno;

		free(out->path);
		free(out);
		errno = saved;
		return NULL;
	}
	return out;
}

struct output *
output_open(const char *path, unsigned mode)
{
	return output_new(path, mode, NULL, 0);
}

struct output *
output_open_keeping(const char *path, unsigned mode, struct output *dead)
{
	return output_new(path, mode, dead, 0);
}

struct output *
output_open_dead_letter(const char *path, unsigned mode)
{
	return output_new(path, mode, NULL, 1);
}

void
output_close(struct output *out)
{
	if (out == NULL)
		return;
	if (out->path != NULL)
		close(out->fd);
	free(out->path);
	free(out);
}

const char *
output_path(const struct output *out)
{
	return out->path ? out->path : "-";
}

int
output_write(struct output *out, const char *data, size_t len, size_t *done)
{
	return output_write_fd(out->fd, data, len, done);
}

int
output_reopen(struct output *out)
{
	int fd;

	if (out->path == NULL)
		return 0;
	if ((fd = output_open_fd(out)) == -1)
		return -1;
	close(out->fd);
	out->fd = fd;
	out->generation++;
	return 0;
}

unsigned
output_generation(const struct output *out)
{
	return out->generation;
}

int
output_sync(struct output *out)
{
	/* stdout may be a pipe or terminal, which cannot be synced. */
	if (fsync(out->fd) == -1 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

long long
output_end(const struct output *out)
{
	struct stat st;

	if (out->path == NULL || fstat(out->fd, &st) == -1)
		return -1;
	return (long long)st.st_size;
}

int
output_reader(const struct output *out)
{
	char name[64];

	if (out->path == NULL) {
		errno = ESPIPE;
		return -1;
	}
	/* Not by path: logrotate may have renamed it already. */
	snprintf(name, sizeof(name), "/proc/self/fd/%d", out->fd);
	return open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

int
output_replaced(const struct output *out)
{
	struct stat open_st, path_st;

	if (out->path == NULL || fstat(out->fd, &open_st) == -1)
		return 0;
	if (open_st.st_nlink == 0)
		return 1; /* deleted */
	/* Renamed away with nothing at the path yet is a rotation in progress:
	 * keep writing to it until SIGHUP. */
	if (stat(out->path, &path_st) == -1)
		return 0;
	return open_st.st_dev != path_st.st_dev || open_st.st_ino != path_st.st_ino;
}
