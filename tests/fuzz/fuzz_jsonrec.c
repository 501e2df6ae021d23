/*
 * The JSON record path under arbitrary payloads: never crashes, and whatever
 * it accepts comes out as one line of JSON that cJSON, an independent
 * parser, also reads as an object, and that is its own compact form. (cJSON
 * is more lenient than we are, so only this direction is checked, and it
 * refuses lone surrogate escapes, which RFC 8259 allows.) Written in place
 * over the payload, as the workers do, the line is the same, and a rejected
 * payload is left as it was. With a space appended (which takes the general
 * scanner instead of the one for flat compact objects) the verdict and the
 * line are the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonrec.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_spaced(const uint8_t *data, size_t size, const struct buf *line, int accepted)
{
	uint8_t *spaced = malloc(size + 1);
	struct buf out;
	const char *reason = NULL;
	int ok;

	if (spaced == NULL)
		abort();
	memcpy(spaced, data, size);
	spaced[size] = ' ';
	buf_init(&out);
	ok = jsonrec_to_line(spaced, size + 1, &out, &reason) == 0;
	if (ok != accepted ||
	    (ok && (out.len != line->len || memcmp(out.data, line->data, out.len) != 0)))
		abort();
	buf_free(&out);
	free(spaced);
}

/* The line written over the payload itself, which lies `gap` bytes after
 * where the line starts (the spare bytes of earlier payloads in a batch). */
static void
check_in_place(const uint8_t *data, size_t size, const struct buf *line, int accepted)
{
	size_t gap = size % 8, n = 0;
	uint8_t *mem = malloc(gap + size + 1);
	const char *reason = NULL;

	if (mem == NULL)
		abort();
	memset(mem, '#', gap);
	memcpy(mem + gap, data, size);
	mem[gap + size] = '\n';
	if (jsonrec_line_at(mem + gap, size, mem, &n, &reason) == 0) {
		if (!accepted || n != line->len || memcmp(mem, line->data, n) != 0)
			abort();
	} else if (accepted || memcmp(mem + gap, data, size) != 0) {
		abort();
	}
	free(mem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out, again;
	const char *reason = NULL;
	cJSON *parsed;

	buf_init(&out);
	buf_init(&again);
	if (jsonrec_to_line(data, size, &out, &reason) == 0) {
		if (out.len < 3 || out.data[out.len - 1] != '\n' ||
		    memchr(out.data, '\n', out.len - 1) != NULL ||
		    utf8_check((const uint8_t *)out.data, out.len) != out.len)
			abort();
		parsed = cJSON_ParseWithLength(out.data, out.len - 1);
		if ((parsed == NULL || !cJSON_IsObject(parsed)) &&
		    memmem(out.data, out.len, "\\u", 2) == NULL)
			abort();
		cJSON_Delete(parsed);
		/* Compact output is a fixed point. */
		if (jsonrec_to_line((const uint8_t *)out.data, out.len - 1, &again, &reason) != 0 ||
		    again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
			abort();
		check_in_place(data, size, &out, 1);
		check_spaced(data, size, &out, 1);
	} else if (reason == NULL) {
		abort();
	} else {
		check_in_place(data, size, &out, 0);
		check_spaced(data, size, &out, 0);
	}
	buf_free(&out);
	buf_free(&again);
	return 0;
}
