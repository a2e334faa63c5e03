/* payments.c: the payment of an order: Razorpay checkout, the one confirmation, verify, Razorpay events. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "early_events.h"
#include "invoices.h"
#include "json.h"
#include "order_fsm.h"
#include "order_view.h"
#include "payments.h"
#include "razorpay.h"
#include "util.h"

#define MAX_PAISE 1000000000000LL /* NUMERIC(10,2) bound, with room */

/* ---- small helpers shared by the payment files ------------------------ */

int64_t payment_paise(const char *numeric_text)
{
	int64_t p = -1;
	if (!numeric_text || money_parse(numeric_text, &p) != 0)
		return -1;
	return p;
}

int64_t payment_jpaise(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	int64_t x = json_object_get_int64(v); /* json-c clamps: check the range */
	return x >= 0 && x <= MAX_PAISE ? x : -1;
}

/* ---- checkout: the Razorpay order ------------------------------------ */

/* A Razorpay order entity that is ours: a valid id, our amount, INR. Its id or NULL. */
static const char *our_rzp_order(struct json_object *o, int64_t paise)
{
	const char *id = view_text(o, "id"), *cur = view_text(o, "currency");
	if (!razorpay_id_valid(id, "order_") || payment_jpaise(o, "amount") != paise || !cur || strcmp(cur, "INR") != 0)
		return NULL;
	return id;
}

/* After an earlier attempt whose outcome is unknown: Razorpay's order with our receipt, if any. */
static enum rzp_result find_by_receipt(struct ctx *c, const char *receipt, int64_t paise, const char **id)
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
				*id = arena_strdup(c->a, found);
		}
	}
	rzp_answer_free(&a);
	return res;
}

/* Creates Razorpay's order (looking it up first when an earlier attempt may have made it). */
static enum rzp_result obtain_rzp_order(struct ctx *c, const char *order_id, const char *receipt, int64_t paise,
					int maybe_created, const char **id, char *err, size_t errlen)
{
	struct rzp_answer a;
	enum rzp_result res;

	if (maybe_created) {
		res = find_by_receipt(c, receipt, paise, id);
		if (res != RZP_OK || *id) {
			snprintf(err, errlen, "lookup by receipt: %s", razorpay_result_name(res));
			return res;
		}
	}
	res = razorpay_create_order(paise, receipt, order_id, &a);
	snprintf(err, errlen, "create: %s %s", razorpay_result_name(res), a.description);
	if (res == RZP_OK) {
		const char *found = our_rzp_order(a.json, paise);
		*id = found ? arena_strdup(c->a, found) : NULL;
		if (!found)
			res = RZP_PARTNER_ERROR; /* an answer that is not our order */
	}
	rzp_answer_free(&a);
	return res;
}

/* Under the payments row lock (held across the call, at most two 10 s calls): one
 * Razorpay order per payment even when the customer's browser calls twice at once. */
static enum outcome create_under_lock(struct ctx *c, const char *order_id, const char *receipt, int maybe_created,
				      struct checkout *out)
{
	char err[300];
	const char *id = NULL;

	if (db_begin(c) != 0)
		return E_DB;
	PGresult *res = db_query(c, "SELECT p.razorpay_order_id, o.status FROM payments p JOIN orders o ON o.id = p.order_id "
				    "WHERE p.order_id = $1 FOR UPDATE OF p",
				 order_id);
	if (!res || PQntuples(res) != 1) {
		db_rollback(c);
		return E_DB;
	}
	if (db_val(res, 0, "razorpay_order_id")) { /* a concurrent call made it meanwhile */
		out->razorpay_order_id = arena_strdup(c->a, db_val(res, 0, "razorpay_order_id"));
		db_rollback(c);
		return OK;
	}
	if (strcmp(db_val(res, 0, "status"), "PENDING") != 0) {
		db_rollback(c);
		return E_ORDER_NOT_PAYABLE; /* out->status NULL: it changed meanwhile */
	}
	enum rzp_result rr = obtain_rzp_order(c, order_id, receipt, out->amount, maybe_created, &id, err, sizeof err);
	if (rr == RZP_OK && id) {
		/* early_lock: an event about id that came first was kept, a later one waits for this commit */
		if (early_lock(c, "razorpay", id) != 0 ||
		    !db_query(c, "UPDATE payments SET razorpay_order_id = $2, status = 'CREATED', last_error = NULL, "
				 "updated_at = now() WHERE order_id = $1",
			      order_id, id) ||
		    db_commit(c) != 0) {
			db_rollback(c); /* the row stays CREATING; the next call looks the receipt up */
			return E_DB;
		}
		out->razorpay_order_id = id;
		/* not under the payments row lock: confirming locks the order first */
		payment_events_apply_kept(c, id);
		return OK;
	}
	/* the row stays CREATING with the reason; a later call retries (receipt first) */
	if (!db_query(c, "UPDATE payments SET last_error = $2, updated_at = now() WHERE order_id = $1", order_id, err) ||
	    db_commit(c) != 0)
		db_rollback(c);
	return rr == RZP_PARTNER_ERROR ? E_PAYMENT_PROVIDER_ERROR : E_PAYMENT_PROVIDER_UNAVAILABLE;
}

enum outcome payment_checkout(struct ctx *c, const char *order_id, struct checkout *out)
{
	char amount[32];

	memset(out, 0, sizeof *out);
	PGresult *res = db_query(c, "SELECT o.status, o.order_number, o.total_amount, p.razorpay_order_id "
				    "FROM orders o LEFT JOIN payments p ON p.order_id = o.id "
				    "WHERE o.id = $1 AND o.user_id = $2",
				 order_id, c->who.user_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ORDER_NOT_FOUND;
	if (strcmp(db_val(res, 0, "status"), "PENDING") != 0) {
		out->status = arena_strdup(c->a, db_val(res, 0, "status"));
		return E_ORDER_NOT_PAYABLE;
	}
	out->amount = payment_paise(db_val(res, 0, "total_amount"));
	const char *receipt = arena_strdup(c->a, db_val(res, 0, "order_number"));
	if (db_val(res, 0, "razorpay_order_id")) {
		out->razorpay_order_id = arena_strdup(c->a, db_val(res, 0, "razorpay_order_id"));
		return OK;
	}
	/* insert first (committed): one payments row per order, whoever comes first */
	money_format(out->amount, amount);
	res = db_query(c, "INSERT INTO payments (order_id, amount, status) VALUES ($1, $2, 'CREATING') "
			  "ON CONFLICT (order_id) DO NOTHING RETURNING id",
		       order_id, amount);
	if (!res)
		return E_DB;
	return create_under_lock(c, order_id, receipt, PQntuples(res) != 1, out);
}

/* ---- confirm: the one path from "paid" to CONFIRMED -------------------- */

static enum pay_result confirm_locked(struct ctx *c, const char *rzp_order_id, const char *rzp_payment_id,
				      int64_t amount_paise, const char *actor)
{
	PGresult *res = db_query(c, "SELECT order_id FROM payments WHERE razorpay_order_id = $1", rzp_order_id);
	if (!res)
		return PAY_DB_ERROR;
	if (PQntuples(res) != 1)
		return PAY_NOT_FOUND;
	const char *order_id = arena_strdup(c->a, db_val(res, 0, "order_id"));
	/* lock order first, then payment: the order of every other writer too */
	if (!db_query(c, "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", order_id))
		return PAY_DB_ERROR;
	res = db_query(c, "SELECT status, amount, razorpay_payment_id FROM payments WHERE order_id = $1 FOR UPDATE", order_id);
	if (!res || PQntuples(res) != 1)
		return PAY_DB_ERROR;
	const char *st = db_val(res, 0, "status"), *have = db_val(res, 0, "razorpay_payment_id");
	if (amount_paise >= 0 && amount_paise != payment_paise(db_val(res, 0, "amount"))) {
		log_warn("payment %s of %s: amount %lld differs from ours", rzp_payment_id, rzp_order_id, (long long)amount_paise);
		order_flag_attention(c, order_id, "Razorpay amount differs from the order total");
		return PAY_MISMATCH;
	}
	int captured = strcmp(st, "CAPTURED") == 0 || strcmp(st, "REFUNDED") == 0 || strcmp(st, "PARTIALLY_REFUNDED") == 0;
	if (captured && have && strcmp(have, rzp_payment_id) != 0) {
		log_warn("order %s: payment %s captured after %s", rzp_order_id, rzp_payment_id, have);
		order_flag_attention(c, order_id, "a second Razorpay payment was captured");
		return PAY_ALREADY;
	}
	if (!captured && !db_query(c, "UPDATE payments SET status = 'CAPTURED', razorpay_payment_id = $2, captured_at = now(), "
				      "error_code = NULL, error_description = NULL, last_error = NULL, updated_at = now() "
				      "WHERE order_id = $1",
				   order_id, rzp_payment_id))
		return PAY_DB_ERROR;
	const char *from = NULL;
	char note[128];
	snprintf(note, sizeof note, "payment %s captured", rzp_payment_id);
	switch (order_transition(c, order_id, "CONFIRMED", CAUSE_PAYMENT, actor, note, &from)) {
	case FSM_OK:
		/* the tax invoice's number is taken here, in this transaction: a payment
		 * rolled back gives it back, so the series has no gap */
		return invoice_issue(c, order_id) == OK ? PAY_OK : PAY_DB_ERROR;
	case FSM_ALREADY:
		return PAY_ALREADY;
	case FSM_ILLEGAL:
		if (from && strcmp(from, "CANCELLED") == 0) {
			log_warn("order %s: paid after it was cancelled", order_id);
			order_flag_attention(c, order_id, "paid after cancellation: refund it");
			return PAY_ORDER_CLOSED;
		}
		return PAY_ALREADY; /* BAKING and later: confirmed long ago */
	case FSM_NOT_FOUND:
		return PAY_NOT_FOUND;
	default:
		return PAY_DB_ERROR;
	}
}

enum pay_result payment_confirm(struct ctx *c, const char *razorpay_order_id, const char *razorpay_payment_id,
				int64_t amount_paise, const char *actor)
{
	int own = !db_in_tx(c);

	if (own && db_begin(c) != 0)
		return PAY_DB_ERROR;
	enum pay_result res = confirm_locked(c, razorpay_order_id, razorpay_payment_id, amount_paise, actor);
	if (!own)
		return res;
	if (res == PAY_DB_ERROR || res == PAY_NOT_FOUND) {
		db_rollback(c);
		return res;
	}
	if (db_commit(c) != 0) {
		db_rollback(c);
		return PAY_DB_ERROR;
	}
	return res;
}

/* ---- verify ----------------------------------------------------------- */

enum outcome payment_verify(struct ctx *c, const char *razorpay_order_id, const char *razorpay_payment_id,
			    const char *signature, const char **order_id)
{
	PGresult *res = db_query(c, "SELECT p.razorpay_order_id, p.order_id FROM payments p JOIN orders o ON o.id = p.order_id "
				    "WHERE p.razorpay_order_id = $1 AND o.user_id = $2",
				 razorpay_order_id, c->who.user_id);
	*order_id = NULL;
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_PAYMENT_NOT_FOUND;
	const char *stored = arena_strdup(c->a, db_val(res, 0, "razorpay_order_id"));
	*order_id = arena_strdup(c->a, db_val(res, 0, "order_id"));
	if (!razorpay_id_valid(razorpay_payment_id, "pay_") ||
	    !razorpay_checkout_signature_valid(stored, razorpay_payment_id, signature))
		return E_INVALID_SIGNATURE;
	switch (payment_confirm(c, stored, razorpay_payment_id, -1, arena_printf(c->a, "customer:%s", c->who.user_id))) {
	case PAY_OK:
	case PAY_ALREADY:
		return OK;
	case PAY_ORDER_CLOSED:
		return E_ORDER_NOT_PAYABLE; /* refunded by reconciliation */
	case PAY_NOT_FOUND:
		return E_PAYMENT_NOT_FOUND;
	default:
		return E_DB;
	}
}

/* ---- Razorpay events --------------------------------------------------- */

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
typedef const char *(*event_fn)(struct ctx *c, struct json_object *payment, struct json_object *ev);

/* payment.captured / order.paid: confirm when order id, amount and currency match our row. */
static const char *on_captured(struct ctx *c, struct json_object *p, struct json_object *ev)
{
	const char *id = view_text(p, "id"), *oid = view_text(p, "order_id"), *cur = view_text(p, "currency");
	struct json_object *order = event_entity(ev, "order");
	int64_t amount = payment_jpaise(p, "amount");

	if (order && (!view_text(order, "id") || !oid || strcmp(view_text(order, "id"), oid) != 0)) {
		log_warn("razorpay event: payment %s and order entity disagree", id);
		return "acknowledged";
	}
	if (!cur || strcmp(cur, "INR") != 0 || amount < 0) {
		log_warn("razorpay event: payment %s has currency %s / amount %lld", id, cur ? cur : "-", (long long)amount);
		PGresult *res = db_query(c, "SELECT order_id FROM payments WHERE razorpay_order_id = $1", oid);
		if (!res)
			return NULL;
		if (PQntuples(res) == 1)
			order_flag_attention(c, db_val(res, 0, "order_id"), "Razorpay currency or amount unexpected");
		return "acknowledged";
	}
	switch (payment_confirm(c, oid, id, amount, "razorpay")) {
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
static const char *on_authorized(struct ctx *c, struct json_object *p, struct json_object *ev)
{
	(void)ev;
	PGresult *res = db_query(c, "UPDATE payments SET status = 'AUTHORIZED', razorpay_payment_id = $2, method = $3, "
				    "updated_at = now() WHERE razorpay_order_id = $1 AND amount = $4::numeric / 100 "
				    "AND status IN ('CREATED', 'FAILED', 'AUTHORIZED') RETURNING id",
				 view_text(p, "order_id"), view_text(p, "id"), view_text(p, "method"),
				 arena_printf(c->a, "%lld", (long long)payment_jpaise(p, "amount")));
	if (!res)
		return NULL;
	return PQntuples(res) ? "recorded" : "acknowledged";
}

/* payment.failed: FAILED with Razorpay's reason; the order stays PENDING and payable. An
 * older failure never overwrites a later authorisation of the same attempt or a capture. */
static const char *on_failed(struct ctx *c, struct json_object *p, struct json_object *ev)
{
	(void)ev;
	PGresult *res = db_query(c, "UPDATE payments SET status = 'FAILED', razorpay_payment_id = $2, method = $3, "
				    "error_code = $4, error_description = left($5, 500), updated_at = now() "
				    "WHERE razorpay_order_id = $1 AND (status IN ('CREATED', 'FAILED') "
				    "OR (status = 'AUTHORIZED' AND razorpay_payment_id IS DISTINCT FROM $2)) RETURNING id",
				 view_text(p, "order_id"), view_text(p, "id"), view_text(p, "method"),
				 view_text(p, "error_code"), view_text(p, "error_description"));
	if (!res)
		return NULL;
	return PQntuples(res) ? "recorded" : "acknowledged";
}

/* refund.*: the refunds row follows Razorpay's status. */
static const char *on_refund(struct ctx *c, struct json_object *p, struct json_object *ev)
{
	(void)p;
	struct json_object *rf = event_entity(ev, "refund");
	const char *id = view_text(rf, "id"), *st = view_text(rf, "status");
	if (!id || !st)
		return "ignored";
	const char *ours = strcmp(st, "processed") == 0 ? "PROCESSED" : strcmp(st, "failed") == 0 ? "FAILED"
												  : NULL;
	if (!ours)
		return "acknowledged";
	PGresult *res = db_query(c, "UPDATE refunds SET status = $2, updated_at = now() "
				    "WHERE razorpay_refund_id = $1 AND status <> $2 RETURNING order_id",
				 id, ours);
	if (!res)
		return NULL;
	if (PQntuples(res) && strcmp(ours, "FAILED") == 0)
		order_flag_attention(c, db_val(res, 0, "order_id"), "Razorpay refund failed");
	return "recorded";
}

/* What an event is about: it is applied only once we have recorded that id. */
enum subject_kind {
	ABOUT_ORDER,  /* the payment's Razorpay order: payments.razorpay_order_id */
	ABOUT_REFUND, /* the refund: refunds.razorpay_refund_id */
};

struct event_kind {
	const char *event;
	event_fn fn;
	int needs_payment;
	enum subject_kind about;
};

static const struct event_kind event_table[] = {
	{ "payment.captured", on_captured, 1, ABOUT_ORDER },
	{ "order.paid", on_captured, 1, ABOUT_ORDER },
	{ "payment.authorized", on_authorized, 1, ABOUT_ORDER },
	{ "payment.failed", on_failed, 1, ABOUT_ORDER },
	{ "refund.created", on_refund, 0, ABOUT_REFUND },
	{ "refund.processed", on_refund, 0, ABOUT_REFUND },
	{ "refund.failed", on_refund, 0, ABOUT_REFUND },
};

static const struct event_kind *event_kind_of(const char *type)
{
	for (size_t i = 0; i < sizeof event_table / sizeof event_table[0]; i++)
		if (strcmp(event_table[i].event, type) == 0)
			return &event_table[i];
	return NULL;
}

/* A payment entity with the fields every handler relies on, or NULL. */
static struct json_object *event_payment(struct json_object *ev)
{
	struct json_object *p = event_entity(ev, "payment");
	if (!p || !razorpay_id_valid(view_text(p, "id"), "pay_") || !razorpay_id_valid(view_text(p, "order_id"), "order_") ||
	    payment_jpaise(p, "amount") < 0)
		return NULL;
	return p;
}

/* The Razorpay id the event is about (its payment's order, or its refund), or
 * NULL when it names none (the handler then changes nothing). */
static const char *event_subject(const struct event_kind *k, struct json_object *ev, struct json_object *payment)
{
	if (k->about == ABOUT_ORDER)
		return payment ? view_text(payment, "order_id") : NULL;
	const char *id = view_text(event_entity(ev, "refund"), "id");
	return razorpay_id_valid(id, "rfnd_") ? id : NULL;
}

/* 1 when we have recorded the subject, 0 when not (yet), -1 on a DB error. */
static int subject_known(struct ctx *c, const struct event_kind *k, const char *subject)
{
	PGresult *res = k->about == ABOUT_ORDER
		? db_query(c, "SELECT 1 FROM payments WHERE razorpay_order_id = $1", subject)
		: db_query(c, "SELECT 1 FROM refunds WHERE razorpay_refund_id = $1", subject);
	return res ? PQntuples(res) > 0 : -1;
}

/* In process_event's transaction: the event applied, or kept when what it is
 * about is not recorded yet (its creation has not committed: early_events.h).
 * The status answered, or NULL after a DB error. */
static const char *apply_or_keep(struct ctx *c, const struct event_kind *k, const char *type, struct json_object *ev,
				 struct json_object *payment)
{
	const char *subject = event_subject(k, ev, payment);
	if (subject) {
		if (early_lock(c, "razorpay", subject) != 0)
			return NULL;
		int known = subject_known(c, k, subject);
		if (known < 0)
			return NULL;
		if (!known)
			return early_keep(c, "razorpay", subject, type, ev) == 0 ? "kept" : NULL;
	}
	return k->fn(c, payment, ev);
}

/* Runs the event in one transaction with its webhook_events row. */
static enum outcome process_event(struct ctx *c, const char *event_id, const char *type, struct json_object *ev,
				  const struct event_kind *k, struct json_object *payment, const char **status)
{
	if (db_begin(c) != 0)
		return E_DB;
	if (event_id) {
		PGresult *res = db_query(c, "INSERT INTO webhook_events (source, event_id, event_type) VALUES ('razorpay', $1, $2) "
					    "ON CONFLICT DO NOTHING RETURNING 1",
					 event_id, type);
		if (!res || PQntuples(res) == 0) {
			db_rollback(c);
			*status = "duplicate";
			return res ? OK : E_DB;
		}
	}
	*status = k ? apply_or_keep(c, k, type, ev, payment) : "ignored";
	if (!*status || db_commit(c) != 0) {
		db_rollback(c);
		return E_DB; /* a 503: Razorpay retries the event */
	}
	return OK;
}

/* Without Razorpay's event id, a delivery is the same event when its type and
 * its entity are: "<type>:<id>" of the payment, refund or order it carries (in
 * that order). Razorpay's own ids ("evt_...") hold no ':', so the two never meet.
 * NULL when the payload names none (such an event changes nothing). */
static const char *entity_event_id(struct ctx *c, const char *type, struct json_object *ev)
{
	static const char *const kinds[] = { "payment", "refund", "order" };

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const char *id = view_text(event_entity(ev, kinds[i]), "id");
		if (id && *id && strlen(id) <= 100 && !text_has_controls(id, strlen(id), TEXT_SINGLE_LINE))
			return arena_printf(c->a, "%s:%s", type, id);
	}
	return NULL;
}

enum outcome payment_event(struct ctx *c, const char *event_id, const char *type, struct json_object *ev,
			   const char **status)
{
	const struct event_kind *k = event_kind_of(type);
	struct json_object *p = event_payment(ev);

	*status = NULL;
	if (!event_id)
		event_id = entity_event_id(c, type, ev);
	if (k && k->needs_payment && !p)
		return E_MALFORMED_EVENT;
	return process_event(c, event_id, type, ev, k, p, status);
}

/* ---- events kept before their subject was recorded ---- */

/* One kept event, applied as if it arrived now. */
static int apply_kept(struct ctx *c, const char *type, struct json_object *ev, void *arg)
{
	const struct event_kind *k = event_kind_of(type);
	struct json_object *p = event_payment(ev);
	(void)arg;
	if (!k || (k->needs_payment && !p))
		return 0; /* kept only after it read as such an event: nothing to do */
	return k->fn(c, p, ev) ? 0 : -1;
}

struct kept {
	const char *subject;
	int applied;
};

static enum outcome apply_kept_tx(struct ctx *c, void *arg)
{
	struct kept *k = arg;
	k->applied = early_apply(c, "razorpay", k->subject, apply_kept, NULL);
	return k->applied < 0 ? E_DB : OK;
}

int payment_events_apply_kept(struct ctx *c, const char *subject)
{
	struct kept k = { subject, 0 };

	if (db_tx(c, apply_kept_tx, &k) == OK)
		return k.applied;
	log_warn("razorpay events kept about %s: not applied now; the dispatch pass will", subject);
	return -1;
}

int payment_events_catch_up(struct ctx *c, int limit, int *applied)
{
	PGresult *res = db_query(c, "SELECT DISTINCT e.subject FROM early_events e WHERE e.source = 'razorpay' "
				    "AND (EXISTS (SELECT 1 FROM payments p WHERE p.razorpay_order_id = e.subject) "
				    "OR EXISTS (SELECT 1 FROM refunds f WHERE f.razorpay_refund_id = e.subject)) LIMIT $1::int",
				 arena_printf(c->a, "%d", limit));
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		int n = payment_events_apply_kept(c, db_val(res, i, "subject"));
		if (n < 0)
			return -1;
		*applied += n;
	}
	return 0;
}
