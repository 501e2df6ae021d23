/*
 * The pickle decoder's value tree: node and cell storage, number literals,
 * and the handful of constructor calls that stand for plain data (bytes,
 * bytearray, set, frozenset in protocols 0-3, enum members, plain class
 * instances). Every other call is kept as a description, never performed.
 *
 * Everything here costs O(1) or O(bytes consumed from the input): a REDUCE
 * that turns a list into a set shares the list's cells instead of copying
 * them, so repeating it cannot make the work quadratic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "decode/pickle_int.h"

void
pk_vec_init(struct pk_vec *v, void *storage, uint32_t cap, uint32_t size, uint32_t max)
{
	v->p = storage;
	v->n = 0;
	v->cap = cap;
	v->size = size;
	v->max = max;
	v->heap = 0;
}

/* Room for count more elements (uninitialised); NULL over the limit or when
 * memory runs out: a decoder reports that, it never dies. */
void *
pk_vec_push(struct pk_vec *v, uint32_t count)
{
	void *slot;

	if (count > v->max - v->n)
		return NULL;
	if (count > v->cap - v->n) {
		uint64_t cap = (uint64_t)v->cap * 2;
		void *p;

		if (cap < (uint64_t)v->n + count)
			cap = (uint64_t)v->n + count;
		if (cap > v->max)
			cap = v->max;
		p = v->heap ? realloc(v->p, cap * v->size) : malloc(cap * v->size);
		if (p == NULL)
			return NULL;
		if (!v->heap)
			memcpy(p, v->p, (size_t)v->n * v->size);
		v->p = p;
		v->cap = (uint32_t)cap;
		v->heap = 1;
	}
	slot = (char *)v->p + (size_t)v->n * v->size;
	v->n += count;
	return slot;
}

void
pk_vec_free(struct pk_vec *v)
{
	if (v->heap)
		free(v->p);
	v->heap = 0;
}

uint32_t
pk_new(struct pk *pk, enum pk_type type)
{
	struct pk_node *node = pk_vec_push(&pk->nodes, 1);

	if (node == NULL)
		return PK_NIL;
	memset(node, 0, sizeof(*node));
	node->type = (uint8_t)type;
	if (type == PK_CALL) {
		node->n = PK_NIL;
		node->u.call.state = PK_NIL;
		node->u.call.kwargs = PK_NIL;
	} else if (type == PK_GLOBAL) {
		node->u.g.attr = PK_NIL;
	} else if (type >= PK_LIST && type <= PK_FROZENSET) {
		node->u.c.first = PK_NIL;
		node->u.c.last = PK_NIL;
	}
	return pk->nodes.n - 1;
}

const uint8_t *
pk_bytes(const struct pk *pk, const struct pk_node *node)
{
	const uint8_t *base = node->flags & PK_F_SCRATCH ? pk->scratch.p : pk->data;

	return base + node->u.s.off;
}

static int
pk_hashable(const struct pk *pk, uint32_t idx)
{
	switch (PK_NODE(pk, idx)->type) {
	case PK_LIST:
	case PK_DICT:
	case PK_SET:
	case PK_BYTEARRAY:
		return 0;
	default:
		return 1;
	}
}

/* Items APPENDed or SETITEMed onto an object (a list or dict subclass)
 * are kept in a list or dict of their own, created on first use. */
static enum pickle_error
pk_call_items(struct pk *pk, uint32_t call, int pairs, uint32_t *items)
{
	enum pk_type want = pairs ? PK_DICT : PK_LIST;

	*items = PK_NODE(pk, call)->n;
	if (*items == PK_NIL) {
		if ((*items = pk_new(pk, want)) == PK_NIL)
			return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
		PK_NODE(pk, call)->n = *items;
	}
	if (PK_NODE(pk, *items)->type != want)
		return pk_fail(pk, PICKLE_ERR_STACK, "both items and key/value pairs added to object");
	return PICKLE_OK;
}

/* Append an item (key == PK_NIL) or a key/value pair to a container the
 * caller has checked the opcode may change. */
enum pickle_error
pk_add(struct pk *pk, uint32_t container, uint32_t key, uint32_t val)
{
	struct pk_node *node = PK_NODE(pk, container);
	struct pk_cell *cell;
	enum pickle_error err;
	uint32_t idx;

	if (node->type == PK_CALL) {
		if ((err = pk_call_items(pk, container, key != PK_NIL, &container)) != PICKLE_OK)
			return err;
		node = PK_NODE(pk, container);
	}
	if (node->flags & PK_F_VIEW)
		return pk_fail(pk, PICKLE_ERR_STACK, "adding items to a set built by REDUCE");
	if (!pk_hashable(pk, key != PK_NIL ? key : val) &&
	    (node->type == PK_DICT || node->type == PK_SET))
		return pk_fail(pk, PICKLE_ERR_KEY, "unhashable dict key or set item");
	if ((cell = pk_vec_push(&pk->cells, 1)) == NULL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	cell->key = key;
	cell->val = val;
	cell->next = PK_NIL;
	idx = pk->cells.n - 1;
	if (node->n == 0)
		node->u.c.first = idx;
	else
		PK_CELL(pk, node->u.c.last)->next = idx;
	node->u.c.last = idx;
	node->n++;
	return PICKLE_OK;
}

const char *
pk_module_alias(const uint8_t *s, size_t n, size_t *alias_len)
{
	/* Python 2 module names, as Python 3's pickler writes them for
	 * protocols 0-2, mapped back the way Python 3's unpickler does. */
	static const char *const alias[][2] = {
	    {"__builtin__", "builtins"}, {"copy_reg", "copyreg"}, {"exceptions", "builtins"}};

	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strlen(alias[i][0]) == n && memcmp(s, alias[i][0], n) == 0) {
			*alias_len = strlen(alias[i][1]);
			return alias[i][1];
		}
	return NULL;
}

static int
pk_is_str(const struct pk *pk, uint32_t idx, const char *s)
{
	const struct pk_node *node = PK_NODE(pk, idx);

	return node->type == PK_STR && node->u.s.len == strlen(s) &&
	       memcmp(pk_bytes(pk, node), s, node->u.s.len) == 0;
}

static int
pk_is_global(const struct pk *pk, uint32_t idx, const char *module, const char *name)
{
	const struct pk_node *node = PK_NODE(pk, idx), *mod;
	const char *alias;
	size_t alias_len;

	if (node->type != PK_GLOBAL || node->u.g.attr != PK_NIL || !pk_is_str(pk, node->u.g.name, name))
		return 0;
	mod = PK_NODE(pk, node->u.g.module);
	alias = pk_module_alias(pk_bytes(pk, mod), mod->u.s.len, &alias_len);
	if (alias != NULL)
		return strcmp(alias, module) == 0;
	return pk_is_str(pk, node->u.g.module, module);
}

/* A new node that is a copy of src with another type and extra flags. */
static enum pickle_error
pk_copy_as(struct pk *pk, uint32_t src, enum pk_type type, uint8_t flags, uint32_t *result)
{
	if ((*result = pk_new(pk, type)) == PK_NIL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	*PK_NODE(pk, *result) = *PK_NODE(pk, src);
	PK_NODE(pk, *result)->type = (uint8_t)type;
	PK_NODE(pk, *result)->flags |= flags;
	return PICKLE_OK;
}

static int
pk_is_latin1_name(const struct pk *pk, uint32_t idx)
{
	return pk_is_str(pk, idx, "latin1") || pk_is_str(pk, idx, "latin-1");
}

/* bytes/bytearray from (), (bytes,) or (text, "latin1"). */
static int
pk_reduce_bytes(struct pk *pk, enum pk_type type, uint32_t argc, const uint32_t *argv,
    uint32_t *result, enum pickle_error *err)
{
	if (argc == 0) {
		*err = (*result = pk_new(pk, type)) == PK_NIL
			   ? pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values")
			   : PICKLE_OK;
		return 1;
	}
	if (argc == 1 && (PK_NODE(pk, argv[0])->type == PK_BYTES ||
			     PK_NODE(pk, argv[0])->type == PK_BYTEARRAY)) {
		*err = pk_copy_as(pk, argv[0], type, 0, result);
		return 1;
	}
	if (argc == 2 && PK_NODE(pk, argv[0])->type == PK_STR && pk_is_latin1_name(pk, argv[1])) {
		*err = pk_copy_as(pk, argv[0], type, PK_F_LATIN1, result);
		return 1;
	}
	return 0;
}

/* set/frozenset from () or one container, sharing its cells. */
static int
pk_reduce_set(struct pk *pk, enum pk_type type, uint32_t argc, const uint32_t *argv,
    uint32_t *result, enum pickle_error *err)
{
	uint8_t t = argc == 1 ? PK_NODE(pk, argv[0])->type : PK_NONE;

	if (argc == 0) {
		*err = (*result = pk_new(pk, type)) == PK_NIL
			   ? pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values")
			   : PICKLE_OK;
		return 1;
	}
	if (t != PK_LIST && t != PK_TUPLE && t != PK_SET && t != PK_FROZENSET)
		return 0;
	*err = pk_copy_as(pk, argv[0], type, PK_F_VIEW, result);
	return 1;
}

/* getattr(SomeClass, "NAME"): how protocols 0-3 pickle an enum member. */
static int
pk_reduce_getattr(struct pk *pk, uint32_t argc, const uint32_t *argv, uint32_t *result,
    enum pickle_error *err)
{
	if (argc != 2 || PK_NODE(pk, argv[0])->type != PK_GLOBAL ||
	    PK_NODE(pk, argv[0])->u.g.attr != PK_NIL || PK_NODE(pk, argv[1])->type != PK_STR)
		return 0;
	if ((*err = pk_copy_as(pk, argv[0], PK_GLOBAL, 0, result)) == PICKLE_OK)
		PK_NODE(pk, *result)->u.g.attr = argv[1];
	return 1;
}

enum pickle_error
pk_call(struct pk *pk, uint32_t func, uint32_t args, uint32_t kwargs, uint32_t *result)
{
	struct pk_node *node;

	if ((*result = pk_new(pk, PK_CALL)) == PK_NIL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	node = PK_NODE(pk, *result);
	node->u.call.func = func;
	node->u.call.args = args;
	node->u.call.kwargs = kwargs;
	return PICKLE_OK;
}

/*
 * REDUCE: func(*args). The calls that build plain data become that data;
 * copyreg._reconstructor(cls, object, None), protocols 0-1's way of making a
 * plain instance, becomes the same description as protocol 2's NEWOBJ cls();
 * anything else is described.
 */
enum pickle_error
pk_reduce(struct pk *pk, uint32_t func, uint32_t args, uint32_t *result)
{
	const struct pk_node *a = PK_NODE(pk, args);
	uint32_t argv[3], argc = 0;
	enum pickle_error err = PICKLE_OK;

	if (a->type != PK_TUPLE)
		return pk_fail(pk, PICKLE_ERR_VALUE, "REDUCE arguments are not a tuple");
	for (uint32_t c = a->u.c.first; argc < a->n && argc < 3; c = PK_CELL(pk, c)->next)
		argv[argc++] = PK_CELL(pk, c)->val;
	if (a->n > 3)
		argc = 4; /* none of the known calls */
	if (pk_is_global(pk, func, "_codecs", "encode") && argc == 2 &&
	    PK_NODE(pk, argv[0])->type == PK_STR && pk_is_latin1_name(pk, argv[1]))
		return pk_copy_as(pk, argv[0], PK_BYTES, PK_F_LATIN1, result);
	if ((pk_is_global(pk, func, "builtins", "bytes") &&
		pk_reduce_bytes(pk, PK_BYTES, argc, argv, result, &err)) ||
	    (pk_is_global(pk, func, "builtins", "bytearray") &&
		pk_reduce_bytes(pk, PK_BYTEARRAY, argc, argv, result, &err)) ||
	    (pk_is_global(pk, func, "builtins", "set") &&
		pk_reduce_set(pk, PK_SET, argc, argv, result, &err)) ||
	    (pk_is_global(pk, func, "builtins", "frozenset") &&
		pk_reduce_set(pk, PK_FROZENSET, argc, argv, result, &err)) ||
	    (pk_is_global(pk, func, "builtins", "getattr") &&
		pk_reduce_getattr(pk, argc, argv, result, &err)))
		return err;
	if (pk_is_global(pk, func, "copyreg", "_reconstructor") && argc == 3 &&
	    PK_NODE(pk, argv[0])->type == PK_GLOBAL && pk_is_global(pk, argv[1], "builtins", "object") &&
	    argv[2] == PK_NONE_IDX)
		return pk_call(pk, argv[0], PK_EMPTY_TUPLE_IDX, PK_NIL, result);
	return pk_call(pk, func, args, PK_NIL, result);
}

static enum pickle_error
pk_int_node(struct pk *pk, int64_t v, uint32_t *result)
{
	if ((*result = pk_new(pk, PK_INT)) == PK_NIL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	PK_NODE(pk, *result)->u.i = v;
	return PICKLE_OK;
}

static enum pickle_error
pk_bigint_node(struct pk *pk, int neg, int scratch, size_t off, size_t len, uint32_t *result)
{
	struct pk_node *node;

	if ((*result = pk_new(pk, PK_BIGINT)) == PK_NIL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	node = PK_NODE(pk, *result);
	node->flags = (uint8_t)((neg ? PK_F_NEG : 0) | (scratch ? PK_F_SCRATCH : 0));
	node->u.s.off = (uint32_t)off;
	node->u.s.len = (uint32_t)len;
	return PICKLE_OK;
}

/* Whether s[0..n) are all decimal digits, 8 at a time: a byte is a digit
 * if it and it + 6 are both 0x3X. */
static int
pk_all_digits(const uint8_t *s, size_t n)
{
	const uint64_t high = 0xf0f0f0f0f0f0f0f0u, zeros = 0x3030303030303030u;
	uint64_t w;
	size_t i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			if ((unsigned)s[i] - '0' > 9)
				return 0;
		return 1;
	}
	for (i = 0;; i += 8) {
		memcpy(&w, s + (i + 8 < n ? i : n - 8), sizeof(w)); /* the last overlaps */
		if ((w & high) != zeros || ((w + 0x0606060606060606u) & high) != zeros)
			return 0;
		if (i + 8 >= n)
			return 1;
	}
}

/*
 * The text of INT or LONG, checked: PK_TRUE or PK_FALSE for INT's "01"/"00"
 * (protocol 0-1 booleans), PK_INT for a number (lit->neg, lit->digits; not
 * its value), -1 if malformed. LONG may end in 'L'. Decimal with an optional
 * sign and no leading zeros (C's strtol would read those as octal).
 */
int
pk_int_digits(const uint8_t *s, size_t n, int is_long, struct pk_int *lit)
{
	size_t i = 0;

	if (!is_long && n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1'))
		return s[1] == '1' ? PK_TRUE : PK_FALSE;
	if (is_long && n > 0 && s[n - 1] == 'L')
		n--;
	lit->neg = 0;
	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		lit->neg = s[0] == '-';
		i = 1;
	}
	lit->digits = s + i;
	lit->ndigits = n - i;
	if (lit->ndigits == 0 || (s[i] == '0' && lit->ndigits > 1) ||
	    !pk_all_digits(lit->digits, lit->ndigits))
		return -1;
	return PK_INT;
}

/* As pk_int_digits, and the value: PK_INT (lit->v), or PK_BIGINT beyond
 * 64 bits. */
int
pk_int_literal(const uint8_t *s, size_t n, int is_long, struct pk_int *lit)
{
	int type = pk_int_digits(s, n, is_long, lit);
	uint64_t u = 0;

	if (type != PK_INT)
		return type;
	if (lit->ndigits > 19)
		return PK_BIGINT;
	for (size_t k = 0; k < lit->ndigits; k++)
		u = u * 10 + (uint64_t)(lit->digits[k] - '0');
	if (u > (uint64_t)INT64_MAX + (uint64_t)lit->neg)
		return PK_BIGINT;
	if (lit->neg)
		lit->v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	else
		lit->v = (int64_t)u;
	return PK_INT;
}

/* INT and LONG text as a node; numbers beyond 64 bits keep their digits
 * from the input. */
enum pickle_error
pk_int_text(struct pk *pk, const uint8_t *s, size_t n, int is_long, uint32_t *result)
{
	struct pk_int lit;

	switch (pk_int_literal(s, n, is_long, &lit)) {
	case PK_TRUE:
		*result = PK_TRUE_IDX;
		return PICKLE_OK;
	case PK_FALSE:
		*result = PK_FALSE_IDX;
		return PICKLE_OK;
	case PK_INT:
		return pk_int_node(pk, lit.v, result);
	case PK_BIGINT:
		return pk_bigint_node(pk, lit.neg, 0, (size_t)(lit.digits - pk->data), lit.ndigits,
		    result);
	default:
		return pk_fail(pk, PICKLE_ERR_VALUE, "malformed integer literal");
	}
}

/*
 * Decimal conversion of LONG1/LONG4 magnitudes: 64-bit limbs divided by
 * 10^19 (the largest power of ten below 2^64) again and again, each step a
 * 128-by-64-bit division done with two multiplications by a precomputed
 * reciprocal (Moller and Granlund, "Improved division by invariant
 * integers", 2011; 10^19 has its top bit set, as the method needs), four
 * divisions side by side. Still quadratic, hence the limits, but some fifty
 * times faster per digit than 32-bit words divided by 10^9 one at a time.
 */
#define PK_E19 10000000000000000000u

/* floor((2^128 - 1) / 10^19) - 2^64 */
static uint64_t
pk_e19_inverse(void)
{
	return (uint64_t)((((unsigned __int128)~PK_E19 << 64) | UINT64_MAX) / PK_E19);
}

/* (hi * 2^64 + lo) / 10^19 with hi < 10^19; the remainder to *rem. */
static inline uint64_t
pk_div_e19(uint64_t hi, uint64_t lo, uint64_t inv, uint64_t *rem)
{
	unsigned __int128 q = (unsigned __int128)inv * hi + ((unsigned __int128)hi << 64 | lo);
	uint64_t q1 = (uint64_t)(q >> 64) + 1, q0 = (uint64_t)q, r = lo - q1 * PK_E19;
	uint64_t over = (uint64_t)0 - (r > q0); /* half the time: no branch */

	q1 += over;
	r += over & PK_E19;
	if (__builtin_expect(r >= PK_E19, 0)) {
		q1++;
		r -= PK_E19;
	}
	*rem = r;
	return q1;
}

/* How many divisions by 10^19 one sweep over the limbs makes. */
#define PK_SWEEP 4

/*
 * Divide the little-endian limbs w[0..*nw) by 10^(19 * PK_SWEEP) in place,
 * as PK_SWEEP divisions by 10^19 in one sweep from the top: division k takes
 * the limbs division k - 1 has just written, so the remainders are
 * independent chains the processor runs side by side. rem[0] gets the
 * lowest 19 digits. Leading zero limbs are dropped.
 */
static void
pk_divmod_e19(uint64_t *w, size_t *nw, uint64_t inv, uint64_t rem[PK_SWEEP])
{
	uint64_t r0 = 0, r1 = 0, r2 = 0, r3 = 0;

	for (size_t k = *nw; k-- > 0;) {
		uint64_t q = pk_div_e19(r0, w[k], inv, &r0);

		q = pk_div_e19(r1, q, inv, &r1);
		q = pk_div_e19(r2, q, inv, &r2);
		w[k] = pk_div_e19(r3, q, inv, &r3);
	}
	rem[0] = r0;
	rem[1] = r1;
	rem[2] = r2;
	rem[3] = r3;
	while (*nw > 0 && w[*nw - 1] == 0)
		(*nw)--;
}

/* Magnitude of a two's-complement little-endian number as 64-bit limbs. */
static size_t
pk_magnitude(const uint8_t *s, size_t n, int neg, uint64_t *w)
{
	size_t nw = (n + 7) / 8;
	unsigned carry = neg;

	memset(w, 0, nw * sizeof(*w));
	for (size_t k = 0; k < n; k++) {
		unsigned b = (neg ? (uint8_t)~s[k] : s[k]) + carry;

		carry = b >> 8;
		w[k / 8] |= (uint64_t)(b & 0xff) << (8 * (k % 8));
	}
	while (nw > 0 && w[nw - 1] == 0)
		nw--;
	return nw;
}

/* LONG1/LONG4 of at most 8 bytes: two's-complement little-endian. */
int64_t
pk_int_le_small(const uint8_t *s, size_t n)
{
	uint64_t u = n > 0 && (s[n - 1] & 0x80) ? UINT64_MAX : 0;
	int64_t v;

	for (size_t k = 0; k < n; k++) {
		u &= ~((uint64_t)0xff << (8 * k));
		u |= (uint64_t)s[k] << (8 * k);
	}
	memcpy(&v, &u, sizeof(v));
	return v;
}

/* LONG1/LONG4: two's-complement little-endian bytes, to exact decimal in
 * the scratch bytes. The conversion is quadratic, so sizes are capped per
 * number and per record. */
enum pickle_error
pk_int_le(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result)
{
	int neg = n > 0 && (s[n - 1] & 0x80);
	size_t nw, room = n * 5 / 2 + (PK_SWEEP + 1) * 19, at;
	uint64_t *w, inv = pk_e19_inverse();
	uint32_t off;
	uint8_t *dst;

	if (n <= 8)
		return pk_int_node(pk, pk_int_le_small(s, n), result);
	if (n > LC_PICKLE_MAX_LONG_BYTES || n > pk->long_budget)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "integer too large");
	pk->long_budget -= n;
	off = pk->scratch.n;
	if ((w = malloc((n + 7) / 8 * sizeof(*w))) == NULL ||
	    (dst = pk_vec_push(&pk->scratch, (uint32_t)room)) == NULL) {
		free(w);
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	}
	nw = pk_magnitude(s, n, neg, w);
	at = room;
	do {
		uint64_t rem[PK_SWEEP];

		pk_divmod_e19(w, &nw, inv, rem);
		for (int c = 0; c < PK_SWEEP; c++)
			for (int d = 0; d < 19; d++, rem[c] /= 10)
				dst[--at] = (uint8_t)('0' + rem[c] % 10);
	} while (nw > 0);
	free(w);
	while (at < room - 1 && dst[at] == '0')
		at++;
	memmove(dst, dst + at, room - at);
	pk->scratch.n = off + (uint32_t)(room - at);
	return pk_bigint_node(pk, neg, 1, off, room - at, result);
}

/* FLOAT text: what repr() printed, "nan" and "inf" included. */
enum pickle_error
pk_float_text(struct pk *pk, const uint8_t *s, size_t n, uint32_t *result)
{
	char tmp[64], *end;
	double d;

	if (n == 0 || n >= sizeof(tmp))
		return pk_fail(pk, PICKLE_ERR_VALUE, "malformed float literal");
	for (size_t k = 0; k < n; k++)
		if (strchr("0123456789.+-eEnNaAiIfFtTyY", s[k]) == NULL || s[k] == '\0')
			return pk_fail(pk, PICKLE_ERR_VALUE, "malformed float literal");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	d = strtod(tmp, &end);
	if (end != tmp + n)
		return pk_fail(pk, PICKLE_ERR_VALUE, "malformed float literal");
	if ((*result = pk_new(pk, PK_FLOAT)) == PK_NIL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
	PK_NODE(pk, *result)->u.d = d;
	return PICKLE_OK;
}

/* ---- dict keys ---- */

static int
pk_sortent_same(const char *base, const struct pk_sortent *x, const struct pk_sortent *y)
{
	return x->len == y->len && memcmp(base + x->off, base + y->off, x->len) == 0;
}

static int
pk_sortent_cmp(const void *a, const void *b, void *base)
{
	const struct pk_sortent *x = a, *y = b;
	int c = memcmp((const char *)base + x->off, (const char *)base + y->off,
	    x->len < y->len ? x->len : y->len);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A None, bool or number key, as Python compares keys: 1, True and 1.0 are
 * one key (2.0**70 and 2**70 too). Appends a text equal for equal keys and
 * returns 1; 0 for other keys. */
static int
pk_key_number(const struct pk *pk, uint32_t key, struct buf *b)
{
	const struct pk_node *node = PK_NODE(pk, key);
	double d = node->u.d;

	switch (node->type) {
	case PK_NONE:
		buf_putc(b, 'N');
		return 1;
	case PK_TRUE:
	case PK_FALSE:
		buf_putc(b, node->type == PK_TRUE ? '1' : '0');
		return 1;
	case PK_INT:
		buf_printf(b, "%lld", (long long)node->u.i);
		return 1;
	case PK_BIGINT:
		if (node->flags & PK_F_NEG)
			buf_putc(b, '-');
		buf_append(b, pk_bytes(pk, node), node->u.s.len);
		return 1;
	case PK_FLOAT:
		break;
	default:
		return 0;
	}
	if (isnan(d))
		buf_printf(b, "nan%u", key); /* equal only to itself */
	else if (isinf(d) || d != floor(d))
		buf_printf(b, "%a", d);
	else
		buf_printf(b, "%.0f", d + 0.0); /* exact; -0.0 is 0 */
	return 1;
}

/* Merge entries whose stand-ins (plan[k].lead) print the same: one entry
 * at the first one's place, with the last one's value. For a small dict, a
 * key set (as the fast path's); 0 if it does not fit one. */
static int
pk_keys_merge_small(struct pk_plan *plan, uint32_t n, const char *text)
{
	struct pk_keyset set;
	uint32_t entry[PK_KEYSET_MAX]; /* the entry each key in the set is */

	if (n > PK_KEYSET_MAX || plan[n - 1].off + plan[n - 1].len > UINT32_MAX)
		return 0;
	pk_keyset_init(&set);
	for (uint32_t k = 0, first; k < n; k++) {
		const struct pk_plan *rep = &plan[plan[k].lead];

		if (pk_keyset_add(&set, text, (uint32_t)rep->off, (uint32_t)rep->len, &first) == 1) {
			entry[set.n - 1] = k;
			plan[k].lead = k;
		} else {
			plan[k].lead = entry[first];
			plan[entry[first]].val = plan[k].val;
		}
	}
	return 1;
}

/* The same by sorting: O(n log n) however many keys, whatever they are. */
static void
pk_keys_merge_sorted(struct pk_plan *plan, uint32_t n, const char *text, struct pk_sortent *e)
{
	for (uint32_t k = 0; k < n; k++)
		e[k] = (struct pk_sortent){plan[plan[k].lead].off, plan[plan[k].lead].len, k};
	qsort_r(e, n, sizeof(*e), pk_sortent_cmp, (void *)(uintptr_t)text);
	for (uint32_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && pk_sortent_same(text, &e[j], &e[i]); j++)
			plan[e[j].idx].lead = e[i].idx;
		plan[e[i].idx].lead = e[i].idx;
		plan[e[i].idx].val = plan[e[j - 1].idx].val;
	}
}

/*
 * Of the entries of a dict, in the order set (plan[k].key and .val), mark
 * which print: Python's dict already holds equal keys once, keeping the first
 * key with the last value, so numbers that are equal are merged first; then
 * entries whose keys print the same text (1 and "1", True and "true") are
 * merged the same way. An entry prints if plan[k].lead == k, with plan[k].val.
 */
enum pickle_error
pk_keys_dedup(struct pk *pk, struct pk_plan *plan, uint32_t n, const char *text)
{
	struct pk_sortent *e;
	struct buf nums;
	uint32_t m = 0;

	if (n < 2)
		return PICKLE_OK;
	pk->order.n = 0;
	if ((e = pk_vec_push(&pk->order, n)) == NULL)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for keys");
	buf_init(&nums);
	for (uint32_t k = 0; k < n; k++) {
		size_t at = nums.len;

		if (pk_key_number(pk, plan[k].key, &nums))
			e[m++] = (struct pk_sortent){at, nums.len - at, k};
	}
	if (m > 1) {
		qsort_r(e, m, sizeof(*e), pk_sortent_cmp, nums.data);
		for (uint32_t i = 1; i < m; i++)
			if (pk_sortent_same(nums.data, &e[i], &e[i - 1]))
				plan[e[i].idx].lead = plan[e[i - 1].idx].lead;
	}
	buf_free(&nums);
	if (!pk_keys_merge_small(plan, n, text))
		pk_keys_merge_sorted(plan, n, text, e);
	return PICKLE_OK;
}
