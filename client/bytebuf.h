/*
 * A growable byte buffer. Growth dies on out-of-memory: the client only
 * buffers what it generates itself, bounded by its options.
 */
#ifndef LCC_BYTEBUF_H
#define LCC_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

struct bytebuf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

void bytebuf_free(struct bytebuf *b);
void bytebuf_reserve(struct bytebuf *b, size_t extra);
void bytebuf_append(struct bytebuf *b, const void *data, size_t len);
void bytebuf_putc(struct bytebuf *b, unsigned char c);
void bytebuf_put_u32le(struct bytebuf *b, uint32_t v);
void bytebuf_put_u32be(struct bytebuf *b, uint32_t v);
/* Remove the first n bytes. */
void bytebuf_consume(struct bytebuf *b, size_t n);

#endif
