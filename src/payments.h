/* payments.h: Razorpay payments of orders: confirm, refund, retry (shared with orders and dispatch). */
#ifndef APP_PAYMENTS_H
#define APP_PAYMENTS_H

#include <stdint.h>

struct req;

enum pay_result {
	PAY_OK = 0,		/* payment CAPTURED, order moved PENDING -> CONFIRMED */
	PAY_ALREADY = 1,	/* already captured and confirmed: a harmless repeat */
	PAY_ORDER_CLOSED = 2,	/* money captured but the order was cancelled: flagged needs_attention */
	PAY_DB_ERROR = -1,	/* reply with reply_db_error */
	PAY_NOT_FOUND = -2,	/* no payment with that razorpay order id */
	PAY_MISMATCH = -3,	/* amount differs from our row: nothing changed, flagged needs_attention */
};

/* Marks the payment of razorpay_order_id CAPTURED by razorpay_payment_id and moves its
 * order PENDING -> CONFIRMED through order_transition(CAUSE_PAYMENT), locking the order
 * then the payment row. amount_paise (or -1: not known) must equal the stored amount.
 * Runs in the caller's transaction when one is open (the caller commits), otherwise in
 * its own. Never replies. Used by verify, the webhook and the reconciliation pass. */
enum pay_result payment_confirm(struct req *r, const char *razorpay_order_id, const char *razorpay_payment_id,
				int64_t amount_paise, const char *actor);

enum refund_result {
	REFUND_DONE = 0,	/* Razorpay took the refund (refunds row PROCESSED or PENDING at Razorpay) */
	REFUND_QUEUED = 1,	/* Razorpay unreachable: row PENDING, a `refund` job will retry */
	REFUND_NOT_PAID = 2,	/* no captured payment: nothing to refund */
	REFUND_TOO_LATE = -2,	/* customer cancel under REFUND_CUTOFF_HOURS before the slot: 409 */
	REFUND_REFUSED = -3,	/* Razorpay refused (4xx): row FAILED, order flagged needs_attention */
	REFUND_DB_ERROR = -1,
};

/* Refund policy (the documented one; also in doc/openapi.json), on the time left before the delivery slot:
 *   admin ("admin:..." actor): always the whole captured amount;
 *   >= 24 h: the whole amount; 6-24 h: 50% of the subtotal (rounded up to the paisa) plus the
 *   whole delivery fee; < 6 h: not cancellable by the customer.
 * Computes the refund for order_id into *paise (0 when nothing is captured). Read-only. */
enum refund_result payment_refund_quote(struct req *r, const char *order_id, const char *actor, int64_t *paise);

/* Refunds a cancelled (or being cancelled) order by the policy above. Call it OUTSIDE a
 * transaction, after the cancel committed. Records the refunds row (PENDING, with its
 * idempotency key) and a queued `refund` job first, then calls Razorpay with
 * X-Refund-Idempotency, then stores the outcome (payment REFUNDED / PARTIALLY_REFUNDED).
 * A repeat reuses the pending row and its key. *refund_id (may be NULL) gets the row id. */
enum refund_result payment_refund_for_cancel(struct req *r, const char *order_id, const char *actor,
					     const char **refund_id);

/* Every cancellation, in its own transaction (after order_transition): records the
 * refund the policy gives (refunds row PENDING with its idempotency key, and a
 * queued `refund` job), so a crash after the commit still refunds. *refund_id is
 * NULL when nothing is refunded (REFUND_NOT_PAID); REFUND_TOO_LATE means the
 * customer may not cancel now (roll back, 409). */
enum refund_result payment_refund_prepare(struct req *r, const char *order_id, const char *actor,
					  const char **refund_id);
/* After the cancellation committed: asks Razorpay for the prepared refund (none when
 * refund_id is NULL) and queues the customer's "cancelled" email, which names it. */
void payment_after_cancel(struct req *r, const char *order_id, const char *refund_id);
/* Reconciliation (the dispatch pass), outside a transaction:
 *  - payments still CREATED/AUTHORIZED/FAILED after RECONCILE_AFTER, and younger than
 *    RECONCILE_WINDOW (Razorpay's late-authorisation window), are looked up with the
 *    order-payments API; a captured attempt confirms the order like verify does;
 *  - a cancelled order holding a captured payment and no refund (a payment that came
 *    after the order expired unpaid) is refunded in full: the documented policy is to
 *    refund such late money rather than revive an order whose slot was released.
 * Adds to *confirmed and *refunded. 0, or -1 on a DB error. */
#define RECONCILE_AFTER "2 minutes"
#define RECONCILE_WINDOW "3 days"
int payments_reconcile(struct req *r, int limit, int *confirmed, int *refunded);
/* The dispatch pass: retries up to limit due `refund` jobs (SKIP LOCKED, backoff, dead
 * after max_attempts). Outside a transaction. Returns how many refunds Razorpay took, or -1. */
int payments_retry_refunds(struct req *r, int limit);

#endif
