/* borzo.c: the Borzo Business API client: X-DV-Auth-Token, 3 s connect / 10 s total. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "borzo.h"
#include "conf.h"
#include "httpc.h"
#include "json.h"
#include "util.h"

#define BORZO_TIMEOUT_MS 10000 /* httpc gives the connect min(3000, this) */
/* A quote holds a customer's request (the estimate, an order's fee): it waits
 * less than a booking, which runs in the dispatch pass. */
#define BORZO_QUOTE_TIMEOUT_MS 3000

/* Writes errors and parameter_errors of a refusal into err, as compact JSON. */
static void describe_refusal(struct json_object *ans, char *err, size_t errlen)
{
	struct json_object *e = NULL, *pe = NULL;

	json_object_object_get_ex(ans, "errors", &e);
	json_object_object_get_ex(ans, "parameter_errors", &pe);
	snprintf(err, errlen, "errors=%s parameter_errors=%s",
		 e ? json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN) : "[]",
		 pe ? json_object_to_json_string_ext(pe, JSON_C_TO_STRING_PLAIN) : "null");
}

/* One call: method on base/path with an optional JSON body. On BORZO_OK and
 * BORZO_REJECTED *ans is the parsed answer (owned by the request). */
static enum borzo_result borzo_call(struct arena *a, long timeout_ms, const char *method, const char *path,
				    struct json_object *body, struct json_object **ans,
				    char *err, size_t errlen)
{
	const char *hdrs[] = { arena_printf(a, "X-DV-Auth-Token: %s", cfg->borzo_api_token),
			       "Content-Type: application/json", "Accept: application/json", NULL };
	struct httpc_call c = { .method = method, .headers = hdrs, .timeout_ms = timeout_ms };
	size_t blen = 0;

	c.url = arena_printf(a, "%s/%s", cfg->borzo_api_url, path);
	c.partner = "borzo";
	c.operation = arena_strndup(a, path, strcspn(path, "?")); /* "orders?order_id=1": "orders" */
	if (body) {
		c.body = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &blen);
		c.body_len = blen;
	}
	*ans = NULL;
	enum httpc_result hr = httpc_perform(&c);
	if (hr != HTTPC_OK) {
		snprintf(err, errlen, "borzo %s %s: %s", method, path, c.error);
		buf_free(&c.response);
		if (hr == HTTPC_UNREACHABLE)
			return BORZO_UNREACHABLE;
		/* the request may have been acted on: a create must be looked up */
		return hr == HTTPC_TIMEOUT || strcmp(method, "POST") == 0 ? BORZO_TIMEOUT : BORZO_UNREACHABLE;
	}
	char perr[128];
	struct json_object *o = c.response.data ? json_parse_strict(c.response.data, c.response.len, perr, sizeof perr) : NULL;
	buf_free(&c.response);
	json_own(a, o);
	struct json_object *ok = NULL;
	int has_ok = o && json_object_object_get_ex(o, "is_successful", &ok) && json_object_is_type(ok, json_type_boolean);
	if (c.status >= 500 || !has_ok) {
		snprintf(err, errlen, "borzo %s %s: HTTP %ld%s", method, path, c.status,
			 has_ok ? "" : " without a Borzo answer");
		/* a 2xx we cannot read may still have created the order */
		if (c.status >= 200 && c.status < 300 && strcmp(method, "POST") == 0)
			return BORZO_TIMEOUT;
		return BORZO_SERVER_ERROR;
	}
	*ans = o;
	if (!json_object_get_boolean(ok)) {
		describe_refusal(o, err, errlen);
		return BORZO_REJECTED;
	}
	err[0] = '\0';
	return BORZO_OK;
}

/* One route point: address and coordinates kept as the decimal texts given. */
static struct json_object *point(const char *address, const char *lat, const char *lng)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "address", json_object_new_string(address));
	json_object_object_add(p, "latitude", json_object_new_double_s(strtod(lat, NULL), lat));
	json_object_object_add(p, "longitude", json_object_new_double_s(strtod(lng, NULL), lng));
	return p;
}

enum borzo_result borzo_calculate(struct arena *a, const char *address, const char *lat, const char *lng,
				  int64_t *paise)
{
	char slat[32], slng[32], err[512];
	struct json_object *ans, *order, *amount;

	snprintf(slat, sizeof slat, "%.6f", cfg->store_lat);
	snprintf(slng, sizeof slng, "%.6f", cfg->store_lng);
	struct json_object *body = json_own(a, json_object_new_object());
	struct json_object *points = json_object_new_array();
	json_object_array_add(points, point(cfg->store_address, slat, slng));
	json_object_array_add(points, point(address, lat, lng));
	json_object_object_add(body, "type", json_object_new_string("standard"));
	json_object_object_add(body, "matter", json_object_new_string("Fragile Cake"));
	json_object_object_add(body, "vehicle_type_id", json_object_new_int(cfg->borzo_vehicle_type_id));
	json_object_object_add(body, "points", points);

	enum borzo_result br = borzo_call(a, BORZO_QUOTE_TIMEOUT_MS, "POST", "calculate-order", body, &ans, err, sizeof err);
	if (br != BORZO_OK) {
		log_warn("borzo calculate-order: %s", err);
		/* a quote creates nothing: an unknown outcome is simply unavailable */
		return br == BORZO_TIMEOUT ? BORZO_UNREACHABLE : br;
	}
	if (!json_object_object_get_ex(ans, "order", &order) ||
	    !json_object_object_get_ex(order, "payment_amount", &amount) ||
	    !json_object_is_type(amount, json_type_string) ||
	    money_parse(json_object_get_string(amount), paise) != 0) {
		log_warn("borzo calculate-order: no usable order.payment_amount");
		return BORZO_SERVER_ERROR;
	}
	return BORZO_OK;
}

enum borzo_result borzo_create_order(struct arena *a, struct json_object *body,
				     struct json_object **order, char *err, size_t errlen)
{
	struct json_object *ans;
	enum borzo_result br = borzo_call(a, BORZO_TIMEOUT_MS, "POST", "create-order", body, &ans, err, errlen);

	*order = NULL;
	if (br != BORZO_OK)
		return br;
	if (!json_object_object_get_ex(ans, "order", order) || !json_object_is_type(*order, json_type_object)) {
		snprintf(err, errlen, "borzo create-order: answer without an order");
		return BORZO_TIMEOUT; /* something was said to succeed: look it up */
	}
	return BORZO_OK;
}

/* Percent-encodes s for a query value (RFC 3986 unreserved kept). */
static const char *query_escape(struct arena *a, const char *s)
{
	char *out = arena_alloc(a, strlen(s) * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~')
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}

enum borzo_result borzo_get_orders(struct arena *a, const char *created_from, int offset,
				   struct json_object **orders, char *err, size_t errlen)
{
	struct json_object *ans;
	const char *path = arena_printf(a, "orders?created_datetime_from=%s&offset=%d&count=50",
					query_escape(a, created_from), offset);
	enum borzo_result br = borzo_call(a, BORZO_TIMEOUT_MS, "GET", path, NULL, &ans, err, errlen);

	*orders = NULL;
	if (br != BORZO_OK)
		return br;
	if (!json_object_object_get_ex(ans, "orders", orders) || !json_object_is_type(*orders, json_type_array)) {
		snprintf(err, errlen, "borzo orders: answer without an orders list");
		return BORZO_SERVER_ERROR;
	}
	return BORZO_OK;
}

enum borzo_result borzo_get_order(struct arena *a, long long borzo_order_id, struct json_object **order,
				  char *err, size_t errlen)
{
	struct json_object *ans, *orders;
	enum borzo_result br = borzo_call(a, BORZO_TIMEOUT_MS, "GET", arena_printf(a, "orders?order_id=%lld", borzo_order_id),
					  NULL, &ans, err, errlen);

	*order = NULL;
	if (br != BORZO_OK)
		return br;
	if (!json_object_object_get_ex(ans, "orders", &orders) || !json_object_is_type(orders, json_type_array)) {
		snprintf(err, errlen, "borzo orders: answer without an orders list");
		return BORZO_SERVER_ERROR;
	}
	if (json_object_array_length(orders) > 0)
		*order = json_object_array_get_idx(orders, 0);
	return BORZO_OK;
}

enum borzo_result borzo_cancel_order(struct arena *a, long long borzo_order_id,
				     const char **code, char *err, size_t errlen)
{
	struct json_object *body = json_own(a, json_object_new_object()), *ans, *errs;

	json_object_object_add(body, "order_id", json_object_new_int64(borzo_order_id));
	if (code)
		*code = NULL;
	enum borzo_result br = borzo_call(a, BORZO_TIMEOUT_MS, "POST", "cancel-order", body, &ans, err, errlen);
	if (br == BORZO_REJECTED && code && json_object_object_get_ex(ans, "errors", &errs) &&
	    json_object_is_type(errs, json_type_array) && json_object_array_length(errs) > 0)
		*code = json_object_get_string(json_object_array_get_idx(errs, 0));
	return br;
}
