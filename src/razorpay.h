/* razorpay.h: the Razorpay API v1 client and its signature checks (nothing else). */
#ifndef APP_RAZORPAY_H
#define APP_RAZORPAY_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

enum rzp_result {
	RZP_OK = 0,	   /* 2xx with a JSON object */
	RZP_PARTNER_ERROR, /* 4xx: Razorpay refused the request; do not retry blindly */
	RZP_UNAVAILABLE,   /* 5xx, 429, 409 (refund in progress) or a garbled answer: retry later */
	RZP_TIMEOUT,	   /* sent, no answer in time: the outcome is unknown */
	RZP_UNREACHABLE,   /* could not connect: nothing was sent */
};

struct rzp_answer {
	long status;		  /* HTTP status, 0 without an answer */
	struct json_object *json; /* the parsed answer (caller: rzp_answer_free) */
	char code[48];		  /* error.code, e.g. BAD_REQUEST_ERROR */
	char description[256];	  /* error.description, or the transport error */
};

/* POST /orders {amount, currency INR, receipt, notes {orderId}}. */
enum rzp_result razorpay_create_order(int64_t amount_paise, const char *receipt, const char *order_uuid,
				      struct rzp_answer *out);
/* GET /orders?receipt=: a collection, newest first. */
enum rzp_result razorpay_orders_by_receipt(const char *receipt, struct rzp_answer *out);
/* GET /orders/:id/payments: a collection of every attempt. */
enum rzp_result razorpay_order_payments(const char *rzp_order_id, struct rzp_answer *out);
/* POST /payments/:id/refund with X-Refund-Idempotency: key; amount_paise < 0 omits
 * the amount (refund the rest). */
enum rzp_result razorpay_refund(const char *rzp_payment_id, int64_t amount_paise, const char *idempotency_key,
				struct rzp_answer *out);
void rzp_answer_free(struct rzp_answer *a);
/* "ok", "partner_error", ...: for logs and last_error columns. */
const char *razorpay_result_name(enum rzp_result res);

/* 1 when s looks like a Razorpay id (prefix_ + alphanumerics, at most 64 chars). */
int razorpay_id_valid(const char *s, const char *prefix);

/* Checkout: sig is hex HMAC-SHA256(order_id "|" payment_id) under RAZORPAY_KEY_SECRET.
 * order_id must be the one WE stored. Constant time; 1 when valid. */
int razorpay_checkout_signature_valid(const char *order_id, const char *payment_id, const char *sig);
/* Webhook: sig is hex HMAC-SHA256 of the raw body under RAZORPAY_WEBHOOK_SECRET. */
int razorpay_webhook_signature_valid(const char *body, size_t len, const char *sig);
/* The same two checks with an explicit secret (unit tests, secret rotation). */
int razorpay_checkout_signature_valid_with(const char *secret, const char *order_id, const char *payment_id,
					   const char *sig);
int razorpay_webhook_signature_valid_with(const char *secret, const char *body, size_t len, const char *sig);

#endif
