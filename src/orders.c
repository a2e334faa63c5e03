/* orders.c: POST/GET /api/orders, GET /api/orders/{id}, POST /api/orders/{id}/cancel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addresses.h"
#include "auth.h"
#include "buf.h"
#include "conf.h"
#include "db.h"
#include "estimate.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "order_fsm.h"
#include "orders.h"
#include "payments.h"
#include "slots.h"
#include "util.h"

#define MAX_ORDER_PAISE 9999999999LL	/* numeric(10,2) */

#define ORDER_SELECT \
	"SELECT o.id, o.order_number, o.status, o.subtotal::text AS subtotal, " \
	"o.delivery_fee::text AS delivery_fee, o.total_amount::text AS total_amount, " \
	SQL_TIME("o.delivery_slot") " AS delivery_slot, o.custom_message, o.is_gift, o.gift_message, " \
	"o.address::text AS address, o.tracking_token, " SQL_TIME("o.created_at") " AS created_at, " \
	"p.id AS pay_id, p.status AS pay_status, p.razorpay_order_id, p.razorpay_payment_id, " \
	"p.amount::text AS pay_amount, d.id AS del_id, d.status AS del_status, d.tracking_url, " \
	"d.courier_name, d.courier_phone " \
	"FROM orders o LEFT JOIN payments p ON p.order_id = o.id LEFT JOIN deliveries d ON d.order_id = o.id "

/* ---- reading orders ---- */

static struct json_object *payment_json(PGresult *res, int i)
{
	if (!db_val(res, i, "pay_id"))
		return NULL;
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "status", jstr(db_val(res, i, "pay_status")));
	json_object_object_add(p, "razorpayOrderId", jstr(db_val(res, i, "razorpay_order_id")));
	json_object_object_add(p, "razorpayPaymentId", jstr(db_val(res, i, "razorpay_payment_id")));
	json_object_object_add(p, "amount", jstr(db_val(res, i, "pay_amount")));
	return p;
}

static struct json_object *delivery_json(PGresult *res, int i)
{
	if (!db_val(res, i, "del_id"))
		return NULL;
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "status", jstr(db_val(res, i, "del_status")));
	json_object_object_add(d, "trackingUrl", jstr(db_val(res, i, "tracking_url")));
	json_object_object_add(d, "courierName", jstr(db_val(res, i, "courier_name")));
	json_object_object_add(d, "courierPhone", jstr(db_val(res, i, "courier_phone")));
	return d;
}

/* One row of ORDER_SELECT as the API's order, with an empty items array. */
static struct json_object *order_row_json(PGresult *res, int i)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", jstr(db_val(res, i, "id")));
	json_object_object_add(o, "orderNumber", jint(strtoll(db_val(res, i, "order_number"), NULL, 10)));
	json_object_object_add(o, "status", jstr(db_val(res, i, "status")));
	json_object_object_add(o, "items", json_object_new_array());
	json_object_object_add(o, "subtotal", jstr(db_val(res, i, "subtotal")));
	json_object_object_add(o, "deliveryFee", jstr(db_val(res, i, "delivery_fee")));
	json_object_object_add(o, "totalAmount", jstr(db_val(res, i, "total_amount")));
	json_object_object_add(o, "deliverySlot", jstr(db_val(res, i, "delivery_slot")));
	json_object_object_add(o, "customMessage", jstr(db_val(res, i, "custom_message")));
	json_object_object_add(o, "isGift", jbool(db_bool(res, i, "is_gift")));
	json_object_object_add(o, "giftMessage", jstr(db_val(res, i, "gift_message")));
	json_object_object_add(o, "address", json_tokener_parse(db_val(res, i, "address")));
	json_object_object_add(o, "payment", payment_json(res, i));
	json_object_object_add(o, "delivery", delivery_json(res, i));
	json_object_object_add(o, "createdAt", jstr(db_val(res, i, "created_at")));
	return o;
}

static struct json_object *item_json(PGresult *res, int i)
{
	struct json_object *it = json_object_new_object();
	json_object_object_add(it, "id", jstr(db_val(res, i, "id")));
	json_object_object_add(it, "productId", jstr(db_val(res, i, "product_id")));
	json_object_object_add(it, "variantId", jstr(db_val(res, i, "variant_id")));
	json_object_object_add(it, "name", jstr(db_val(res, i, "product_name")));
	json_object_object_add(it, "label", jstr(db_val(res, i, "variant_label")));
	json_object_object_add(it, "weightGrams", jint(atoi(db_val(res, i, "weight_grams"))));
	json_object_object_add(it, "unitPrice", jstr(db_val(res, i, "unit_price")));
	json_object_object_add(it, "quantity", jint(atoi(db_val(res, i, "quantity"))));
	json_object_object_add(it, "lineTotal", jstr(db_val(res, i, "line_total")));
	return it;
}

/* Builds every order of res with their items (one more query). NULL on failure. */
static struct json_object *orders_build(struct req *r, PGresult *res, int owner)
{
	struct buf ids = BUF_INIT;
	int n = PQntuples(res);
	struct json_object *list = json_object_new_array();

	buf_putc(&ids, '{');
	for (int i = 0; i < n; i++) {
		struct json_object *o = order_row_json(res, i);
		if (owner)
			json_object_object_add(o, "trackingUrl", json_object_new_string(arena_printf(
				r->a, "%s/track/%s", cfg->public_url, db_val(res, i, "tracking_token"))));
		json_object_array_add(list, o);
		buf_printf(&ids, "%s%s", i ? "," : "", db_val(res, i, "id"));
	}
	buf_putc(&ids, '}');
	PGresult *items = n ? db_query(&r->ctx, "SELECT id, order_id, product_id, variant_id, product_name, variant_label, "
					  "weight_grams, unit_price::text AS unit_price, quantity, line_total::text AS line_total "
					  "FROM order_items WHERE order_id = ANY($1::uuid[]) "
					  "ORDER BY product_name, variant_label, id", ids.data) : NULL;
	buf_free(&ids);
	if (n && !items) {
		json_object_put(list);
		return NULL;
	}
	for (int k = 0; items && k < PQntuples(items); k++) {
		for (int i = 0; i < n; i++) {
			if (strcmp(db_val(items, k, "order_id"), db_val(res, i, "id")) != 0)
				continue;
			struct json_object *o = json_object_array_get_idx(list, i), *arr;
			json_object_object_get_ex(o, "items", &arr);
			json_object_array_add(arr, item_json(items, k));
		}
	}
	return list;
}

struct json_object *order_json(struct req *r, const char *order_id, const char *user_id_or_NULL)
{
	if (!is_uuid(order_id))
		return NULL;
	PGresult *res = db_query(&r->ctx, ORDER_SELECT "WHERE o.id = $1 AND ($2::uuid IS NULL OR o.user_id = $2::uuid)",
				 order_id, user_id_or_NULL);
	if (!res || PQntuples(res) != 1)
		return NULL;
	struct json_object *list = orders_build(r, res, user_id_or_NULL != NULL);
	if (!list)
		return NULL;
	struct json_object *o = json_object_get(json_object_array_get_idx(list, 0));
	json_object_put(list);
	return o;
}

int reply_order_missing(struct req *r)
{
	if (db_sqlstate(&r->ctx)[0] || db_lost(&r->ctx))
		return reply_db_error(r);
	return reply_error(r, 404, "ORDER_NOT_FOUND", NULL, "No such order");
}

/* ---- placing an order ---- */

struct order_input {
	const char *address_id, *slot, *message, *gift_message, *idem_key;
	int is_gift;
};

/* The cart as priced from the database now. */
struct cart_sum {
	const char *cart_id;
	int units, lead_hours, max_grams;
	int64_t subtotal;
};

/* Validates the body and the Idempotency-Key header: 0, or -1 answered. */
static int parse_input(struct req *r, struct order_input *in)
{
	int present;

	memset(in, 0, sizeof *in);
	if (jget_uuid(r, r->json, "addressId", REQUIRED, &in->address_id) ||
	    jget_text(r, r->json, "deliverySlot", REQUIRED, 1, 64, TEXT_SINGLE_LINE, &in->slot) ||
	    jget_text(r, r->json, "customMessage", OPTIONAL, 0, 10000, TEXT_SINGLE_LINE, &in->message) ||
	    jget_bool(r, r->json, "isGift", OPTIONAL, &in->is_gift, &present) ||
	    jget_text(r, r->json, "giftMessage", OPTIONAL, 0, GIFT_MESSAGE_MAX, TEXT_MULTI_LINE, &in->gift_message))
		return -1;
	if (!present)
		in->is_gift = 0;
	if (in->message && !*in->message)
		in->message = NULL;
	if (!in->is_gift || (in->gift_message && !*in->gift_message))
		in->gift_message = NULL;	/* a gift message only travels with a gift */
	if (!slot_time_valid(in->slot))
		return reply_error(r, 400, "VALIDATION_ERROR", "deliverySlot",
				   "deliverySlot must be an RFC 3339 date-time such as 2026-02-14T14:00:00+05:30"), -1;
	const char *k = req_header(r, "HTTP_IDEMPOTENCY_KEY");
	if (k) {
		size_t n = strlen(k);
		if (n < 1 || n > 100 || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
			return reply_error(r, 400, "VALIDATION_ERROR", "Idempotency-Key",
					   "Idempotency-Key must be 1 to 100 characters A-Z a-z 0-9 _ -"), -1;
		in->idem_key = k;
	}
	return 0;
}

/* The caller's order made with this key: 1 found (*id set), 0 none, -1 failure. */
static int find_by_key(struct req *r, const char *key, const char **id)
{
	if (!key)
		return 0;
	PGresult *res = db_query(&r->ctx, "SELECT id FROM orders WHERE user_id = $1 AND idempotency_key = $2",
				 r->ctx.who.user_id, key);
	if (!res)
		return -1;
	if (PQntuples(res) != 1)
		return 0;
	*id = arena_strdup(r->a, db_val(res, 0, "id"));
	return 1;
}

static int reply_order(struct req *r, int status, const char *id)
{
	struct json_object *o = order_json(r, id, r->ctx.who.user_id);
	return o ? reply_json(r, status, o) : reply_order_missing(r);
}

/* Locks the cart and its items and prices them: 0; 1 when the cart is empty;
 * -1 answered (rolled back). */
static int lock_and_price_cart(struct req *r, struct cart_sum *cs)
{
	memset(cs, 0, sizeof *cs);
	PGresult *res = db_query(&r->ctx, "SELECT id FROM carts WHERE user_id = $1 FOR UPDATE", r->ctx.who.user_id);
	if (!res)
		return db_rollback(&r->ctx), reply_db_error(r), -1;
	if (PQntuples(res) == 1)
		cs->cart_id = arena_strdup(r->a, db_val(res, 0, "id"));
	res = cs->cart_id ? db_query(&r->ctx,
		"SELECT p.name, v.label, v.weight_grams, v.kitchen_units, v.price::text AS price, ci.quantity, "
		"p.lead_time_hours, (v.is_available AND v.archived_at IS NULL AND p.is_available "
		"AND p.archived_at IS NULL) AS sellable, v.id AS variant_id "
		"FROM cart_items ci JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id "
		"WHERE ci.cart_id = $1 ORDER BY ci.created_at FOR UPDATE OF ci FOR SHARE OF v, p", cs->cart_id) : NULL;
	if (cs->cart_id && !res)
		return db_rollback(&r->ctx), reply_db_error(r), -1;
	if (!res || PQntuples(res) == 0)
		return 1;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t price;
		int qty = atoi(db_val(res, i, "quantity")), grams = atoi(db_val(res, i, "weight_grams"));
		int lead = atoi(db_val(res, i, "lead_time_hours"));
		if (!db_bool(res, i, "sellable")) {
			db_rollback(&r->ctx);
			return reply_error(r, 422, "VARIANT_UNAVAILABLE", "variantId", "%s (%s) is no longer available",
					   db_val(res, i, "name"), db_val(res, i, "label")), -1;
		}
		if (money_parse(db_val(res, i, "price"), &price) != 0)
			return db_rollback(&r->ctx), reply_error(r, 500, "INTERNAL", NULL, "Unreadable price"), -1;
		cs->subtotal += price * qty;
		cs->units += atoi(db_val(res, i, "kitchen_units")) * qty;
		cs->lead_hours = lead > cs->lead_hours ? lead : cs->lead_hours;
		cs->max_grams = grams > cs->max_grams ? grams : cs->max_grams;
	}
	return 0;
}

/* The inscription limit for the largest cake in the order. */
static int inscription_limit(int max_grams)
{
	if (max_grams <= 500)
		return INSCRIPTION_MAX_SMALL;
	return max_grams <= 1000 ? INSCRIPTION_MAX_MEDIUM : INSCRIPTION_MAX_LARGE;
}

/* Writes the order, its items, its first history row; empties the cart.
 * *id gets the new order's id, or stays NULL when the key was taken meanwhile.
 * 0, or -1 on a database failure. */
static int write_order(struct req *r, const struct order_input *in, const struct cart_sum *cs,
		       int64_t fee, const char **id)
{
	char sub[32], feet[32], total[32], units[16];
	money_format(cs->subtotal, sub);
	money_format(fee, feet);
	money_format(cs->subtotal + fee, total);
	snprintf(units, sizeof units, "%d", cs->units);
	PGresult *res = db_query(&r->ctx,
		"INSERT INTO orders (user_id, address_id, address, subtotal, delivery_fee, total_amount, delivery_slot, "
		"slot_units, custom_message, is_gift, gift_message, idempotency_key, tracking_token) "
		"SELECT $1, a.id, jsonb_build_object('label', a.label, 'street', a.street, 'city', a.city, "
		"'pincode', a.pincode, 'latitude', a.latitude, 'longitude', a.longitude, "
		"'contactName', u.name, 'contactPhone', u.phone), "
		"$3::numeric, $4::numeric, $5::numeric, $6::timestamptz, $7::int, $8, $9::boolean, $10, $11, $12 "
		"FROM addresses a JOIN users u ON u.id = a.user_id WHERE a.id = $2 AND a.user_id = $1 "
		"ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id",
		r->ctx.who.user_id, in->address_id, sub, feet, total, in->slot, units, in->message,
		in->is_gift ? "true" : "false", in->gift_message, in->idem_key, auth_random_token(r->a, 24));
	if (!res)
		return -1;
	*id = PQntuples(res) == 1 ? arena_strdup(r->a, db_val(res, 0, "id")) : NULL;
	if (!*id)
		return 0;
	const char *actor = arena_printf(r->a, "customer:%s", r->ctx.who.user_id);
	if (!db_query(&r->ctx, "INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, "
			 "weight_grams, kitchen_units, unit_price, quantity, line_total) "
			 "SELECT $1, p.id, v.id, p.name, v.label, v.weight_grams, v.kitchen_units, v.price, ci.quantity, "
			 "v.price * ci.quantity FROM cart_items ci JOIN variants v ON v.id = ci.variant_id "
			 "JOIN products p ON p.id = v.product_id WHERE ci.cart_id = $2", *id, cs->cart_id) ||
	    !db_query(&r->ctx, "INSERT INTO order_status_history (order_id, from_status, to_status, actor, note) "
			 "VALUES ($1, NULL, 'PENDING', $2, 'order placed')", *id, actor) ||
	    !db_query(&r->ctx, "DELETE FROM cart_items WHERE cart_id = $1", cs->cart_id) ||
	    !db_query(&r->ctx, "UPDATE carts SET updated_at = now() WHERE id = $1", cs->cart_id))
		return -1;
	return 0;
}

/* The transaction of POST /api/orders once the fee is known. */
static int place_order(struct req *r, const struct order_input *in, int64_t fee)
{
	struct cart_sum cs;
	const char *id = NULL, *err = NULL;

	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	int empty = lock_and_price_cart(r, &cs);
	if (empty < 0)
		return 0;
	/* a retry that waited for the cart lock finds its first attempt's order */
	int found = find_by_key(r, in->idem_key, &id);
	if (found != 0 || empty) {
		db_rollback(&r->ctx);
		if (found == 0)
			return reply_error(r, 422, "CART_EMPTY", NULL, "The cart is empty");
		return found > 0 ? reply_order(r, 200, id) : reply_db_error(r);
	}
	if (in->message) {
		long len = utf8_length(in->message, strlen(in->message));
		int max = inscription_limit(cs.max_grams);
		if (len > max) {
			db_rollback(&r->ctx);
			return reply_error(r, 400, "INSCRIPTION_TOO_LONG", "customMessage",
					   "The inscription fits %d characters on the largest cake of this order", max);
		}
	}
	if (cs.subtotal + fee > MAX_ORDER_PAISE) {
		db_rollback(&r->ctx);
		return reply_error(r, 422, "ORDER_TOO_LARGE", NULL, "The order total is too large");
	}
	int rc = slot_check_and_book(r, in->slot, cs.units, cs.lead_hours, &err);
	if (rc != 0) {
		db_rollback(&r->ctx);
		if (rc < 0)
			return reply_db_error(r);
		return reply_error(r, 422, err, "deliverySlot", strcmp(err, "SLOT_FULL") == 0
				   ? "That delivery slot has no kitchen capacity left for this order"
				   : "That delivery slot is not offered for this order (past, off the grid, before the lead time of %d h, or closed)",
				   cs.lead_hours);
	}
	if (write_order(r, in, &cs, fee, &id) != 0 || (id && db_commit(&r->ctx) != 0)) {
		db_rollback(&r->ctx);
		return reply_db_error(r);
	}
	if (!id) {	/* the same key won a race: answer that order */
		db_rollback(&r->ctx);
		if (find_by_key(r, in->idem_key, &id) != 1)
			return reply_db_error(r);
		return reply_order(r, 200, id);
	}
	return reply_order(r, 201, id);
}

int orders_create(struct req *r)
{
	struct order_input in;
	const char *id, *lat, *lng, *text;
	int64_t fee;

	if (parse_input(r, &in) != 0)
		return 0;
	int found = find_by_key(r, in.idem_key, &id);
	if (found != 0)
		return found > 0 ? reply_order(r, 200, id) : reply_db_error(r);
	enum outcome ao = address_point(&r->ctx, in.address_id, &lat, &lng, &text);
	if (ao != OK)
		return reply_outcome(r, ao, "addressId");
	/* priced before the transaction: no partner call while rows are locked */
	int rc = delivery_fee(r, lat, lng, text, &fee);
	if (rc != BORZO_OK)
		return reply_fee_error(r, rc);
	return place_order(r, &in, fee);
}

/* ---- reading and cancelling ---- */

int orders_list(struct req *r)
{
	const char *ls = query_get(r, "limit"), *os = query_get(r, "offset");
	int64_t limit = 20, offset = 0;

	if (ls && parse_int64(ls, 1, 100, &limit) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "limit", "limit must be an integer 1 to 100");
	if (os && parse_int64(os, 0, 1000000000, &offset) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "offset", "offset must be a non-negative integer");
	const char *lt = arena_printf(r->a, "%lld", (long long)limit), *ot = arena_printf(r->a, "%lld", (long long)offset);
	PGresult *count = db_query(&r->ctx, "SELECT count(*) AS n FROM orders WHERE user_id = $1", r->ctx.who.user_id);
	PGresult *res = count ? db_query(&r->ctx, ORDER_SELECT "WHERE o.user_id = $1 "
					 "ORDER BY o.created_at DESC, o.order_number DESC LIMIT $2::int OFFSET $3::bigint",
					 r->ctx.who.user_id, lt, ot) : NULL;
	struct json_object *items = res ? orders_build(r, res, 1) : NULL;
	if (!items)
		return reply_db_error(r);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", jint(strtoll(db_val(count, 0, "n"), NULL, 10)));
	json_object_object_add(o, "limit", jint(limit));
	json_object_object_add(o, "offset", jint(offset));
	return reply_json(r, 200, o);
}

int orders_get(struct req *r)
{
	return reply_order(r, 200, r->param[0]);
}

int orders_cancel(struct req *r)
{
	const char *id = r->param[0];

	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	PGresult *res = db_query(&r->ctx, "SELECT 1 FROM orders WHERE id = $1 AND user_id = $2", id, r->ctx.who.user_id);
	if (!res || PQntuples(res) != 1) {
		db_rollback(&r->ctx);
		return res ? reply_error(r, 404, "ORDER_NOT_FOUND", NULL, "No such order") : reply_db_error(r);
	}
	const char *actor = arena_printf(r->a, "customer:%s", r->ctx.who.user_id);
	enum fsm_result fr = order_transition(&r->ctx, id, "CANCELLED", CAUSE_CUSTOMER, actor, "cancelled by the customer", NULL);
	if (fr == FSM_ILLEGAL || fr == FSM_DB_ERROR || fr == FSM_NOT_FOUND) {
		db_rollback(&r->ctx);
		if (fr == FSM_ILLEGAL)
			return reply_error(r, 409, "ILLEGAL_TRANSITION", NULL, "The order can no longer be cancelled");
		return fr == FSM_NOT_FOUND ? reply_error(r, 404, "ORDER_NOT_FOUND", NULL, "No such order") : reply_db_error(r);
	}
	/* the refund is recorded with the cancel; the policy may forbid a late one */
	const char *refund_id = NULL;
	enum refund_result q = fr == FSM_OK ? payment_refund_prepare(r, id, actor, &refund_id) : REFUND_NOT_PAID;
	if (q == REFUND_TOO_LATE || q == REFUND_DB_ERROR) {
		db_rollback(&r->ctx);
		if (q == REFUND_DB_ERROR)
			return reply_db_error(r);
		return reply_error(r, 409, "CANCELLATION_TOO_LATE", NULL,
				   "A paid order can no longer be cancelled this close to its delivery slot");
	}
	if (db_commit(&r->ctx) != 0)
		return reply_db_error(r);
	if (fr == FSM_OK)
		payment_after_cancel(r, id, refund_id);
	return reply_order(r, 200, id);
}
