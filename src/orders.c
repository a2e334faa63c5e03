/* orders.c: the order's lifecycle: placing an order from the cart, and the one cancellation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "auth.h"
#include "db.h"
#include "estimate.h"
#include "json.h"
#include "mail.h"
#include "order_fsm.h"
#include "orders.h"
#include "payments.h"
#include "slots.h"
#include "util.h"

int order_inscription_limit(int max_grams)
{
	if (max_grams <= 500)
		return INSCRIPTION_MAX_SMALL;
	return max_grams <= 1000 ? INSCRIPTION_MAX_MEDIUM : INSCRIPTION_MAX_LARGE;
}

/* ---- placing an order ---- */

/* The cart as priced from the database now. */
struct cart_sum {
	const char *cart_id;
	int units, lead_hours, max_grams;
	int64_t subtotal;
};

/* The caller's order made with this key: OK (*id set), E_ORDER_NOT_FOUND, E_DB. */
static enum outcome find_by_key(struct ctx *c, const char *key, const char **id)
{
	if (!key)
		return E_ORDER_NOT_FOUND;
	PGresult *res = db_query(c, "SELECT id FROM orders WHERE user_id = $1 AND idempotency_key = $2",
				 c->who.user_id, key);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ORDER_NOT_FOUND;
	*id = arena_strdup(c->a, db_val(res, 0, "id"));
	return OK;
}

/* In the caller's transaction: locks the cart and its items and prices them.
 * OK, E_CART_EMPTY, E_VARIANT_UNAVAILABLE (out names the cake), E_INTERNAL, E_DB. */
static enum outcome lock_and_price_cart(struct ctx *c, struct cart_sum *cs, struct order_placed *out)
{
	memset(cs, 0, sizeof *cs);
	PGresult *res = db_query(c, "SELECT id FROM carts WHERE user_id = $1 FOR UPDATE", c->who.user_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_CART_EMPTY;
	cs->cart_id = arena_strdup(c->a, db_val(res, 0, "id"));
	res = db_query(c,
		       "SELECT p.name, v.label, v.weight_grams, v.kitchen_units, v.price::text AS price, ci.quantity, "
		       "p.lead_time_hours, (v.is_available AND v.archived_at IS NULL AND p.is_available "
		       "AND p.archived_at IS NULL) AS sellable, v.id AS variant_id "
		       "FROM cart_items ci JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id "
		       "WHERE ci.cart_id = $1 ORDER BY ci.created_at FOR UPDATE OF ci FOR SHARE OF v, p",
		       cs->cart_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) == 0)
		return E_CART_EMPTY;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t price;
		int qty = atoi(db_val(res, i, "quantity")), grams = atoi(db_val(res, i, "weight_grams"));
		int lead = atoi(db_val(res, i, "lead_time_hours"));
		if (!db_bool(res, i, "sellable")) {
			out->product = arena_strdup(c->a, db_val(res, i, "name"));
			out->variant = arena_strdup(c->a, db_val(res, i, "label"));
			return E_VARIANT_UNAVAILABLE;
		}
		if (money_parse(db_val(res, i, "price"), &price) != 0)
			return E_INTERNAL;
		cs->subtotal += price * qty;
		cs->units += atoi(db_val(res, i, "kitchen_units")) * qty;
		cs->lead_hours = lead > cs->lead_hours ? lead : cs->lead_hours;
		cs->max_grams = grams > cs->max_grams ? grams : cs->max_grams;
	}
	return OK;
}

/* In the caller's transaction: writes the order, its items, its first history
 * row; empties the cart. *id gets the new order's id, or stays NULL when the
 * key was taken meanwhile. 0, or -1 on a database failure. */
static int write_order(struct ctx *c, const struct order_request *in, const struct cart_sum *cs,
		       int64_t fee, const char **id)
{
	char sub[32], feet[32], total[32], units[16];
	money_format(cs->subtotal, sub);
	money_format(fee, feet);
	money_format(cs->subtotal + fee, total);
	snprintf(units, sizeof units, "%d", cs->units);
	*id = NULL;
	PGresult *res = db_query(c,
				 "INSERT INTO orders (user_id, address_id, address, subtotal, delivery_fee, total_amount, delivery_slot, "
				 "slot_units, custom_message, is_gift, gift_message, idempotency_key, tracking_token) "
				 "SELECT $1, a.id, jsonb_build_object('label', a.label, 'street', a.street, 'city', a.city, "
				 "'pincode', a.pincode, 'latitude', a.latitude, 'longitude', a.longitude, "
				 "'contactName', u.name, 'contactPhone', u.phone), "
				 "$3::numeric, $4::numeric, $5::numeric, $6::timestamptz, $7::int, $8, $9::boolean, $10, $11, $12 "
				 "FROM addresses a JOIN users u ON u.id = a.user_id WHERE a.id = $2 AND a.user_id = $1 "
				 "ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id",
				 c->who.user_id, in->address_id, sub, feet, total, in->slot, units, in->message,
				 in->is_gift ? "true" : "false", in->gift_message, in->idempotency_key, auth_random_token(c->a, 24));
	if (!res)
		return -1;
	if (PQntuples(res) != 1)
		return 0;
	*id = arena_strdup(c->a, db_val(res, 0, "id"));
	if (!db_query(c, "INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, "
			 "weight_grams, kitchen_units, unit_price, quantity, line_total) "
			 "SELECT $1, p.id, v.id, p.name, v.label, v.weight_grams, v.kitchen_units, v.price, ci.quantity, "
			 "v.price * ci.quantity FROM cart_items ci JOIN variants v ON v.id = ci.variant_id "
			 "JOIN products p ON p.id = v.product_id WHERE ci.cart_id = $2",
		      *id, cs->cart_id) ||
	    !db_query(c, "INSERT INTO order_status_history (order_id, from_status, to_status, actor, note) "
			 "VALUES ($1, NULL, 'PENDING', $2, 'order placed')",
		      *id,
		      arena_printf(c->a, "customer:%s", c->who.user_id)) ||
	    !db_query(c, "DELETE FROM cart_items WHERE cart_id = $1", cs->cart_id) ||
	    !db_query(c, "UPDATE carts SET updated_at = now() WHERE id = $1", cs->cart_id))
		return -1;
	return 0;
}

/* In the caller's transaction: the checks and writes once the fee is known. */
static enum outcome place_locked(struct ctx *c, const struct order_request *in, int64_t fee, struct order_placed *out)
{
	struct cart_sum cs;

	enum outcome o = lock_and_price_cart(c, &cs, out);
	if (o != OK && o != E_CART_EMPTY)
		return o;
	/* a retry that waited for the cart lock finds its first attempt's order */
	enum outcome found = find_by_key(c, in->idempotency_key, &out->id);
	if (found != E_ORDER_NOT_FOUND)
		return found;
	if (o == E_CART_EMPTY)
		return o;
	if (in->message) {
		out->inscription_max = order_inscription_limit(cs.max_grams);
		if (utf8_length(in->message, strlen(in->message)) > out->inscription_max)
			return E_INSCRIPTION_TOO_LONG;
	}
	if (cs.subtotal + fee > MAX_ORDER_PAISE)
		return E_ORDER_TOO_LARGE;
	out->lead_hours = cs.lead_hours;
	if ((o = slot_check_and_book(c, in->slot, cs.units, cs.lead_hours)) != OK)
		return o;
	if (write_order(c, in, &cs, fee, &out->id) != 0)
		return E_DB;
	out->created = out->id != NULL;
	return OK;
}

enum outcome order_place(struct ctx *c, const struct order_request *in, struct order_placed *out)
{
	int64_t fee;

	memset(out, 0, sizeof *out);
	enum outcome o = find_by_key(c, in->idempotency_key, &out->id);
	if (o != E_ORDER_NOT_FOUND)
		return o;
	/* priced before the transaction: no partner call while rows are locked */
	if ((o = delivery_fee_to_address(c, in->address_id, &fee)) != OK)
		return o;
	if (db_begin(c) != 0)
		return E_DB;
	o = place_locked(c, in, fee, out);
	if (o == OK && out->created && db_commit(c) == 0)
		return OK;
	db_rollback(c);
	if (o != OK || out->created) /* refused, or the commit failed */
		return o != OK ? o : E_DB;
	/* the same key won a race (or answered the retry): that order */
	return out->id ? OK : find_by_key(c, in->idempotency_key, &out->id) == OK ? OK
										  : E_DB;
}

/* ---- cancelling ---- */

static enum fsm_cause cause_of(enum canceller by)
{
	return by == CANCELLER_CUSTOMER ? CAUSE_CUSTOMER : by == CANCELLER_STAFF ? CAUSE_ADMIN
										 : CAUSE_SYSTEM;
}

/* "customer:<id>" or "admin:<id>" by the canceller's part (whatever the account's
 * role), or the system's name. */
static const char *actor_of(struct ctx *c, const struct cancel_request *rq)
{
	if (rq->actor)
		return rq->actor;
	if (rq->by == CANCELLER_SYSTEM)
		return ctx_actor(c);
	return arena_printf(c->a, "%s:%s", rq->by == CANCELLER_CUSTOMER ? "customer" : "admin", c->who.user_id);
}

enum outcome order_cancel_in_tx(struct ctx *c, const char *order_id, const struct cancel_request *rq,
				struct cancellation *x)
{
	const char *actor = actor_of(c, rq);

	memset(x, 0, sizeof *x);
	if (!db_in_tx(c)) {
		log_err("order_cancel_in_tx called outside a transaction");
		return E_INTERNAL;
	}
	if (rq->by == CANCELLER_CUSTOMER) {
		PGresult *res = db_query(c, "SELECT 1 FROM orders WHERE id = $1 AND user_id = $2", order_id, c->who.user_id);
		if (!res || PQntuples(res) != 1)
			return res ? E_ORDER_NOT_FOUND : E_DB;
	}
	switch (order_transition(c, order_id, "CANCELLED", cause_of(rq->by), actor, rq->note, NULL)) {
	case FSM_OK:
		x->moved = 1;
		break;
	case FSM_ALREADY:
		if (!rq->retry_refund)
			return OK; /* a repeat: nothing more to do */
		break;
	case FSM_NOT_FOUND:
		return E_ORDER_NOT_FOUND;
	case FSM_ILLEGAL:
		return E_ILLEGAL_TRANSITION;
	default:
		return E_DB;
	}
	/* the refund is recorded with the cancel; the policy may forbid a late one */
	switch (payment_refund_prepare(c, order_id, rq->by, actor, &x->refund_id)) {
	case REFUND_TOO_LATE:
		return E_CANCELLATION_TOO_LATE;
	case REFUND_DB_ERROR:
		return E_DB;
	default:
		break;
	}
	/* nothing to wait for: the email is written with the cancellation */
	x->email_later = x->refund_id != NULL;
	if (!x->email_later && mail_queue(c, order_id, "cancelled") == -1)
		return E_DB;
	return OK;
}

void order_cancel_finish(struct ctx *c, const char *order_id, const struct cancellation *x)
{
	/* Razorpay down: the refund's job, committed with the cancel, retries it */
	if (x->refund_id && payment_refund_execute(c, x->refund_id) == REFUND_DB_ERROR)
		log_err("order %s: the outcome of refund %s could not be recorded", order_id, x->refund_id);
	/* a failing mail queue never undoes a cancellation */
	if (x->email_later && mail_queue(c, order_id, "cancelled") == -1)
		log_err("order %s cancelled but its email could not be queued", order_id);
}

enum outcome order_cancel(struct ctx *c, const char *order_id, const struct cancel_request *rq,
			  struct cancellation *x)
{
	if (db_begin(c) != 0) {
		memset(x, 0, sizeof *x);
		return E_DB;
	}
	enum outcome o = order_cancel_in_tx(c, order_id, rq, x);
	if (o != OK || db_commit(c) != 0) {
		db_rollback(c);
		return o != OK ? o : E_DB;
	}
	order_cancel_finish(c, order_id, x);
	return OK;
}

/* ---- the kitchen's moves ---- */

enum outcome order_move_by_staff(struct ctx *c, const char *order_id, const char *to, int *moved)
{
	*moved = 0;
	if (strcmp(to, "CANCELLED") == 0) {
		/* a paid order cancelled by staff is refunded in full, recorded with the cancel */
		struct cancel_request rq = { .by = CANCELLER_STAFF };
		struct cancellation x;
		enum outcome o = order_cancel(c, order_id, &rq, &x);
		*moved = x.moved;
		return o;
	}
	if (db_begin(c) != 0)
		return E_DB;
	enum fsm_result fr = order_transition(c, order_id, to, CAUSE_ADMIN,
					      arena_printf(c->a, "admin:%s", c->who.user_id), NULL, NULL);
	if (fr != FSM_OK || db_commit(c) != 0) {
		db_rollback(c);
		return fr == FSM_ALREADY ? OK : fr == FSM_NOT_FOUND ? E_ORDER_NOT_FOUND
			: fr == FSM_ILLEGAL			    ? E_ILLEGAL_TRANSITION
								    : E_DB;
	}
	*moved = 1;
	return OK;
}
