/* orders.h: the order's lifecycle: placing it (cart -> order), cancelling it, flagging it for staff. */
#ifndef APP_ORDERS_H
#define APP_ORDERS_H

#include <stdint.h>

#include "outcome.h"
#include "payments.h"

struct ctx;

/* Inscription (customMessage) limits in characters by the largest cake. */
#define INSCRIPTION_MAX_SMALL 20  /* largest cake <= 500 g */
#define INSCRIPTION_MAX_MEDIUM 30 /* <= 1000 g */
#define INSCRIPTION_MAX_LARGE 40  /* larger */
#define GIFT_MESSAGE_MAX 300
#define MAX_ORDER_PAISE 9999999999LL /* numeric(10,2) */

/* The inscription limit for an order whose largest cake weighs max_grams. Pure. */
int order_inscription_limit(int max_grams);

/* A checkout as the front validated it: ids and texts checked, empty texts as
 * NULL, a gift message only with a gift, the slot an RFC 3339 date-time. */
struct order_request {
	const char *address_id, *slot, *message, *gift_message;
	const char *idempotency_key; /* may be NULL */
	int is_gift;
};

struct order_placed {
	const char *id; /* OK: the order */
	int created;	/* 1 new now, 0 the order an earlier call with this key made */
	/* what a refusal names */
	const char *product, *variant; /* E_VARIANT_UNAVAILABLE: the cake no longer on sale */
	int inscription_max;	       /* E_INSCRIPTION_TOO_LONG: the limit of this order */
	int lead_hours;		       /* E_SLOT_UNAVAILABLE: the lead time the cart needs */
};

/* Places the caller's cart as an order (c->who is the customer). A key already
 * used answers its order. The delivery fee is priced first (Borzo, outside any
 * transaction); then one transaction locks and prices the cart, checks the
 * inscription limit, the total and the slot, books the slot's kitchen units,
 * writes the order (address snapshot, items, first history row) and empties
 * the cart. OK, E_ADDRESS_NOT_FOUND, E_DELIVERY_QUOTE_FAILED,
 * E_DELIVERY_UNAVAILABLE, E_CART_EMPTY, E_VARIANT_UNAVAILABLE,
 * E_INSCRIPTION_TOO_LONG, E_ORDER_TOO_LARGE, E_SLOT_UNAVAILABLE, E_SLOT_FULL, E_DB. */
enum outcome order_place(struct ctx *c, const struct order_request *in, struct order_placed *out);

struct cancel_request {
	enum canceller by; /* customer: their own order, the time bands; staff, system: in full */
	const char *actor; /* history and refund reason; NULL: "customer:<id>" / "admin:<id>" of c->who */
	const char *note;  /* history note; may be NULL */
	int retry_refund;  /* an order already cancelled still gets its refund (the admin refund) */
};

struct cancellation {
	int moved;	       /* 1 when the order moved to CANCELLED now, 0 when it already was */
	const char *refund_id; /* the refund recorded with it, or NULL */
	int email_later;       /* the "cancelled" email waits for Razorpay's answer */
};

/* THE cancellation, every canceller alike: in one transaction the state change
 * (order_transition, which releases the slot), the refund the policy gives
 * (recorded with its retry job) and, when nothing is refunded, the customer's
 * "cancelled" email; after the commit Razorpay is asked for the refund and the
 * email (which names it) is queued. OK (x->moved 0 for a repeat),
 * E_ORDER_NOT_FOUND (or not the customer's), E_ILLEGAL_TRANSITION,
 * E_CANCELLATION_TOO_LATE, E_DB. Owns its transactions. */
enum outcome order_cancel(struct ctx *c, const char *order_id, const struct cancel_request *rq,
			  struct cancellation *x);

/* The same first step in the caller's transaction (the expiry pass claims and
 * cancels in one); the caller commits, then calls order_cancel_finish. */
enum outcome order_cancel_in_tx(struct ctx *c, const char *order_id, const struct cancel_request *rq,
				struct cancellation *x);
/* After the cancellation committed: Razorpay and the email (failures logged;
 * a queued refund job retries). */
void order_cancel_finish(struct ctx *c, const char *order_id, const struct cancellation *x);

/* Staff move the order to `to` (one of the seven states): CANCELLED is
 * order_cancel by staff (refunded in full), any other move goes through
 * order_transition(CAUSE_ADMIN) in a transaction of its own. *moved is 0 when
 * the order already was in `to`. OK, E_ORDER_NOT_FOUND, E_ILLEGAL_TRANSITION, E_DB. */
enum outcome order_move_by_staff(struct ctx *c, const char *order_id, const char *to, int *moved);

#endif
