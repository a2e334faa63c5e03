/* api_payments.c: POST /api/payments/{create-order,verify,webhook}, POST /api/admin/orders/{id}/refund. */
#include <string.h>

#include "api_orders.h"
#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "order_view.h"
#include "orders.h"
#include "payments.h"
#include "razorpay.h"
#include "util.h"

int payments_create_order(struct req *r)
{
	const char *order_id;
	struct checkout co;

	if (jget_uuid(r, r->json, "orderId", REQUIRED, &order_id))
		return 0;
	enum outcome o = payment_checkout(&r->ctx, order_id, &co);
	if (o == E_ORDER_NOT_PAYABLE)
		return co.status ? reply_outcome_msg(r, o, "orderId", "The order is %s, not awaiting payment", co.status)
				 : reply_outcome_msg(r, o, "orderId", "The order is no longer awaiting payment");
	if (o != OK)
		return reply_outcome(r, o, o == E_ORDER_NOT_FOUND ? "orderId" : NULL);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "key_id", json_object_new_string(cfg->razorpay_key_id));
	json_object_object_add(a, "amount", json_object_new_int64(co.amount));
	json_object_object_add(a, "currency", json_object_new_string("INR"));
	json_object_object_add(a, "order_id", json_object_new_string(co.razorpay_order_id));
	return reply_json(r, 200, a);
}

int payments_verify(struct req *r)
{
	const char *rzp_order, *rzp_payment, *sig, *order_id;

	if (jget_text(r, r->json, "razorpay_order_id", REQUIRED, 1, 64, TEXT_SINGLE_LINE, &rzp_order) ||
	    jget_text(r, r->json, "razorpay_payment_id", REQUIRED, 1, 64, TEXT_SINGLE_LINE, &rzp_payment) ||
	    jget_text(r, r->json, "razorpay_signature", REQUIRED, 1, 128, TEXT_SINGLE_LINE, &sig))
		return 0;
	switch (payment_verify(&r->ctx, rzp_order, rzp_payment, sig, &order_id)) {
	case OK:
		return reply_order_view(r, 200, order_id, NULL, OV_CUSTOMER);
	case E_PAYMENT_NOT_FOUND:
		return reply_outcome(r, E_PAYMENT_NOT_FOUND, "razorpay_order_id");
	case E_INVALID_SIGNATURE:
		return reply_outcome(r, E_INVALID_SIGNATURE, "razorpay_signature");
	case E_ORDER_NOT_PAYABLE:
		return reply_outcome_msg(r, E_ORDER_NOT_PAYABLE, NULL, "The order was cancelled; the payment will be refunded");
	default:
		return reply_outcome(r, E_DB, NULL);
	}
}

/* A signed event with a type, parsed: then the domain applies it once. */
int payments_webhook(struct req *r)
{
	const char *sig = req_header(r, "HTTP_X_RAZORPAY_SIGNATURE");
	const char *event_id = req_header(r, "HTTP_X_RAZORPAY_EVENT_ID");
	const char *status;
	char err[160];

	if (!razorpay_webhook_signature_valid(r->body ? r->body : "", r->body_len, sig))
		return reply_outcome_msg(r, E_INVALID_SIGNATURE, NULL, "The webhook signature does not match");
	if (event_id && (!*event_id || strlen(event_id) > 200 || text_has_controls(event_id, strlen(event_id), TEXT_SINGLE_LINE)))
		return reply_error(r, 400, "VALIDATION_ERROR", NULL, "X-Razorpay-Event-Id is malformed");
	struct json_object *ev = json_own(r->a, json_parse_strict(r->body ? r->body : "", r->body_len, err, sizeof err));
	if (!ev)
		return reply_error(r, 400, "MALFORMED_JSON", NULL, "%s", err);
	const char *type = view_text(ev, "event");
	if (!type || strlen(type) > 100)
		return reply_outcome_msg(r, E_MALFORMED_EVENT, "event", "The event has no type");
	if (!event_id)
		log_warn("razorpay %s event without X-Razorpay-Event-Id: de-duplicated by its entity", type);
	enum outcome o = payment_event(&r->ctx, event_id, type, ev, &status);
	if (o != OK)
		return reply_outcome(r, o, o == E_MALFORMED_EVENT ? "payload" : NULL);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "status", json_object_new_string(status));
	return reply_json(r, 200, a);
}

/* Staff cancel and refund in full; a repeat retries the refund. */
int admin_order_refund(struct req *r)
{
	const char *order_id = r->param[0];
	struct cancel_request rq = { .by = CANCELLER_STAFF, .note = "cancelled and refunded by staff", .retry_refund = 1 };
	struct cancellation x;
	struct json_object *order, *refund = NULL;

	enum outcome o = order_cancel(&r->ctx, order_id, &rq, &x);
	if (o == E_ILLEGAL_TRANSITION)
		return reply_outcome_msg(r, o, "status", "Only PENDING or CONFIRMED orders can be cancelled");
	if (o != OK)
		return reply_outcome(r, o, NULL);
	if (order_view_get(&r->ctx, order_id, NULL, OV_CUSTOMER, &order) != OK)
		return reply_outcome(r, E_DB, NULL);
	if (x.refund_id && payment_refund_json(&r->ctx, x.refund_id, &refund) != OK) {
		json_object_put(order);
		return reply_outcome(r, E_DB, NULL);
	}
	json_object_object_add(order, "refund", refund);
	return reply_json(r, 200, order);
}
