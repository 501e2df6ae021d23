/*
 * The fast path for what SocketHandler sends: a top-level dict filled by
 * SETITEMS (or SETITEM) with string keys and scalar values (str, int,
 * float, None, bool), written out as JSON while it is read, with no value
 * tree. It never rejects anything itself: at the first thing outside that
 * shape (a container, an object, a key that is not a string, an opcode it
 * does not handle, anything the general decoder would refuse) it gives up,
 * its output is rolled back and the general decoder runs from the start.
 * So every error, and its reason, comes from one place; values are printed
 * by the general decoder's own writers (jsonw_*, pk_emit_const), integer
 * text as the digits it holds.
 *
 * The stack it models is the dict and the values pushed above it since the
 * MARK or the last SETITEM: their parity tells a key from a value, which is
 * printed at once. A memo entry is the span of output its value printed as,
 * copied again on GET.
 *
 * A key set twice must come out once (pickle_emit.c), so each key's text
 * goes into a small hash table as it is printed; a repeated one, or more
 * keys than the table takes, hands the record to the general decoder.
 */
#include <string.h>

#include "base/limits.h"
#include "decode/jsonw.h"
#include "decode/pickle_int.h"

/* Memo keys tracked; a record that uses more takes the general path. */
#define PK_FAST_MEMO 512

/* How many values the stack takes above the dict (pk_fast.limit): none
 * before EMPTY_DICT, a key and a value for SETITEM, or after a MARK, up to
 * the general decoder's stack limit for SETITEMS. */
#define PK_FAST_NO_DICT 0
#define PK_FAST_PAIR 2
#define PK_FAST_MARKED (LC_PICKLE_MAX_STACK - 1)

enum pk_fast_kind { PK_FAST_UNSET, PK_FAST_DICT, PK_FAST_SCALAR, PK_FAST_STR };

/* A value's text: out->data[start + off .. + len). */
struct pk_fast_span {
	uint32_t off, len;
	uint8_t kind;
};

struct pk_fast {
	struct pk pk; /* the input, read and printed as the general decoder does */
	struct buf *out;
	size_t start, max;
	uint32_t limit;   /* PK_FAST_NO_DICT, PK_FAST_PAIR or PK_FAST_MARKED */
	uint32_t pending; /* values above the dict (and the MARK) */
	struct pk_fast_span top;     /* the last value pushed, for PUT */
	uint32_t memo_n, memo_count; /* entries initialised; keys set */
	struct pk_keyset keys; /* a LogRecord has about 21; more: general path */
	struct pk_fast_span memo[PK_FAST_MEMO];
};

/* The key just printed, out[f->top.off .. end) from base: -1 if it was
 * printed before, or the set is full. */
static inline int
pk_fast_key(struct pk_fast *f, const char *base, uint32_t end)
{
	uint32_t off = f->top.off, first;

	return pk_keyset_add(&f->keys, base, off, end - off, &first) == 1 ? 0 : -1;
}

/* Before a value is pushed: whether it keeps the shape (room on the stack,
 * a key must be a string); then its separator. The output limit is checked
 * before keys only, which keeps the output within a pair of it (pk_fast_stop
 * makes the check exact). */
/* Inlined by force: it runs for every key and value, and out of line its
 * call cost more than the work. */
static inline __attribute__((always_inline)) int
pk_fast_begin(struct pk_fast *f, enum pk_fast_kind kind)
{
	struct buf *out = f->out;
	size_t used = out->len - f->start;
	int key = f->pending % 2 == 0;

	if (f->pending >= f->limit ||
	    (key ? kind != PK_FAST_STR || used > f->max
		 : pk_fast_key(f, out->data + f->start, (uint32_t)used) == -1))
		return -1;
	if (out->len == out->cap)
		buf_reserve(out, 1);
	if (!key)
		out->data[out->len++] = ':';
	else if (used > 1)
		out->data[out->len++] = ',';
	f->top.off = (uint32_t)(out->len - f->start);
	f->top.kind = (uint8_t)kind;
	f->pending++;
	return 0;
}

/* None and booleans. This and the handlers of the other common opcodes
 * (ints, strings) are inlined by force into pk_fast_step as well: each holds
 * a copy of pk_fast_begin, and called instead they cost 10% of a record. */
static inline __attribute__((always_inline)) int
pk_fast_const(struct pk_fast *f, enum pk_type type)
{
	if (pk_fast_begin(f, PK_FAST_SCALAR) == -1)
		return -1;
	pk_emit_const(type, f->out);
	return 0;
}

/* Ints, and floats below: printed by the writers the general decoder uses. */
static inline __attribute__((always_inline)) int
pk_fast_int(struct pk_fast *f, int64_t v)
{
	if (pk_fast_begin(f, PK_FAST_SCALAR) == -1)
		return -1;
	jsonw_int(f->out, v);
	return 0;
}

/* BINUNICODE, SHORT_BINUNICODE, BINUNICODE8: the most common value, so
 * written directly (the general decoder's limit on a string's length holds:
 * pk_fast takes no payload longer than it). */
static inline __attribute__((always_inline)) int
pk_fast_str(struct pk_fast *f, size_t lensize)
{
	const uint8_t *p;
	size_t n;

	if (pk_take_counted(&f->pk, lensize, &p, &n) != PICKLE_OK ||
	    pk_fast_begin(f, PK_FAST_STR) == -1 || jsonw_string(f->out, p, n) == -1)
		return -1;
	return 0;
}

/* INT and LONG text: its digits are what the general decoder prints (no
 * leading zeros, pk_int_digits checks), with the sign, except for "-0". */
static int
pk_fast_int_text(struct pk_fast *f, int is_long)
{
	struct pk_int lit;
	const uint8_t *p;
	size_t n;
	int type;

	if (pk_line(&f->pk, &p, &n) != PICKLE_OK ||
	    (type = pk_int_digits(p, n, is_long, &lit)) == -1)
		return -1;
	if (type != PK_INT)
		return pk_fast_const(f, (enum pk_type)type);
	if (pk_fast_begin(f, PK_FAST_SCALAR) == -1)
		return -1;
	if (lit.neg && lit.digits[0] != '0')
		buf_putc(f->out, '-');
	buf_append(f->out, lit.digits, lit.ndigits);
	return 0;
}

/* BININT, BININT1, BININT2 */
static inline __attribute__((always_inline)) int
pk_fast_binint(struct pk_fast *f, size_t size)
{
	const uint8_t *p;

	if (pk_take(&f->pk, size, &p) != PICKLE_OK)
		return -1;
	return pk_fast_int(f, pk_binint(p, size));
}

/* LONG1 of up to 8 bytes; longer ones need the general path's arithmetic. */
static int
pk_fast_long1(struct pk_fast *f)
{
	const uint8_t *p;
	size_t n;

	if (pk_take_counted(&f->pk, 1, &p, &n) != PICKLE_OK || n > 8)
		return -1;
	return pk_fast_int(f, pk_int_le_small(p, n));
}

static int
pk_fast_binfloat(struct pk_fast *f)
{
	const uint8_t *p;

	if (pk_take(&f->pk, 8, &p) != PICKLE_OK || pk_fast_begin(f, PK_FAST_SCALAR) == -1)
		return -1;
	jsonw_double(f->out, pk_binfloat(p));
	return 0;
}

/* BINPUT, LONG_BINPUT (size 1, 4) or MEMOIZE (0): remember the top value,
 * which is the last text written, if it is not the dict. */
static inline int
pk_fast_put(struct pk_fast *f, size_t size)
{
	struct pk_fast_span top = f->top;
	const uint8_t *p;
	uint64_t key = f->memo_count;

	if (size > 0) {
		if (pk_take(&f->pk, size, &p) != PICKLE_OK)
			return -1;
		key = pk_le(p, size);
	}
	top.len = (uint32_t)(f->out->len - f->start) - top.off;
	if (f->pending == 0) {
		if (f->limit != PK_FAST_PAIR)
			return -1; /* no dict yet, or nothing above the MARK */
		top.kind = PK_FAST_DICT;
	}
	if (key >= f->memo_n) {
		if (key >= PK_FAST_MEMO)
			return -1;
		for (uint32_t k = f->memo_n; k < key; k++)
			f->memo[k].kind = PK_FAST_UNSET;
		f->memo_n = (uint32_t)key + 1;
		f->memo_count++;
	} else if (f->memo[key].kind == PK_FAST_UNSET) {
		f->memo_count++;
	}
	f->memo[key] = top;
	return 0;
}

/* BINGET, LONG_BINGET: print a remembered scalar again. */
static int
pk_fast_get(struct pk_fast *f, size_t size)
{
	struct buf *out = f->out;
	struct pk_fast_span s;
	const uint8_t *p;
	uint64_t key;

	if (pk_take(&f->pk, size, &p) != PICKLE_OK)
		return -1;
	key = pk_le(p, size);
	if (key >= f->memo_n || f->memo[key].kind == PK_FAST_UNSET ||
	    f->memo[key].kind == PK_FAST_DICT)
		return -1;
	s = f->memo[key];
	if (pk_fast_begin(f, s.kind) == -1)
		return -1;
	buf_reserve(out, s.len);
	memcpy(out->data + out->len, out->data + f->start + s.off, s.len);
	out->len += s.len;
	return 0;
}

/* EMPTY_DICT, MARK, SETITEMS, SETITEM: only as they make and fill the
 * top-level dict. */
static int
pk_fast_dict(struct pk_fast *f, uint8_t op)
{
	switch (op) {
	case '}':
		if (f->limit != PK_FAST_NO_DICT)
			return -1;
		buf_putc(f->out, '{');
		break;
	case '(':
		if (f->limit != PK_FAST_PAIR || f->pending != 0)
			return -1;
		f->limit = PK_FAST_MARKED;
		return 0;
	case 'u':
		if (f->limit != PK_FAST_MARKED || f->pending % 2 != 0)
			return -1;
		break;
	default: /* 's' */
		if (f->limit != PK_FAST_PAIR || f->pending != 2)
			return -1;
		break;
	}
	f->limit = PK_FAST_PAIR;
	f->pending = 0;
	return 0;
}

/* PROTO and FRAME only check their argument. */
static int
pk_fast_proto_frame(struct pk_fast *f, int frame)
{
	const uint8_t *p;

	if (pk_take(&f->pk, frame ? 8 : 1, &p) != PICKLE_OK)
		return -1;
	return (frame ? pk_le(p, 8) <= f->pk.len - f->pk.pos : p[0] <= 5) ? 0 : -1;
}

/* STOP: the dict alone, nothing after it. Returns 1: done. The general
 * decoder checks the output limit before each value; output only grows, so
 * its check before the last value (f->top) is the one that counts. */
static int
pk_fast_stop(struct pk_fast *f)
{
	if (f->limit != PK_FAST_PAIR || f->pending != 0 || f->pk.pos != f->pk.len ||
	    f->top.off > f->max)
		return -1;
	buf_putc(f->out, '}');
	return 1;
}

/* clang-format off */
static int
pk_fast_step(struct pk_fast *f, uint8_t op)
{
	switch (op) {
	case '}':                                        /* EMPTY_DICT */
	case '(':                                        /* MARK */
	case 'u':                                        /* SETITEMS */
	case 's': return pk_fast_dict(f, op);            /* SETITEM */
	case 'X': return pk_fast_str(f, 4);              /* BINUNICODE */
	case 0x8c: return pk_fast_str(f, 1);             /* SHORT_BINUNICODE */
	case 0x8d: return pk_fast_str(f, 8);             /* BINUNICODE8 */
	case 'N': return pk_fast_const(f, PK_NONE);      /* NONE */
	case 0x88: return pk_fast_const(f, PK_TRUE);     /* NEWTRUE */
	case 0x89: return pk_fast_const(f, PK_FALSE);    /* NEWFALSE */
	case 'I': return pk_fast_int_text(f, 0);         /* INT */
	case 'L': return pk_fast_int_text(f, 1);         /* LONG */
	case 'J': return pk_fast_binint(f, 4);           /* BININT */
	case 'K': return pk_fast_binint(f, 1);           /* BININT1 */
	case 'M': return pk_fast_binint(f, 2);           /* BININT2 */
	case 0x8a: return pk_fast_long1(f);              /* LONG1 */
	case 'G': return pk_fast_binfloat(f);            /* BINFLOAT */
	case 'q': return pk_fast_put(f, 1);              /* BINPUT */
	case 'r': return pk_fast_put(f, 4);              /* LONG_BINPUT */
	case 0x94: return pk_fast_put(f, 0);             /* MEMOIZE */
	case 'h': return pk_fast_get(f, 1);              /* BINGET */
	case 'j': return pk_fast_get(f, 4);              /* LONG_BINGET */
	case 0x80: return pk_fast_proto_frame(f, 0);     /* PROTO */
	case 0x95: return pk_fast_proto_frame(f, 1);     /* FRAME */
	case '.': return pk_fast_stop(f);                /* STOP */
	default: return -1;
	}
}
/* clang-format on */

static int
pk_fast_run(struct pk_fast *f)
{
	struct pk *pk = &f->pk;
	int done = 0;

	while (done == 0 && pk->pos < pk->len)
		done = pk_fast_step(f, pk->data[pk->pos++]);
	return done == 1 ? 0 : -1;
}

/* Append the JSON of a record of the common shape and return 0; or leave
 * out as it was and return -1 for pk_general to decode it. */
int
pk_fast(const uint8_t *data, size_t len, struct buf *out, size_t max_output)
{
	struct pk_fast f;

	if (len >= UINT32_MAX || len > max_output)
		return -1;
	/* Not initialisers: they would clear the whole memo every time, and
	 * all of f.pk, of which the fast path reads only the input. */
	f.pk.data = data;
	f.pk.len = len;
	f.pk.pos = 0;
	f.out = out;
	f.start = out->len;
	f.max = max_output;
	pk_keyset_init(&f.keys);
	f.limit = PK_FAST_NO_DICT;
	f.pending = f.memo_n = f.memo_count = 0;
	f.top = (struct pk_fast_span){0};
	if (pk_fast_run(&f) == -1) {
		buf_truncate(out, f.start);
		return -1;
	}
	return 0;
}
