/* payments.c: POST /api/payments/{create-order,verify,webhook}, refunds, POST /api/admin/orders/{id}/refund. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "order_fsm.h"
#include "mail.h"
#include "orders.h"
#include "payments.h"
#include "razorpay.h"
#include "util.h"

#define REFUND_FULL_HOURS 24	/* at least this long before the slot: everything back */
#define REFUND_CUTOFF_HOURS 6	/* under this, the kitchen has started: no customer cancel */
#define MAX_PAISE 1000000000000LL	/* NUMERIC(10,2) bound, with room */

/* ---- small helpers ---------------------------------------------------- */

static int64_t paise_of(const char *numeric_text)
{
	int64_t p = -1;
	if (!numeric_text || money_parse(numeric_text, &p) != 0)
		return -1;
	return p;
}

static const char *money_text(struct req *r, int64_t paise)
{
	char out[32];
	money_format(paise, out);
	return arena_strdup(r->a, out);
}

/* A string member of o, or NULL. */
static const char *jstr_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An integer member of o within [0, MAX_PAISE], or -1 (json-c clamps, so check the range). */
static int64_t jpaise_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	int64_t x = json_object_get_int64(v);
	return x >= 0 && x <= MAX_PAISE ? x : -1;
}

static void flag_attention(struct req *r, const char *order_id, const char *reason)
{
	db_query(&r->ctx, "UPDATE orders SET needs_attention = true, attention_reason = $2, updated_at = now() WHERE id = $1",
		 order_id, reason);
}

/* The payment routes answer the whole order, as GET /api/orders/{id} does. NULL on a DB error. */
static struct json_object *payment_order_answer(struct req *r, const char *order_id)
{
	return order_json(r, order_id, NULL);
}

static int reply_order(struct req *r, const char *order_id)
{
	struct json_object *o = payment_order_answer(r, order_id);
	return o ? reply_json(r, 200, o) : reply_db_error(r);
}

static int reply_partner(struct req *r, enum rzp_result res)
{
	if (res == RZP_PARTNER_ERROR)
		return reply_error(r, 502, "PAYMENT_PROVIDER_ERROR", NULL, "The payment provider refused the request");
	return reply_error(r, 503, "PAYMENT_PROVIDER_UNAVAILABLE", NULL, "The payment provider is unavailable; try again shortly");
}

/* ---- create-order ----------------------------------------------------- */

static int reply_checkout(struct req *r, int64_t paise, const char *rzp_order_id)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "key_id", json_object_new_string(cfg->razorpay_key_id));
	json_object_object_add(o, "amount", json_object_new_int64(paise));
	json_object_object_add(o, "currency", json_object_new_string("INR"));
	json_object_object_add(o, "order_id", json_object_new_string(rzp_order_id));
	return reply_json(r, 200, o);
}

/* A Razorpay order entity that is ours: a valid id, our amount, INR. Its id or NULL. */
static const char *our_rzp_order(struct json_object *o, int64_t paise)
{
	const char *id = jstr_of(o, "id"), *cur = jstr_of(o, "currency");
	if (!razorpay_id_valid(id, "order_") || jpaise_of(o, "amount") != paise || !cur || strcmp(cur, "INR") != 0)
		return NULL;
	return id;
}

/* After an earlier attempt whose outcome is unknown: Razorpay's order with our receipt, if any. */
static enum rzp_result find_by_receipt(struct req *r, const char *receipt, int64_t paise, const char **id)
{
	struct rzp_answer a;
	struct json_object *items;
	enum rzp_result res = razorpay_orders_by_receipt(receipt, &a);

	*id = NULL;
	if (res == RZP_OK && json_object_object_get_ex(a.json, "items", &items) &&
	    json_object_is_type(items, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(items) && !*id; i++) {
			const char *found = our_rzp_order(json_object_array_get_idx(items, i), paise);
			if (found)
				*id = arena_strdup(r->a, found);
		}
	}
	rzp_answer_free(&a);
	return res;
}

/* Creates Razorpay's order (looking it up first when an earlier attempt may have made it). */
static enum rzp_result obtain_rzp_order(struct req *r, const char *order_id, const char *receipt, int64_t paise,
					int maybe_created, const char **id, char *err, size_t errlen)
{
	struct rzp_answer a;
	enum rzp_result res;

	if (maybe_created) {
		res = find_by_receipt(r, receipt, paise, id);
		if (res != RZP_OK || *id) {
			snprintf(err, errlen, "lookup by receipt: %s", razorpay_result_name(res));
			return res;
		}
	}
	res = razorpay_create_order(paise, receipt, order_id, &a);
	snprintf(err, errlen, "create: %s %s", razorpay_result_name(res), a.description);
	if (res == RZP_OK) {
		const char *found = our_rzp_order(a.json, paise);
		*id = found ? arena_strdup(r->a, found) : NULL;
		if (!found)
			res = RZP_PARTNER_ERROR;	/* an answer that is not our order */
	}
	rzp_answer_free(&a);
	return res;
}

/* Under the payments row lock (held across the call, at most two 10 s calls): one
 * Razorpay order per payment even when the customer's browser calls twice at once. */
static int create_under_lock(struct req *r, const char *order_id, const char *receipt, int64_t paise,
			     int maybe_created)
{
	char err[300];
	const char *id = NULL;

	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	PGresult *res = db_query(&r->ctx, "SELECT p.razorpay_order_id, o.status FROM payments p JOIN orders o ON o.id = p.order_id "
				    "WHERE p.order_id = $1 FOR UPDATE OF p", order_id);
	if (!res || PQntuples(res) != 1) {
		db_rollback(&r->ctx);
		return reply_db_error(r);
	}
	if (db_val(res, 0, "razorpay_order_id")) {	/* a concurrent call made it meanwhile */
		id = arena_strdup(r->a, db_val(res, 0, "razorpay_order_id"));
		db_rollback(&r->ctx);
		return reply_checkout(r, paise, id);
	}
	if (strcmp(db_val(res, 0, "status"), "PENDING") != 0) {
		db_rollback(&r->ctx);
		return reply_error(r, 409, "ORDER_NOT_PAYABLE", "orderId", "The order is no longer awaiting payment");
	}
	enum rzp_result rr = obtain_rzp_order(r, order_id, receipt, paise, maybe_created, &id, err, sizeof err);
	if (rr == RZP_OK && id) {
		if (!db_query(&r->ctx, "UPDATE payments SET razorpay_order_id = $2, status = 'CREATED', last_error = NULL, "
				 "updated_at = now() WHERE order_id = $1", order_id, id) || db_commit(&r->ctx) != 0) {
			db_rollback(&r->ctx);	/* the row stays CREATING; the next call looks the receipt up */
			return reply_db_error(r);
		}
		return reply_checkout(r, paise, id);
	}
	/* the row stays CREATING with the reason; a later call retries (receipt first) */
	if (!db_query(&r->ctx, "UPDATE payments SET last_error = $2, updated_at = now() WHERE order_id = $1", order_id, err) ||
	    db_commit(&r->ctx) != 0)
		db_rollback(&r->ctx);
	return reply_partner(r, rr);
}

int payments_create_order(struct req *r)
{
	const char *order_id;

	if (jget_uuid(r, r->json, "orderId", REQUIRED, &order_id))
		return 0;
	PGresult *res = db_query(&r->ctx, "SELECT o.status, o.order_number, o.total_amount, p.razorpay_order_id "
				    "FROM orders o LEFT JOIN payments p ON p.order_id = o.id "
				    "WHERE o.id = $1 AND o.user_id = $2", order_id, r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return reply_error(r, 404, "NOT_FOUND", "orderId", "No such order");
	if (strcmp(db_val(res, 0, "status"), "PENDING") != 0)
		return reply_error(r, 409, "ORDER_NOT_PAYABLE", "orderId", "The order is %s, not awaiting payment",
				   db_val(res, 0, "status"));
	int64_t paise = paise_of(db_val(res, 0, "total_amount"));
	const char *receipt = arena_strdup(r->a, db_val(res, 0, "order_number"));
	if (db_val(res, 0, "razorpay_order_id"))
		return reply_checkout(r, paise, db_val(res, 0, "razorpay_order_id"));

	/* insert first (committed): one payments row per order, whoever comes first */
	res = db_query(&r->ctx, "INSERT INTO payments (order_id, amount, status) VALUES ($1, $2, 'CREATING') "
			  "ON CONFLICT (order_id) DO NOTHING RETURNING id", order_id, money_text(r, paise));
	if (!res)
		return reply_db_error(r);
	int fresh = PQntuples(res) == 1;
	return create_under_lock(r, order_id, receipt, paise, !fresh);
}

/* ---- confirm: the one path from "paid" to CONFIRMED -------------------- */

static enum pay_result confirm_locked(struct req *r, const char *rzp_order_id, const char *rzp_payment_id,
				      int64_t amount_paise, const char *actor)
{
	PGresult *res = db_query(&r->ctx, "SELECT order_id FROM payments WHERE razorpay_order_id = $1", rzp_order_id);
	if (!res)
		return PAY_DB_ERROR;
	if (PQntuples(res) != 1)
		return PAY_NOT_FOUND;
	const char *order_id = arena_strdup(r->a, db_val(res, 0, "order_id"));
	/* lock order first, then payment: the order of every other writer too */
	if (!db_query(&r->ctx, "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", order_id))
		return PAY_DB_ERROR;
	res = db_query(&r->ctx, "SELECT status, amount, razorpay_payment_id FROM payments WHERE order_id = $1 FOR UPDATE", order_id);
	if (!res || PQntuples(res) != 1)
		return PAY_DB_ERROR;
	const char *st = db_val(res, 0, "status"), *have = db_val(res, 0, "razorpay_payment_id");
	if (amount_paise >= 0 && amount_paise != paise_of(db_val(res, 0, "amount"))) {
		log_warn("payment %s of %s: amount %lld differs from ours", rzp_payment_id, rzp_order_id, (long long)amount_paise);
		flag_attention(r, order_id, "Razorpay amount differs from the order total");
		return PAY_MISMATCH;
	}
	int captured = strcmp(st, "CAPTURED") == 0 || strcmp(st, "REFUNDED") == 0 || strcmp(st, "PARTIALLY_REFUNDED") == 0;
	if (captured && have && strcmp(have, rzp_payment_id) != 0) {
		log_warn("order %s: payment %s captured after %s", rzp_order_id, rzp_payment_id, have);
		flag_attention(r, order_id, "a second Razorpay payment was captured");
		return PAY_ALREADY;
	}
	if (!captured && !db_query(&r->ctx, "UPDATE payments SET status = 'CAPTURED', razorpay_payment_id = $2, captured_at = now(), "
				      "error_code = NULL, error_description = NULL, last_error = NULL, updated_at = now() "
				      "WHERE order_id = $1", order_id, rzp_payment_id))
		return PAY_DB_ERROR;
	const char *from = NULL;
	char note[128];
	snprintf(note, sizeof note, "payment %s captured", rzp_payment_id);
	switch (order_transition(&r->ctx, order_id, "CONFIRMED", CAUSE_PAYMENT, actor, note, &from)) {
	case FSM_OK:
		return PAY_OK;
	case FSM_ALREADY:
		return PAY_ALREADY;
	case FSM_ILLEGAL:
		if (from && strcmp(from, "CANCELLED") == 0) {
			log_warn("order %s: paid after it was cancelled", order_id);
			flag_attention(r, order_id, "paid after cancellation: refund it");
			return PAY_ORDER_CLOSED;
		}
		return PAY_ALREADY;	/* BAKING and later: confirmed long ago */
	case FSM_NOT_FOUND:
		return PAY_NOT_FOUND;
	default:
		return PAY_DB_ERROR;
	}
}

enum pay_result payment_confirm(struct req *r, const char *razorpay_order_id, const char *razorpay_payment_id,
				int64_t amount_paise, const char *actor)
{
	int own = !db_in_tx(&r->ctx);

	if (own && db_begin(&r->ctx) != 0)
		return PAY_DB_ERROR;
	enum pay_result res = confirm_locked(r, razorpay_order_id, razorpay_payment_id, amount_paise, actor);
	if (!own)
		return res;
	if (res == PAY_DB_ERROR || res == PAY_NOT_FOUND) {
		db_rollback(&r->ctx);
		return res;
	}
	if (db_commit(&r->ctx) != 0) {
		db_rollback(&r->ctx);
		return PAY_DB_ERROR;
	}
	return res;
}

/* ---- verify ----------------------------------------------------------- */

int payments_verify(struct req *r)
{
	const char *rzp_order, *rzp_payment, *sig;

	if (jget_text(r, r->json, "razorpay_order_id", REQUIRED, 1, 64, TEXT_SINGLE_LINE, &rzp_order) ||
	    jget_text(r, r->json, "razorpay_payment_id", REQUIRED, 1, 64, TEXT_SINGLE_LINE, &rzp_payment) ||
	    jget_text(r, r->json, "razorpay_signature", REQUIRED, 1, 128, TEXT_SINGLE_LINE, &sig))
		return 0;
	PGresult *res = db_query(&r->ctx, "SELECT p.razorpay_order_id, p.order_id FROM payments p JOIN orders o ON o.id = p.order_id "
				    "WHERE p.razorpay_order_id = $1 AND o.user_id = $2", rzp_order, r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return reply_error(r, 404, "NOT_FOUND", "razorpay_order_id", "No such payment");
	const char *stored = arena_strdup(r->a, db_val(res, 0, "razorpay_order_id"));
	const char *order_id = arena_strdup(r->a, db_val(res, 0, "order_id"));
	if (!razorpay_id_valid(rzp_payment, "pay_") || !razorpay_checkout_signature_valid(stored, rzp_payment, sig))
		return reply_error(r, 400, "INVALID_SIGNATURE", "razorpay_signature", "The payment signature does not match");
	const char *actor = arena_printf(r->a, "customer:%s", r->ctx.who.user_id);
	switch (payment_confirm(r, stored, rzp_payment, -1, actor)) {
	case PAY_OK:
	case PAY_ALREADY:
		return reply_order(r, order_id);
	case PAY_ORDER_CLOSED:
		return reply_error(r, 409, "ORDER_NOT_PAYABLE", NULL,
				   "The order was cancelled; the payment will be refunded");
	case PAY_NOT_FOUND:
		return reply_error(r, 404, "NOT_FOUND", "razorpay_order_id", "No such payment");
	default:
		return reply_db_error(r);
	}
}

/* ---- webhook ---------------------------------------------------------- */

/* payload.<what>.entity of an event, or NULL. */
static struct json_object *event_entity(struct json_object *ev, const char *what)
{
	struct json_object *payload, *w, *e;
	if (!json_object_object_get_ex(ev, "payload", &payload) || !json_object_is_type(payload, json_type_object) ||
	    !json_object_object_get_ex(payload, what, &w) || !json_object_is_type(w, json_type_object) ||
	    !json_object_object_get_ex(w, "entity", &e) || !json_object_is_type(e, json_type_object))
		return NULL;
	return e;
}

/* Outcome of one event: the status answered to Razorpay, or NULL after a DB error. */
typedef const char *(*event_fn)(struct req *r, struct json_object *payment, struct json_object *ev);

/* payment.captured / order.paid: confirm when order id, amount and currency match our row. */
static const char *on_captured(struct req *r, struct json_object *p, struct json_object *ev)
{
	const char *id = jstr_of(p, "id"), *oid = jstr_of(p, "order_id"), *cur = jstr_of(p, "currency");
	struct json_object *order = event_entity(ev, "order");
	int64_t amount = jpaise_of(p, "amount");

	if (order && (!jstr_of(order, "id") || !oid || strcmp(jstr_of(order, "id"), oid) != 0)) {
		log_warn("razorpay event: payment %s and order entity disagree", id);
		return "acknowledged";
	}
	if (!cur || strcmp(cur, "INR") != 0 || amount < 0) {
		log_warn("razorpay event: payment %s has currency %s / amount %lld", id, cur ? cur : "-", (long long)amount);
		PGresult *res = db_query(&r->ctx, "SELECT order_id FROM payments WHERE razorpay_order_id = $1", oid);
		if (!res)
			return NULL;
		if (PQntuples(res) == 1)
			flag_attention(r, db_val(res, 0, "order_id"), "Razorpay currency or amount unexpected");
		return "acknowledged";
	}
	switch (payment_confirm(r, oid, id, amount, "razorpay")) {
	case PAY_OK: return "confirmed";
	case PAY_ALREADY: return "already_confirmed";
	case PAY_ORDER_CLOSED: return "acknowledged";
	case PAY_MISMATCH: return "acknowledged";
	case PAY_NOT_FOUND:
		log_warn("razorpay event: unknown order %s (payment %s)", oid, id);
		return "acknowledged";
	default:
		return NULL;
	}
}

/* payment.authorized: recorded only; auto-capture confirms through payment.captured. */
static const char *on_authorized(struct req *r, struct json_object *p, struct json_object *ev)
{
	(void)ev;
	PGresult *res = db_query(&r->ctx, "UPDATE payments SET status = 'AUTHORIZED', razorpay_payment_id = $2, method = $3, "
				    "updated_at = now() WHERE razorpay_order_id = $1 AND amount = $4::numeric / 100 "
				    "AND status IN ('CREATED', 'FAILED', 'AUTHORIZED') RETURNING id",
				 jstr_of(p, "order_id"), jstr_of(p, "id"), jstr_of(p, "method"),
				 arena_printf(r->a, "%lld", (long long)jpaise_of(p, "amount")));
	if (!res)
		return NULL;
	return PQntuples(res) ? "recorded" : "acknowledged";
}

/* payment.failed: FAILED with Razorpay's reason; the order stays PENDING and payable. An
 * older failure never overwrites a later authorisation of the same attempt or a capture. */
static const char *on_failed(struct req *r, struct json_object *p, struct json_object *ev)
{
	(void)ev;
	PGresult *res = db_query(&r->ctx, "UPDATE payments SET status = 'FAILED', razorpay_payment_id = $2, method = $3, "
				    "error_code = $4, error_description = left($5, 500), updated_at = now() "
				    "WHERE razorpay_order_id = $1 AND (status IN ('CREATED', 'FAILED') "
				    "OR (status = 'AUTHORIZED' AND razorpay_payment_id IS DISTINCT FROM $2)) RETURNING id",
				 jstr_of(p, "order_id"), jstr_of(p, "id"), jstr_of(p, "method"),
				 jstr_of(p, "error_code"), jstr_of(p, "error_description"));
	if (!res)
		return NULL;
	return PQntuples(res) ? "recorded" : "acknowledged";
}

/* refund.*: the refunds row follows Razorpay's status. */
static const char *on_refund(struct req *r, struct json_object *p, struct json_object *ev)
{
	(void)p;
	struct json_object *rf = event_entity(ev, "refund");
	const char *id = jstr_of(rf, "id"), *st = jstr_of(rf, "status");
	if (!id || !st)
		return "ignored";
	const char *ours = strcmp(st, "processed") == 0 ? "PROCESSED" : strcmp(st, "failed") == 0 ? "FAILED" : NULL;
	if (!ours)
		return "acknowledged";
	PGresult *res = db_query(&r->ctx, "UPDATE refunds SET status = $2, updated_at = now() "
				    "WHERE razorpay_refund_id = $1 AND status <> $2 RETURNING order_id", id, ours);
	if (!res)
		return NULL;
	if (PQntuples(res) && strcmp(ours, "FAILED") == 0)
		flag_attention(r, db_val(res, 0, "order_id"), "Razorpay refund failed");
	return "recorded";
}

static const struct {
	const char *event;
	event_fn fn;
	int needs_payment;
} event_table[] = {
	{ "payment.captured", on_captured, 1 },
	{ "order.paid", on_captured, 1 },
	{ "payment.authorized", on_authorized, 1 },
	{ "payment.failed", on_failed, 1 },
	{ "refund.created", on_refund, 0 },
	{ "refund.processed", on_refund, 0 },
	{ "refund.failed", on_refund, 0 },
};

/* A payment entity with the fields every handler relies on, or NULL. */
static struct json_object *event_payment(struct json_object *ev)
{
	struct json_object *p = event_entity(ev, "payment");
	if (!p || !razorpay_id_valid(jstr_of(p, "id"), "pay_") || !razorpay_id_valid(jstr_of(p, "order_id"), "order_") ||
	    jpaise_of(p, "amount") < 0)
		return NULL;
	return p;
}

/* Runs the event in one transaction with its webhook_events row. Answers. */
static int process_event(struct req *r, const char *event_id, const char *type, struct json_object *ev, event_fn fn,
			 struct json_object *payment)
{
	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	if (event_id) {
		PGresult *res = db_query(&r->ctx, "INSERT INTO webhook_events (source, event_id, event_type) VALUES ('razorpay', $1, $2) "
					    "ON CONFLICT DO NOTHING RETURNING 1", event_id, type);
		if (!res) {
			db_rollback(&r->ctx);
			return reply_db_error(r);
		}
		if (PQntuples(res) == 0) {
			db_rollback(&r->ctx);
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "status", json_object_new_string("duplicate"));
			return reply_json(r, 200, o);
		}
	}
	const char *outcome = fn ? fn(r, payment, ev) : "ignored";
	if (!outcome || db_commit(&r->ctx) != 0) {
		db_rollback(&r->ctx);
		return reply_db_error(r);	/* a 503: Razorpay retries the event */
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(outcome));
	return reply_json(r, 200, o);
}

int payments_webhook(struct req *r)
{
	const char *sig = req_header(r, "HTTP_X_RAZORPAY_SIGNATURE");
	const char *event_id = req_header(r, "HTTP_X_RAZORPAY_EVENT_ID");
	char err[160];

	if (!razorpay_webhook_signature_valid(r->body ? r->body : "", r->body_len, sig))
		return reply_error(r, 400, "INVALID_SIGNATURE", NULL, "The webhook signature does not match");
	if (event_id && (!*event_id || strlen(event_id) > 200 || text_has_controls(event_id, strlen(event_id), TEXT_SINGLE_LINE)))
		return reply_error(r, 400, "VALIDATION_ERROR", NULL, "X-Razorpay-Event-Id is malformed");
	struct json_object *ev = json_own(r->a, json_parse_strict(r->body ? r->body : "", r->body_len, err, sizeof err));
	if (!ev)
		return reply_error(r, 400, "MALFORMED_JSON", NULL, "%s", err);
	const char *type = jstr_of(ev, "event");
	if (!type || strlen(type) > 100)
		return reply_error(r, 400, "MALFORMED_EVENT", "event", "The event has no type");
	if (!event_id)
		log_warn("razorpay %s event without X-Razorpay-Event-Id: processed without de-duplication", type);
	for (size_t i = 0; i < sizeof event_table / sizeof event_table[0]; i++) {
		if (strcmp(event_table[i].event, type) != 0)
			continue;
		struct json_object *p = event_payment(ev);
		if (event_table[i].needs_payment && !p)
			return reply_error(r, 400, "MALFORMED_EVENT", "payload", "The event carries no usable payment");
		return process_event(r, event_id, type, ev, event_table[i].fn, p);
	}
	return process_event(r, event_id, type, ev, NULL, NULL);
}

/* ---- refunds ---------------------------------------------------------- */

/* Staff and the system itself (reconciliation) always refund in full. */
static int is_admin_actor(const char *actor)
{
	return actor && (strncmp(actor, "admin:", 6) == 0 || strncmp(actor, "system:", 7) == 0);
}

/* The policy on paise captured, refunded so far, subtotal, fee and hours left. */
static enum refund_result refund_policy(int admin, int64_t captured, int64_t refunded, int64_t subtotal, int64_t fee,
					double hours_left, int64_t *paise)
{
	int64_t want = captured;

	if (!admin && hours_left < REFUND_CUTOFF_HOURS)
		return REFUND_TOO_LATE;
	if (!admin && hours_left < REFUND_FULL_HOURS)
		want = (subtotal + 1) / 2 + fee;
	if (want > captured - refunded)
		want = captured - refunded;
	*paise = want > 0 ? want : 0;
	return REFUND_DONE;
}

enum refund_result payment_refund_quote(struct req *r, const char *order_id, const char *actor, int64_t *paise)
{
	*paise = 0;
	PGresult *res = db_query(&r->ctx,
		"SELECT p.status, p.amount, o.subtotal, o.delivery_fee, "
		"extract(epoch FROM o.delivery_slot - now()) / 3600 AS hours_left, "
		"(SELECT coalesce(sum(amount), 0) FROM refunds f WHERE f.payment_id = p.id AND f.status <> 'FAILED') AS refunded "
		"FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1", order_id);
	if (!res)
		return REFUND_DB_ERROR;
	if (PQntuples(res) != 1)
		return REFUND_NOT_PAID;
	const char *st = db_val(res, 0, "status");
	if (strcmp(st, "CAPTURED") != 0 && strcmp(st, "PARTIALLY_REFUNDED") != 0)
		return REFUND_NOT_PAID;
	double hours = 0;
	sscanf(db_val(res, 0, "hours_left"), "%lf", &hours);	/* a duration, never money */
	enum refund_result rr = refund_policy(is_admin_actor(actor), paise_of(db_val(res, 0, "amount")),
					      paise_of(db_val(res, 0, "refunded")), paise_of(db_val(res, 0, "subtotal")),
					      paise_of(db_val(res, 0, "delivery_fee")), hours, paise);
	return rr == REFUND_DONE && *paise == 0 ? REFUND_NOT_PAID : rr;
}

/* In one transaction: reuse the pending refund of this payment or record a new one (with its
 * idempotency key) and queue its retry job. Fills the call's inputs. */
static enum refund_result refund_record(struct req *r, const char *order_id, const char *actor, const char **refund_id)
{
	int64_t paise;
	int own = !db_in_tx(&r->ctx);	/* else: the caller's (a cancel) */

	if (own && db_begin(&r->ctx) != 0)
		return REFUND_DB_ERROR;
	if (!db_query(&r->ctx, "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", order_id) ||
	    !db_query(&r->ctx, "SELECT 1 FROM payments WHERE order_id = $1 FOR UPDATE", order_id))
		goto db_error;
	PGresult *res = db_query(&r->ctx, "SELECT id FROM refunds WHERE order_id = $1 AND status = 'PENDING' ORDER BY created_at LIMIT 1",
				 order_id);
	if (!res)
		goto db_error;
	if (PQntuples(res) == 1) {
		*refund_id = arena_strdup(r->a, db_val(res, 0, "id"));
	} else {
		enum refund_result q = payment_refund_quote(r, order_id, actor, &paise);
		if (q != REFUND_DONE) {
			if (own)
				db_rollback(&r->ctx);
			return q;
		}
		res = db_query(&r->ctx, "INSERT INTO refunds (payment_id, order_id, amount, idempotency_key, reason) "
				  "SELECT id, order_id, $2, 'rf-' || replace(gen_random_uuid()::text, '-', ''), $3 "
				  "FROM payments WHERE order_id = $1 RETURNING id",
			       order_id, money_text(r, paise), arena_printf(r->a, "cancelled by %s", actor));
		if (!res || PQntuples(res) != 1)
			goto db_error;
		*refund_id = arena_strdup(r->a, db_val(res, 0, "id"));
	}
	/* the retry is queued before the call: a crash between call and bookkeeping is retried */
	if (!db_query(&r->ctx, "INSERT INTO jobs (kind, order_id, payload, run_at) VALUES ('refund', $1, "
			 "jsonb_build_object('refund_id', $2::text), now() + interval '1 minute') ON CONFLICT DO NOTHING",
		      order_id, *refund_id) ||
	    (own && db_commit(&r->ctx) != 0))
		goto db_error;
	return REFUND_DONE;
db_error:
	if (own)
		db_rollback(&r->ctx);
	return REFUND_DB_ERROR;
}

/* Stores Razorpay's answer to the refund call, closing or rescheduling its job. */
static enum refund_result refund_store(struct req *r, const char *refund_id, enum rzp_result rr, struct rzp_answer *a)
{
	const char *rid = rr == RZP_OK ? jstr_of(a->json, "id") : NULL, *st = rr == RZP_OK ? jstr_of(a->json, "status") : NULL;
	const char *err = arena_printf(r->a, "%s: %s", razorpay_result_name(rr), a->description);
	enum refund_result out = REFUND_DB_ERROR;

	if (rr == RZP_OK && !razorpay_id_valid(rid, "rfnd_"))
		rr = RZP_UNAVAILABLE;	/* a 2xx that is not a refund: ask again with the same key */
	if (db_begin(&r->ctx) != 0)
		return REFUND_DB_ERROR;
	if (rr == RZP_OK) {
		const char *ours = st && strcmp(st, "failed") == 0 ? "FAILED" : st && strcmp(st, "processed") == 0 ? "PROCESSED" : "PENDING";
		if (!db_query(&r->ctx, "UPDATE refunds SET razorpay_refund_id = $2, status = $3, last_error = NULL, updated_at = now() WHERE id = $1",
			      refund_id, rid, ours) ||
		    !db_query(&r->ctx, "UPDATE payments p SET status = CASE WHEN (SELECT sum(amount) FROM refunds f WHERE f.payment_id = p.id "
				 "AND f.status <> 'FAILED') >= p.amount THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END, updated_at = now() "
				 "FROM refunds f WHERE f.id = $1 AND p.id = f.payment_id", refund_id) ||
		    !db_query(&r->ctx, "UPDATE jobs SET state = 'done', updated_at = now() WHERE kind = 'refund' "
				 "AND state IN ('queued', 'running') AND payload->>'refund_id' = $1", refund_id))
			goto db_error;
		out = REFUND_DONE;
	} else if (rr == RZP_PARTNER_ERROR) {
		PGresult *res = db_query(&r->ctx, "UPDATE refunds SET status = 'FAILED', last_error = $2, updated_at = now() WHERE id = $1 RETURNING order_id",
					 refund_id, err);
		if (!res || !db_query(&r->ctx, "UPDATE jobs SET state = 'dead', last_error = $2, updated_at = now() WHERE kind = 'refund' "
					 "AND state IN ('queued', 'running') AND payload->>'refund_id' = $1", refund_id, err))
			goto db_error;
		if (PQntuples(res))
			flag_attention(r, db_val(res, 0, "order_id"), "Razorpay refused the refund");
		out = REFUND_REFUSED;
	} else {
		if (!db_query(&r->ctx, "UPDATE refunds SET last_error = $2, updated_at = now() WHERE id = $1", refund_id, err))
			goto db_error;
		out = REFUND_QUEUED;	/* the queued job retries with the same idempotency key */
	}
	if (db_commit(&r->ctx) != 0)
		goto db_error;
	return out;
db_error:
	db_rollback(&r->ctx);
	return REFUND_DB_ERROR;
}

/* Calls Razorpay for a recorded PENDING refund and stores the outcome. */
static enum refund_result refund_execute(struct req *r, const char *refund_id)
{
	struct rzp_answer a;
	PGresult *res = db_query(&r->ctx, "SELECT f.amount, f.idempotency_key, f.status, p.razorpay_payment_id FROM refunds f "
				    "JOIN payments p ON p.id = f.payment_id WHERE f.id = $1", refund_id);
	if (!res)
		return REFUND_DB_ERROR;
	if (PQntuples(res) != 1 || strcmp(db_val(res, 0, "status"), "PENDING") != 0)
		return REFUND_DONE;	/* settled meanwhile */
	enum rzp_result rr = razorpay_refund(db_val(res, 0, "razorpay_payment_id"), paise_of(db_val(res, 0, "amount")),
					     db_val(res, 0, "idempotency_key"), &a);
	enum refund_result out = refund_store(r, refund_id, rr, &a);
	rzp_answer_free(&a);
	return out;
}

enum refund_result payment_refund_for_cancel(struct req *r, const char *order_id, const char *actor,
					     const char **refund_id)
{
	const char *id = NULL;
	enum refund_result rr = refund_record(r, order_id, actor, &id);

	if (refund_id)
		*refund_id = id;
	return rr == REFUND_DONE ? refund_execute(r, id) : rr;
}

int payments_retry_refunds(struct req *r, int limit)
{
	int done = 0;
	PGresult *res = db_query(&r->ctx,
		"UPDATE jobs SET state = 'running', locked_at = now(), attempts = attempts + 1, updated_at = now() "
		"WHERE id IN (SELECT id FROM jobs WHERE kind = 'refund' AND state = 'queued' AND run_at <= now() "
		"ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id, attempts, max_attempts, payload->>'refund_id' AS refund_id",
		arena_printf(r->a, "%d", limit));
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *job = db_val(res, i, "id"), *rid = db_val(res, i, "refund_id");
		enum refund_result rr = rid && is_uuid(rid) ? refund_execute(r, rid) : REFUND_REFUSED;
		if (rr == REFUND_DONE || rr == REFUND_REFUSED) {
			done += rr == REFUND_DONE;
			db_query(&r->ctx, "UPDATE jobs SET state = CASE WHEN state = 'running' THEN $2 ELSE state END, updated_at = now() WHERE id = $1",
				 job, rr == REFUND_DONE ? "done" : "dead");
			continue;
		}
		/* back off 2^attempts minutes; dead after max_attempts (the order is flagged) */
		db_query(&r->ctx, "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
			    "run_at = now() + make_interval(mins => least(360, power(2, attempts)::int)), locked_at = NULL, "
			    "last_error = (SELECT last_error FROM refunds WHERE id::text = $2), updated_at = now() WHERE id = $1",
			 job, rid ? rid : "");
	}
	return done;
}

enum refund_result payment_refund_prepare(struct req *r, const char *order_id, const char *actor,
					  const char **refund_id)
{
	*refund_id = NULL;
	return refund_record(r, order_id, actor, refund_id);
}

void payment_after_cancel(struct req *r, const char *order_id, const char *refund_id)
{
	/* Razorpay down: the refund's job, committed with the cancel, retries it */
	if (refund_id && refund_execute(r, refund_id) == REFUND_DB_ERROR)
		log_err("order %s: the outcome of refund %s could not be recorded", order_id, refund_id);
	/* a failing mail queue never undoes a cancellation */
	if (mail_queue(&r->ctx, order_id, "cancelled") == -1)
		log_err("order %s cancelled but its email could not be queued", order_id);
}

/* ---- reconciliation ---------------------------------------------------- */

/* Asks Razorpay about one payment we have not seen captured; confirms it when a
 * captured attempt exists (the same transition as verify and the webhook).
 * Returns 1 confirmed, 0 nothing to do, -1 DB error. */
static int reconcile_one(struct req *r, const char *rzp_order_id)
{
	struct rzp_answer a = { 0 };
	struct json_object *items;
	int rc = 0;

	/* touched first: a payment is asked about at most every few minutes */
	if (!db_query(&r->ctx, "UPDATE payments SET updated_at = now() WHERE razorpay_order_id = $1", rzp_order_id))
		return -1;
	if (razorpay_order_payments(rzp_order_id, &a) != RZP_OK || !json_object_object_get_ex(a.json, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		log_warn("reconcile %s: %s %s", rzp_order_id, a.code, a.description);
		rzp_answer_free(&a);
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(items) && rc == 0; i++) {
		struct json_object *p = json_object_array_get_idx(items, i);
		const char *st = jstr_of(p, "status"), *id = jstr_of(p, "id"), *cur = jstr_of(p, "currency");
		if (!st || strcmp(st, "captured") != 0 || !razorpay_id_valid(id, "pay_") || !cur || strcmp(cur, "INR") != 0)
			continue;
		enum pay_result pr = payment_confirm(r, rzp_order_id, id, jpaise_of(p, "amount"), "razorpay:reconcile");
		rc = pr == PAY_DB_ERROR ? -1 : pr == PAY_OK;
	}
	rzp_answer_free(&a);
	return rc;
}

int payments_reconcile(struct req *r, int limit, int *confirmed, int *refunded)
{
	const char *lim = arena_printf(r->a, "%d", limit);

	/* 1. payments whose verify and webhook never came, within Razorpay's late-authorisation window */
	PGresult *res = db_query(&r->ctx,
		"SELECT p.razorpay_order_id FROM payments p JOIN orders o ON o.id = p.order_id "
		"WHERE p.status IN ('CREATED', 'AUTHORIZED', 'FAILED') AND p.razorpay_order_id IS NOT NULL "
		"AND o.status IN ('PENDING', 'CANCELLED') AND p.created_at > now() - interval '" RECONCILE_WINDOW "' "
		"AND p.updated_at < now() - interval '" RECONCILE_AFTER "' "
		"ORDER BY p.updated_at LIMIT $1::int", lim);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		int rc = reconcile_one(r, db_val(res, i, "razorpay_order_id"));
		if (rc < 0)
			return -1;
		*confirmed += rc;
	}
	/* 2. money held for a cancelled order with no refund yet: a payment captured after
	 * the order expired, or a cancel whose refund was never recorded */
	res = db_query(&r->ctx,
		"SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id "
		"WHERE o.status = 'CANCELLED' AND p.status = 'CAPTURED' "
		"AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.order_id = o.id) "
		"ORDER BY o.cancelled_at LIMIT $1::int", lim);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = db_val(res, i, "id");
		enum refund_result rr = payment_refund_for_cancel(r, id, "system:reconcile", NULL);
		if (rr == REFUND_DB_ERROR)
			return -1;
		if (rr == REFUND_DONE || rr == REFUND_QUEUED) {
			(*refunded)++;
			/* the customer was told "no payment taken" at expiry: tell them of the refund */
			if (mail_queue(&r->ctx, id, "refunded") == -1)
				return -1;
		}
	}
	return 0;
}

/* ---- admin: cancel and refund in full --------------------------------- */

static int reply_refund(struct req *r, const char *order_id, const char *refund_id)
{
	struct json_object *o = payment_order_answer(r, order_id), *f = NULL;
	if (!o)
		return reply_db_error(r);
	if (refund_id) {
		PGresult *res = db_query(&r->ctx, "SELECT id, amount, status, razorpay_refund_id, last_error FROM refunds WHERE id = $1",
					 refund_id);
		if (!res || PQntuples(res) != 1) {
			json_object_put(o);
			return reply_db_error(r);
		}
		f = json_object_new_object();
		json_object_object_add(f, "id", jstr(db_val(res, 0, "id")));
		json_object_object_add(f, "amount", jmoney(paise_of(db_val(res, 0, "amount"))));
		json_object_object_add(f, "status", jstr(db_val(res, 0, "status")));
		json_object_object_add(f, "razorpayRefundId", jstr(db_val(res, 0, "razorpay_refund_id")));
		json_object_object_add(f, "lastError", jstr(db_val(res, 0, "last_error")));
	}
	json_object_object_add(o, "refund", f);
	return reply_json(r, 200, o);
}

int admin_order_refund(struct req *r)
{
	const char *order_id = r->param[0], *refund_id = NULL;

	const char *actor = arena_printf(r->a, "admin:%s", r->ctx.who.user_id);
	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	switch (order_transition(&r->ctx, order_id, "CANCELLED", CAUSE_ADMIN, actor, "cancelled and refunded by staff", NULL)) {
	case FSM_OK:
	case FSM_ALREADY:	/* a repeat retries the refund */
		break;
	case FSM_NOT_FOUND:
		db_rollback(&r->ctx);
		return reply_error(r, 404, "NOT_FOUND", NULL, "No such order");
	case FSM_ILLEGAL:
		db_rollback(&r->ctx);
		return reply_error(r, 409, "ILLEGAL_TRANSITION", "status", "Only PENDING or CONFIRMED orders can be cancelled");
	default:
		db_rollback(&r->ctx);
		return reply_db_error(r);
	}
	if (payment_refund_prepare(r, order_id, actor, &refund_id) == REFUND_DB_ERROR || db_commit(&r->ctx) != 0) {
		db_rollback(&r->ctx);
		return reply_db_error(r);
	}
	payment_after_cancel(r, order_id, refund_id);
	return reply_refund(r, order_id, refund_id);
}
