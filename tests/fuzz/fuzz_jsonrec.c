/*
 * The JSON record path under arbitrary payloads: never crashes, and whatever
 * it accepts comes out as one line of JSON that cJSON, an independent
 * parser, also reads as an object, and that is its own compact form. (cJSON
 * is more lenient than we are, so only this direction is checked, and it
 * refuses lone surrogate escapes, which RFC 8259 allows.) No object of the
 * line repeats a key, and the line holds what cJSON reads from the payload
 * once each repeated key keeps its last value at its first place (Python's
 * rule), in the same order. Nothing nested deeper than 1000 is
 * accepted, and only that is refused for its depth. Written in place over
 * the payload, as the workers do, the line is the same, and a rejected
 * payload is left as it was. With a space appended (which takes the general
 * scanner instead of the one for flat compact objects) the verdict and the
 * line are the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/limits.h"
#include "decode/jsonrec.h"
#include "decode/utf8.h"

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

/* Python's rule on cJSON's tree: a repeated key's last value goes to the
 * first one's place, and the repeats go. */
static void
dedup_tree(cJSON *v)
{
	for (cJSON *c = v->child; c != NULL; c = c->next)
		dedup_tree(c);
	if (!cJSON_IsObject(v))
		return;
	for (cJSON *first = v->child; first != NULL; first = first->next) {
		cJSON *c = first->next;

		while (c != NULL) {
			cJSON *next = c->next;

			if (strcmp(c->string, first->string) == 0) {
				cJSON_DetachItemViaPointer(v, c);
				cJSON_ReplaceItemViaPointer(v, first, c);
				/* c now stands where first stood; its key stays first's. */
				first = c;
			}
			c = next;
		}
	}
}

/* Equal values, object members in the same order; no object of a repeats a key. */
static int
same_tree(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;

	if ((a->type & 0xff) != (b->type & 0xff))
		return 0;
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble;
	if (cJSON_IsString(a))
		return strcmp(a->valuestring, b->valuestring) == 0;
	for (x = a->child, y = b->child; x != NULL && y != NULL; x = x->next, y = y->next) {
		if (cJSON_IsObject(a)) {
			if (strcmp(x->string, y->string) != 0)
				return 0;
			for (const cJSON *z = a->child; z != x; z = z->next)
				if (strcmp(z->string, x->string) == 0)
					return 0;
		}
		if (!same_tree(x, y))
			return 0;
	}
	return x == NULL && y == NULL;
}

/* The deepest nesting of brackets outside strings that the text reaches. */
static size_t
max_depth(const uint8_t *data, size_t size)
{
	size_t depth = 0, deepest = 0;
	int in_string = 0;

	for (size_t i = 0; i < size; i++) {
		if (in_string) {
			if (data[i] == '\\')
				i++;
			else if (data[i] == '"')
				in_string = 0;
		} else if (data[i] == '"') {
			in_string = 1;
		} else if (data[i] == '{' || data[i] == '[') {
			if (++depth > deepest)
				deepest = depth;
		} else if ((data[i] == '}' || data[i] == ']') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}

/* What the line holds against cJSON's reading of the payload. cJSON reads
 * "\u0000" as the end of a string, so such payloads are not compared. */
static void
check_oracle(const uint8_t *data, size_t size, const cJSON *line)
{
	cJSON *in;

	if (memmem(data, size, "\\u0000", 6) != NULL ||
	    (in = cJSON_ParseWithLength((const char *)data, size)) == NULL)
		return;
	dedup_tree(in);
	if (!same_tree(line, in))
		abort();
	cJSON_Delete(in);
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
		if (max_depth(data, size) > LC_MAX_NESTING)
			abort();
		parsed = cJSON_ParseWithLength(out.data, out.len - 1);
		if ((parsed == NULL || !cJSON_IsObject(parsed)) &&
		    memmem(out.data, out.len, "\\u", 2) == NULL)
			abort();
		if (parsed != NULL)
			check_oracle(data, size, parsed);
		cJSON_Delete(parsed);
		/* Compact output is a fixed point. */
		if (jsonrec_to_line((const uint8_t *)out.data, out.len - 1, &again, &reason) != 0 ||
		    again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
			abort();
		check_in_place(data, size, &out, 1);
		check_spaced(data, size, &out, 1);
	} else if (reason == NULL ||
	    (strstr(reason, "deeper") != NULL && max_depth(data, size) <= LC_MAX_NESTING)) {
		abort();
	} else {
		check_in_place(data, size, &out, 0);
		check_spaced(data, size, &out, 0);
	}
	buf_free(&out);
	buf_free(&again);
	return 0;
}
