#include "sink/forward_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "base/xmalloc.h"

/* One line, so that a reader can tell a whole file from a torn one. */
#define FORWARD_STATE_FORMAT "logcatcher-forward 1 %16s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 "\n"
#define FORWARD_STATE_MAX 256

static int
forward_state_new(struct forward_state *st)
{
	uint8_t rnd[FORWARD_INSTANCE_LEN / 2];

	memset(st, 0, sizeof(*st));
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(st->instance + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

int
forward_state_load(const char *path, struct forward_state *st, char **cause)
{
	char text[FORWARD_STATE_MAX + 1], end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 && errno == ENOENT) {
		if (forward_state_new(st) == 0)
			return 0;
		fd = -1;
	}
	if (fd == -1) {
		if (asprintf(cause, "cannot read forward_state %s: %s", path, strerror(errno)) == -1)
			*cause = xstrdup(path);
		return -1;
	}
	n = read(fd, text, FORWARD_STATE_MAX);
	close(fd);
	memset(st, 0, sizeof(*st));
	if (n > 0) {
		text[n] = '\0';
		if (sscanf(text, FORWARD_STATE_FORMAT "%c", st->instance, &st->fileno, &st->dev,
			&st->ino, &st->offset, &end) == 5 &&
		    strlen(st->instance) == FORWARD_INSTANCE_LEN && text[n - 1] == '\n')
			return 1;
	}
	if (asprintf(cause, "forward_state %s is not a logcatcher checkpoint", path) == -1)
		*cause = xstrdup(path);
	return -1;
}

static int
forward_state_sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	free(copy);
	if (fd != -1) {
		rc = fsync(fd);
		close(fd);
	}
	return rc;
}

int
forward_state_save(const char *path, const struct forward_state *st)
{
	char text[FORWARD_STATE_MAX], *tmp;
	int len, fd, saved;

	len = snprintf(text, sizeof(text),
	    "logcatcher-forward 1 %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    st->instance, st->fileno, st->dev, st->ino, st->offset);
	if (asprintf(&tmp, "%s.tmp", path) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	if (write(fd, text, (size_t)len) != len || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1 || forward_state_sync_dir(path) == -1)
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

size_t
forward_msgid(char *dst, const char *instance, uint64_t fileno, uint64_t offset)
{
	return (size_t)snprintf(dst, FORWARD_MSGID_MAX, "%s-%" PRIu64 "-%" PRIu64, instance,
	    fileno, offset);
}

int
forward_msgid_parse(const char *id, const char *instance, uint64_t *fileno, uint64_t *offset)
{
	char *end;

	if (strncmp(id, instance, FORWARD_INSTANCE_LEN) != 0 || id[FORWARD_INSTANCE_LEN] != '-')
		return -1;
	id += FORWARD_INSTANCE_LEN + 1;
	errno = 0;
	*fileno = strtoull(id, &end, 10);
	if (end == id || *end != '-' || errno != 0)
		return -1;
	id = end + 1;
	*offset = strtoull(id, &end, 10);
	if (end == id || *end != '\0' || errno != 0)
		return -1;
	return 0;
}
