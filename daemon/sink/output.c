#include "sink/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base/xmalloc.h"

struct output {
	char *path; /* NULL for stdout */
	unsigned mode;
	int fd;
};

static int
output_open_fd(const char *path, unsigned mode)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
}

struct output *
output_open(const char *path, unsigned mode)
{
	struct output *out;
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = STDOUT_FILENO;
	} else if ((fd = output_open_fd(path, mode)) == -1) {
		return NULL;
	}
	out = xcalloc(1, sizeof(*out));
	out->path = strcmp(path, "-") == 0 ? NULL : xstrdup(path);
	out->mode = mode;
	out->fd = fd;
	return out;
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
	while (*done < len) {
		ssize_t n = write(out->fd, data + *done, len - *done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		*done += (size_t)n;
	}
	return 0;
}

int
output_reopen(struct output *out)
{
	int fd;

	if (out->path == NULL)
		return 0;
	if ((fd = output_open_fd(out->path, out->mode)) == -1)
		return -1;
	close(out->fd);
	out->fd = fd;
	return 0;
}

int
output_sync(struct output *out)
{
	/* stdout may be a pipe or terminal, which cannot be synced. */
	if (fsync(out->fd) == -1 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
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
