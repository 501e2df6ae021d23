/*
 * The pickle machine: runs the opcodes of protocols 0-5 over a stack, a
 * mark stack and a memo, building data only (pickle_value.c), then prints
 * the result (pickle_emit.c). It never imports, calls or constructs
 * anything: GLOBAL, REDUCE, NEWOBJ, BUILD and friends produce descriptions.
 * The common record shape skips the tree (pickle_fast.c); whatever that
 * path does not take runs here from the start.
 *
 * Hostile input: every length read from the wire is checked against what is
 * left of the payload before it is used, the stack, marks and memo have
 * limits, and the tree is only ever walked without recursion, with a depth
 * limit and a cycle check. Stricter than CPython where CPython is lenient: bytes after STOP, a
 * STOP with an open MARK or with more than one value on the stack, and
 * protocol numbers above 5 are rejected.
 */
#include "decode/pickle.h"

#include <string.h>

#include "base/limits.h"
#include "decode/pickle_int.h"

/* Inline first blocks: a typical log record needs no allocation. */
#define PK_INLINE_NODES 128
#define PK_INLINE_CELLS 96
#define PK_INLINE_STACK 32
#define PK_INLINE_MARKS 16
#define PK_INLINE_MEMO 96
#define PK_INLINE_SCRATCH 256
#define PK_INLINE_PLANS 32
#define PK_INLINE_KEYS 512
#define PK_INLINE_ORDER 32

static const char *const pickle_error_names[PICKLE_ERR_COUNT] = {
    [PICKLE_OK] = "ok",
    [PICKLE_ERR_TRUNCATED] = "truncated",
    [PICKLE_ERR_OPCODE] = "opcode",
    [PICKLE_ERR_NOT_DICT] = "not_dict",
    [PICKLE_ERR_TRAILING] = "trailing",
    [PICKLE_ERR_STACK] = "stack",
    [PICKLE_ERR_MEMO] = "memo",
    [PICKLE_ERR_DEPTH] = "depth",
    [PICKLE_ERR_TOO_BIG] = "too_big",
    [PICKLE_ERR_UTF8] = "utf8",
    [PICKLE_ERR_VALUE] = "value",
    [PICKLE_ERR_KEY] = "key",
};

const char *
pickle_error_name(enum pickle_error err)
{
	if ((unsigned)err >= PICKLE_ERR_COUNT)
		return "unknown";
	return pickle_error_names[err];
}

static enum pickle_error
pk_oom(struct pk *pk)
{
	return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
}

/* ---- the stacks ---- */

static enum pickle_error
pk_push(struct pk *pk, uint32_t idx)
{
	uint32_t *slot;

	if (idx == PK_NIL)
		return pk_oom(pk);
	if ((slot = pk_vec_push(&pk->stack, 1)) == NULL)
		return pk_fail(pk, PICKLE_ERR_STACK, "stack over the limit");
	*slot = idx;
	return PICKLE_OK;
}

/* Where the values above the innermost MARK begin. */
static uint32_t
pk_fence(const struct pk *pk)
{
	return pk->marks.n ? ((const uint32_t *)pk->marks.p)[pk->marks.n - 1] : 0;
}

static enum pickle_error
pk_pop(struct pk *pk, uint32_t *idx)
{
	if (pk->stack.n <= pk_fence(pk))
		return pk_fail(pk, PICKLE_ERR_STACK, "stack underflow");
	*idx = ((uint32_t *)pk->stack.p)[--pk->stack.n];
	return PICKLE_OK;
}

static enum pickle_error
pk_top(struct pk *pk, uint32_t *idx)
{
	if (pk->stack.n <= pk_fence(pk))
		return pk_fail(pk, PICKLE_ERR_STACK, "stack underflow");
	*idx = ((uint32_t *)pk->stack.p)[pk->stack.n - 1];
	return PICKLE_OK;
}

/* Close the innermost MARK: the values above it are stack[*from..n). */
static enum pickle_error
pk_pop_mark(struct pk *pk, uint32_t *from)
{
	if (pk->marks.n == 0)
		return pk_fail(pk, PICKLE_ERR_STACK, "no MARK to close");
	*from = ((uint32_t *)pk->marks.p)[--pk->marks.n];
	return PICKLE_OK;
}

static uint32_t
pk_at(const struct pk *pk, uint32_t i)
{
	return ((const uint32_t *)pk->stack.p)[i];
}

/* ---- containers ---- */

/* Add stack[from..n) to container (as pairs when pairs is set) and drop
 * them from the stack. */
static enum pickle_error
pk_add_range(struct pk *pk, uint32_t container, uint32_t from, int pairs)
{
	enum pickle_error err;

	if (pairs && (pk->stack.n - from) % 2 != 0)
		return pk_fail(pk, PICKLE_ERR_STACK, "odd number of values for key/value pairs");
	for (uint32_t i = from; i < pk->stack.n; i += pairs ? 2 : 1) {
		err = pairs ? pk_add(pk, container, pk_at(pk, i), pk_at(pk, i + 1))
			    : pk_add(pk, container, PK_NIL, pk_at(pk, i));
		if (err != PICKLE_OK)
			return err;
	}
	pk->stack.n = from;
	return PICKLE_OK;
}

/* LIST, TUPLE, DICT, FROZENSET: a new container from the values above the
 * innermost MARK. */
static enum pickle_error
pk_op_collect(struct pk *pk, enum pk_type type)
{
	uint32_t from, idx;
	enum pickle_error err;

	if ((err = pk_pop_mark(pk, &from)) != PICKLE_OK)
		return err;
	if ((idx = pk_new(pk, type)) == PK_NIL)
		return pk_oom(pk);
	if ((err = pk_add_range(pk, idx, from, type == PK_DICT)) != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

/* TUPLE1/2/3 */
static enum pickle_error
pk_op_tuple_n(struct pk *pk, uint32_t n)
{
	uint32_t idx;
	enum pickle_error err;

	if (pk->stack.n - pk_fence(pk) < n)
		return pk_fail(pk, PICKLE_ERR_STACK, "stack underflow");
	if ((idx = pk_new(pk, PK_TUPLE)) == PK_NIL)
		return pk_oom(pk);
	if ((err = pk_add_range(pk, idx, pk->stack.n - n, 0)) != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

static int
pk_accepts(const struct pk *pk, uint32_t idx, enum pk_type a, enum pk_type b)
{
	uint8_t t = PK_NODE(pk, idx)->type;

	return t == a || t == b;
}

/* APPEND, SETITEM: the last 1 or 2 values go into the container below. */
static enum pickle_error
pk_op_add_one(struct pk *pk, int pairs)
{
	uint32_t target, from = pk->stack.n - (pairs ? 2 : 1);

	if (pk->stack.n < (pairs ? 2u : 1u) || from <= pk_fence(pk))
		return pk_fail(pk, PICKLE_ERR_STACK, "stack underflow");
	target = pk_at(pk, from - 1);
	if (!pk_accepts(pk, target, pairs ? PK_DICT : PK_LIST, PK_CALL))
		return pk_fail(pk, PICKLE_ERR_STACK, "adding items to a value of the wrong type");
	return pk_add_range(pk, target, from, pairs);
}

/* APPENDS, SETITEMS, ADDITEMS: the values above the MARK go into the
 * container just below it. */
static enum pickle_error
pk_op_add_marked(struct pk *pk, enum pk_type type)
{
	uint32_t from, target;
	enum pickle_error err;

	if ((err = pk_pop_mark(pk, &from)) != PICKLE_OK)
		return err;
	if (from <= pk_fence(pk))
		return pk_fail(pk, PICKLE_ERR_STACK, "nothing below the MARK to add to");
	target = pk_at(pk, from - 1);
	if (!pk_accepts(pk, target, type, type == PK_SET ? PK_SET : PK_CALL))
		return pk_fail(pk, PICKLE_ERR_STACK, "adding items to a value of the wrong type");
	return pk_add_range(pk, target, from, type == PK_DICT);
}

/* ---- memo ---- */

static enum pickle_error
pk_memo_put(struct pk *pk, uint64_t key)
{
	uint32_t top, *memo;
	enum pickle_error err;

	if ((err = pk_top(pk, &top)) != PICKLE_OK)
		return err;
	/* The memo costs 4 bytes per key up to the largest: limits.h. */
	if (key >= LC_PICKLE_MAX_MEMO || key >= pk->len + LC_PICKLE_MEMO_SLACK)
		return pk_fail(pk, PICKLE_ERR_MEMO, "memo key over the limit");
	while (pk->memo.n <= key) {
		if ((memo = pk_vec_push(&pk->memo, 1)) == NULL)
			return pk_oom(pk);
		*memo = PK_NIL;
	}
	memo = (uint32_t *)pk->memo.p + key;
	if (*memo == PK_NIL)
		pk->memo_count++;
	*memo = top;
	return PICKLE_OK;
}

static enum pickle_error
pk_memo_get(struct pk *pk, uint64_t key)
{
	if (key >= pk->memo.n || ((uint32_t *)pk->memo.p)[key] == PK_NIL)
		return pk_fail(pk, PICKLE_ERR_MEMO, "memo key not defined");
	return pk_push(pk, ((uint32_t *)pk->memo.p)[key]);
}

/* GET/PUT key in text, or BINGET/BINPUT (1 byte), LONG_BIN* (4 bytes). */
static enum pickle_error
pk_op_memo(struct pk *pk, size_t size, int put)
{
	const uint8_t *p;
	size_t n;
	uint64_t key = 0;

	if (size == 0) {
		if (pk_line(pk, &p, &n) != PICKLE_OK)
			return PICKLE_ERR_TRUNCATED;
		if (n == 0 || n > 9)
			return pk_fail(pk, PICKLE_ERR_MEMO, "bad memo key");
		for (size_t k = 0; k < n; k++) {
			if (p[k] < '0' || p[k] > '9')
				return pk_fail(pk, PICKLE_ERR_MEMO, "bad memo key");
			key = key * 10 + (uint64_t)(p[k] - '0');
		}
	} else {
		if (pk_take(pk, size, &p) != PICKLE_OK)
			return PICKLE_ERR_TRUNCATED;
		key = pk_le(p, size);
	}
	return put ? pk_memo_put(pk, key) : pk_memo_get(pk, key);
}

/* ---- scalars and strings ---- */

/* How a text or counted argument becomes a value (pickle_value.c,
 * pickle_text.c). */
typedef enum pickle_error (*pk_build_fn)(struct pk *, const uint8_t *, size_t, uint32_t *);

static enum pickle_error
pk_push_built(struct pk *pk, pk_build_fn build, const uint8_t *p, size_t n)
{
	uint32_t idx;
	enum pickle_error err;

	if ((err = build(pk, p, n, &idx)) != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

/* FLOAT, UNICODE, STRING: a text argument up to the newline. */
static enum pickle_error
pk_op_line(struct pk *pk, pk_build_fn build)
{
	const uint8_t *p;
	size_t n;

	if (pk_line(pk, &p, &n) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	return pk_push_built(pk, build, p, n);
}

/* LONG1/4, BINSTRING, SHORT_BINSTRING: a counted argument. */
static enum pickle_error
pk_op_counted_built(struct pk *pk, size_t lensize, pk_build_fn build)
{
	const uint8_t *p;
	size_t n;

	if (pk_take_counted(pk, lensize, &p, &n) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	return pk_push_built(pk, build, p, n);
}

static enum pickle_error
pk_new_scalar(struct pk *pk, enum pk_type type, const void *value, uint32_t *result)
{
	if ((*result = pk_new(pk, type)) == PK_NIL)
		return pk_oom(pk);
	memcpy(&PK_NODE(pk, *result)->u, value, 8); /* u.i or u.d */
	return PICKLE_OK;
}

/* BININT, BININT1, BININT2 */
static enum pickle_error
pk_op_binint(struct pk *pk, size_t size)
{
	const uint8_t *p;
	uint32_t idx;
	int64_t v;
	enum pickle_error err;

	if (pk_take(pk, size, &p) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	v = pk_binint(p, size);
	if ((err = pk_new_scalar(pk, PK_INT, &v, &idx)) != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

/* INT and LONG text */
static enum pickle_error
pk_op_int_text(struct pk *pk, int is_long)
{
	const uint8_t *p;
	size_t n;
	uint32_t idx;
	enum pickle_error err;

	if (pk_line(pk, &p, &n) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	if ((err = pk_int_text(pk, p, n, is_long, &idx)) != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

/* BINFLOAT */
static enum pickle_error
pk_op_binfloat(struct pk *pk)
{
	const uint8_t *p;
	uint32_t idx;
	double d;
	enum pickle_error err;

	if (pk_take(pk, 8, &p) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	d = pk_binfloat(p);
	if ((err = pk_new_scalar(pk, PK_FLOAT, &d, &idx)) != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

/* BINUNICODE*, BINBYTES*, BYTEARRAY8: counted bytes used where they lie. */
static enum pickle_error
pk_op_counted(struct pk *pk, enum pk_type type, size_t lensize)
{
	const uint8_t *p;
	size_t n;
	uint32_t idx;

	if (pk_take_counted(pk, lensize, &p, &n) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	if ((idx = pk_new(pk, type)) == PK_NIL)
		return pk_oom(pk);
	PK_NODE(pk, idx)->u.s.off = (uint32_t)(p - pk->data);
	PK_NODE(pk, idx)->u.s.len = (uint32_t)n;
	return pk_push(pk, idx);
}

/* ---- objects (described, never built) ---- */

static enum pickle_error
pk_global(struct pk *pk, uint32_t module, uint32_t name, uint32_t *result)
{
	if (module == PK_NIL || name == PK_NIL || (*result = pk_new(pk, PK_GLOBAL)) == PK_NIL)
		return pk_oom(pk);
	PK_NODE(pk, *result)->u.g.module = module;
	PK_NODE(pk, *result)->u.g.name = name;
	return PICKLE_OK;
}

/* GLOBAL and INST name "module\nname\n" in text. */
static enum pickle_error
pk_global_text(struct pk *pk, uint32_t *result)
{
	const uint8_t *m, *n;
	size_t mlen, nlen;
	uint32_t mod, name;

	if (pk_line(pk, &m, &mlen) != PICKLE_OK || pk_line(pk, &n, &nlen) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	if ((mod = pk_new(pk, PK_STR)) == PK_NIL || (name = pk_new(pk, PK_STR)) == PK_NIL)
		return pk_oom(pk);
	PK_NODE(pk, mod)->u.s.off = (uint32_t)(m - pk->data);
	PK_NODE(pk, mod)->u.s.len = (uint32_t)mlen;
	PK_NODE(pk, name)->u.s.off = (uint32_t)(n - pk->data);
	PK_NODE(pk, name)->u.s.len = (uint32_t)nlen;
	return pk_global(pk, mod, name, result);
}

static enum pickle_error
pk_op_global(struct pk *pk, int stack)
{
	uint32_t mod, name, idx;
	enum pickle_error err;

	if (!stack)
		err = pk_global_text(pk, &idx);
	else if ((err = pk_pop(pk, &name)) == PICKLE_OK && (err = pk_pop(pk, &mod)) == PICKLE_OK) {
		if (PK_NODE(pk, mod)->type != PK_STR || PK_NODE(pk, name)->type != PK_STR)
			return pk_fail(pk, PICKLE_ERR_VALUE, "STACK_GLOBAL needs two strings");
		err = pk_global(pk, mod, name, &idx);
	}
	if (err != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

/* REDUCE, NEWOBJ (args must be a tuple), NEWOBJ_EX (plus kwargs). */
static enum pickle_error
pk_op_call(struct pk *pk, uint8_t op)
{
	uint32_t func, args, kwargs = PK_NIL, idx;
	enum pickle_error err;

	if (op == 0x92 && (err = pk_pop(pk, &kwargs)) != PICKLE_OK)
		return err;
	if ((err = pk_pop(pk, &args)) != PICKLE_OK || (err = pk_pop(pk, &func)) != PICKLE_OK)
		return err;
	if (op == 'R')
		err = pk_reduce(pk, func, args, &idx);
	else
		err = pk_call(pk, func, args, kwargs, &idx);
	if (err != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

/* INST (class named in text) and OBJ (class first after the MARK). */
static enum pickle_error
pk_op_inst(struct pk *pk, int text)
{
	uint32_t from, cls, args, idx;
	enum pickle_error err;

	if (text && (err = pk_global_text(pk, &cls)) != PICKLE_OK)
		return err;
	if ((err = pk_pop_mark(pk, &from)) != PICKLE_OK)
		return err;
	if (!text) {
		if (from == pk->stack.n)
			return pk_fail(pk, PICKLE_ERR_STACK, "OBJ without a class");
		cls = pk_at(pk, from++);
	}
	if ((args = pk_new(pk, PK_TUPLE)) == PK_NIL)
		return pk_oom(pk);
	if ((err = pk_add_range(pk, args, from, 0)) != PICKLE_OK)
		return err;
	if (!text)
		pk->stack.n--; /* the class */
	if ((err = pk_call(pk, cls, args, PK_NIL, &idx)) != PICKLE_OK)
		return err;
	return pk_push(pk, idx);
}

static enum pickle_error
pk_op_build(struct pk *pk)
{
	uint32_t state, target;
	enum pickle_error err;

	if ((err = pk_pop(pk, &state)) != PICKLE_OK || (err = pk_top(pk, &target)) != PICKLE_OK)
		return err;
	if (PK_NODE(pk, target)->type != PK_CALL)
		return pk_fail(pk, PICKLE_ERR_STACK, "BUILD on a value that is not an object");
	PK_NODE(pk, target)->u.call.state = state;
	return PICKLE_OK;
}

/* ---- stack housekeeping ---- */

static enum pickle_error
pk_op_mark(struct pk *pk)
{
	uint32_t *slot = pk_vec_push(&pk->marks, 1);

	if (slot == NULL)
		return pk_fail(pk, PICKLE_ERR_STACK, "too many MARKs");
	*slot = pk->stack.n;
	return PICKLE_OK;
}

static enum pickle_error
pk_op_pop(struct pk *pk, int to_mark)
{
	uint32_t idx;

	/* POP on an empty frame drops the MARK, as CPython does. */
	if (to_mark || pk->stack.n == pk_fence(pk)) {
		enum pickle_error err = pk_pop_mark(pk, &idx);

		if (err == PICKLE_OK)
			pk->stack.n = idx;
		return err;
	}
	return pk_pop(pk, &idx);
}

static enum pickle_error
pk_op_proto_frame(struct pk *pk, int frame)
{
	const uint8_t *p;

	if (pk_take(pk, frame ? 8 : 1, &p) != PICKLE_OK)
		return PICKLE_ERR_TRUNCATED;
	if (frame && pk_le(p, 8) > pk->len - pk->pos)
		return pk_fail(pk, PICKLE_ERR_TRUNCATED, "FRAME longer than the payload");
	if (!frame && p[0] > 5)
		return pk_fail(pk, PICKLE_ERR_OPCODE, "unsupported protocol");
	return PICKLE_OK;
}

static enum pickle_error
pk_op_dup(struct pk *pk)
{
	uint32_t top;
	enum pickle_error err;

	if ((err = pk_top(pk, &top)) != PICKLE_OK)
		return err;
	return pk_push(pk, top);
}

/* ---- dispatch ---- */

/* clang-format off */
static enum pickle_error
pk_step_binary(struct pk *pk, uint8_t op)
{
	switch (op) {
	case 0x80: return pk_op_proto_frame(pk, 0);            /* PROTO */
	case 0x81: return pk_op_call(pk, op);                  /* NEWOBJ */
	case 0x85: return pk_op_tuple_n(pk, 1);                /* TUPLE1 */
	case 0x86: return pk_op_tuple_n(pk, 2);                /* TUPLE2 */
	case 0x87: return pk_op_tuple_n(pk, 3);                /* TUPLE3 */
	case 0x88: return pk_push(pk, PK_TRUE_IDX);            /* NEWTRUE */
	case 0x89: return pk_push(pk, PK_FALSE_IDX);           /* NEWFALSE */
	case 0x8a: return pk_op_counted_built(pk, 1, pk_int_le); /* LONG1 */
	case 0x8b: return pk_op_counted_built(pk, 4, pk_int_le); /* LONG4 */
	case 0x8c: return pk_op_counted(pk, PK_STR, 1);        /* SHORT_BINUNICODE */
	case 0x8d: return pk_op_counted(pk, PK_STR, 8);        /* BINUNICODE8 */
	case 0x8e: return pk_op_counted(pk, PK_BYTES, 8);      /* BINBYTES8 */
	case 0x8f: return pk_push(pk, pk_new(pk, PK_SET));     /* EMPTY_SET */
	case 0x90: return pk_op_add_marked(pk, PK_SET);        /* ADDITEMS */
	case 0x91: return pk_op_collect(pk, PK_FROZENSET);     /* FROZENSET */
	case 0x92: return pk_op_call(pk, op);                  /* NEWOBJ_EX */
	case 0x93: return pk_op_global(pk, 1);                 /* STACK_GLOBAL */
	case 0x94: return pk_memo_put(pk, pk->memo_count);     /* MEMOIZE */
	case 0x95: return pk_op_proto_frame(pk, 1);            /* FRAME */
	case 0x96: return pk_op_counted(pk, PK_BYTEARRAY, 8);  /* BYTEARRAY8 */
	default:
		/* EXT1/2/4 (extension registry), NEXT_BUFFER and
		 * READONLY_BUFFER (out-of-band data), PERSID/BINPERSID. */
		return pk_fail(pk, PICKLE_ERR_OPCODE, "unsupported or unknown opcode");
	}
}

static enum pickle_error
pk_step(struct pk *pk, uint8_t op)
{
	switch (op) {
	case '(': return pk_op_mark(pk);                       /* MARK */
	case '0': return pk_op_pop(pk, 0);                     /* POP */
	case '1': return pk_op_pop(pk, 1);                     /* POP_MARK */
	case '2': return pk_op_dup(pk);                        /* DUP */
	case 'F': return pk_op_line(pk, pk_float_text);        /* FLOAT */
	case 'G': return pk_op_binfloat(pk);                   /* BINFLOAT */
	case 'I': return pk_op_int_text(pk, 0);                /* INT */
	case 'L': return pk_op_int_text(pk, 1);                /* LONG */
	case 'J': return pk_op_binint(pk, 4);                  /* BININT */
	case 'K': return pk_op_binint(pk, 1);                  /* BININT1 */
	case 'M': return pk_op_binint(pk, 2);                  /* BININT2 */
	case 'N': return pk_push(pk, PK_NONE_IDX);             /* NONE */
	case 'R': return pk_op_call(pk, op);                   /* REDUCE */
	case 'S': return pk_op_line(pk, pk_py2_literal);       /* STRING */
	case 'T': return pk_op_counted_built(pk, 4, pk_py2_bytes); /* BINSTRING */
	case 'U': return pk_op_counted_built(pk, 1, pk_py2_bytes); /* SHORT_BINSTRING */
	case 'V': return pk_op_line(pk, pk_raw_unicode);       /* UNICODE */
	case 'X': return pk_op_counted(pk, PK_STR, 4);         /* BINUNICODE */
	case 'B': return pk_op_counted(pk, PK_BYTES, 4);       /* BINBYTES */
	case 'C': return pk_op_counted(pk, PK_BYTES, 1);       /* SHORT_BINBYTES */
	case 'a': return pk_op_add_one(pk, 0);                 /* APPEND */
	case 'b': return pk_op_build(pk);                      /* BUILD */
	case 'c': return pk_op_global(pk, 0);                  /* GLOBAL */
	case 'd': return pk_op_collect(pk, PK_DICT);           /* DICT */
	case '}': return pk_push(pk, pk_new(pk, PK_DICT));     /* EMPTY_DICT */
	case 'e': return pk_op_add_marked(pk, PK_LIST);        /* APPENDS */
	case 'g': return pk_op_memo(pk, 0, 0);                 /* GET */
	case 'h': return pk_op_memo(pk, 1, 0);                 /* BINGET */
	case 'j': return pk_op_memo(pk, 4, 0);                 /* LONG_BINGET */
	case 'i': return pk_op_inst(pk, 1);                    /* INST */
	case 'o': return pk_op_inst(pk, 0);                    /* OBJ */
	case 'l': return pk_op_collect(pk, PK_LIST);           /* LIST */
	case ']': return pk_push(pk, pk_new(pk, PK_LIST));     /* EMPTY_LIST */
	case 'p': return pk_op_memo(pk, 0, 1);                 /* PUT */
	case 'q': return pk_op_memo(pk, 1, 1);                 /* BINPUT */
	case 'r': return pk_op_memo(pk, 4, 1);                 /* LONG_BINPUT */
	case 's': return pk_op_add_one(pk, 1);                 /* SETITEM */
	case 'u': return pk_op_add_marked(pk, PK_DICT);        /* SETITEMS */
	case 't': return pk_op_collect(pk, PK_TUPLE);          /* TUPLE */
	case ')': return pk_push(pk, PK_EMPTY_TUPLE_IDX);      /* EMPTY_TUPLE */
	default: return pk_step_binary(pk, op);
	}
}
/* clang-format on */

/* STOP: exactly one value left, no open MARK, nothing after it. */
static enum pickle_error
pk_stop(struct pk *pk, uint32_t *root)
{
	if (pk->pos != pk->len)
		return pk_fail(pk, PICKLE_ERR_TRAILING, "bytes after STOP");
	if (pk->marks.n != 0)
		return pk_fail(pk, PICKLE_ERR_STACK, "STOP with an open MARK");
	if (pk->stack.n != 1)
		return pk_fail(pk, PICKLE_ERR_STACK, "STOP without exactly one value");
	*root = pk_at(pk, 0);
	if (PK_NODE(pk, *root)->type != PK_DICT)
		return pk_fail(pk, PICKLE_ERR_NOT_DICT, "top level is not a dict");
	return PICKLE_OK;
}

static enum pickle_error
pk_run(struct pk *pk, uint32_t *root)
{
	enum pickle_error err;

	while (pk->pos < pk->len) {
		uint8_t op = pk->data[pk->pos++];

		if (op == '.')
			return pk_stop(pk, root);
		if ((err = pk_step(pk, op)) != PICKLE_OK)
			return err;
	}
	return pk_fail(pk, PICKLE_ERR_TRUNCATED, "no STOP opcode");
}

/* The constants every decode starts with: None, True, False, (). */
static void
pk_constants(struct pk *pk)
{
	static const enum pk_type fixed[] = {PK_NONE, PK_TRUE, PK_FALSE, PK_TUPLE};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		(void)pk_new(pk, fixed[i]); /* fits the inline block */
}

/* The general decoder: any pickle, through the value tree. */
enum pickle_error
pk_general(const uint8_t *data, size_t len, struct buf *out, size_t max_output,
    const char **detail)
{
	struct pk_node nodes[PK_INLINE_NODES];
	struct pk_cell cells[PK_INLINE_CELLS];
	uint32_t stack[PK_INLINE_STACK], marks[PK_INLINE_MARKS], memo[PK_INLINE_MEMO];
	uint8_t scratch[PK_INLINE_SCRATCH], keys[PK_INLINE_KEYS];
	struct pk_plan plans[PK_INLINE_PLANS];
	struct pk_sortent order[PK_INLINE_ORDER];
	struct pk pk = {.data = data, .len = len, .long_budget = LC_PICKLE_MAX_LONG_TOTAL,
	    .max_output = max_output};
	enum pickle_error err;
	uint32_t root;

	pk_vec_init(&pk.nodes, nodes, PK_INLINE_NODES, sizeof(nodes[0]), PK_NIL - 1);
	pk_vec_init(&pk.cells, cells, PK_INLINE_CELLS, sizeof(cells[0]), PK_NIL - 1);
	pk_vec_init(&pk.stack, stack, PK_INLINE_STACK, sizeof(stack[0]), LC_PICKLE_MAX_STACK);
	pk_vec_init(&pk.marks, marks, PK_INLINE_MARKS, sizeof(marks[0]), LC_PICKLE_MAX_STACK);
	pk_vec_init(&pk.memo, memo, PK_INLINE_MEMO, sizeof(memo[0]), LC_PICKLE_MAX_MEMO);
	pk_vec_init(&pk.scratch, scratch, PK_INLINE_SCRATCH, 1, UINT32_MAX - 1);
	pk_vec_init(&pk.plans, plans, PK_INLINE_PLANS, sizeof(plans[0]), PK_NIL - 1);
	pk_vec_init(&pk.keys, keys, PK_INLINE_KEYS, 1, UINT32_MAX - 1);
	pk_vec_init(&pk.order, order, PK_INLINE_ORDER, sizeof(order[0]), PK_NIL - 1);
	pk_constants(&pk);
	if (len >= UINT32_MAX)
		err = pk_fail(&pk, PICKLE_ERR_TOO_BIG, "payload too large");
	else
		err = pk_run(&pk, &root);
	if (err == PICKLE_OK) {
		pk.out_start = out->len;
		if ((err = pk_emit(&pk, root, out)) != PICKLE_OK)
			buf_truncate(out, pk.out_start);
	}
	pk_vec_free(&pk.nodes);
	pk_vec_free(&pk.cells);
	pk_vec_free(&pk.stack);
	pk_vec_free(&pk.marks);
	pk_vec_free(&pk.memo);
	pk_vec_free(&pk.scratch);
	pk_vec_free(&pk.plans);
	pk_vec_free(&pk.keys);
	pk_vec_free(&pk.order);
	if (detail != NULL)
		*detail = err == PICKLE_OK ? "ok" : pk.detail;
	return err;
}

enum pickle_error
pickle_to_json(const uint8_t *data, size_t len, struct buf *out, size_t max_output,
    const char **detail)
{
	if (pk_fast(data, len, out, max_output) == -1)
		return pk_general(data, len, out, max_output, detail);
	if (detail != NULL)
		*detail = "ok";
	return PICKLE_OK;
}

int
pickle_sniff(const uint8_t *data, size_t len)
{
	if (len == 0)
		return 0;
	/* PROTO (protocol 2+); EMPTY_DICT (protocol 1 dict); MARK (protocol 0
	 * dict, "(dp0"); GLOBAL (a dict subclass, rejected later with a
	 * clear reason). None of them can start a JSON text. */
	return data[0] == 0x80 || data[0] == '}' || data[0] == '(' || data[0] == 'c';
}
