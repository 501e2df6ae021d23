/*
 * A growable byte buffer. Growth dies on out-of-memory (structure memory);
 * callers that take sizes from the wire check them against a limit first.
 */
#ifndef LC_BUF_H
#define LC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_putc(struct buf *b, char c);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_truncate(struct buf *b, size_t len);

#endif
