/*
 * Internal to the pickle decoder (pickle_fast.c streams the common record
 * shape straight to JSON; otherwise pickle.c runs the opcodes, pickle_value.c
 * holds the value tree and the few known constructor calls, pickle_emit.c
 * prints the tree as JSON). Not for other modules.
 *
 * Values live in one growing array of nodes and containers keep their items
 * in one growing array of cells (a singly linked chain per container), so a
 * record costs a handful of allocations however many values it has, and
 * none at all when it fits the inline first blocks. Nodes refer to each other
 * by index, which keeps memo sharing (and cycles) exact without copying.
 *
 * Nothing here recurses: the printer keeps its open containers in a vector
 * of frames (at most LC_MAX_NESTING), so a worker's C stack use does not
 * depend on the record.
 */
#ifndef LC_PICKLE_INT_H
#define LC_PICKLE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/pickle.h"

#define PK_NIL UINT32_MAX

/* Fixed nodes every decode starts with. */
#define PK_NONE_IDX 0
#define PK_TRUE_IDX 1
#define PK_FALSE_IDX 2
#define PK_EMPTY_TUPLE_IDX 3

enum pk_type {
	PK_NONE,
	PK_TRUE,
	PK_FALSE,
	PK_INT,       /* u.i */
	PK_BIGINT,    /* u.s: decimal digits; PK_F_NEG */
	PK_FLOAT,     /* u.d */
	PK_STR,       /* u.s: UTF-8 (surrogates allowed) */
	PK_BYTES,     /* u.s: raw bytes, or text to encode as latin-1 (PK_F_LATIN1) */
	PK_BYTEARRAY, /* same */
	PK_LIST,      /* u.c, n items */
	PK_TUPLE,
	PK_DICT, /* cells hold key and value */
	PK_SET,
	PK_FROZENSET,
	PK_GLOBAL, /* u.g: module.name[.attr] */
	PK_CALL    /* u.call; n: items added by APPEND(S)/SETITEM(S) (PK_NIL) */
};

#define PK_F_SCRATCH 0x01 /* u.s is in the scratch bytes, not the input */
#define PK_F_NEG 0x02
#define PK_F_LATIN1 0x04 /* bytes given as text (_codecs.encode(s, "latin1")) */
#define PK_F_VIEW 0x08   /* shares another container's cells: read-only */
#define PK_F_ACTIVE 0x10 /* being printed (cycle detection) */

struct pk_node {
	uint8_t type;
	uint8_t flags;
	uint32_t n;
	union {
		int64_t i;
		double d;
		struct {
			uint32_t off, len;
		} s;
		struct {
			uint32_t first, last;
		} c;
		struct {
			uint32_t module, name, attr;
		} g;
		struct {
			uint32_t func, args, state, kwargs;
		} call;
	} u;
};

struct pk_cell {
	uint32_t key, val, next;
};

/* A growing array that starts in caller-provided (stack) storage. */
struct pk_vec {
	void *p;
	uint32_t n, cap, max, size;
	int heap;
};

/* A container being printed (pickle_emit.c). */
struct pk_frame {
	size_t quote;  /* a described dict key: where its text began, or SIZE_MAX */
	uint32_t node; /* the container */
	uint32_t cell; /* the next cell to print, or the next part of a $call */
	uint32_t k;    /* items (or keys) done */
	uint32_t plan; /* a dict: its first entry in pk.plans */
	uint32_t printed; /* a dict: entries printed */
	uint8_t kind;
	uint8_t levels; /* JSON levels it opened */
};

/* A dict entry while its dict is printed: the key's text (in the output,
 * then in pk.keys), the value to print, and the entry whose text it repeats
 * (itself if it is the first with that text). */
struct pk_plan {
	size_t off, len;
	uint32_t key, val, lead;
};

/* A key text to sort (pk_keys_dedup): bytes at off, then the entry's place. */
struct pk_sortent {
	size_t off, len;
	uint32_t idx;
};

struct pk {
	const uint8_t *data;
	size_t len, pos;
	struct pk_vec nodes, cells, stack, marks, memo, scratch;
	struct pk_vec frames, plans, keys, order; /* the printer's (pickle_emit.c) */
	uint32_t memo_count; /* distinct memo keys set (MEMOIZE's next key) */
	uint32_t depth;      /* JSON levels open while printing */
	size_t long_budget;  /* big-integer bytes left to convert */
	size_t out_start;
	size_t max_output;
	/* Output to come that is not in out yet (key texts set aside), and
	 * printed but dropped (repeated keys): both count toward max_output, so
	 * the printer's work is bounded by it. */
	size_t pending, discarded;
	const char *detail;
};

/* What an INT or LONG literal holds (pk_int_digits, pk_int_literal). */
struct pk_int {
	int64_t v;             /* PK_INT, from pk_int_literal */
	const uint8_t *digits; /* its decimal digits, no sign */
	size_t ndigits;
	int neg;
};

#define PK_NODE(pk, idx) (&((struct pk_node *)(pk)->nodes.p)[idx])
#define PK_CELL(pk, idx) (&((struct pk_cell *)(pk)->cells.p)[idx])

/* pickle.c */
enum pickle_error pk_general(const uint8_t *data, size_t len, struct buf *out,
    size_t max_output, const char **detail);

/* pickle_fast.c */
int pk_fast(const uint8_t *data, size_t len, struct buf *out, size_t max_output);

/* ---- errors and reading the input (inline: they run per opcode) ---- */

static inline enum pickle_error
pk_fail(struct pk *pk, enum pickle_error err, const char *detail)
{
	pk->detail = detail;
	return err;
}

/* n bytes, little-endian (lengths, BININT*, memo keys). The usual sizes are
 * constants once inlined, and then one load each. */
static inline uint64_t
pk_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	switch (n) {
	case 1:
		return p[0];
	case 4:
		return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
		       (uint64_t)p[3] << 24;
	default:
		for (size_t k = n; k-- > 0;)
			v = v << 8 | p[k];
		return v;
	}
}

/* BININT (signed), BININT1, BININT2 (unsigned). */
static inline int64_t
pk_binint(const uint8_t *p, size_t n)
{
	uint64_t v = pk_le(p, n);

	return n == 4 ? (int32_t)(uint32_t)v : (int64_t)v;
}

/* BINFLOAT: big-endian IEEE 754. */
static inline double
pk_binfloat(const uint8_t *p)
{
	uint64_t bits = 0;
	double d;

	for (int k = 0; k < 8; k++)
		bits = bits << 8 | p[k];
	memcpy(&d, &bits, sizeof(d));
	return d;
}

static inline enum pickle_error
pk_take(struct pk *pk, size_t n, const uint8_t **p)
{
	if (n > pk->len - pk->pos)
		return pk_fail(pk, PICKLE_ERR_TRUNCATED, "argument runs past the end");
	*p = pk->data + pk->pos;
	pk->pos += n;
	return PICKLE_OK;
}

/* A little-endian length of lensize bytes, then that many bytes. */
static inline enum pickle_error
pk_take_counted(struct pk *pk, size_t lensize, const uint8_t **p, size_t *n)
{
	const uint8_t *lp;
	uint64_t v;

	if (pk_take(pk, lensize, &lp) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	v = pk_le(lp, lensize);
	if (v > pk->len - pk->pos)
		return pk_fail(pk, PICKLE_ERR_TRUNCATED, "claimed length beyond the payload");
	*n = (size_t)v;
	return pk_take(pk, *n, p);
}

/* A text argument up to (not including) its newline. */
static inline enum pickle_error
pk_line(struct pk *pk, const uint8_t **p, size_t *n)
{
	const uint8_t *s = pk->data + pk->pos;
	const uint8_t *nl = memchr(s, '\n', pk->len - pk->pos);

	if (nl == NULL)
		return pk_fail(pk, PICKLE_ERR_TRUNCATED, "text argument without newline");
	*p = s;
	*n = (size_t)(nl - s);
	pk->pos += *n + 1;
	return PICKLE_OK;
}

/*
 * A small set of key texts, each base[off .. off + len) (quoted, so len >=
 * 2), for the fast path's record and the general decoder's small dicts. A
 * 64-bit mask holds one bit per key, picked by its length, first and middle
 * character (the cheapest hash found that gives every key of a LogRecord a
 * bit of its own); only a key whose bit is taken is compared with the keys
 * before it. With at most PK_KEYSET_MAX keys its worst case stays small
 * whatever they are.
 */
#define PK_KEYSET_MAX 40

struct pk_keyset {
	uint32_t n;
	uint64_t bits;
	struct {
		uint32_t off, len;
	} keys[PK_KEYSET_MAX];
};

static inline void
pk_keyset_init(struct pk_keyset *set)
{
	set->n = 0;
	set->bits = 0;
}

/* Add the key base[off .. off + len): 1 if it is new (its index is
 * set->n - 1), 0 if an equal key is there (its index to *first), -1 when the
 * set is full. */
static inline int
pk_keyset_add(struct pk_keyset *set, const char *base, uint32_t off, uint32_t len,
    uint32_t *first)
{
	const uint8_t *text = (const uint8_t *)base + off;
	uint32_t n = set->n;
	uint64_t bit = 1ull << (((len << 3) + ((uint32_t)text[1] << 1) + text[len / 2]) % 64);

	if (n == PK_KEYSET_MAX)
		return -1;
	if (set->bits & bit) {
		for (uint32_t k = 0; k < n; k++)
			if (set->keys[k].len == len && memcmp(base + set->keys[k].off, text, len) == 0) {
				*first = k;
				return 0;
			}
	}
	set->bits |= bit;
	set->keys[n].off = off;
	set->keys[n].len = len;
	set->n = n + 1;
	return 1;
}

/* pickle_value.c */
void pk_vec_init(struct pk_vec *v, void *storage, uint32_t cap, uint32_t size, uint32_t max);
void *pk_vec_push(struct pk_vec *v, uint32_t count);
void pk_vec_free(struct pk_vec *v);
uint32_t pk_new(struct pk *pk, enum pk_type type);
enum pickle_error pk_add(struct pk *pk, uint32_t container, uint32_t key, uint32_t val);
const uint8_t *pk_bytes(const struct pk *pk, const struct pk_node *node);
enum pickle_error pk_reduce(struct pk *pk, uint32_t func, uint32_t args, uint32_t *result);
enum pickle_error pk_call(struct pk *pk, uint32_t func, uint32_t args, uint32_t kwargs,
    uint32_t *result);
int pk_int_digits(const uint8_t *s, size_t n, int is_long, struct pk_int *lit);
int pk_int_literal(const uint8_t *s, size_t n, int is_long, struct pk_int *lit);
enum pickle_error pk_int_text(struct pk *pk, const uint8_t *s, size_t n, int is_long,
    uint32_t *result);
int64_t pk_int_le_small(const uint8_t *s, size_t n);
enum pickle_error pk_int_le(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result);
enum pickle_error pk_float_text(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result);
/* Which entries of a dict print: text holds their keys' texts. */
enum pickle_error pk_keys_dedup(struct pk *pk, struct pk_plan *plan, uint32_t n, const char *text);
const char *pk_module_alias(const uint8_t *s, size_t n, size_t *alias_len);

/* pickle_text.c */
enum pickle_error pk_raw_unicode(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result);
enum pickle_error pk_py2_bytes(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result);
enum pickle_error pk_py2_literal(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result);

/* pickle_emit.c */
enum pickle_error pk_emit(struct pk *pk, uint32_t root, struct buf *out);

/* PK_NONE, PK_TRUE or PK_FALSE as JSON (inline: the fast path prints it too). */
static inline void
pk_emit_const(uint8_t type, struct buf *out)
{
	static const char names[][6] = {"null", "true", "false"};

	buf_append(out, names[type], type == PK_FALSE ? 5 : 4);
}

#endif
