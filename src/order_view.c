/* order_view.c: the order as data: one SQL fragment, field tables per shape, one builder. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "db.h"
#include "json.h"
#include "order_view.h"

/* The columns of the customer's shapes; the options only choose what the builder reads. */
/* clang-format off */
#define ORDER_VIEW_COLUMNS \
	"SELECT o.id, o.order_number, o.status, o.subtotal::text AS subtotal, " \
	"o.delivery_fee::text AS delivery_fee, o.total_amount::text AS total_amount, " \
	SQL_TIME("o.delivery_slot") " AS delivery_slot, " \
	"o.custom_message, o.is_gift, o.gift_message, o.address::text AS address, o.tracking_token, " \
	SQL_TIME("o.created_at") " AS created_at, " \
	"p.id AS pay_id, p.status AS pay_status, p.amount::text AS pay_amount, p.currency AS pay_currency, " \
	"p.method AS pay_method, p.razorpay_order_id, p.razorpay_payment_id, " \
	SQL_TIME("p.captured_at") " AS pay_captured_at, " \
	"d.id AS del_id, d.booking_state, d.status AS del_status, d.borzo_order_id, d.tracking_url, " \
	"d.courier_name, d.courier_phone, d.price::text AS del_price, d.last_error AS del_last_error, " \
	SQL_TIME("d.booked_at") " AS del_booked_at, " SQL_TIME("d.delivered_at") " AS del_delivered_at "
/* those only staff read (OV_ADMIN), over users u */
#define ORDER_VIEW_STAFF_COLUMNS \
	", o.needs_attention, o.attention_reason, " \
	"u.id AS user_id, " ORDER_VIEW_CUSTOMER_NAME " AS user_name, " \
	"CASE WHEN u.deleted_at IS NULL THEN u.email END AS user_email, " \
	"CASE WHEN u.deleted_at IS NULL THEN u.phone END AS user_phone "
/* clang-format on */
#define ORDER_VIEW_JOINS "LEFT JOIN payments p ON p.order_id = o.id LEFT JOIN deliveries d ON d.order_id = o.id "
#define ORDER_VIEW_STAFF_JOINS "JOIN users u ON u.id = o.user_id " ORDER_VIEW_JOINS

/* Only what the shape reads is joined: the customer's shapes skip users (a
 * customer's page of 20 orders costs PostgreSQL a third less). One text per
 * shape: each is prepared once per session. Times are formatted for people by
 * the pages (timefmt.h), never here. */
static const char *view_columns(unsigned opt)
{
	return (opt & OV_ADMIN) ? ORDER_VIEW_COLUMNS ORDER_VIEW_STAFF_COLUMNS : ORDER_VIEW_COLUMNS;
}

static const char *view_joins(unsigned opt)
{
	return (opt & OV_ADMIN) ? ORDER_VIEW_STAFF_JOINS : ORDER_VIEW_JOINS;
}

/* ---- field tables: JSON key, column, type; each shape lists its fields in answer order ---- */

enum field_type { F_TEXT,
		  F_INT,
		  F_BOOL,
		  F_JSON };

struct field {
	const char *key, *col;
	enum field_type type;
};

#define FIELDS(t) (t), sizeof(t) / sizeof((t)[0])

static const struct field order_head[] = {
	{ "id", "id", F_TEXT },
	{ "orderNumber", "order_number", F_INT },
	{ "status", "status", F_TEXT },
};
static const struct field order_body[] = {
	{ "subtotal", "subtotal", F_TEXT },
	{ "deliveryFee", "delivery_fee", F_TEXT },
	{ "totalAmount", "total_amount", F_TEXT },
	{ "deliverySlot", "delivery_slot", F_TEXT },
	{ "customMessage", "custom_message", F_TEXT },
	{ "isGift", "is_gift", F_BOOL },
	{ "giftMessage", "gift_message", F_TEXT },
	{ "address", "address", F_JSON },
};
static const struct field order_staff[] = {
	{ "needsAttention", "needs_attention", F_BOOL },
	{ "attentionReason", "attention_reason", F_TEXT },
	{ "createdAt", "created_at", F_TEXT },
};
static const struct field created_at[] = { { "createdAt", "created_at", F_TEXT } };
static const struct field customer[] = {
	{ "id", "user_id", F_TEXT },
	{ "name", "user_name", F_TEXT },
	{ "email", "user_email", F_TEXT },
	{ "phone", "user_phone", F_TEXT },
};
static const struct field payment_customer[] = {
	{ "status", "pay_status", F_TEXT },
	{ "razorpayOrderId", "razorpay_order_id", F_TEXT },
	{ "razorpayPaymentId", "razorpay_payment_id", F_TEXT },
	{ "amount", "pay_amount", F_TEXT },
};
static const struct field payment_staff[] = {
	{ "id", "pay_id", F_TEXT },
	{ "status", "pay_status", F_TEXT },
	{ "amount", "pay_amount", F_TEXT },
	{ "currency", "pay_currency", F_TEXT },
	{ "method", "pay_method", F_TEXT },
	{ "razorpayOrderId", "razorpay_order_id", F_TEXT },
	{ "razorpayPaymentId", "razorpay_payment_id", F_TEXT },
	{ "capturedAt", "pay_captured_at", F_TEXT },
};
static const struct field delivery_customer[] = {
	{ "status", "del_status", F_TEXT },
	{ "trackingUrl", "tracking_url", F_TEXT },
	{ "courierName", "courier_name", F_TEXT },
	{ "courierPhone", "courier_phone", F_TEXT },
};
static const struct field delivery_staff[] = {
	{ "bookingState", "booking_state", F_TEXT },
	{ "status", "del_status", F_TEXT },
	{ "borzoOrderId", "borzo_order_id", F_TEXT },
	{ "trackingUrl", "tracking_url", F_TEXT },
	{ "courierName", "courier_name", F_TEXT },
	{ "courierPhone", "courier_phone", F_TEXT },
	{ "price", "del_price", F_TEXT },
	{ "lastError", "del_last_error", F_TEXT },
	{ "bookedAt", "del_booked_at", F_TEXT },
	{ "deliveredAt", "del_delivered_at", F_TEXT },
};
static const struct field item[] = {
	{ "id", "id", F_TEXT },
	{ "productId", "product_id", F_TEXT },
	{ "variantId", "variant_id", F_TEXT },
	{ "name", "product_name", F_TEXT },
	{ "label", "variant_label", F_TEXT },
	{ "weightGrams", "weight_grams", F_INT },
	{ "unitPrice", "unit_price", F_TEXT },
	{ "quantity", "quantity", F_INT },
	{ "lineTotal", "line_total", F_TEXT },
};
static const struct field history[] = {
	{ "from", "from_status", F_TEXT },
	{ "to", "to_status", F_TEXT },
	{ "actor", "actor", F_TEXT },
	{ "note", "note", F_TEXT },
	{ "at", "at", F_TEXT },
};
static const struct field document[] = {
	{ "n", "n", F_INT },
	{ "number", "number", F_TEXT },
	{ "issuedAt", "issued_at", F_TEXT },
	{ "total", "total", F_TEXT },
};

/* Column numbers by (result, name), valid during one build (its results stay
 * alive until it returns): a page of 50 orders reads ~2 000 cells, and
 * looking each column up by name would compare names ~50 000 times. */
#define COLS_CACHED 512

static struct {
	const PGresult *res;
	const char *name; /* the field table's pointer: compared by address */
	int col;
} cols[COLS_CACHED];

static void cols_forget(void)
{
	memset(cols, 0, sizeof cols);
}

static int col(const PGresult *res, const char *name)
{
	size_t h = ((size_t)res ^ (size_t)name * 31) % COLS_CACHED;
	if (cols[h].res != res || cols[h].name != name) {
		cols[h].res = res;
		cols[h].name = name;
		cols[h].col = db_col(res, name);
	}
	return cols[h].col;
}

static const char *cell(const PGresult *res, int row, const char *name)
{
	return db_cell(res, row, col(res, name));
}

/* A json/jsonb cell as json-c objects (NULL when it is not JSON), the
 * objects json_tokener_parse makes: a flat object (an address) read
 * directly, anything else with one tokener for the process. A page of 50
 * orders has 50 addresses, and json-c's tokener costs ~20 000 instructions
 * for each (making it, then reading byte by byte). */
static struct json_object *parse_cell(const char *v)
{
	static struct json_tokener *tok;
	struct json_object *flat;

	if (json_parse_flat(v, &flat) == 0) /* an address: a tenth of the tokener's work */
		return flat;
	if (!tok)
		tok = json_tokener_new();
	else
		json_tokener_reset(tok);
	struct json_object *o = json_tokener_parse_ex(tok, v, -1);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Adds the fields of row i to o, in the table's order (SQL NULL -> JSON null). */
static void add_fields(struct json_object *o, PGresult *res, int i, const struct field *f, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const char *v = cell(res, i, f[k].col);
		struct json_object *j = NULL;
		if (v && f[k].type == F_INT)
			j = jint(strtoll(v, NULL, 10));
		else if (v && f[k].type == F_BOOL)
			j = jbool(v[0] == 't');
		else if (v && f[k].type == F_JSON)
			j = parse_cell(v);
		else if (v)
			j = jstr(v);
		/* the tables' keys are constants, each added once to its object */
		json_object_object_add_ex(o, f[k].key, j, JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY);
	}
}

/* A nested object of row i, or null when its key column is NULL (no such row). */
static struct json_object *nested(PGresult *res, int i, const char *key_col, const struct field *f, size_t n)
{
	if (!cell(res, i, key_col))
		return NULL;
	struct json_object *o = json_object_new_object();
	add_fields(o, res, i, f, n);
	return o;
}

/* One row of the view in the shape the options ask for (items and history empty). */
static struct json_object *order_row(struct ctx *c, PGresult *res, int i, unsigned opt)
{
	int staff = (opt & OV_ADMIN) != 0;
	struct json_object *o = json_object_new_object();

	add_fields(o, res, i, FIELDS(order_head));
	if (!staff && (opt & OV_ITEMS))
		json_object_object_add(o, "items", json_object_new_array());
	add_fields(o, res, i, FIELDS(order_body));
	if (staff) {
		add_fields(o, res, i, FIELDS(order_staff));
		json_object_object_add(o, "customer", nested(res, i, "user_id", FIELDS(customer)));
		if (opt & OV_ITEMS)
			json_object_object_add(o, "items", json_object_new_array());
	}
	if (opt & OV_PAYMENT)
		json_object_object_add(o, "payment", staff ? nested(res, i, "pay_id", FIELDS(payment_staff)) : nested(res, i, "pay_id", FIELDS(payment_customer)));
	if (opt & OV_DELIVERY)
		json_object_object_add(o, "delivery", staff ? nested(res, i, "del_id", FIELDS(delivery_staff)) : nested(res, i, "del_id", FIELDS(delivery_customer)));
	if (!staff)
		add_fields(o, res, i, FIELDS(created_at));
	if (opt & OV_OWNER)
		json_object_object_add(o, "trackingUrl", jstr(arena_printf(c->a, "%s/track/%s", cfg->public_url, cell(res, i, "tracking_token"))));
	if (opt & OV_HISTORY)
		json_object_object_add(o, "statusHistory", json_object_new_array());
	if (opt & OV_DOCUMENTS) {
		json_object_object_add(o, "invoice", NULL);
		json_object_object_add(o, "creditNotes", json_object_new_array());
	}
	return o;
}

/* The rows of a child result (items, history, documents: an order_id column)
 * by the order they belong to: first[i] is order i's first row (-1: none),
 * next[k] the row after row k of the same order, in the result's order. */
struct groups {
	int *first, *next;
};

static size_t hash_id(const char *s)
{
	size_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Groups rows by the orders of `orders` (one pass each, a table of their ids
 * instead of comparing every row with every order). */
static struct groups group_rows(struct ctx *c, PGresult *orders, PGresult *rows)
{
	int n = PQntuples(orders), m = PQntuples(rows);
	size_t size = 16;
	while (size < 2 * (size_t)n)
		size *= 2;
	int *slot = arena_alloc(c->a, size * sizeof *slot), *last = arena_alloc(c->a, (n + 1) * sizeof *last);
	struct groups g = { arena_alloc(c->a, (n + 1) * sizeof(int)), arena_alloc(c->a, (m + 1) * sizeof(int)) };

	for (size_t h = 0; h < size; h++)
		slot[h] = -1;
	for (int i = 0; i < n; i++) {
		size_t h = hash_id(cell(orders, i, "id")) & (size - 1);
		while (slot[h] >= 0)
			h = (h + 1) & (size - 1);
		slot[h] = i;
		g.first[i] = last[i] = -1;
	}
	for (int k = 0; k < m; k++) {
		const char *id = cell(rows, k, "order_id");
		size_t h = hash_id(id) & (size - 1);
		g.next[k] = -1;
		while (slot[h] >= 0 && strcmp(cell(orders, slot[h], "id"), id) != 0)
			h = (h + 1) & (size - 1);
		int i = slot[h];
		if (i < 0)
			continue;
		if (last[i] < 0)
			g.first[i] = k;
		else
			g.next[last[i]] = k;
		last[i] = k;
	}
	return g;
}

/* Appends each row of rows (with an order_id column) to the array `key` of the
 * order it belongs to. */
static void attach(struct ctx *c, struct json_object *list, PGresult *orders, PGresult *rows, const char *key,
		   const struct field *f, size_t nf)
{
	struct groups g = group_rows(c, orders, rows);
	for (int i = 0; i < PQntuples(orders); i++) {
		struct json_object *arr;
		if (g.first[i] < 0)
			continue;
		json_object_object_get_ex(json_object_array_get_idx(list, i), key, &arr);
		for (int k = g.first[i]; k >= 0; k = g.next[k]) {
			struct json_object *e = json_object_new_object();
			add_fields(e, rows, k, f, nf);
			json_object_array_add(arr, e);
		}
	}
}

/* Puts each tax document of docs on its order: the invoice as "invoice", the
 * credit notes in "creditNotes" (in docs' order, their n). */
static void attach_documents(struct ctx *c, struct json_object *list, PGresult *orders, PGresult *docs)
{
	struct groups g = group_rows(c, orders, docs);
	for (int i = 0; i < PQntuples(orders); i++) {
		for (int k = g.first[i]; k >= 0; k = g.next[k]) {
			struct json_object *o = json_object_array_get_idx(list, i), *d = json_object_new_object(), *arr;
			add_fields(d, docs, k, FIELDS(document));
			if (strcmp(cell(docs, k, "kind"), "INVOICE") == 0) {
				json_object_object_del(d, "n");
				json_object_object_add(o, "invoice", d);
			} else {
				json_object_object_get_ex(o, "creditNotes", &arr);
				json_object_array_add(arr, d);
			}
		}
	}
}

/* The child rows of a view's orders, one query each for what the options ask. */
struct children {
	PGresult *items, *hist, *docs;
};

/* 0, or -1 on a DB error. */
static int fetch_children(struct ctx *c, PGresult *res, unsigned opt, struct children *k)
{
	struct buf ids = BUF_INIT;
	int n = PQntuples(res);

	memset(k, 0, sizeof *k);
	cols_forget(); /* results of earlier builds may share these addresses */
	if (!n)
		return 0;
	buf_putc(&ids, '{');
	for (int i = 0; i < n; i++) {
		if (i)
			buf_putc(&ids, ',');
		buf_puts(&ids, cell(res, i, "id"));
	}
	buf_putc(&ids, '}');
	if (opt & OV_ITEMS)
		k->items = db_query(c, "SELECT id, order_id, product_id, variant_id, product_name, variant_label, "
				       "weight_grams, unit_price::text AS unit_price, quantity, line_total::text AS line_total "
				       "FROM order_items WHERE order_id = ANY($1::uuid[]) "
				       "ORDER BY product_name, variant_label, id",
				    ids.data);
	/* clang-format off */
	if (opt & OV_HISTORY)
		k->hist = db_query(c, "SELECT order_id, from_status, to_status, actor, note, " SQL_TIME("created_at") " AS at "
				      "FROM order_status_history WHERE order_id = ANY($1::uuid[]) ORDER BY id", ids.data);
	/* credit notes numbered as invoice_get reads them (invoices.c) */
	if (opt & OV_DOCUMENTS)
		k->docs = db_query(c, "SELECT order_id, kind, number, " SQL_TIME("issued_at") " AS issued_at, total::text AS total, "
				      "row_number() OVER (PARTITION BY order_id, kind ORDER BY issued_at, financial_year, seq) AS n "
				      "FROM invoices WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, kind, n", ids.data);
	/* clang-format on */
	buf_free(&ids);
	if (((opt & OV_ITEMS) && !k->items) || ((opt & OV_HISTORY) && !k->hist) || ((opt & OV_DOCUMENTS) && !k->docs))
		return -1;
	return 0;
}

/* Builds every order of res (rows of the view) with the items, history and
 * documents the options ask for (one query each). Caller owns the array; NULL
 * on a DB error. */
static struct json_object *build(struct ctx *c, PGresult *res, unsigned opt)
{
	struct children k;
	int n = PQntuples(res);

	if (fetch_children(c, res, opt, &k) != 0)
		return NULL;
	struct json_object *list = json_object_new_array();
	for (int i = 0; i < n; i++)
		json_object_array_add(list, order_row(c, res, i, opt));
	if (k.items)
		attach(c, list, res, k.items, "items", FIELDS(item));
	if (k.hist)
		attach(c, list, res, k.hist, "statusHistory", FIELDS(history));
	if (k.docs)
		attach_documents(c, list, res, k.docs);
	return list;
}

/* ---- the same orders written as JSON text ----
 *
 * A list of orders built as json-c objects costs a hash table per object and
 * a malloc per value, then a walk to print them: most of a page's time. The
 * writer below prints the same bytes (JSON_TEXT_FLAGS: json-c's member
 * order, escaping and numbers) straight from the result's cells; order_row
 * above stays the one description of the shape, and the writer follows it
 * key for key (t/57-order-view-bytes.t compares the two). */

/* "key": after a comma unless it opens the object. The keys are the field
 * tables' and this file's constants: nothing in them to escape. */
static void put_key(struct buf *b, const char *key)
{
	size_t n = strlen(key);

	buf_grow(b, n + 4);
	char *p = b->data + b->len;
	if (p[-1] != '{')
		*p++ = ',';
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	*p = '\0';
	b->len = (size_t)(p - b->data);
}

static void put_json_object(struct buf *b, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_TEXT_FLAGS, &len);
	buf_put(b, s, len);
}

/* The fields of row i, as add_fields adds them. */
static void put_fields(struct buf *b, PGresult *res, int i, const struct field *f, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const char *v = cell(res, i, f[k].col);
		put_key(b, f[k].key);
		if (!v) {
			buf_put(b, "null", 4);
		} else if (f[k].type == F_INT) {
			json_put_int(b, strtoll(v, NULL, 10));
		} else if (f[k].type == F_BOOL) {
			buf_puts(b, v[0] == 't' ? "true" : "false");
		} else if (f[k].type == F_JSON) {
			if (json_put_compact(b, v) != 0) {
				struct json_object *j = parse_cell(v);
				put_json_object(b, j);
				json_object_put(j);
			}
		} else {
			json_put_string(b, v, strlen(v));
		}
	}
}

/* "key":{fields} or "key":null, as nested() */
static void put_nested(struct buf *b, const char *key, PGresult *res, int i, const char *key_col,
		       const struct field *f, size_t n)
{
	put_key(b, key);
	if (!cell(res, i, key_col)) {
		buf_put(b, "null", 4);
		return;
	}
	buf_putc(b, '{');
	put_fields(b, res, i, f, n);
	buf_putc(b, '}');
}

/* "key":[...] of order i's child rows, as attach() fills it */
static void put_rows(struct buf *b, const char *key, PGresult *rows, const struct groups *g, int i,
		     const struct field *f, size_t nf)
{
	put_key(b, key);
	buf_putc(b, '[');
	for (int k = rows ? g->first[i] : -1; k >= 0; k = g->next[k]) {
		if (b->data[b->len - 1] != '[')
			buf_putc(b, ',');
		buf_putc(b, '{');
		put_fields(b, rows, k, f, nf);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

/* Order i as order_row and attach() make it (no tax documents: OV_DOCUMENTS
 * is json-c's, see order_view_write). */
static void put_order(struct ctx *c, struct buf *b, PGresult *res, int i, unsigned opt, const struct children *k,
		      const struct groups *items, const struct groups *hist)
{
	int staff = (opt & OV_ADMIN) != 0;

	buf_putc(b, '{');
	put_fields(b, res, i, FIELDS(order_head));
	if (!staff && (opt & OV_ITEMS))
		put_rows(b, "items", k->items, items, i, FIELDS(item));
	put_fields(b, res, i, FIELDS(order_body));
	if (staff) {
		put_fields(b, res, i, FIELDS(order_staff));
		put_nested(b, "customer", res, i, "user_id", FIELDS(customer));
		if (opt & OV_ITEMS)
			put_rows(b, "items", k->items, items, i, FIELDS(item));
	}
	if (opt & OV_PAYMENT) {
		if (staff)
			put_nested(b, "payment", res, i, "pay_id", FIELDS(payment_staff));
		else
			put_nested(b, "payment", res, i, "pay_id", FIELDS(payment_customer));
	}
	if (opt & OV_DELIVERY) {
		if (staff)
			put_nested(b, "delivery", res, i, "del_id", FIELDS(delivery_staff));
		else
			put_nested(b, "delivery", res, i, "del_id", FIELDS(delivery_customer));
	}
	if (!staff)
		put_fields(b, res, i, FIELDS(created_at));
	if (opt & OV_OWNER) { /* PUBLIC_URL/track/<token>, as order_row's printf */
		const char *token = cell(res, i, "tracking_token");
		put_key(b, "trackingUrl");
		buf_putc(b, '"');
		json_put_chars(b, cfg->public_url, strlen(cfg->public_url));
		buf_put(b, "/track/", 7);
		json_put_chars(b, token ? token : "(null)", strlen(token ? token : "(null)"));
		buf_putc(b, '"');
	}
	if (opt & OV_HISTORY)
		put_rows(b, "statusHistory", k->hist, hist, i, FIELDS(history));
	buf_putc(b, '}');
}

/* Writes the orders of res as a JSON array into out, the bytes of build()'s
 * array printed with JSON_TEXT_FLAGS. 0, or -1 on a DB error. */
static int write_list(struct ctx *c, PGresult *res, unsigned opt, struct buf *out)
{
	struct children k;
	int n = PQntuples(res);

	if (opt & OV_DOCUMENTS) { /* the invoice's place in the object is json-c's to keep */
		struct json_object *list = build(c, res, opt);
		if (!list)
			return -1;
		put_json_object(out, list);
		json_object_put(list);
		return 0;
	}
	if (fetch_children(c, res, opt, &k) != 0)
		return -1;
	struct groups items = { 0 }, hist = { 0 };
	if (k.items)
		items = group_rows(c, res, k.items);
	if (k.hist)
		hist = group_rows(c, res, k.hist);
	buf_putc(out, '[');
	for (int i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		put_order(c, out, res, i, opt, &k, &items, &hist);
	}
	buf_putc(out, ']');
	return 0;
}

/* The single order of res, or the outcome of its absence. */
static enum outcome build_one(struct ctx *c, PGresult *res, unsigned opt, struct json_object **out)
{
	*out = NULL;
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ORDER_NOT_FOUND;
	struct json_object *list = build(c, res, opt);
	if (!list)
		return E_DB;
	*out = json_object_get(json_object_array_get_idx(list, 0));
	json_object_put(list);
	return OK;
}

enum outcome order_view_get(struct ctx *c, const char *order_id, const char *owner_id, unsigned options,
			    struct json_object **out)
{
	const char *sql = arena_printf(c->a, "%sFROM orders o %sWHERE o.id = $1 AND ($2::uuid IS NULL OR o.user_id = $2::uuid)",
				       view_columns(options), view_joins(options));
	return build_one(c, db_query(c, sql, order_id, owner_id), options, out);
}

enum outcome order_view_by_token(struct ctx *c, const char *token, unsigned options, struct json_object **out)
{
	const char *sql = arena_printf(c->a, "%sFROM orders o %sWHERE o.tracking_token = $1", view_columns(options),
				       view_joins(options));
	return build_one(c, db_query(c, sql, token), options, out);
}

/* A page of the orders matching `where` (over $1 and the status $2) into
 * *res, with the total of all that match. where and order_by are constant
 * SQL. A page of the API (a slice: 20 by default, 100 at most) has its ids
 * found first and only its rows joined and formatted (to_char, numeric and
 * jsonb text): a customer's 20 among 50 orders cost PostgreSQL 40 % less. A
 * page that holds the whole day (the kitchen's, up to 1 000) is read in one
 * pass: looking its rows up again by id would cost 20-30 % more. */
#define VIEW_SLICE_MAX 100

static enum outcome view_query(struct ctx *c, const char *where, const char *order_by, const char *p1,
			       const char *status, int64_t limit, int64_t offset, unsigned opt, PGresult **res,
			       int64_t *total)
{
	const char *lim = arena_printf(c->a, "%lld", (long long)limit), *off = arena_printf(c->a, "%lld", (long long)offset);
	const char *sql;
	/* clang-format off */
	if (limit <= VIEW_SLICE_MAX)
		sql = arena_printf(c->a, "%s, pg.total_rows "
				   "FROM (SELECT o.id, count(*) OVER () AS total_rows FROM orders o "
				   "WHERE %s AND ($2::text IS NULL OR o.status = $2) "
				   "ORDER BY %s LIMIT $3::int OFFSET $4::bigint) pg "
				   "JOIN orders o ON o.id = pg.id %sORDER BY %s",
				   view_columns(opt), where, order_by, view_joins(opt), order_by);
	else
		sql = arena_printf(c->a, "%s, count(*) OVER () AS total_rows FROM orders o %s"
				   "WHERE %s AND ($2::text IS NULL OR o.status = $2) "
				   "ORDER BY %s LIMIT $3::int OFFSET $4::bigint",
				   view_columns(opt), view_joins(opt), where, order_by);
	*res = db_query(c, sql, p1, status, lim, off);
	/* clang-format on */
	*total = 0;
	if (!*res)
		return E_DB;
	if (PQntuples(*res) > 0) {
		*total = strtoll(db_val(*res, 0, "total_rows"), NULL, 10);
	} else if (offset > 0) { /* past the end: the total still counts */
		PGresult *n = db_query(c, arena_printf(c->a, "SELECT count(*) FROM orders o WHERE %s "
							     "AND ($2::text IS NULL OR o.status = $2)",
						       where),
				       p1, status);
		if (!n)
			return E_DB;
		*total = strtoll(PQgetvalue(n, 0, 0), NULL, 10);
	}
	return OK;
}

static enum outcome view_page(struct ctx *c, const char *where, const char *order_by, const char *p1,
			      const char *status, int64_t limit, int64_t offset, unsigned options,
			      struct json_object **items, int64_t *total)
{
	PGresult *res;
	enum outcome o = view_query(c, where, order_by, p1, status, limit, offset, options, &res, total);

	*items = NULL;
	if (o != OK)
		return o;
	*items = build(c, res, options);
	return *items ? OK : E_DB;
}

/* The page as the API's answer {"items":[...],"total","limit","offset"}. */
static enum outcome view_page_text(struct ctx *c, const char *where, const char *order_by, const char *p1,
				   const char *status, int64_t limit, int64_t offset, unsigned options,
				   struct buf *out)
{
	PGresult *res;
	int64_t total;
	enum outcome o = view_query(c, where, order_by, p1, status, limit, offset, options, &res, &total);

	if (o != OK)
		return o;
	buf_puts(out, "{\"items\":");
	if (write_list(c, res, options, out) != 0)
		return E_DB;
	buf_puts(out, ",\"total\":");
	json_put_int(out, total);
	buf_puts(out, ",\"limit\":");
	json_put_int(out, limit);
	buf_puts(out, ",\"offset\":");
	json_put_int(out, offset);
	buf_putc(out, '}');
	return OK;
}

#define CUSTOMER_WHERE "o.user_id = $1::uuid"
#define CUSTOMER_ORDER "o.created_at DESC, o.order_number DESC"
#define DAY_WHERE "o.delivery_slot >= $1::date AND o.delivery_slot < $1::date + 1"
#define DAY_ORDER "o.delivery_slot, o.order_number"

enum outcome order_view_of_customer(struct ctx *c, const char *user_id, int64_t limit, int64_t offset,
				    unsigned options, struct json_object **items, int64_t *total)
{
	return view_page(c, CUSTOMER_WHERE, CUSTOMER_ORDER, user_id, NULL, limit, offset, options, items, total);
}

enum outcome order_view_of_day(struct ctx *c, const char *date, const char *status, int64_t limit, int64_t offset,
			       unsigned options, struct json_object **items, int64_t *total)
{
	return view_page(c, DAY_WHERE, DAY_ORDER, date, status, limit, offset, options, items, total);
}

enum outcome order_view_page_of_customer(struct ctx *c, const char *user_id, int64_t limit, int64_t offset,
					 unsigned options, struct buf *out)
{
	return view_page_text(c, CUSTOMER_WHERE, CUSTOMER_ORDER, user_id, NULL, limit, offset, options, out);
}

enum outcome order_view_page_of_day(struct ctx *c, const char *date, const char *status, int64_t limit,
				    int64_t offset, unsigned options, struct buf *out)
{
	return view_page_text(c, DAY_WHERE, DAY_ORDER, date, status, limit, offset, options, out);
}

const char *view_text(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}
