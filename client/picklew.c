/*
 * Opcode choice mirrors CPython's C pickler (_pickle.c, what pickle.dumps
 * runs) for protocol 1: save_dict writes EMPTY_DICT, memoizes, then
 * batch_dict_exact: SETITEM for a one-item dict, else MARK ... SETITEMS in
 * batches of 1000 (this differs from Lib/pickle.py's _batch_setitems when
 * the size is a multiple of 1000); save_long uses
 * BININT1/BININT2/BININT within 32 bits and LONG text beyond; save_str uses
 * BINUNICODE; save_bool uses the protocol-0 INT text I01/I00.
 */
#include "picklew.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PICKLEW_BATCH 1000

struct picklew {
	struct bytebuf *out;
	uint32_t memo_len;
	/* Memo slots of the interned strings: "" and U+0000..U+00FF. */
	int64_t interned[257];
};

static void
picklew_memoize(struct picklew *p)
{
	uint32_t idx = p->memo_len++;

	if (idx < 256) {
		bytebuf_putc(p->out, 'q'); /* BINPUT */
		bytebuf_putc(p->out, (unsigned char)idx);
	} else {
		bytebuf_putc(p->out, 'r'); /* LONG_BINPUT */
		bytebuf_put_u32le(p->out, idx);
	}
}

static void
picklew_get(struct picklew *p, uint32_t idx)
{
	if (idx < 256) {
		bytebuf_putc(p->out, 'h'); /* BINGET */
		bytebuf_putc(p->out, (unsigned char)idx);
	} else {
		bytebuf_putc(p->out, 'j'); /* LONG_BINGET */
		bytebuf_put_u32le(p->out, idx);
	}
}

/* The interned-string slot of s, or -1 if CPython would not share it. */
static int
picklew_interned_slot(const unsigned char *s, size_t len)
{
	if (len == 0)
		return 0;
	if (len == 1 && s[0] < 0x80)
		return 1 + s[0];
	if (len == 2 && (s[0] == 0xc2 || s[0] == 0xc3))
		return 1 + (((s[0] & 0x03) << 6) | (s[1] & 0x3f));
	return -1;
}

static int
picklew_str(struct picklew *p, const char *s)
{
	size_t len = strlen(s);
	int slot = picklew_interned_slot((const unsigned char *)s, len);

	if (len > UINT32_MAX)
		return -1;
	if (slot >= 0 && p->interned[slot] >= 0) {
		picklew_get(p, (uint32_t)p->interned[slot]);
		return 0;
	}
	if (slot >= 0)
		p->interned[slot] = p->memo_len;
	bytebuf_putc(p->out, 'X'); /* BINUNICODE */
	bytebuf_put_u32le(p->out, (uint32_t)len);
	bytebuf_append(p->out, s, len);
	picklew_memoize(p);
	return 0;
}

static void
picklew_int32(struct picklew *p, int32_t v)
{
	if (v >= 0 && v <= 0xff) {
		bytebuf_putc(p->out, 'K'); /* BININT1 */
		bytebuf_putc(p->out, (unsigned char)v);
	} else if (v >= 0 && v <= 0xffff) {
		bytebuf_putc(p->out, 'M'); /* BININT2 */
		bytebuf_putc(p->out, v & 0xff);
		bytebuf_putc(p->out, (unsigned char)(v >> 8));
	} else {
		bytebuf_putc(p->out, 'J'); /* BININT */
		bytebuf_put_u32le(p->out, (uint32_t)v);
	}
}

static void
picklew_float(struct picklew *p, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	bytebuf_putc(p->out, 'G'); /* BINFLOAT, big-endian */
	for (int shift = 56; shift >= 0; shift -= 8)
		bytebuf_putc(p->out, (unsigned char)(bits >> shift));
}

/* An integer in decimal text, of any size: BININT* or LONG "L<digits>L\n". */
static int
picklew_int_text(struct picklew *p, const char *text)
{
	const char *d = text + (text[0] == '-');
	long long v;

	if (*d == '\0' || strspn(d, "0123456789") != strlen(d))
		return -1;
	errno = 0;
	v = strtoll(text, NULL, 10);
	if (errno == 0 && v >= INT32_MIN && v <= INT32_MAX) {
		picklew_int32(p, (int32_t)v);
		return 0;
	}
	bytebuf_putc(p->out, 'L');
	bytebuf_append(p->out, text, strlen(text));
	bytebuf_append(p->out, "L\n", 2);
	return 0;
}

static int
picklew_raw(struct picklew *p, const char *text)
{
	char *end;
	double v;

	if (text[strcspn(text, ".eEni")] == '\0')
		return picklew_int_text(p, text);
	v = strtod(text, &end);
	if (end == text || *end != '\0')
		return -1;
	picklew_float(p, v);
	return 0;
}

static void
picklew_number(struct picklew *p, double v)
{
	if (v == (double)(int32_t)v && v >= INT32_MIN && v <= INT32_MAX)
		picklew_int32(p, (int32_t)v);
	else
		picklew_float(p, v);
}

static int picklew_dict(struct picklew *p, const cJSON *obj);

static int
picklew_value(struct picklew *p, const cJSON *v)
{
	switch (v->type & 0xff) {
	case cJSON_NULL:
		bytebuf_putc(p->out, 'N'); /* NONE */
		return 0;
	case cJSON_True:
		bytebuf_append(p->out, "I01\n", 4);
		return 0;
	case cJSON_False:
		bytebuf_append(p->out, "I00\n", 4);
		return 0;
	case cJSON_Number:
		picklew_number(p, v->valuedouble);
		return 0;
	case cJSON_Raw:
		return picklew_raw(p, v->valuestring);
	case cJSON_String:
		return picklew_str(p, v->valuestring);
	case cJSON_Object:
		return picklew_dict(p, v);
	default:
		return -1;
	}
}

static int
picklew_dict(struct picklew *p, const cJSON *obj)
{
	const cJSON *item = obj->child;
	int n;

	bytebuf_putc(p->out, '}'); /* EMPTY_DICT */
	picklew_memoize(p);
	if (item == NULL)
		return 0;
	if (item->next == NULL) {
		if (picklew_str(p, item->string) != 0 || picklew_value(p, item) != 0)
			return -1;
		bytebuf_putc(p->out, 's'); /* SETITEM */
		return 0;
	}
	/* As _pickle.c's batch_dict_exact: a full batch is always followed by
	 * another MARK ... SETITEMS, even an empty one. */
	do {
		bytebuf_putc(p->out, '('); /* MARK */
		for (n = 0; item != NULL && n < PICKLEW_BATCH; item = item->next, n++)
			if (picklew_str(p, item->string) != 0 || picklew_value(p, item) != 0)
				return -1;
		bytebuf_putc(p->out, 'u'); /* SETITEMS */
	} while (n == PICKLEW_BATCH);
	return 0;
}

int
picklew_dump(const cJSON *obj, struct bytebuf *out)
{
	struct picklew p = {.out = out};
	size_t start = out->len;

	if (!cJSON_IsObject(obj))
		return -1;
	for (size_t i = 0; i < sizeof(p.interned) / sizeof(p.interned[0]); i++)
		p.interned[i] = -1;
	if (picklew_dict(&p, obj) != 0) {
		out->len = start;
		return -1;
	}
	bytebuf_putc(out, '.'); /* STOP */
	return 0;
}
