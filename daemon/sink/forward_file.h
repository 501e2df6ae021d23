/*
 * One output file as the forwarder follows it: a read-only descriptor of the
 * file itself (so that a rename by logrotate, a delayed compress or a delete
 * cannot take it away before it is forwarded), how far the committer has
 * written it, and a read buffer over the page cache from which complete
 * lines are taken. Files form a queue in the order they were written; only
 * the last one still grows.
 */
#ifndef LC_FORWARD_FILE_H
#define LC_FORWARD_FILE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct forward_file {
	int fd;
	uint64_t dev, ino;
	uint64_t fileno;		    /* generation (forward_state.h) */
	_Atomic uint64_t end;		    /* written so far (set by the committer) */
	struct forward_file *_Atomic next;  /* the file written after it */
	char *buf;			    /* the file's bytes [buf_off, buf_off + buf_len) */
	size_t buf_len, buf_cap;
	uint64_t buf_off;
};

enum forward_line {
	FORWARD_LINE,	  /* a complete line */
	FORWARD_LINE_BIG, /* a complete line longer than the limit: *len only */
	FORWARD_LINE_NONE, /* no complete line before end */
	FORWARD_LINE_ERROR,
};

/* Takes fd over; NULL with errno set if it cannot be fstat'ed. */
struct forward_file *forward_file_new(int fd, uint64_t fileno, uint64_t end);
void forward_file_free(struct forward_file *f);
/* Whether fd is this file. */
int forward_file_is(const struct forward_file *f, int fd);

/* The line at off (off must start a line), '\n' included, if it ends before
 * `end` and is at most max bytes long. *line stays valid until the next
 * call. */
enum forward_line forward_file_line(struct forward_file *f, uint64_t off, uint64_t end, size_t max,
    const char **line, size_t *len);

/* len bytes at off into dst; 0, or -1 with errno set. */
int forward_file_pread(const struct forward_file *f, uint64_t off, size_t len, char *dst);

/* Lines ('\n') in [from, to). -1 on error. */
int64_t forward_file_count_lines(struct forward_file *f, uint64_t from, uint64_t to);

/* Whether the line is the trailer a clean stop appends ({"lines_collected": N},
 * with the space record lines never have): a local summary, not a record. */
int forward_file_is_trailer(const char *line, size_t len);

#endif
