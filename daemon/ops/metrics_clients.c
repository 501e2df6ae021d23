#include "ops/metrics_clients.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "decode/jsonw.h"
#include "net/conn.h"
#include "net/server.h"

struct metrics_clients_list {
	struct conn_info *v;
	size_t n, cap;
};

static void
metrics_clients_collect(void *arg, const struct conn_info *info)
{
	struct metrics_clients_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *info;
}

static int
metrics_clients_busier(const void *a, const void *b)
{
	const struct conn_info *x = a, *y = b;

	if (x->records != y->records)
		return x->records > y->records ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return 0;
}

static void
metrics_clients_one(struct buf *out, const struct conn_info *c)
{
	buf_puts(out, "{\"peer\":");
	if (jsonw_string(out, (const uint8_t *)c->peer, strlen(c->peer)) == -1)
		buf_puts(out, "null"); /* cannot happen: we formatted it */
	buf_printf(out, ",\"connected_since\":%lld,\"last_record\":", (long long)c->since);
	if (c->last_record != 0)
		buf_printf(out, "%lld", (long long)c->last_record);
	else
		buf_puts(out, "null");
	buf_printf(out, ",\"records\":%llu,\"bytes\":%llu}", (unsigned long long)c->records,
		   (unsigned long long)c->bytes);
}

void
metrics_clients_json(struct buf *out, struct conn_info *v, size_t n, size_t max)
{
	size_t shown = n < max ? n : max;

	if (n > 0)
		qsort(v, n, sizeof(*v), metrics_clients_busier);
	buf_printf(out, "{\"total\":%zu,\"shown\":%zu,\"clients\":[", n, shown);
	for (size_t i = 0; i < shown; i++) {
		if (i > 0)
			buf_putc(out, ',');
		metrics_clients_one(out, &v[i]);
	}
	buf_puts(out, "]}\n");
}

void
metrics_clients(struct buf *out, const struct server *srv, size_t max)
{
	struct metrics_clients_list l = {0};

	server_foreach_client(srv, metrics_clients_collect, &l);
	metrics_clients_json(out, l.v, l.n, max);
	free(l.v);
}
