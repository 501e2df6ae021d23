/*
 * Printing the pickle decoder's value tree as compact JSON, the way
 * json.dumps would print what pickle.loads returns, plus bounded "$"
 * descriptions for what JSON cannot hold (docs/protocol.md lists them).
 *
 * The printer is a loop over a vector of frames, one per open container,
 * never a recursion: nesting is limited to LC_MAX_NESTING JSON levels, and
 * the C stack it uses is the same for every record.
 *
 * Shared references are printed in full each time (as json.dumps does); a
 * container met again while it is being printed is a cycle and prints as
 * {"$recursion":true}. Work is bounded by the output limit, which is checked
 * before each value and each dict key, and by the nesting limit.
 *
 * A dict is printed in two passes: its keys' texts first (into the output,
 * then set aside in pk.keys), so that repeated texts can be found
 * (pk_keys_dedup), then each distinct key once, where it first appeared,
 * with the value set last. So no line has a duplicate key, whatever keys
 * Python held distinct (1 and "1" both print "1").
 */
#include <math.h>
#include <string.h>

#include "base/limits.h"
#include "decode/jsonw.h"
#include "decode/pickle_int.h"

#define PK_PUTS(out, lit) buf_append((out), (lit), sizeof(lit) - 1)
#define PK_TEXT2(x) #x
#define PK_TEXT(x) PK_TEXT2(x)

/* Frames kept inline before the frame vector moves to the heap. */
#define PK_INLINE_FRAMES 16

enum pk_frame_kind { PK_FRAME_SEQ, PK_FRAME_KEYS, PK_FRAME_VALUES, PK_FRAME_CALL };

/* The parts of a $call description, in the order printed (pk_frame.cell). */
enum pk_call_part {
	PK_PART_FUNC,
	PK_PART_ARGS,
	PK_PART_KWARGS,
	PK_PART_STATE,
	PK_PART_ITEMS,
	PK_PART_END
};

static void
pk_emit_bigint(const struct pk *pk, const struct pk_node *node, struct buf *out)
{
	if (node->flags & PK_F_NEG)
		buf_putc(out, '-');
	buf_append(out, pk_bytes(pk, node), node->u.s.len);
}

static enum pickle_error
pk_emit_str(struct pk *pk, const struct pk_node *node, struct buf *out)
{
	if (node->u.s.len > pk->max_output)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "string longer than the output limit");
	if (jsonw_string(out, pk_bytes(pk, node), node->u.s.len) == -1)
		return pk_fail(pk, PICKLE_ERR_UTF8, "invalid UTF-8 in a string");
	return PICKLE_OK;
}

/* Base64 of text that stands for bytes (U+0000..U+00FF each one byte), in
 * chunks that are a multiple of 3 bytes so the pieces join up. */
static enum pickle_error
pk_emit_latin1(struct pk *pk, const uint8_t *s, size_t n, struct buf *out)
{
	uint8_t chunk[3 * 256];
	size_t i = 0, k = 0;

	while (i < n) {
		if (s[i] < 0x80) {
			chunk[k++] = s[i++];
		} else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < n && (s[i + 1] & 0xc0) == 0x80) {
			chunk[k++] = (uint8_t)((s[i] & 0x1f) << 6 | (s[i + 1] & 0x3f));
			i += 2;
		} else {
			return pk_fail(pk, PICKLE_ERR_VALUE, "bytes given as text beyond latin-1");
		}
		if (k == sizeof(chunk)) {
			jsonw_base64(out, chunk, k);
			k = 0;
		}
	}
	jsonw_base64(out, chunk, k);
	return PICKLE_OK;
}

static enum pickle_error
pk_emit_bytes(struct pk *pk, const struct pk_node *node, struct buf *out)
{
	enum pickle_error err = PICKLE_OK;

	if (node->u.s.len > pk->max_output / 4 * 3)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "bytes longer than the output limit");
	if (node->type == PK_BYTES)
		PK_PUTS(out, "{\"$bytes\":\"");
	else
		PK_PUTS(out, "{\"$bytearray\":\"");
	if (node->flags & PK_F_LATIN1)
		err = pk_emit_latin1(pk, pk_bytes(pk, node), node->u.s.len, out);
	else
		jsonw_base64(out, pk_bytes(pk, node), node->u.s.len);
	PK_PUTS(out, "\"}");
	return err;
}

/* "module.name[.attr]" as one JSON string; Python 2 module names mapped. */
static enum pickle_error
pk_emit_global_name(struct pk *pk, const struct pk_node *node, struct buf *out)
{
	const struct pk_node *mod = PK_NODE(pk, node->u.g.module);
	uint32_t parts[2] = {node->u.g.name, node->u.g.attr};
	const char *alias;
	size_t alias_len;
	enum pickle_error err;

	alias = pk_module_alias(pk_bytes(pk, mod), mod->u.s.len, &alias_len);
	if (alias != NULL)
		jsonw_string(out, (const uint8_t *)alias, alias_len);
	else if ((err = pk_emit_str(pk, mod, out)) != PICKLE_OK)
		return err;
	for (int k = 0; k < 2 && parts[k] != PK_NIL; k++) {
		/* Join the parts: the next string's opening quote becomes the
		 * dot that replaces this one's closing quote. */
		size_t dot;

		out->len--;
		dot = out->len;
		if ((err = pk_emit_str(pk, PK_NODE(pk, parts[k]), out)) != PICKLE_OK)
			return err;
		out->data[dot] = '.';
	}
	return PICKLE_OK;
}

/* A value that is not a container. */
static enum pickle_error
pk_emit_scalar(struct pk *pk, const struct pk_node *node, struct buf *out)
{
	switch (node->type) {
	case PK_NONE:
	case PK_TRUE:
	case PK_FALSE:
		pk_emit_const(node->type, out);
		return PICKLE_OK;
	case PK_INT:
		jsonw_int(out, node->u.i);
		return PICKLE_OK;
	case PK_BIGINT:
		pk_emit_bigint(pk, node, out);
		return PICKLE_OK;
	case PK_FLOAT:
		jsonw_double(out, node->u.d);
		return PICKLE_OK;
	case PK_STR:
		return pk_emit_str(pk, node, out);
	default:
		return pk_emit_bytes(pk, node, out);
	}
}

/* Over the limit: what is printed, set aside to print, or dropped. */
static int
pk_over(const struct pk *pk, const struct buf *out)
{
	return out->len - pk->out_start + pk->pending + pk->discarded > pk->max_output;
}

static enum pickle_error
pk_too_big(struct pk *pk)
{
	return pk_fail(pk, PICKLE_ERR_TOO_BIG, "output over the per-record limit");
}

static enum pickle_error
pk_oom(struct pk *pk)
{
	return pk_fail(pk, PICKLE_ERR_TOO_BIG, "out of memory for values");
}

/* Room for n bytes of key text at the end of pk.keys, or NULL. */
static uint8_t *
pk_keys_room(struct pk *pk, size_t n)
{
	return n > UINT32_MAX / 2 ? NULL : pk_vec_push(&pk->keys, (uint32_t)n);
}

/* A described key's text, out[from..), becomes one JSON string. */
static enum pickle_error
pk_quote(struct pk *pk, struct buf *out, size_t from)
{
	size_t n = out->len - from;
	uint32_t at = pk->keys.n;
	uint8_t *tmp;
	int rc;

	if ((tmp = pk_keys_room(pk, n)) == NULL)
		return pk_oom(pk);
	memcpy(tmp, out->data + from, n);
	buf_truncate(out, from);
	rc = jsonw_string(out, (const uint8_t *)pk->keys.p + at, n);
	pk->keys.n = at;
	if (rc == -1)
		return pk_fail(pk, PICKLE_ERR_UTF8, "invalid UTF-8 in a key");
	return pk_over(pk, out) ? pk_too_big(pk) : PICKLE_OK;
}

/* Whether a value opening levels more JSON levels stays within the limit. */
static enum pickle_error
pk_nest(struct pk *pk, uint32_t levels)
{
	if (pk->depth + levels > LC_MAX_NESTING)
		return pk_fail(pk, PICKLE_ERR_DEPTH,
		    "nested deeper than " PK_TEXT(LC_MAX_NESTING) " levels");
	return PICKLE_OK;
}

/* A value with no frame of its own; quote as for pk_emit_value. */
static enum pickle_error
pk_emit_leaf(struct pk *pk, struct pk_node *node, struct buf *out, size_t quote)
{
	enum pickle_error err;

	if (node->type == PK_GLOBAL) {
		PK_PUTS(out, "{\"$global\":");
		err = pk_emit_global_name(pk, node, out);
		buf_putc(out, '}');
	} else if (node->flags & PK_F_ACTIVE) {
		PK_PUTS(out, "{\"$recursion\":true}");
		err = PICKLE_OK;
	} else {
		err = pk_emit_scalar(pk, node, out);
	}
	if (err == PICKLE_OK && quote != SIZE_MAX)
		err = pk_quote(pk, out, quote);
	return err;
}

/*
 * Print a value: at once if it has no items, else open it and push its
 * frame for pk_step to go on with. quote is SIZE_MAX, or for a dict
 * key described as JSON, where its text starts (it is quoted when done).
 */
static enum pickle_error
pk_emit_value(struct pk *pk, uint32_t idx, struct buf *out, size_t quote)
{
	struct pk_node *node = PK_NODE(pk, idx);
	struct pk_frame *f;
	uint32_t levels = node->type == PK_SET || node->type == PK_FROZENSET ? 2 : 1;
	enum pickle_error err;

	if (pk_over(pk, out))
		return pk_too_big(pk);
	if (node->type < PK_BYTES)
		return pk_emit_leaf(pk, node, out, quote);
	if ((err = pk_nest(pk, levels)) != PICKLE_OK)
		return err;
	if (node->type < PK_LIST || node->type == PK_GLOBAL || (node->flags & PK_F_ACTIVE))
		return pk_emit_leaf(pk, node, out, quote); /* {"$bytes":..} and the like */
	if ((f = pk_vec_push(&pk->frames, 1)) == NULL)
		return pk_oom(pk);
	*f = (struct pk_frame){.quote = quote, .node = idx, .cell = node->u.c.first,
	    .levels = (uint8_t)levels};
	pk->depth += levels;
	node->flags |= PK_F_ACTIVE;
	switch (node->type) {
	case PK_DICT:
		f->kind = PK_FRAME_KEYS;
		f->plan = pk->plans.n;
		if (node->n > 0 && pk_vec_push(&pk->plans, node->n) == NULL)
			return pk_oom(pk);
		buf_putc(out, '{');
		break;
	case PK_CALL:
		f->kind = PK_FRAME_CALL;
		f->cell = PK_PART_FUNC;
		PK_PUTS(out, "{\"$call\":");
		break;
	case PK_SET:
	case PK_FROZENSET:
		buf_puts(out, node->type == PK_SET ? "{\"$set\":[" : "{\"$frozenset\":[");
		break;
	default: /* list, tuple */
		buf_putc(out, '[');
		break;
	}
	return PICKLE_OK;
}

/* The innermost container is done. */
static enum pickle_error
pk_close(struct pk *pk, struct pk_frame *f, struct buf *out)
{
	size_t quote = f->quote;

	PK_NODE(pk, f->node)->flags &= (uint8_t)~PK_F_ACTIVE;
	pk->depth -= f->levels;
	pk->frames.n--;
	return quote == SIZE_MAX ? PICKLE_OK : pk_quote(pk, out, quote);
}

static enum pickle_error
pk_step_seq(struct pk *pk, struct pk_frame *f, struct buf *out)
{
	const struct pk_node *node = PK_NODE(pk, f->node);
	uint32_t val;

	if (f->k == node->n) {
		if (f->levels == 2)
			PK_PUTS(out, "]}");
		else
			buf_putc(out, node->type == PK_DICT ? '}' : ']');
		return pk_close(pk, f, out);
	}
	val = PK_CELL(pk, f->cell)->val;
	f->cell = PK_CELL(pk, f->cell)->next;
	if (f->k++ > 0)
		buf_putc(out, ',');
	return pk_emit_value(pk, val, out, SIZE_MAX);
}

/* A dict key's text, as json.dumps makes keys strings. */
static enum pickle_error
pk_emit_key(struct pk *pk, uint32_t key, struct buf *out)
{
	const struct pk_node *node = PK_NODE(pk, key);

	switch (node->type) {
	case PK_STR:
		return pk_emit_str(pk, node, out);
	case PK_NONE:
	case PK_TRUE:
	case PK_FALSE:
	case PK_INT:
	case PK_BIGINT:
	case PK_FLOAT:
		break;
	default: /* a tuple, bytes, an object: its description, as a string */
		return pk_emit_value(pk, key, out, out->len);
	}
	buf_putc(out, '"');
	if (node->type <= PK_FALSE)
		pk_emit_const(node->type, out); /* as keys json.dumps quotes the same words */
	else if (node->type == PK_INT)
		jsonw_int(out, node->u.i);
	else if (node->type == PK_BIGINT)
		pk_emit_bigint(pk, node, out);
	else if (isnan(node->u.d))
		PK_PUTS(out, "NaN");
	else if (isinf(node->u.d))
		buf_puts(out, node->u.d < 0 ? "-Infinity" : "Infinity");
	else
		jsonw_double(out, node->u.d);
	buf_putc(out, '"');
	return PICKLE_OK;
}

/* First pass over a dict: every key's text, after its '{'. Then the texts
 * are set aside and the entries to print chosen. */
static enum pickle_error
pk_step_keys(struct pk *pk, struct pk_frame *f, struct buf *out)
{
	const struct pk_node *node = PK_NODE(pk, f->node);
	struct pk_plan *plan = (struct pk_plan *)pk->plans.p + f->plan;
	size_t base, n;
	uint8_t *dst;
	enum pickle_error err;

	if (f->k > 0)
		plan[f->k - 1].len = out->len - pk->out_start - plan[f->k - 1].off;
	if (f->k < node->n) {
		const struct pk_cell *cell = PK_CELL(pk, f->cell);

		if (pk_over(pk, out))
			return pk_too_big(pk);
		plan[f->k] = (struct pk_plan){.off = out->len - pk->out_start, .key = cell->key,
		    .val = cell->val, .lead = f->k};
		f->k++;
		f->cell = cell->next;
		return pk_emit_key(pk, cell->key, out);
	}
	if (node->n == 0)
		return pk_step_seq(pk, f, out); /* {} */
	base = plan[0].off;
	n = out->len - pk->out_start - base;
	if ((err = pk_keys_dedup(pk, plan, node->n, out->data + pk->out_start)) != PICKLE_OK)
		return err;
	if ((dst = pk_keys_room(pk, n)) == NULL)
		return pk_oom(pk);
	memcpy(dst, out->data + pk->out_start + base, n);
	for (uint32_t k = 0; k < node->n; k++)
		plan[k].off = plan[k].off - base + (pk->keys.n - n);
	buf_truncate(out, pk->out_start + base);
	pk->pending += n;
	f->kind = PK_FRAME_VALUES;
	f->k = 0;
	return PICKLE_OK;
}

/* Second pass: each first entry of a key text, with the value set last. */
static enum pickle_error
pk_step_values(struct pk *pk, struct pk_frame *f, struct buf *out)
{
	const struct pk_node *node = PK_NODE(pk, f->node);
	struct pk_plan *plan = (struct pk_plan *)pk->plans.p + f->plan;

	while (f->k < node->n && plan[f->k].lead != f->k) {
		/* A repeated key is dropped, but still counts: work stays bounded. */
		pk->pending -= plan[f->k].len;
		pk->discarded += plan[f->k].len;
		f->k++;
	}
	if (f->k == node->n) {
		buf_putc(out, '}');
		pk->keys.n = (uint32_t)plan[0].off;
		pk->plans.n = f->plan;
		return pk_close(pk, f, out);
	}
	plan += f->k++;
	if (f->printed++ > 0)
		buf_putc(out, ',');
	buf_append(out, (const uint8_t *)pk->keys.p + plan->off, plan->len);
	pk->pending -= plan->len;
	buf_putc(out, ':');
	return pk_emit_value(pk, plan->val, out, SIZE_MAX);
}

/* ,"name":value for the next part of an object description present. */
static enum pickle_error
pk_step_call(struct pk *pk, struct pk_frame *f, struct buf *out)
{
	const struct pk_node *node = PK_NODE(pk, f->node);
	const struct pk_node *func = PK_NODE(pk, node->u.call.func);
	uint32_t items = node->n;

	switch (f->cell++) {
	case PK_PART_FUNC:
		if (func->type == PK_GLOBAL)
			return pk_emit_global_name(pk, func, out);
		return pk_emit_value(pk, node->u.call.func, out, SIZE_MAX);
	case PK_PART_ARGS:
		PK_PUTS(out, ",\"$args\":");
		return pk_emit_value(pk, node->u.call.args, out, SIZE_MAX);
	case PK_PART_KWARGS:
		if (node->u.call.kwargs == PK_NIL)
			return PICKLE_OK;
		PK_PUTS(out, ",\"$kwargs\":");
		return pk_emit_value(pk, node->u.call.kwargs, out, SIZE_MAX);
	case PK_PART_STATE:
		if (node->u.call.state == PK_NIL)
			return PICKLE_OK;
		PK_PUTS(out, ",\"$state\":");
		return pk_emit_value(pk, node->u.call.state, out, SIZE_MAX);
	case PK_PART_ITEMS:
		if (items == PK_NIL)
			return PICKLE_OK;
		if (PK_NODE(pk, items)->type == PK_DICT)
			PK_PUTS(out, ",\"$dictitems\":");
		else
			PK_PUTS(out, ",\"$listitems\":");
		return pk_emit_value(pk, items, out, SIZE_MAX);
	default:
		buf_putc(out, '}');
		return pk_close(pk, f, out);
	}
}

static enum pickle_error
pk_step(struct pk *pk, struct buf *out)
{
	struct pk_frame *f = (struct pk_frame *)pk->frames.p + pk->frames.n - 1;

	switch (f->kind) {
	case PK_FRAME_KEYS:
		return pk_step_keys(pk, f, out);
	case PK_FRAME_VALUES:
		return pk_step_values(pk, f, out);
	case PK_FRAME_CALL:
		return pk_step_call(pk, f, out);
	default:
		return pk_step_seq(pk, f, out);
	}
}

enum pickle_error
pk_emit(struct pk *pk, uint32_t root, struct buf *out)
{
	struct pk_frame frames[PK_INLINE_FRAMES];
	enum pickle_error err;

	pk_vec_init(&pk->frames, frames, PK_INLINE_FRAMES, sizeof(frames[0]), LC_MAX_NESTING);
	err = pk_emit_value(pk, root, out, SIZE_MAX);
	while (err == PICKLE_OK && pk->frames.n > 0)
		err = pk_step(pk, out);
	pk_vec_free(&pk->frames);
	return err;
}
