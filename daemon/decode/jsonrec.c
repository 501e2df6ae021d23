#include "decode/jsonrec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/xmalloc.h"
#include "decode/jsonw.h" /* the bytes a string holds as they are */
#include "decode/utf8.h"

/* What the scanner accepts next. */
enum jsonrec_expect {
	EXPECT_VALUE,
	EXPECT_VALUE_OR_CLOSE, /* just after '[' */
	EXPECT_KEY,            /* after ',' in an object */
	EXPECT_KEY_OR_CLOSE,   /* just after '{' */
	EXPECT_COLON,
	EXPECT_COMMA_OR_CLOSE,
	EXPECT_END, /* the top-level object is closed */
};

static int
jsonrec_is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
jsonrec_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int
jsonrec_is_hex(uint8_t c)
{
	return jsonrec_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uint64_t
jsonrec_load8(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* The index of the first byte from p[i] on that is not plain text (or len):
 * eight bytes at a time, then at most seven one by one, so no byte is looked
 * at twice. */
static inline size_t
jsonrec_skip_plain(const uint8_t *p, size_t len, size_t i)
{
	while (len - i >= 8 && !jsonw_special8(jsonrec_load8(p + i)))
		i += 8;
	while (i < len && jsonw_plain(p[i]))
		i++;
	return i;
}

/* A string token starting at p[i] == '"'; returns the index after it, or 0
 * (with *reason set if its UTF-8 is invalid). Strings are the only place
 * JSON allows bytes above 0x7f, so they are checked here. */
static size_t
jsonrec_scan_string(const uint8_t *p, size_t len, size_t i, const char **reason)
{
	for (i++;; i++) {
		size_t n;

		i = jsonrec_skip_plain(p, len, i);
		if (i >= len || p[i] < 0x20)
			return 0; /* unterminated, or a raw control character */
		if (p[i] >= 0x80) {
			if ((n = utf8_sequence(p + i, len - i)) == 0) {
				*reason = "invalid UTF-8";
				return 0;
			}
			i += n - 1;
			continue;
		}
		if (p[i] == '"')
			return i + 1;
		if (++i >= len)
			return 0;
		if (p[i] == 'u') {
			if (len - i <= 4 || !jsonrec_is_hex(p[i + 1]) || !jsonrec_is_hex(p[i + 2]) ||
			    !jsonrec_is_hex(p[i + 3]) || !jsonrec_is_hex(p[i + 4]))
				return 0;
			i += 4;
		} else if (memchr("\"\\/bfnrt", p[i], 8) == NULL) {
			return 0;
		}
	}
}

/* A number token -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; index after
 * it, or 0. */
static size_t
jsonrec_scan_number(const uint8_t *p, size_t len, size_t i)
{
	if (i < len && p[i] == '-')
		i++;
	if (i < len && p[i] == '0') {
		if (++i < len && jsonrec_is_digit(p[i]))
			return 0; /* no leading zeros */
	} else if (i < len && jsonrec_is_digit(p[i])) {
		while (i < len && jsonrec_is_digit(p[i]))
			i++;
	} else {
		return 0;
	}
	if (i < len && p[i] == '.') {
		if (++i >= len || !jsonrec_is_digit(p[i]))
			return 0;
		while (i < len && jsonrec_is_digit(p[i]))
			i++;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		if (++i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= len || !jsonrec_is_digit(p[i]))
			return 0;
		while (i < len && jsonrec_is_digit(p[i]))
			i++;
	}
	return i;
}

/* A scalar token at p[i]: string, number or literal. Index after it, or 0. */
static size_t
jsonrec_scan_scalar(const uint8_t *p, size_t len, size_t i, const char **reason)
{
	uint8_t c = p[i];

	if (c == '"')
		return jsonrec_scan_string(p, len, i, reason);
	if (c == '-' || jsonrec_is_digit(c))
		return jsonrec_scan_number(p, len, i);
	if (len - i >= 4 && memcmp(p + i, "true", 4) == 0)
		return i + 4;
	if (len - i >= 5 && memcmp(p + i, "false", 5) == 0)
		return i + 5;
	if (len - i >= 4 && memcmp(p + i, "null", 4) == 0)
		return i + 4;
	return 0;
}

/*
 * Duplicate keys, looked for while checking at the cost of a hash and a probe
 * per key: each key's hash, with its object's serial number mixed in, goes
 * into one table for the whole record (on the stack for the first keys). A
 * hash met twice, or a key with an escape (another spelling could decode to
 * the same key), marks the record as maybe holding a duplicate, and
 * jsonrec_dedup then compares decoded keys exactly.
 */
#define JSONREC_KEY_SLOTS 64 /* 32 keys before the table moves to the heap */
#define JSONREC_MUL 0x9e3779b97f4a7c15u
#define JSONREC_ONES 0x0101010101010101u

struct jsonrec_keys {
	uint32_t *slot; /* the high half of a hash | 1, or 0 when empty */
	unsigned shift; /* a hash's first slot is hash >> shift */
	size_t left;    /* keys added before the table is half full */
	int dup;        /* maybe a duplicate: no more keys are added */
	uint32_t local[JSONREC_KEY_SLOTS];
};

static void
jsonrec_keys_init(struct jsonrec_keys *k)
{
	memset(k->local, 0, sizeof(k->local));
	k->slot = k->local;
	k->shift = 64 - 6; /* log2(JSONREC_KEY_SLOTS) */
	k->left = JSONREC_KEY_SLOTS / 2;
	k->dup = 0;
}

static void
jsonrec_keys_free(struct jsonrec_keys *k)
{
	if (k->slot != k->local)
		free(k->slot);
}

/* Eight bytes in text order from the lowest: masks and shifts of a word then
 * mean the same on every machine. */
static uint64_t
jsonrec_load8le(const uint8_t *p)
{
	uint64_t w = jsonrec_load8(p);

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* A hash of p[s, s + k) (inside p[0, len)) and seed: a word at a time, the
 * last one masked to the key's bytes. jsonrec_scan_key computes the same for
 * plain keys as it finds their end. */
static uint64_t
jsonrec_hash(const uint8_t *p, size_t len, size_t s, size_t k, uint64_t seed)
{
	uint64_t h = seed, t = 0;
	size_t end = s + k;

	for (; end - s >= 8; s += 8)
		h = (h ^ jsonrec_load8le(p + s)) * JSONREC_MUL;
	if (s < end && len - s >= 8) {
		t = jsonrec_load8le(p + s) & (((uint64_t)1 << (8 * (end - s))) - 1);
	} else if (s < end) {
		memcpy(&t, p + s, end - s);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		t = __builtin_bswap64(t);
#endif
	}
	return (h ^ t) * JSONREC_MUL;
}

/* Put tag in the table from slot at on; whether it was there already. */
static int
jsonrec_keys_put(struct jsonrec_keys *k, size_t at, uint32_t tag)
{
	size_t mask = ((size_t)1 << (64 - k->shift)) - 1;

	for (; k->slot[at] != 0; at = (at + 1) & mask)
		if (k->slot[at] == tag)
			return 1;
	k->slot[at] = tag;
	return 0;
}

/* Twice the slots: the table is bounded by the record's keys, so by its
 * size. A tag is the high half of its hash, whose top bits are its slot. */
static void
jsonrec_keys_grow(struct jsonrec_keys *k)
{
	size_t n = (size_t)1 << (64 - k->shift);
	uint32_t *old = k->slot;

	k->slot = xcalloc(2 * n, sizeof(*k->slot));
	k->left = n / 2;
	k->shift--;
	for (size_t i = 0; i < n; i++)
		if (old[i] != 0)
			jsonrec_keys_put(k, old[i] >> (32 - (64 - k->shift)), old[i]);
	if (old != k->local)
		free(old);
}

static inline void
jsonrec_keys_add(struct jsonrec_keys *k, uint64_t h)
{
	if (jsonrec_keys_put(k, (size_t)(h >> k->shift), (uint32_t)(h >> 32) | 1))
		k->dup = 1;
	else if (--k->left == 0)
		jsonrec_keys_grow(k);
}

/*
 * A key at p[i] == '"', as jsonrec_scan_string, added to keys under seed (its
 * object's). Every key passes here, so a plain ASCII key is found a word at a
 * time, its closing quote by the zero-byte trick, and hashed from the words
 * read; anything else takes the general scanner.
 */
static inline __attribute__((always_inline)) size_t
jsonrec_scan_key(const uint8_t *p, size_t len, size_t i, struct jsonrec_keys *keys,
    uint64_t seed, const char **reason)
{
	size_t s = i + 1, e = s;
	uint64_t h = seed;

	while (len - e >= 8) {
		uint64_t w = jsonrec_load8le(p + e), x = w ^ (JSONREC_ONES * '"');
		uint64_t quote = (x - JSONREC_ONES) & ~x & (JSONREC_ONES * 0x80);

		if (quote != 0) {
			unsigned b = (unsigned)__builtin_ctzll(quote) / 8;
			uint64_t low = ((uint64_t)1 << (8 * b)) - 1;

			if (jsonw_special8((w & low) | (JSONREC_ONES * 'a' & ~low)))
				break;
			if (!keys->dup)
				jsonrec_keys_add(keys, (h ^ (w & low)) * JSONREC_MUL);
			return e + b + 1;
		}
		if (jsonw_special8(w))
			break;
		h = (h ^ w) * JSONREC_MUL;
		e += 8;
	}
	if ((e = jsonrec_scan_string(p, len, i, reason)) == 0)
		return 0;
	if (memchr(p + s, '\\', --e - s) != NULL)
		keys->dup = 1; /* another spelling may decode to the same key */
	else if (!keys->dup)
		jsonrec_keys_add(keys, jsonrec_hash(p, len, s, e - s, seed));
	return e + 1;
}

/* The state after a complete value (or a closed container). */
static enum jsonrec_expect
jsonrec_after_value(size_t depth)
{
	return depth == 0 ? EXPECT_END : EXPECT_COMMA_OR_CLOSE;
}

#define JSONREC_STR(x) #x
#define JSONREC_XSTR(x) JSONREC_STR(x)

/*
 * Check strict RFC 8259 syntax (tokens, nesting, commas and colons, nothing
 * after the top-level object) without copying, and add its keys to keys.
 * *compact tells whether the text has no insignificant whitespace, i.e. is
 * its own line. Returns 0, or -1 with *reason set.
 */
static int
jsonrec_scan(const uint8_t *p, size_t len, struct jsonrec_keys *keys, int *compact,
    const char **reason)
{
	size_t stack[LC_MAX_NESTING]; /* per open container: an object's serial, 0 for an array */
	enum jsonrec_expect expect = EXPECT_VALUE;
	size_t i = 0, depth = 0, objects = 0;

	*reason = "invalid JSON";
	*compact = 1;
	while (i < len) {
		uint8_t c = p[i];
		size_t end = i + 1;

		if (jsonrec_is_space(c)) {
			*compact = 0;
			i++;
			continue;
		}
		switch (expect) {
		case EXPECT_END:
			*reason = "trailing data after the JSON object";
			return -1;
		case EXPECT_COLON:
			if (c != ':')
				return -1;
			expect = EXPECT_VALUE;
			break;
		case EXPECT_KEY:
		case EXPECT_KEY_OR_CLOSE:
			if (c == '}' && expect == EXPECT_KEY_OR_CLOSE) {
				expect = jsonrec_after_value(--depth);
			} else if (c == '"' &&
				   (end = jsonrec_scan_key(p, len, i, keys,
					stack[depth - 1] * JSONREC_MUL, reason)) != 0) {
				expect = EXPECT_COLON;
			} else {
				return -1;
			}
			break;
		case EXPECT_COMMA_OR_CLOSE:
			if (c == ',')
				expect = stack[depth - 1] != 0 ? EXPECT_KEY : EXPECT_VALUE;
			else if (c == (stack[depth - 1] != 0 ? '}' : ']'))
				expect = jsonrec_after_value(--depth);
			else
				return -1;
			break;
		case EXPECT_VALUE:
		case EXPECT_VALUE_OR_CLOSE:
			if (depth == 0 && c != '{') {
				*reason = "JSON value is not an object";
				return -1;
			}
			if (c == ']' && expect == EXPECT_VALUE_OR_CLOSE) {
				expect = jsonrec_after_value(--depth);
			} else if (c == '{' || c == '[') {
				if (depth == LC_MAX_NESTING) {
					*reason = "JSON nested deeper than " JSONREC_XSTR(
					    LC_MAX_NESTING) " levels";
					return -1;
				}
				stack[depth++] = c == '{' ? ++objects : 0;
				expect = c == '{' ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
			} else if ((end = jsonrec_scan_scalar(p, len, i, reason)) != 0) {
				expect = jsonrec_after_value(depth);
			} else {
				return -1;
			}
			break;
		}
		i = end;
	}
	return expect == EXPECT_END ? 0 : -1;
}

/*
 * Most records are one flat, compact object: {"key":scalar,...}. This checks
 * that shape in one straight pass, with no state machine or nesting stack.
 * 1 if the record is such an object and valid; 0 if it is anything else
 * (nested, spaced or invalid), which jsonrec_scan then judges, so every
 * rejection and its reason come from one place.
 */
static int
jsonrec_scan_flat(const uint8_t *p, size_t len, struct jsonrec_keys *keys)
{
	const char *unused;
	size_t i = 1;

	if (len < 2 || p[0] != '{')
		return 0;
	if (p[1] == '}')
		return len == 2;
	for (;;) {
		if (p[i] != '"' ||
		    (i = jsonrec_scan_key(p, len, i, keys, JSONREC_MUL, &unused)) == 0)
			return 0;
		if (i + 1 >= len || p[i] != ':' || p[i + 1] == '{' || p[i + 1] == '[' ||
		    (i = jsonrec_scan_scalar(p, len, i + 1, &unused)) == 0 || i >= len)
			return 0;
		if (p[i] != ',')
			return p[i] == '}' && i + 1 == len;
		if (++i >= len)
			return 0;
	}
}

/* Copy checked JSON to dst without its insignificant whitespace, text between
 * whitespace in one piece. Every byte is written at or before the place it
 * is read from, so dst may be p itself or lie before it. Returns the length. */
static size_t
jsonrec_compact(const uint8_t *p, size_t len, uint8_t *dst)
{
	size_t i = 0, span = 0, o = 0;
	const char *unused;

	while (i < len) {
		if (p[i] == '"') {
			i = jsonrec_scan_string(p, len, i, &unused);
		} else if (jsonrec_is_space(p[i])) {
			memmove(dst + o, p + span, i - span);
			o += i - span;
			span = ++i;
		} else {
			i++;
		}
	}
	memmove(dst + o, p + span, len - span);
	return o + len - span;
}

/*
 * A record that may repeat a key is rebuilt (rarely, so simply, but in linear
 * time): one more pass over the checked text notes each object's members;
 * when an object closes, its keys are compared decoded (as Python's
 * json.loads sees them), and each repeat becomes edits: the first member's
 * value is replaced by the last one's, every later member is dropped. The
 * line is then the text copied span by span between the edits, compacted; a
 * replacing value is copied, edits inside it too, through an explicit stack
 * of spans. Memory is bounded by the record's size.
 */
struct jsonrec_member {
	size_t comma;     /* the ',' before it (not read for an object's first) */
	size_t vs, ve;    /* its value */
	size_t key, klen; /* its decoded key in the arena */
	size_t last;      /* the last member with its key: the value it takes */
};

struct jsonrec_edit {
	size_t at, skip_to; /* text [at, skip_to) is left out */
	size_t from, to;    /* and text [from, to) written in its place */
};

struct jsonrec_dedup {
	const uint8_t *p;
	struct jsonrec_member *m; /* members of the open objects, innermost last */
	uint8_t *arena;           /* their decoded keys: never more than the text */
	struct jsonrec_edit *e;
	size_t *slot; /* one object's keys: member index + 1, or 0 */
	size_t nm, mcap, na, ne, ecap, scap;
};

/* a, grown if needed to hold want items of size bytes. */
static void *
jsonrec_room(void *a, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return a;
	while (*cap < want)
		*cap = *cap != 0 ? 2 * *cap : 64;
	return xreallocarray(a, *cap, size);
}

static uint32_t
jsonrec_hex4(const uint8_t *h)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++)
		v = v << 4 | (uint32_t)(h[k] <= '9' ? h[k] - '0' : (h[k] | 0x20) - 'a' + 10);
	return v;
}

/* A new member whose key is the checked text p[s, e) (inside its quotes),
 * decoded into the arena (never longer than its text). */
static void
jsonrec_dedup_key(struct jsonrec_dedup *d, size_t comma, size_t s, size_t e)
{
	const uint8_t *p = d->p;
	uint8_t *o;

	d->m = jsonrec_room(d->m, &d->mcap, d->nm + 1, sizeof(*d->m));
	d->m[d->nm++] = (struct jsonrec_member){.comma = comma, .key = d->na};
	for (o = d->arena + d->na; s < e;) {
		uint32_t c, lo;

		if (p[s] != '\\') {
			*o++ = p[s++];
		} else if (p[s + 1] != 'u') {
			c = p[s + 1];
			*o++ = (uint8_t)(c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' :
			                 c == 'r' ? '\r' : c == 't' ? '\t' : c);
			s += 2;
		} else {
			c = jsonrec_hex4(p + s + 2);
			s += 6;
			/* A high surrogate and a low one: the character they encode. */
			if (c >= 0xd800 && c < 0xdc00 && e - s >= 6 && p[s] == '\\' &&
			    p[s + 1] == 'u' && (lo = jsonrec_hex4(p + s + 2)) >= 0xdc00 &&
			    lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			/* A lone surrogate takes the three-byte form that valid
			 * UTF-8 text never holds, so it equals only itself. */
			o += utf8_put(o, c);
		}
	}
	d->m[d->nm - 1].klen = (size_t)(o - (d->arena + d->na));
	d->na += d->m[d->nm - 1].klen;
}

static void
jsonrec_dedup_edit(struct jsonrec_dedup *d, size_t at, size_t skip_to, size_t from, size_t to)
{
	d->e = jsonrec_room(d->e, &d->ecap, d->ne + 1, sizeof(*d->e));
	d->e[d->ne++] = (struct jsonrec_edit){at, skip_to, from, to};
}

/* The object whose members start at base closes: its repeats become edits,
 * and its members leave the stack. */
static void
jsonrec_dedup_object(struct jsonrec_dedup *d, size_t base)
{
	struct jsonrec_member *m = d->m;
	size_t n = d->nm - base, cap = 4;
	unsigned bits = 2;

	if (n == 0)
		return;
	while (cap < 2 * n)
		cap <<= 1, bits++;
	d->slot = jsonrec_room(d->slot, &d->scap, cap, sizeof(*d->slot));
	memset(d->slot, 0, cap * sizeof(*d->slot));
	for (size_t j = base; j < d->nm; j++) {
		size_t at =
		    (size_t)(jsonrec_hash(d->arena, d->na, m[j].key, m[j].klen, 0) >> (64 - bits));

		m[j].last = j;
		for (;; at = (at + 1) & (cap - 1)) {
			size_t f = d->slot[at] + base - 1;

			if (d->slot[at] == 0) {
				d->slot[at] = j - base + 1;
				break;
			}
			if (m[f].klen == m[j].klen &&
			    memcmp(d->arena + m[f].key, d->arena + m[j].key, m[j].klen) == 0) {
				m[f].last = j;
				jsonrec_dedup_edit(d, m[j].comma, m[j].ve, 0, 0);
				break;
			}
		}
	}
	for (size_t j = base; j < d->nm; j++)
		if (m[j].last > j)
			jsonrec_dedup_edit(d, m[j].vs, m[j].ve, m[m[j].last].vs, m[m[j].last].ve);
	d->na = m[base].key;
	d->nm = base;
}

/* The member whose value starts or ends here, if the innermost container is
 * an object (open[] holds an object's first member, SIZE_MAX for arrays). */
static struct jsonrec_member *
jsonrec_dedup_current(struct jsonrec_dedup *d, const size_t *open, size_t depth)
{
	return depth > 0 && open[depth - 1] != SIZE_MAX ? &d->m[d->nm - 1] : NULL;
}

/* Note the members of every object of checked text p[0, len), and the edits. */
static void
jsonrec_dedup_scan(struct jsonrec_dedup *d, size_t len)
{
	size_t open[LC_MAX_NESTING], depth = 0, i = 0, comma = SIZE_MAX;
	const uint8_t *p = d->p;
	struct jsonrec_member *cur;
	const char *unused;
	int want_key = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t end = i + 1;

		if (c == '}' || c == ']') {
			if (c == '}')
				jsonrec_dedup_object(d, open[depth - 1]);
			if ((cur = jsonrec_dedup_current(d, open, --depth)) != NULL)
				cur->ve = end;
		} else if (c == ',') {
			comma = i;
			want_key = open[depth - 1] != SIZE_MAX;
		} else if (want_key && c == '"') {
			end = jsonrec_scan_string(p, len, i, &unused);
			jsonrec_dedup_key(d, comma, i + 1, end - 1);
			want_key = 0;
		} else if (!jsonrec_is_space(c) && c != ':') {
			if ((cur = jsonrec_dedup_current(d, open, depth)) != NULL)
				cur->vs = i;
			if (c == '{' || c == '[') {
				open[depth++] = c == '{' ? d->nm : SIZE_MAX;
				want_key = c == '{';
				comma = SIZE_MAX;
			} else {
				end = jsonrec_scan_scalar(p, len, i, &unused);
				if (cur != NULL)
					cur->ve = end;
			}
		}
		i = end;
	}
}

static int
jsonrec_edit_cmp(const void *a, const void *b)
{
	size_t x = ((const struct jsonrec_edit *)a)->at, y = ((const struct jsonrec_edit *)b)->at;

	return (x > y) - (x < y);
}

/* The first edit at or after text offset at. */
static size_t
jsonrec_dedup_next(const struct jsonrec_dedup *d, size_t at)
{
	size_t lo = 0, hi = d->ne;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->e[mid].at < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The line of checked text p[0, len) without repeated keys, to out (which
 * does not overlap p); its length, at most len. */
static size_t
jsonrec_dedup(const uint8_t *p, size_t len, uint8_t *out)
{
	struct jsonrec_dedup d = {.p = p, .arena = xmalloc(len)};
	struct jsonrec_span {
		size_t at, end, edit;
	} *span = xreallocarray(NULL, LC_MAX_NESTING + 1, sizeof(*span));
	size_t depth = 1, o = 0;

	jsonrec_dedup_scan(&d, len);
	if (d.ne > 1) /* none if the repeat was only a hash's, or an escape's */
		qsort(d.e, d.ne, sizeof(*d.e), jsonrec_edit_cmp);
	/* Replacing values nest only inside each other, one per level. */
	span[0] = (struct jsonrec_span){0, len, 0};
	while (depth > 0) {
		struct jsonrec_span *sp = &span[depth - 1];
		const struct jsonrec_edit *ed = sp->edit < d.ne && d.e[sp->edit].at < sp->end ?
		                                    &d.e[sp->edit] : NULL;
		size_t stop = ed != NULL ? ed->at : sp->end;

		o += jsonrec_compact(p + sp->at, stop - sp->at, out + o);
		if (ed == NULL) {
			depth--;
			continue;
		}
		sp->at = ed->skip_to;
		sp->edit = jsonrec_dedup_next(&d, sp->at);
		if (ed->from < ed->to)
			span[depth++] = (struct jsonrec_span){ed->from, ed->to,
			    jsonrec_dedup_next(&d, ed->from)};
	}
	free(span);
	free(d.m);
	free(d.arena);
	free(d.e);
	free(d.slot);
	return o;
}

int
jsonrec_line_at(const uint8_t *data, size_t len, uint8_t *dst, size_t *linelen,
    const char **reason)
{
	struct jsonrec_keys keys;
	int compact = 1;
	size_t n = len;

	jsonrec_keys_init(&keys);
	if (!jsonrec_scan_flat(data, len, &keys)) {
		jsonrec_keys_free(&keys);
		jsonrec_keys_init(&keys);
		if (jsonrec_scan(data, len, &keys, &compact, reason) == -1) {
			jsonrec_keys_free(&keys);
			return -1;
		}
	}
	jsonrec_keys_free(&keys);
	if (keys.dup) {
		/* Written aside: a value moved forward would overwrite text still to be read. */
		uint8_t *line = xmalloc(len);

		n = jsonrec_dedup(data, len, line);
		memcpy(dst, line, n);
		free(line);
	} else if (!compact) {
		n = jsonrec_compact(data, len, dst);
	} else if (dst != data) {
		memmove(dst, data, len);
	}
	dst[n] = '\n';
	*linelen = n + 1;
	return 0;
}

int
jsonrec_to_line(const uint8_t *data, size_t len, struct buf *out, const char **reason)
{
	size_t n;

	buf_reserve(out, len + 1);
	if (jsonrec_line_at(data, len, (uint8_t *)out->data + out->len, &n, reason) == -1)
		return -1;
	out->len += n;
	return 0;
}

int
jsonrec_sniff(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!jsonrec_is_space(data[i]))
			return data[i] == '{';
	return 0;
}
