/*
 * The pickle decoder under arbitrary payloads: never crashes, hangs or
 * over-allocates, and whatever it accepts is one strict RFC 8259 JSON
 * object: valid UTF-8, compact (so no raw control characters at all), no
 * NaN/Infinity, within the output bound, nested at most LC_MAX_NESTING
 * levels, and no object with the same member name twice. A rejection always
 * names a reason and leaves the output as it was.
 *
 * The grammar check is our own: cJSON refuses lone-surrogate escapes like
 * "\udce9", which are valid JSON and exactly what json.dumps writes.
 *
 * Differential: whatever the fast path (pickle_fast.c) accepts, the general
 * decoder must accept too, with the same bytes; what it gives up on, it must
 * leave unwritten.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "decode/pickle.h"
#include "decode/pickle_int.h"
#include "decode/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small output limit, so that inputs reach it. */
#define FUZZ_MAX_OUTPUT (1024u * 1024u)

struct fuzz_json {
	const char *p, *end;
};

/* A member name as written (the decoder writes equal strings alike). */
struct fuzz_name {
	const char *p;
	size_t n;
};

static int fuzz_json_value(struct fuzz_json *j, int depth);

static int
fuzz_json_lit(struct fuzz_json *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int
fuzz_json_digits(struct fuzz_json *j)
{
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start ? 0 : -1;
}

static int
fuzz_json_number(struct fuzz_json *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (fuzz_json_digits(j) == -1)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (fuzz_json_digits(j) == -1)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		return fuzz_json_digits(j);
	}
	return 0;
}

static int
fuzz_json_string(struct fuzz_json *j)
{
	if (fuzz_json_lit(j, "\"") == -1)
		return -1;
	while (j->p < j->end && *j->p != '"') {
		if ((uint8_t)*j->p < 0x20)
			return -1;
		if (*j->p++ != '\\')
			continue;
		if (j->p == j->end)
			return -1;
		if (*j->p == 'u') {
			if (j->end - j->p < 5)
				return -1;
			for (int k = 1; k <= 4; k++)
				if (strchr("0123456789abcdefABCDEF", j->p[k]) == NULL || j->p[k] == '\0')
					return -1;
			j->p += 5;
		} else if (strchr("\"\\/bfnrt", *j->p) != NULL && *j->p != '\0') {
			j->p++;
		} else {
			return -1;
		}
	}
	return fuzz_json_lit(j, "\"");
}

static int
fuzz_name_cmp(const void *a, const void *b)
{
	const struct fuzz_name *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* Whether names[0..count) are all different. */
static int
fuzz_names_unique(struct fuzz_name *names, size_t count)
{
	if (count > 1)
		qsort(names, count, sizeof(*names), fuzz_name_cmp);
	for (size_t i = 1; i < count; i++)
		if (fuzz_name_cmp(&names[i - 1], &names[i]) == 0)
			return 0;
	return 1;
}

/* Members or elements up to the closing bracket. */
static int
fuzz_json_seq(struct fuzz_json *j, char close, int members, int depth)
{
	struct fuzz_name *names = NULL;
	size_t count = 0, cap = 0;
	int rc = -1;

	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		const char *name = j->p;

		if (members && (fuzz_json_string(j) == -1 || fuzz_json_lit(j, ":") == -1))
			break;
		if (members) {
			if (count == cap && (names = realloc(names, (cap = 2 * cap + 8) *
							     sizeof(*names))) == NULL)
				abort();
			names[count++] = (struct fuzz_name){name, (size_t)(j->p - 1 - name)};
		}
		if (fuzz_json_value(j, depth + 1) == -1 || j->p == j->end)
			break;
		if (*j->p++ == close) {
			rc = fuzz_names_unique(names, count) ? 0 : -1;
			break;
		}
		if (j->p[-1] != ',')
			break;
	}
	free(names);
	return rc;
}

static int
fuzz_json_value(struct fuzz_json *j, int depth)
{
	if (j->p == j->end)
		return -1;
	/* The top-level object is level 1. */
	if ((*j->p == '{' || *j->p == '[') && depth + 1 > LC_MAX_NESTING)
		return -1;
	switch (*j->p) {
	case '{':
		j->p++;
		return fuzz_json_seq(j, '}', 1, depth);
	case '[':
		j->p++;
		return fuzz_json_seq(j, ']', 0, depth);
	case '"':
		return fuzz_json_string(j);
	case 't':
		return fuzz_json_lit(j, "true");
	case 'f':
		return fuzz_json_lit(j, "false");
	case 'n':
		return fuzz_json_lit(j, "null");
	default:
		return fuzz_json_number(j);
	}
}

static void
fuzz_pickle_check_json(const char *s, size_t len, size_t size)
{
	struct fuzz_json j = {s, s + len};

	if (len < 2 || s[0] != '{' || utf8_check((const uint8_t *)s, len) != len)
		abort();
	/* Bounded: the limit plus at most one escaped string's overshoot. */
	if (len > FUZZ_MAX_OUTPUT + 6 * size + 64)
		abort();
	if (fuzz_json_value(&j, 0) == -1 || j.p != j.end)
		abort();
}

static void
fuzz_pickle_check_fast(const uint8_t *data, size_t size)
{
	struct buf fast, general;
	const char *detail;

	buf_init(&fast);
	buf_init(&general);
	if (pk_fast(data, size, &fast, FUZZ_MAX_OUTPUT) == 0) {
		if (pk_general(data, size, &general, FUZZ_MAX_OUTPUT, &detail) != PICKLE_OK || fast.len != general.len ||
		    memcmp(fast.data, general.data, fast.len) != 0)
			abort();
	} else if (fast.len != 0) {
		abort();
	}
	buf_free(&fast);
	buf_free(&general);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	const char *detail = NULL;
	enum pickle_error err;

	buf_init(&out);
	buf_append(&out, "x", 1); /* output is appended; a prefix must survive */
	err = pickle_to_json(data, size, &out, FUZZ_MAX_OUTPUT, &detail);
	if (out.len < 1 || out.data[0] != 'x' || detail == NULL)
		abort();
	if (err == PICKLE_OK)
		fuzz_pickle_check_json(out.data + 1, out.len - 1, size);
	else if (out.len != 1 || err >= PICKLE_ERR_COUNT)
		abort();
	(void)pickle_sniff(data, size);
	buf_free(&out);
	fuzz_pickle_check_fast(data, size);
	return 0;
}
