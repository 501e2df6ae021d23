/*
 * Printing the pickle decoder's value tree as compact JSON, the way
 * json.dumps would print what pickle.loads returns, plus bounded "$"
 * descriptions for what JSON cannot hold (docs/protocol.md lists them).
 *
 * Shared references are printed in full each time (as json.dumps does); a
 * container met again while it is being printed is a cycle and prints as
 * {"$recursion":true}. Work is bounded by the output limit, which is checked
 * before each value, and by the nesting limit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "decode/jsonw.h"
#include "decode/pickle_int.h"

#define PK_PUTS(out, lit) buf_append((out), (lit), sizeof(lit) - 1)

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
	if (node->u.s.len > LC_PICKLE_MAX_OUTPUT)
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

	if (node->u.s.len > LC_PICKLE_MAX_OUTPUT / 4 * 3)
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

static enum pickle_error pk_emit_key(struct pk *pk, uint32_t key, struct buf *out, int depth);

/* Items as an array, or key/value cells as an object. */
static enum pickle_error
pk_emit_seq(struct pk *pk, const struct pk_node *node, struct buf *out, int depth, int pairs)
{
	enum pickle_error err;
	uint32_t c = node->u.c.first;

	buf_putc(out, pairs ? '{' : '[');
	for (uint32_t k = 0; k < node->n; k++, c = PK_CELL(pk, c)->next) {
		if (k > 0)
			buf_putc(out, ',');
		if (pairs) {
			if ((err = pk_emit_key(pk, PK_CELL(pk, c)->key, out, depth)) != PICKLE_OK)
				return err;
			buf_putc(out, ':');
		}
		if ((err = pk_emit(pk, PK_CELL(pk, c)->val, out, depth + 1)) != PICKLE_OK)
			return err;
	}
	buf_putc(out, pairs ? '}' : ']');
	return PICKLE_OK;
}

/* A key that is not a string, a number, a bool or None (a tuple, bytes, an
 * object): its JSON description, as a string. */
static enum pickle_error
pk_emit_key_described(struct pk *pk, uint32_t key, struct buf *out, int depth)
{
	struct buf tmp;
	size_t saved = pk->out_start;
	enum pickle_error err;

	buf_init(&tmp);
	pk->out_start = 0;
	err = pk_emit(pk, key, &tmp, depth + 1);
	pk->out_start = saved;
	if (err == PICKLE_OK && jsonw_string(out, (const uint8_t *)tmp.data, tmp.len) == -1)
		err = pk_fail(pk, PICKLE_ERR_UTF8, "invalid UTF-8 in a key");
	buf_free(&tmp);
	return err;
}

/* Dict keys become strings the way json.dumps makes them. */
static enum pickle_error
pk_emit_key(struct pk *pk, uint32_t key, struct buf *out, int depth)
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
	default:
		return pk_emit_key_described(pk, key, out, depth);
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

/* ,"name":value for a part of an object description that is present. */
static enum pickle_error
pk_emit_member(struct pk *pk, const char *name, uint32_t idx, struct buf *out, int depth)
{
	if (idx == PK_NIL)
		return PICKLE_OK;
	buf_puts(out, name);
	return pk_emit(pk, idx, out, depth + 1);
}

static enum pickle_error
pk_emit_call(struct pk *pk, const struct pk_node *node, struct buf *out, int depth)
{
	const struct pk_node *func = PK_NODE(pk, node->u.call.func);
	uint32_t items = node->n;
	enum pickle_error err;

	PK_PUTS(out, "{\"$call\":");
	if (func->type == PK_GLOBAL)
		err = pk_emit_global_name(pk, func, out);
	else
		err = pk_emit(pk, node->u.call.func, out, depth + 1);
	if (err == PICKLE_OK)
		err = pk_emit_member(pk, ",\"$args\":", node->u.call.args, out, depth);
	if (err == PICKLE_OK)
		err = pk_emit_member(pk, ",\"$kwargs\":", node->u.call.kwargs, out, depth);
	if (err == PICKLE_OK)
		err = pk_emit_member(pk, ",\"$state\":", node->u.call.state, out, depth);
	if (err == PICKLE_OK && items != PK_NIL)
		err = pk_emit_member(pk,
		    PK_NODE(pk, items)->type == PK_DICT ? ",\"$dictitems\":" : ",\"$listitems\":",
		    items, out, depth);
	buf_putc(out, '}');
	return err;
}

static enum pickle_error
pk_emit_nested(struct pk *pk, struct pk_node *node, struct buf *out, int depth)
{
	enum pickle_error err;

	if (depth >= LC_PICKLE_MAX_DEPTH)
		return pk_fail(pk, PICKLE_ERR_DEPTH, "nested deeper than the limit");
	if (node->flags & PK_F_ACTIVE) {
		PK_PUTS(out, "{\"$recursion\":true}");
		return PICKLE_OK;
	}
	node->flags |= PK_F_ACTIVE;
	switch (node->type) {
	case PK_DICT:
		err = pk_emit_seq(pk, node, out, depth, 1);
		break;
	case PK_SET:
	case PK_FROZENSET:
		buf_puts(out, node->type == PK_SET ? "{\"$set\":" : "{\"$frozenset\":");
		err = pk_emit_seq(pk, node, out, depth, 0);
		buf_putc(out, '}');
		break;
	case PK_GLOBAL:
		PK_PUTS(out, "{\"$global\":");
		err = pk_emit_global_name(pk, node, out);
		buf_putc(out, '}');
		break;
	case PK_CALL:
		err = pk_emit_call(pk, node, out, depth);
		break;
	default: /* list, tuple */
		err = pk_emit_seq(pk, node, out, depth, 0);
		break;
	}
	node->flags &= (uint8_t)~PK_F_ACTIVE;
	return err;
}

/* A value that is not a container; the fast path prints with it too. */
enum pickle_error
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

enum pickle_error
pk_emit(struct pk *pk, uint32_t idx, struct buf *out, int depth)
{
	struct pk_node *node = PK_NODE(pk, idx);

	if (out->len - pk->out_start > LC_PICKLE_MAX_OUTPUT)
		return pk_fail(pk, PICKLE_ERR_TOO_BIG, "output over the per-record limit");
	if (node->type >= PK_LIST)
		return pk_emit_nested(pk, node, out, depth);
	return pk_emit_scalar(pk, node, out);
}
