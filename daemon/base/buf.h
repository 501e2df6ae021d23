/*
 * A growable byte buffer. Growth dies on out-of-memory (structure memory);
 * callers that take sizes from the wire check them against a limit first.
 */
#ifndef LC_BUF_H
#define LC_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Make room for `extra` more bytes (the slow path of buf_reserve). */
void buf_grow(struct buf *b, size_t extra);

/* Inline: every record's bytes pass through these. */
static inline void
buf_reserve(struct buf *b, size_t extra)
{
	if (extra > b->cap - b->len)
		buf_grow(b, extra);
}

static inline void
buf_append(struct buf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static inline void
buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
}

void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_truncate(struct buf *b, size_t len);
/* Set the capacity to exactly cap bytes (at least len): for buffers whose
 * size is known ahead and counted against a memory budget. */
void buf_set_capacity(struct buf *b, size_t cap);

#endif
