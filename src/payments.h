/* payments.h: Razorpay payments of orders: checkout, the one confirmation, events, refunds, reconciliation. */
#ifndef APP_PAYMENTS_H
#define APP_PAYMENTS_H

#include <json-c/json.h>
#include <stdint.h>

#include "jobs.h"
#include "outcome.h"

struct ctx;

/* ---- checkout (payments.c) ---- */

/* What the browser needs to open Razorpay's checkout. */
struct checkout {
	int64_t amount; /* paise */
	const char *razorpay_order_id;
	const char *status; /* on E_ORDER_NOT_PAYABLE: the order's status, or NULL when it
					 * changed while Razorpay was asked */
};

/* POST /api/payments/create-order: the Razorpay order of one of the caller's
 * orders, created once (the payments row first, then Razorpay under its lock;
 * after an unknown outcome Razorpay is asked by receipt first). Owns its
 * transactions. OK, E_ORDER_NOT_FOUND, E_ORDER_NOT_PAYABLE,
 * E_PAYMENT_PROVIDER_ERROR / _UNAVAILABLE, E_DB. */
enum outcome payment_checkout(struct ctx *c, const char *order_id, struct checkout *out);

enum pay_result {
	PAY_OK = 0,	      /* payment CAPTURED, order moved PENDING -> CONFIRMED */
	PAY_ALREADY = 1,      /* already captured and confirmed: a harmless repeat */
	PAY_ORDER_CLOSED = 2, /* money captured but the order was cancelled: flagged needs_attention */
	PAY_DB_ERROR = -1,
	PAY_NOT_FOUND = -2, /* no payment with that razorpay order id */
	PAY_MISMATCH = -3,  /* amount differs from our row: nothing changed, flagged needs_attention */
};

/* THE confirmation (verify, webhook, reconciliation): marks the payment of
 * razorpay_order_id CAPTURED by razorpay_payment_id and moves its order
 * PENDING -> CONFIRMED through order_transition(CAUSE_PAYMENT), locking the
 * order then the payment row (compare and set: a repeat is PAY_ALREADY).
 * amount_paise (or -1: not known) must equal the stored amount. The move
 * issues the order's tax invoice (invoice_issue) in the same transaction: an
 * invoice that cannot be written fails the confirmation (PAY_DB_ERROR, retried
 * like any), and a confirmation rolled back takes no invoice number. Runs in the
 * caller's transaction when one is open (the caller commits), otherwise in its own. */
enum pay_result payment_confirm(struct ctx *c, const char *razorpay_order_id, const char *razorpay_payment_id,
				int64_t amount_paise, const char *actor);

/* POST /api/payments/verify for the caller: checks the checkout signature of
 * their payment and confirms it. *order_id gets the order. OK,
 * E_PAYMENT_NOT_FOUND, E_INVALID_SIGNATURE, E_ORDER_NOT_PAYABLE (paid after a
 * cancellation: refunded later), E_DB. */
enum outcome payment_verify(struct ctx *c, const char *razorpay_order_id, const char *razorpay_payment_id,
			    const char *signature, const char **order_id);

/* One signed Razorpay event (ev parsed, type its "event"), applied once per
 * event_id in one transaction; without one (NULL), once per type and entity
 * id (the payment, refund or order it carries). *status gets the word
 * answered to Razorpay ("confirmed", "duplicate", "ignored", ...).
 * OK, E_MALFORMED_EVENT (a payment event without a usable payment), E_DB. */
enum outcome payment_event(struct ctx *c, const char *event_id, const char *type, struct json_object *ev,
			   const char **status);

/* An event about a Razorpay order or refund whose id is not stored yet (its
 * creation has not committed) is kept (early_events.h) and *status is "kept".
 * Once the id is stored, after that commit: the events kept about subject
 * applied in a transaction of their own. How many, or -1 (logged: the
 * dispatch pass catches up). */
int payment_events_apply_kept(struct ctx *c, const char *subject);

/* The dispatch pass: the kept events whose subject is now recorded (a worker
 * that died between storing it and applying them) applied, up to limit
 * subjects; *applied counts the events. 0, or -1. */
int payment_events_catch_up(struct ctx *c, int limit, int *applied);

/* ---- refunds (refunds.c) ---- */

/* Who cancels, as the refund policy sees it. */
enum canceller {
	CANCELLER_CUSTOMER, /* the order's owner: the time bands below */
	CANCELLER_STAFF,    /* an admin: always in full */
	CANCELLER_SYSTEM,   /* expiry, reconciliation: in full */
};

enum refund_result {
	REFUND_DONE = 0,      /* Razorpay took the refund (refunds row PROCESSED or PENDING at Razorpay) */
	REFUND_QUEUED = 1,    /* Razorpay unreachable: row PENDING, a `refund` job will retry */
	REFUND_NOT_PAID = 2,  /* no captured payment: nothing to refund */
	REFUND_TOO_LATE = -2, /* customer cancel under REFUND_CUTOFF_HOURS before the slot: 409 */
	REFUND_REFUSED = -3,  /* Razorpay refused (4xx): row FAILED, order flagged needs_attention */
	REFUND_DB_ERROR = -1,
};

#define REFUND_FULL_HOURS 24  /* at least this long before the slot: everything back */
#define REFUND_CUTOFF_HOURS 6 /* under this, the kitchen has started: no customer cancel */

/* THE refund policy (documented in doc/openapi.json), a pure function. Of
 * `captured` paise (0 when nothing is captured), `refunded` already refunded:
 *   staff and system: the whole captured amount;
 *   customer, >= 24 h before the slot: the whole amount; 6-24 h: 50% of the
 *   subtotal (rounded up to the paisa) plus the whole delivery fee;
 *   < 6 h: REFUND_TOO_LATE (not cancellable by the customer).
 * Never more than what is left. REFUND_DONE with *paise > 0, REFUND_NOT_PAID
 * (nothing to give back, *paise 0) or REFUND_TOO_LATE. */
enum refund_result refund_decide(enum canceller by, int64_t captured, int64_t refunded, int64_t subtotal,
				 int64_t delivery_fee, int64_t minutes_to_slot, int64_t *paise);

/* Runs in the caller's transaction (a cancellation): records the refund the
 * policy gives (refunds row PENDING with its idempotency key, and a queued
 * `refund` job), or reuses the order's pending one, so a crash after the
 * commit still refunds. *refund_id is NULL when nothing is refunded
 * (REFUND_NOT_PAID); REFUND_TOO_LATE means the customer may not cancel now.
 * actor is written in the refund's reason. */
enum refund_result payment_refund_prepare(struct ctx *c, const char *order_id, enum canceller by, const char *actor,
					  const char **refund_id);

/* Outside a transaction: asks Razorpay for a recorded PENDING refund (with its
 * idempotency key) and stores the outcome (payment REFUNDED / PARTIALLY_REFUNDED,
 * its job done, and the credit note of an invoiced order (credit_note_issue) in
 * the same transaction; a refusal FAILED and flagged). A settled refund is REFUND_DONE. */
enum refund_result payment_refund_execute(struct ctx *c, const char *refund_id);

/* Outside a transaction: prepare (in a transaction of its own) then execute. */
enum refund_result payment_refund_order(struct ctx *c, const char *order_id, enum canceller by, const char *actor,
					const char **refund_id);

/* The refund of refund_id as the admin refund answer shows it ({id, amount,
 * status, razorpayRefundId, lastError}); caller owns. E_DB when unreadable. */
enum outcome payment_refund_json(struct ctx *c, const char *refund_id, struct json_object **out);

/* ---- reconciliation (reconcile.c) ---- */

/* The dispatch pass, outside a transaction:
 *  - payments still CREATED/AUTHORIZED/FAILED after RECONCILE_AFTER, and younger than
 *    RECONCILE_WINDOW (Razorpay's late-authorisation window), are looked up with the
 *    order-payments API; a captured attempt confirms the order like verify does;
 *  - a cancelled order holding a captured payment and no refund (a payment that came
 *    after the order expired unpaid) is refunded in full: the documented policy is to
 *    refund such late money rather than revive an order whose slot was released.
 * Adds to *confirmed and *refunded. 0, or -1 on a DB error. */
#define RECONCILE_AFTER "2 minutes"
#define RECONCILE_WINDOW "3 days"
int payments_reconcile(struct ctx *c, int limit, int *confirmed, int *refunded);

/* The `refund` job kind (jobs.h): asks Razorpay again for the job's refund,
 * with the same idempotency key; a refusal gives up (the refund is FAILED and
 * the order flagged), an unavailable Razorpay retries by the queue's back-off,
 * and a refund job given up after its attempts flags the order. */
enum job_result refund_job(struct ctx *c, const struct job *j, char *err, size_t errlen);
int refund_job_failed(struct ctx *c, const struct job *j, int dead, const char *err);

/* ---- shared by the payment files ---- */

/* Paise of a NUMERIC text, or -1. */
int64_t payment_paise(const char *numeric_text);
/* An integer member of o within [0, 10^12] paise, or -1. */
int64_t payment_jpaise(struct json_object *o, const char *key);

#endif
