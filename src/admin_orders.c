/* admin_orders.c: the kitchen's order pages (list, detail, status, kitchen sheet) and the admin orders JSON API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "db.h"
#include "deliveries.h"
#include "handlers.h"
#include "jsonutil.h"
#include "order_fsm.h"
#include "payments.h"
#include "util.h"

#define PAGE_LIMIT "1000"

/* One order as JSON, built by PostgreSQL in one statement (no per-row round trips). */
#define ORDER_JSON \
	"json_build_object(" \
	"'id', o.id, 'orderNumber', o.order_number, 'status', o.status, " \
	"'subtotal', o.subtotal::text, 'deliveryFee', o.delivery_fee::text, 'totalAmount', o.total_amount::text, " \
	"'deliverySlot', " SQL_TIME("o.delivery_slot") ", " \
	"'customMessage', o.custom_message, 'isGift', o.is_gift, 'giftMessage', o.gift_message, " \
	"'address', o.address, 'needsAttention', o.needs_attention, 'attentionReason', o.attention_reason, " \
	"'createdAt', " SQL_TIME("o.created_at") ", " \
	"'customer', json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'phone', u.phone), " \
	"'items', COALESCE((SELECT json_agg(json_build_object('id', i.id, 'productId', i.product_id, " \
	"  'variantId', i.variant_id, 'name', i.product_name, 'label', i.variant_label, " \
	"  'weightGrams', i.weight_grams, 'unitPrice', i.unit_price::text, 'quantity', i.quantity, " \
	"  'lineTotal', i.line_total::text) ORDER BY i.product_name, i.variant_label) " \
	"  FROM order_items i WHERE i.order_id = o.id), '[]'::json), " \
	"'payment', (SELECT json_build_object('id', p.id, 'status', p.status, 'amount', p.amount::text, " \
	"  'currency', p.currency, 'method', p.method, 'razorpayOrderId', p.razorpay_order_id, " \
	"  'razorpayPaymentId', p.razorpay_payment_id, 'capturedAt', " SQL_TIME("p.captured_at") ") " \
	"  FROM payments p WHERE p.order_id = o.id), " \
	"'delivery', (SELECT json_build_object('bookingState', d.booking_state, 'status', d.status, " \
	"  'borzoOrderId', d.borzo_order_id, 'trackingUrl', d.tracking_url, 'courierName', d.courier_name, " \
	"  'courierPhone', d.courier_phone, 'price', d.price::text, 'lastError', d.last_error, " \
	"  'bookedAt', " SQL_TIME("d.booked_at") ", 'deliveredAt', " SQL_TIME("d.delivered_at") ") " \
	"  FROM deliveries d WHERE d.order_id = o.id)"

#define HISTORY_JSON \
	"'statusHistory', COALESCE((SELECT json_agg(json_build_object('from', h.from_status, 'to', h.to_status, " \
	"  'actor', h.actor, 'note', h.note, 'at', " SQL_TIME("h.created_at") ") ORDER BY h.id) " \
	"  FROM order_status_history h WHERE h.order_id = o.id), '[]'::json)"

/* Orders whose slot falls on date (Kolkata), by slot time; status may be NULL.
 * Returns a JSON array (caller owns) and the total, or NULL on a DB error. */
static struct json_object *orders_on(struct req *r, const char *date, const char *status,
				     const char *limit, const char *offset, int64_t *total)
{
	PGresult *res = db_query(&r->ctx,
		"SELECT " ORDER_JSON ")::text AS j, count(*) OVER () AS total "
		"FROM orders o JOIN users u ON u.id = o.user_id "
		"WHERE o.delivery_slot >= $1::date AND o.delivery_slot < $1::date + 1 "
		"AND ($2::text IS NULL OR o.status = $2) "
		"ORDER BY o.delivery_slot, o.order_number LIMIT $3::int OFFSET $4::int",
		date, status, limit, offset);
	if (!res)
		return NULL;
	struct json_object *arr = json_object_new_array();
	*total = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		json_object_array_add(arr, admin_json_text(db_val(res, i, "j")));
		*total = strtoll(db_val(res, i, "total"), NULL, 10);
	}
	if (PQntuples(res) == 0 && strcmp(offset, "0") != 0) {
		PGresult *c = db_query(&r->ctx, "SELECT count(*) FROM orders WHERE delivery_slot >= $1::date "
				       "AND delivery_slot < $1::date + 1 AND ($2::text IS NULL OR status = $2)", date, status);
		if (!c)
			return json_object_put(arr), NULL;
		*total = strtoll(PQgetvalue(c, 0, 0), NULL, 10);
	}
	return arr;
}

/* One order with its history; *found 0 when absent. NULL on a DB error. */
static struct json_object *order_full(struct req *r, const char *id, int *found)
{
	*found = 0;
	PGresult *res = db_query(&r->ctx,
		"SELECT " ORDER_JSON ", " HISTORY_JSON ")::text AS j "
		"FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1", id);
	if (!res)
		return NULL;
	if (PQntuples(res) != 1)
		return json_object_new_object();
	*found = 1;
	return admin_json_text(db_val(res, 0, "j"));
}

/* ---- page decorations (display only, never sent by the API) ---- */

static const char *jget(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

/* "14:00" of an RFC 3339 time, and the slot's end. */
static void add_slot_label(struct req *r, struct json_object *o)
{
	const char *s = jget(o, "deliverySlot");
	int h, m;
	if (!s || strlen(s) < 16 || sscanf(s + 11, "%2d:%2d", &h, &m) != 2)
		return;
	int end = h * 60 + m + cfg->slot_minutes;
	json_object_object_add(o, "slotDate", jstr(arena_strndup(r->a, s, 10)));
	json_object_object_add(o, "slotLabel",
		jstr(arena_printf(r->a, "%02d:%02d–%02d:%02d", h, m, (end / 60) % 24, end % 60)));
}

static const char *status_word(const char *s)
{
	if (!strcmp(s, "BAKING")) return "Start baking";
	if (!strcmp(s, "READY")) return "Mark ready";
	if (!strcmp(s, "CANCELLED")) return "Cancel order";
	if (!strcmp(s, "DELIVERED")) return "Mark delivered";
	return s;
}

static void decorate(struct req *r, struct json_object *o)
{
	struct json_object *d;
	const char *st = jget(o, "status");
	add_slot_label(r, o);
	if (st)
		json_object_object_add(o, "statusClass", jstr(arena_printf(r->a, "st-%s", st)));
	/* only an https link becomes a link: no javascript: from a partner */
	if (json_object_object_get_ex(o, "delivery", &d) && json_object_is_type(d, json_type_object)) {
		const char *u = jget(d, "trackingUrl");
		if (u && strncmp(u, "https://", 8) == 0)
			json_object_object_add(d, "trackingHref", jstr(u));
	}
}

/* Groups decorated orders into [{slotLabel, orders:[...]}], in slot order. */
static struct json_object *group_by_slot(struct json_object *orders)
{
	struct json_object *groups = json_object_new_array(), *cur = NULL;
	const char *last = NULL;
	for (size_t i = 0; i < json_object_array_length(orders); i++) {
		struct json_object *o = json_object_array_get_idx(orders, i);
		const char *slot = jget(o, "deliverySlot");
		if (!cur || !last || !slot || strcmp(slot, last) != 0) {
			cur = json_object_new_array();
			struct json_object *g = json_object_new_object();
			json_object_object_add(g, "slotLabel", json_object_get(json_object_object_get(o, "slotLabel")));
			json_object_object_add(g, "orders", cur);
			json_object_array_add(groups, g);
			last = slot;
		}
		json_object_array_add(cur, json_object_get(o));
	}
	return groups;
}

static struct json_object *status_options(const char *selected)
{
	static const char *const all[] = { "PENDING", "CONFIRMED", "BAKING", "READY", "DISPATCHED", "DELIVERED", "CANCELLED" };
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", jstr(all[i]));
		if (selected && strcmp(selected, all[i]) == 0)
			json_object_object_add(o, "selected", jbool(1));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void add_day_links(struct req *r, struct json_object *ctx, const char *date)
{
	char today[11], tomorrow[11];
	admin_kolkata_date(0, today);
	admin_kolkata_date(1, tomorrow);
	json_object_object_add(ctx, "date", jstr(date));
	json_object_object_add(ctx, "today", jstr(today));
	json_object_object_add(ctx, "tomorrow", jstr(tomorrow));
	if (!strcmp(date, today))
		json_object_object_add(ctx, "isToday", jbool(1));
	if (!strcmp(date, tomorrow))
		json_object_object_add(ctx, "isTomorrow", jbool(1));
	(void)r;
}

/* The date and status of the page's query; invalid ones fall back to today / all. */
static const char *page_date(struct req *r, int *bad)
{
	const char *d = admin_date_param(r);
	*bad = d == NULL;
	if (d)
		return d;
	char *today = arena_alloc(r->a, 11);
	admin_kolkata_date(0, today);
	return today;
}

/* ---- pages ---- */

int admin_orders_page(struct req *r)
{
	int bad;
	const char *date = page_date(r, &bad);
	const char *status = query_get(r, "status");
	int64_t total;

	if (!fsm_is_state(status))
		status = NULL;
	struct json_object *orders = orders_on(r, date, status, PAGE_LIMIT, "0", &total);
	if (!orders)
		return reply_db_error(r);
	for (size_t i = 0; i < json_object_array_length(orders); i++)
		decorate(r, json_object_array_get_idx(orders, i));
	struct json_object *ctx = admin_page_ctx(r, "orders", "Orders");
	if (bad)
		json_object_object_add(ctx, "flash", admin_json_text(
			"{\"kind\":\"error\",\"text\":\"That date is not valid; showing today.\"}"));
	add_day_links(r, ctx, date);
	json_object_object_add(ctx, "statusFilter", jbool(1));
	json_object_object_add(ctx, "statuses", status_options(status));
	json_object_object_add(ctx, "slots", group_by_slot(orders));
	json_object_object_add(ctx, "count", jint(total));
	json_object_put(orders);
	return reply_html(r, 200, "admin/orders", ctx);
}

static struct json_object *next_buttons(const char *status)
{
	const char *next[8];
	struct json_object *arr = json_object_new_array();
	fsm_next_states(status, CAUSE_ADMIN, next);
	for (int i = 0; next[i]; i++) {
		struct json_object *b = json_object_new_object();
		json_object_object_add(b, "status", jstr(next[i]));
		json_object_object_add(b, "label", jstr(status_word(next[i])));
		if (!strcmp(next[i], "CANCELLED"))
			json_object_object_add(b, "danger", jbool(1));
		json_object_array_add(arr, b);
	}
	return arr;
}

/* A paid order not yet handed to a courier, or whose last booking failed:
 * delivery_book has the final word, this only decides whether to offer it. */
static int can_book(struct json_object *o)
{
	const char *st = jget(o, "status");
	struct json_object *d;
	if (!st || (strcmp(st, "CONFIRMED") != 0 && strcmp(st, "BAKING") != 0 && strcmp(st, "READY") != 0 &&
		    strcmp(st, "DISPATCHED") != 0))
		return 0;
	if (!json_object_object_get_ex(o, "delivery", &d) || !json_object_is_type(d, json_type_object))
		return strcmp(st, "DISPATCHED") != 0;
	const char *bs = jget(d, "bookingState"), *ds = jget(d, "status");
	/* a failed booking, or a courier cancelled by staff or by Borzo: book again */
	return (bs && (strcmp(bs, "FAILED") == 0 || strcmp(bs, "CANCELLED") == 0)) ||
	       (ds && (strcmp(ds, "CANCELLED") == 0 || strcmp(ds, "FAILED") == 0));
}

int admin_order_page(struct req *r)
{
	int found;
	struct json_object *o = order_full(r, r->param[0], &found);
	if (!o)
		return reply_db_error(r);
	if (!found) {
		json_object_put(o);
		return admin_message_page(r, 404, "Not found", "There is no such order.");
	}
	decorate(r, o);
	struct json_object *ctx = admin_page_ctx(r, "orders", "Order");
	const char *st = jget(o, "status");
	json_object_object_add(ctx, "next", next_buttons(st ? st : ""));
	json_object_object_add(ctx, "canBook", jbool(can_book(o)));
	json_object_object_add(ctx, "order", o);
	return reply_html(r, 200, "admin/order", ctx);
}

/* POST /admin/orders/{id}/book: the same booking function as the API and cron. */
int admin_order_book_post(struct req *r)
{
	static const char *const flash[] = {
		[BOOK_OK] = "book_ok", [BOOK_NOT_FOUND] = NULL, [BOOK_NOT_PAID] = "book_not_paid",
		[BOOK_ALREADY] = "book_already", [BOOK_NOT_BOOKABLE] = "book_not_bookable",
		[BOOK_REJECTED] = "book_rejected", [BOOK_UNAVAILABLE] = "book_unavailable", [BOOK_DB_ERROR] = NULL,
	};
	char msg[1200];

	enum book_result br = delivery_book(&r->ctx, r->param[0], arena_printf(r->a, "admin:%s", r->ctx.who.user_id), msg, sizeof msg);
	if (br == BOOK_DB_ERROR)
		return reply_db_error(r);
	if (br == BOOK_NOT_FOUND)
		return admin_message_page(r, 404, "Not found", "There is no such order.");
	return reply_redirect(r, arena_printf(r->a, "/admin/orders/%s?m=%s", r->param[0], flash[br]));
}

/* Runs the admin's move in a transaction: FSM result, or FSM_DB_ERROR. A
 * cancelled order that was paid is then refunded in full (admin policy); a
 * Razorpay outage leaves a queued refund job, never a failed move. */
static enum fsm_result admin_move(struct req *r, const char *id, const char *to)
{
	const char *actor = arena_printf(r->a, "admin:%s", r->ctx.who.user_id), *refund_id = NULL;
	int cancel = strcmp(to, "CANCELLED") == 0;
	if (db_begin(&r->ctx) != 0)
		return FSM_DB_ERROR;
	enum fsm_result rc = order_transition(&r->ctx, id, to, CAUSE_ADMIN, actor, NULL, NULL);
	if (rc != FSM_OK) {
		db_rollback(&r->ctx);
		return rc;
	}
	/* a paid order cancelled by staff is refunded in full, recorded with the cancel */
	if ((cancel && payment_refund_prepare(r, id, actor, &refund_id) == REFUND_DB_ERROR) || db_commit(&r->ctx) != 0) {
		db_rollback(&r->ctx);
		return FSM_DB_ERROR;
	}
	if (cancel)
		payment_after_cancel(r, id, refund_id);
	return FSM_OK;
}

int admin_order_status_post(struct req *r)
{
	const char *to = form_get(r, r->body, "status");
	const char *back = arena_printf(r->a, "/admin/orders/%s", r->param[0]);
	if (!fsm_is_state(to))
		return reply_redirect(r, arena_printf(r->a, "%s?m=status_bad", back));
	switch (admin_move(r, r->param[0], to)) {
	case FSM_OK:
		return reply_redirect(r, arena_printf(r->a, "%s?m=status_ok", back));
	case FSM_ALREADY:
		return reply_redirect(r, arena_printf(r->a, "%s?m=status_same", back));
	case FSM_ILLEGAL:
		return reply_redirect(r, arena_printf(r->a, "%s?m=status_illegal", back));
	case FSM_NOT_FOUND:
		return admin_message_page(r, 404, "Not found", "There is no such order.");
	default:
		return reply_db_error(r);
	}
}

/* ---- kitchen sheet ---- */

static struct json_object *kitchen_totals(struct req *r, const char *date)
{
	const char *mins = arena_printf(r->a, "%d", cfg->slot_minutes);
	PGresult *res = db_query(&r->ctx,
		"SELECT json_agg(s ORDER BY s.slot_at)::text AS j FROM ("
		" SELECT t.delivery_slot AS slot_at, to_char(t.delivery_slot, 'HH24:MI') || '–' || "
		"  to_char(t.delivery_slot + make_interval(mins => $2::int), 'HH24:MI') AS slot, "
		"  json_agg(json_build_object('name', t.product_name, 'label', t.variant_label, 'quantity', t.qty) "
		"  ORDER BY t.product_name, t.variant_label) AS cakes, sum(t.qty)::int AS total "
		" FROM (SELECT o.delivery_slot, i.product_name, i.variant_label, sum(i.quantity)::int AS qty "
		"       FROM orders o JOIN order_items i ON i.order_id = o.id "
		"       WHERE o.delivery_slot >= $1::date AND o.delivery_slot < $1::date + 1 "
		"       AND o.status IN ('CONFIRMED','BAKING','READY') "
		"       GROUP BY 1, 2, 3) t "
		" GROUP BY t.delivery_slot) s", date, mins);
	if (!res)
		return NULL;
	struct json_object *a = admin_json_text(db_val(res, 0, "j"));
	return a ? a : json_object_new_array();
}

static struct json_object *kitchen_notes(struct req *r, const char *date)
{
	PGresult *res = db_query(&r->ctx,
		"SELECT COALESCE(json_agg(json_build_object('orderNumber', o.order_number, "
		" 'slot', to_char(o.delivery_slot, 'HH24:MI'), 'customMessage', o.custom_message, "
		" 'isGift', o.is_gift, 'giftMessage', o.gift_message, 'customer', u.name, "
		" 'cakes', (SELECT string_agg(i.quantity || ' × ' || i.product_name || ' (' || i.variant_label || ')', ', ' "
		"           ORDER BY i.product_name) FROM order_items i WHERE i.order_id = o.id)) "
		" ORDER BY o.delivery_slot, o.order_number), '[]')::text "
		"FROM orders o JOIN users u ON u.id = o.user_id "
		"WHERE o.delivery_slot >= $1::date AND o.delivery_slot < $1::date + 1 "
		"AND o.status IN ('CONFIRMED','BAKING','READY') "
		"AND (COALESCE(o.custom_message, '') <> '' OR o.is_gift)", date);
	if (!res)
		return NULL;
	return admin_json_text(PQgetvalue(res, 0, 0));
}

int admin_kitchen_page(struct req *r)
{
	int bad;
	const char *date = page_date(r, &bad);
	struct json_object *slots = kitchen_totals(r, date);
	if (!slots)
		return reply_db_error(r);
	struct json_object *notes = kitchen_notes(r, date);
	if (!notes) {
		json_object_put(slots);
		return reply_db_error(r);
	}
	struct json_object *ctx = admin_page_ctx(r, "kitchen", "Kitchen sheet");
	add_day_links(r, ctx, date);
	json_object_object_add(ctx, "slots", slots);
	json_object_object_add(ctx, "notes", notes);
	if (json_object_array_length(notes))
		json_object_object_add(ctx, "hasNotes", jbool(1));
	if (json_object_array_length(slots) == 0)
		json_object_object_add(ctx, "empty", jbool(1));
	return reply_html(r, 200, "admin/kitchen", ctx);
}

/* ---- JSON API ---- */

static int query_int(struct req *r, const char *name, int64_t def, int64_t min, int64_t max, const char **out)
{
	const char *v = query_get(r, name);
	int64_t n = def;
	if (v && parse_int64(v, min, max, &n) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", name, "%s must be an integer from %lld to %lld",
				   name, (long long)min, (long long)max), -1;
	*out = arena_printf(r->a, "%lld", (long long)n);
	return 0;
}

int api_admin_orders(struct req *r)
{
	const char *date = admin_date_param(r), *status = query_get(r, "status"), *limit, *offset;
	int64_t total;

	if (!date)
		return reply_error(r, 400, "VALIDATION_ERROR", "date", "date must be a day as YYYY-MM-DD");
	if (status && *status && !fsm_is_state(status))
		return reply_error(r, 400, "VALIDATION_ERROR", "status", "status is not an order state");
	if (status && !*status)
		status = NULL;
	if (query_int(r, "limit", 20, 1, 100, &limit) || query_int(r, "offset", 0, 0, 1000000, &offset))
		return 0;
	struct json_object *items = orders_on(r, date, status, limit, offset, &total);
	if (!items)
		return reply_db_error(r);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", jint(total));
	json_object_object_add(o, "limit", jint(atoll(limit)));
	json_object_object_add(o, "offset", jint(atoll(offset)));
	return reply_json(r, 200, o);
}

static int reply_order(struct req *r, const char *id)
{
	int found;
	struct json_object *o = order_full(r, id, &found);
	if (!o)
		return reply_db_error(r);
	if (!found) {
		json_object_put(o);
		return reply_error(r, 404, "NOT_FOUND", NULL, "No such order");
	}
	return reply_json(r, 200, o);
}

int api_admin_order_get(struct req *r)
{
	return reply_order(r, r->param[0]);
}

int api_admin_order_status(struct req *r)
{
	const char *to;
	if (jget_text(r, r->json, "status", REQUIRED, 1, 20, TEXT_SINGLE_LINE, &to))
		return 0;
	if (!fsm_is_state(to))
		return reply_error(r, 400, "VALIDATION_ERROR", "status", "status is not an order state");
	switch (admin_move(r, r->param[0], to)) {
	case FSM_OK:
	case FSM_ALREADY:
		return reply_order(r, r->param[0]);
	case FSM_ILLEGAL:
		return reply_error(r, 409, "ILLEGAL_TRANSITION", "status", "This order cannot move to %s now", to);
	case FSM_NOT_FOUND:
		return reply_error(r, 404, "NOT_FOUND", NULL, "No such order");
	default:
		return reply_db_error(r);
	}
}
