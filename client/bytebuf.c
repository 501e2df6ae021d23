#include "bytebuf.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

void
bytebuf_free(struct bytebuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
bytebuf_reserve(struct bytebuf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	unsigned char *p;

	if (extra <= b->cap - b->len)
		return;
	if (extra > SIZE_MAX / 2 - b->len)
		errx(1, "bytebuf: %zu more bytes is too large", extra);
	while (cap - b->len < extra)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		err(1, "bytebuf: allocating %zu bytes", cap);
	b->data = p;
	b->cap = cap;
}

void
bytebuf_append(struct bytebuf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	bytebuf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void
bytebuf_putc(struct bytebuf *b, unsigned char c)
{
	bytebuf_reserve(b, 1);
	b->data[b->len++] = c;
}

void
bytebuf_put_u32le(struct bytebuf *b, uint32_t v)
{
	unsigned char p[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	bytebuf_append(b, p, sizeof(p));
}

void
bytebuf_put_u32be(struct bytebuf *b, uint32_t v)
{
	unsigned char p[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};

	bytebuf_append(b, p, sizeof(p));
}

void
bytebuf_consume(struct bytebuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}
