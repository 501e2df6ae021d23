/*
 * The forwarder's checkpoint: which output file it is in (a generation
 * number, and the file's device and inode to recognise it after a restart),
 * how far in it JetStream has acked every line, and the instance id that
 * makes message ids unique to this daemon's state. A line's message id,
 * "INSTANCE-FILENO-OFFSET", is the same at every retry and restart, so the
 * stream's duplicate window drops what is published again.
 */
#ifndef LC_FORWARD_STATE_H
#define LC_FORWARD_STATE_H

#include <stddef.h>
#include <stdint.h>

#define FORWARD_INSTANCE_LEN 16 /* hex digits */
/* "INSTANCE-FILENO-OFFSET" with its NUL. */
#define FORWARD_MSGID_MAX (FORWARD_INSTANCE_LEN + 2 * 21 + 1)

struct forward_state {
	char instance[FORWARD_INSTANCE_LEN + 1];
	uint64_t fileno; /* generation: one more for every file moved to */
	uint64_t dev, ino;
	uint64_t offset; /* every line before it is acked */
};

/* 1 if read, 0 if the file does not exist (st gets a new random instance
 * id, generation 0), -1 with an allocated *cause (free()) if it cannot be
 * read or is not a checkpoint. */
int forward_state_load(const char *path, struct forward_state *st, char **cause);

/* Written whole or not at all: a temporary file, fsync, rename, fsync of the
 * directory. 0, or -1 with errno set. */
int forward_state_save(const char *path, const struct forward_state *st);

/* The message id of the line at offset in file generation fileno into dst
 * (FORWARD_MSGID_MAX bytes); its length. */
size_t forward_msgid(char *dst, const char *instance, uint64_t fileno, uint64_t offset);

/* The generation and offset of a message id of this instance; -1 if it is
 * not one. */
int forward_msgid_parse(const char *id, const char *instance, uint64_t *fileno,
    uint64_t *offset);

#endif
