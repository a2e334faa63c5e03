/* reconcile.c: the dispatch pass's reconciliation of payments with Razorpay. */
#include <string.h>

#include "arena.h"
#include "db.h"
#include "mail.h"
#include "order_view.h"
#include "payments.h"
#include "razorpay.h"
#include "util.h"

/* Asks Razorpay about one payment we have not seen captured; confirms it when a
 * captured attempt exists (the same confirmation as verify and the webhook).
 * Returns 1 confirmed, 0 nothing to do, -1 DB error. */
static int reconcile_one(struct ctx *c, const char *rzp_order_id)
{
	struct rzp_answer a = { 0 };
	struct json_object *items;
	int rc = 0;

	/* touched first: a payment is asked about at most every few minutes */
	if (!db_query(c, "UPDATE payments SET updated_at = now() WHERE razorpay_order_id = $1", rzp_order_id))
		return -1;
	if (razorpay_order_payments(rzp_order_id, &a) != RZP_OK || !json_object_object_get_ex(a.json, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		log_warn("reconcile %s: %s %s", rzp_order_id, a.code, a.description);
		rzp_answer_free(&a);
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(items) && rc == 0; i++) {
		struct json_object *p = json_object_array_get_idx(items, i);
		const char *st = view_text(p, "status"), *id = view_text(p, "id"), *cur = view_text(p, "currency");
		if (!st || strcmp(st, "captured") != 0 || !razorpay_id_valid(id, "pay_") || !cur || strcmp(cur, "INR") != 0)
			continue;
		enum pay_result pr = payment_confirm(c, rzp_order_id, id, payment_jpaise(p, "amount"), "razorpay:reconcile");
		rc = pr == PAY_DB_ERROR ? -1 : pr == PAY_OK;
	}
	rzp_answer_free(&a);
	return rc;
}

int payments_reconcile(struct ctx *c, int limit, int *confirmed, int *refunded)
{
	const char *lim = arena_printf(c->a, "%d", limit);

	/* 1. payments whose verify and webhook never came, within Razorpay's late-authorisation window */
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT p.razorpay_order_id FROM payments p JOIN orders o ON o.id = p.order_id "
		"WHERE p.status IN ('CREATED', 'AUTHORIZED', 'FAILED') AND p.razorpay_order_id IS NOT NULL "
		"AND o.status IN ('PENDING', 'CANCELLED') AND p.created_at > now() - interval '" RECONCILE_WINDOW "' "
		"AND p.updated_at < now() - interval '" RECONCILE_AFTER "' "
		"ORDER BY p.updated_at LIMIT $1::int", lim);
	/* clang-format on */
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		int rc = reconcile_one(c, db_val(res, i, "razorpay_order_id"));
		if (rc < 0)
			return -1;
		*confirmed += rc;
	}
	/* 2. money held for a cancelled order with no refund yet: a payment captured after
	 * the order expired, or a cancel whose refund was never recorded */
	res = db_query(c,
		       "SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id "
		       "WHERE o.status = 'CANCELLED' AND p.status = 'CAPTURED' "
		       "AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.order_id = o.id) "
		       "ORDER BY o.cancelled_at LIMIT $1::int",
		       lim);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = db_val(res, i, "id");
		enum refund_result rr = payment_refund_order(c, id, CANCELLER_SYSTEM, "system:reconcile", NULL);
		if (rr == REFUND_DB_ERROR)
			return -1;
		if (rr == REFUND_DONE || rr == REFUND_QUEUED) {
			(*refunded)++;
			/* the customer was told "no payment taken" at expiry: tell them of the refund */
			if (mail_queue(c, id, "refunded") == -1)
				return -1;
		}
	}
	return 0;
}
