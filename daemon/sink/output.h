/*
 * The output file: append-only (an existing log is never truncated, except
 * for a torn last line, see output_open), created with the configured mode,
 * "-" for stdout. Reopened by path on request, so logrotate's "create" works.
 * Owned by the committer thread.
 */
#ifndef LC_OUTPUT_H
#define LC_OUTPUT_H

#include <stddef.h>

struct output;


/* Returns NULL with errno set on failure. A regular file that does not end in
 * '\n' ends in a line torn by a crash (kill -9, power loss): at every open
 * and reopen, before anything is appended, the bytes after its last '\n' are
 * cut off (ftruncate), logged and counted, and dropped. */
struct output *output_open(const char *path, unsigned mode);
/* The same, but a torn tail is kept as one dead letter written to `dead`,
 * which must stay open while out can be reopened. */
struct output *output_open_keeping(const char *path, unsigned mode, struct output *dead);
/* The dead-letter file: its own torn tail becomes a dead letter in it. */
struct output *output_open_dead_letter(const char *path, unsigned mode);
void output_close(struct output *out);
const char *output_path(const struct output *out);

/* Write len bytes from data, starting *done bytes in (for a retry after a
 * partial write). Returns 0 with *done == len, or -1 with errno set and
 * *done advanced past what was written. */
int output_write(struct output *out, const char *data, size_t len, size_t *done);

/* Reopen by path (a rotated file keeps its old name's data). On failure the
 * old descriptor stays in use and -1 is returned with errno set. */
int output_reopen(struct output *out);

/* How many times the file was reopened: a reader that follows the output
 * (the forwarder) compares it to see that the file may have changed. */
unsigned output_generation(const struct output *out);

int output_sync(struct output *out);

/* The open file's size as written so far (after the last write), or -1
 * (stdout, or an error). */
long long output_end(const struct output *out);

/* A new read-only descriptor of the open file itself, even if it was renamed
 * or deleted since (for the forwarder, which reads lines back); -1 with
 * errno set. */
int output_reader(const struct output *out);

/* Whether the open file was deleted, or another file now stands at its path:
 * then the caller reopens. A file renamed away (a rotation waiting for its
 * SIGHUP) is not replaced. */
int output_replaced(const struct output *out);

#endif
