/* razorpay.c: Razorpay API v1 over libcurl (Basic auth, JSON, timeouts) and its HMAC signatures. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "conf.h"
#include "httpc.h"
#include "razorpay.h"
#include "util.h"

#define RZP_TIMEOUT_MS 10000 /* whole call; httpc caps the connect at 3 s */

const char *razorpay_result_name(enum rzp_result res)
{
	switch (res) {
	case RZP_OK: return "ok";
	case RZP_PARTNER_ERROR: return "partner_error";
	case RZP_UNAVAILABLE: return "unavailable";
	case RZP_TIMEOUT: return "timeout";
	case RZP_UNREACHABLE: return "unreachable";
	}
	return "unknown";
}

void rzp_answer_free(struct rzp_answer *a)
{
	if (a && a->json) {
		json_object_put(a->json);
		a->json = NULL;
	}
}

int razorpay_id_valid(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix), n = s ? strlen(s) : 0;

	if (n <= pl || n > 64 || strncmp(s, prefix, pl) != 0)
		return 0;
	for (size_t i = pl; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Copies error.code and error.description of Razorpay's envelope, when present. */
static void parse_error_envelope(struct rzp_answer *out)
{
	struct json_object *err, *v;

	if (!out->json || !json_object_object_get_ex(out->json, "error", &err) ||
	    !json_object_is_type(err, json_type_object))
		return;
	if (json_object_object_get_ex(err, "code", &v) && json_object_is_type(v, json_type_string))
		snprintf(out->code, sizeof out->code, "%s", json_object_get_string(v));
	if (json_object_object_get_ex(err, "description", &v) && json_object_is_type(v, json_type_string))
		snprintf(out->description, sizeof out->description, "%s", json_object_get_string(v));
}

/* Classifies an HTTP answer: status class, then whether the body is a JSON object. */
static enum rzp_result classify_answer(struct rzp_answer *out)
{
	long s = out->status;

	if (s >= 200 && s < 300) {
		if (!out->json || !json_object_is_type(out->json, json_type_object)) {
			snprintf(out->description, sizeof out->description, "answer %ld is not a JSON object", s);
			return RZP_UNAVAILABLE;
		}
		return RZP_OK;
	}
	parse_error_envelope(out);
	if (!out->description[0])
		snprintf(out->description, sizeof out->description, "HTTP %ld", s);
	/* 429 throttling and 409 (an idempotent refund still processing) are worth a retry */
	if (s == 429 || s == 409 || s >= 500 || s < 200)
		return RZP_UNAVAILABLE;
	return RZP_PARTNER_ERROR;
}

/* One call to RAZORPAY_API_URL + path; body may be NULL (GET). operation
 * names it for /metrics. */
static enum rzp_result call(const char *operation, const char *method, const char *path, const char *body,
			    const char *extra_header, struct rzp_answer *out)
{
	char url[1024];
	const char *headers[4] = { "Content-Type: application/json", "Accept: application/json", extra_header, NULL };
	struct httpc_call c = { 0 };

	memset(out, 0, sizeof *out);
	snprintf(url, sizeof url, "%s%s", cfg->razorpay_api_url, path);
	c.method = method;
	c.url = url;
	c.headers = headers;
	c.body = body;
	c.body_len = body ? strlen(body) : 0;
	c.username = cfg->razorpay_key_id;
	c.password = cfg->razorpay_key_secret;
	c.timeout_ms = RZP_TIMEOUT_MS;
	c.partner = "razorpay";
	c.operation = operation;
	enum httpc_result hr = httpc_perform(&c);
	if (hr != HTTPC_OK) {
		snprintf(out->description, sizeof out->description, "%s", c.error);
		buf_free(&c.response);
		log_warn("razorpay %s %s: %s", method, path, out->description);
		/* HTTPC_ERROR may have happened after sending: treat its outcome as unknown */
		return hr == HTTPC_UNREACHABLE ? RZP_UNREACHABLE : RZP_TIMEOUT;
	}
	out->status = c.status;
	if (c.response.data && c.response.len)
		out->json = json_tokener_parse(c.response.data);
	buf_free(&c.response);
	enum rzp_result res = classify_answer(out);
	if (res != RZP_OK)
		log_warn("razorpay %s %s: %ld %s %s", method, path, out->status, out->code, out->description);
	return res;
}

enum rzp_result razorpay_create_order(int64_t amount_paise, const char *receipt, const char *order_uuid,
				      struct rzp_answer *out)
{
	struct json_object *o = json_object_new_object(), *notes = json_object_new_object();

	json_object_object_add(o, "amount", json_object_new_int64(amount_paise));
	json_object_object_add(o, "currency", json_object_new_string("INR"));
	json_object_object_add(o, "receipt", json_object_new_string(receipt));
	json_object_object_add(notes, "orderId", json_object_new_string(order_uuid));
	json_object_object_add(o, "notes", notes);
	enum rzp_result res = call("create-order", "POST", "/orders", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
				   NULL, out);
	json_object_put(o);
	return res;
}

/* Percent-encodes s (RFC 3986 unreserved kept) into out; -1 when it does not fit. */
static int url_escape(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (k + 4 >= n)
			return -1;
		if (isalnum(ch) || strchr("-._~", ch))
			out[k++] = (char)ch;
		else
			k += (size_t)snprintf(out + k, n - k, "%%%02X", ch);
	}
	out[k] = '\0';
	return 0;
}

enum rzp_result razorpay_orders_by_receipt(const char *receipt, struct rzp_answer *out)
{
	char esc[128], path[256];

	if (url_escape(receipt, esc, sizeof esc) != 0) {
		memset(out, 0, sizeof *out);
		snprintf(out->description, sizeof out->description, "receipt too long");
		return RZP_PARTNER_ERROR;
	}
	snprintf(path, sizeof path, "/orders?receipt=%s&count=100", esc);
	return call("orders-by-receipt", "GET", path, NULL, NULL, out);
}

enum rzp_result razorpay_order_payments(const char *rzp_order_id, struct rzp_answer *out)
{
	char path[128];

	if (!razorpay_id_valid(rzp_order_id, "order_")) {
		memset(out, 0, sizeof *out);
		snprintf(out->description, sizeof out->description, "not an order id");
		return RZP_PARTNER_ERROR;
	}
	snprintf(path, sizeof path, "/orders/%s/payments", rzp_order_id);
	return call("order-payments", "GET", path, NULL, NULL, out);
}

enum rzp_result razorpay_refund(const char *rzp_payment_id, int64_t amount_paise, const char *idempotency_key,
				struct rzp_answer *out)
{
	char path[128], idem[160];

	if (!razorpay_id_valid(rzp_payment_id, "pay_") || !idempotency_key || strlen(idempotency_key) < 10 ||
	    strlen(idempotency_key) > 100 || strspn(idempotency_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(idempotency_key)) {
		memset(out, 0, sizeof *out);
		snprintf(out->description, sizeof out->description, "bad payment id or idempotency key");
		return RZP_PARTNER_ERROR;
	}
	snprintf(path, sizeof path, "/payments/%s/refund", rzp_payment_id);
	snprintf(idem, sizeof idem, "X-Refund-Idempotency: %s", idempotency_key);
	struct json_object *o = json_object_new_object();
	if (amount_paise >= 0)
		json_object_object_add(o, "amount", json_object_new_int64(amount_paise));
	json_object_object_add(o, "speed", json_object_new_string("normal"));
	enum rzp_result res = call("refund", "POST", path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), idem, out);
	json_object_put(o);
	return res;
}

int razorpay_checkout_signature_valid_with(const char *secret, const char *order_id, const char *payment_id,
					   const char *sig)
{
	char msg[256];

	if (!secret || !*secret || !order_id || !payment_id || !sig)
		return 0;
	int n = snprintf(msg, sizeof msg, "%s|%s", order_id, payment_id);
	if (n < 0 || (size_t)n >= sizeof msg)
		return 0;
	return auth_hmac_verify(secret, msg, (size_t)n, sig);
}

int razorpay_webhook_signature_valid_with(const char *secret, const char *body, size_t len, const char *sig)
{
	if (!secret || !*secret || !body || !sig)
		return 0;
	return auth_hmac_verify(secret, body, len, sig);
}

int razorpay_checkout_signature_valid(const char *order_id, const char *payment_id, const char *sig)
{
	return razorpay_checkout_signature_valid_with(cfg->razorpay_key_secret, order_id, payment_id, sig);
}

int razorpay_webhook_signature_valid(const char *body, size_t len, const char *sig)
{
	return razorpay_webhook_signature_valid_with(cfg->razorpay_webhook_secret, body, len, sig);
}
