/* borzo.c: the Borzo Business API client: one generic call, then one function per method. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borzo.h"
#include "conf.h"
#include "http.h"
#include "httpc.h"
#include "util.h"

const char *borzo_result_name(enum borzo_result res)
{
	switch (res) {
	case BORZO_OK: return "ok";
	case BORZO_REFUSED: return "refused";
	case BORZO_SERVER_ERROR: return "server error";
	case BORZO_TIMEOUT: return "timeout";
	case BORZO_UNREACHABLE: return "unreachable";
	case BORZO_BAD_ANSWER: return "bad answer";
	}
	return "?";
}

/* Maps a transport outcome and HTTP status to a result; parses JSON answers. */
static enum borzo_result classify(struct req *r, enum httpc_result hr, struct httpc_call *c,
				  struct borzo_answer *out)
{
	if (hr == HTTPC_UNREACHABLE)
		return BORZO_UNREACHABLE;
	if (hr != HTTPC_OK)
		return BORZO_TIMEOUT;	/* timeout, reset or an empty answer: outcome unknown */
	out->http_status = c->status;
	if (c->status >= 500 || (c->status != 200 && c->status != 201 && c->status != 400))
		return BORZO_SERVER_ERROR;
	out->json = c->response.data ? req_own(r, json_tokener_parse(c->response.data)) : NULL;
	struct json_object *ok;
	if (!out->json || !json_object_is_type(out->json, json_type_object) ||
	    !json_object_object_get_ex(out->json, "is_successful", &ok))
		return BORZO_BAD_ANSWER;
	if (!json_object_get_boolean(ok))
		return BORZO_REFUSED;
	return c->status == 400 ? BORZO_BAD_ANSWER : BORZO_OK;
}

enum borzo_result borzo_call(struct req *r, const char *method, const char *path,
			     struct json_object *body, struct borzo_answer *out)
{
	const char *auth = arena_printf(r->a, "X-DV-Auth-Token: %s", cfg->borzo_api_token);
	const char *headers[] = { auth, "Content-Type: application/json", "Accept: application/json", NULL };
	const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
	struct httpc_call c = {
		.method = method,
		.url = arena_printf(r->a, "%s%s", cfg->borzo_api_url, path),
		.headers = headers,
		.body = text,
		.body_len = text ? strlen(text) : 0,
		.timeout_ms = BORZO_TOTAL_TIMEOUT_MS,
	};

	memset(out, 0, sizeof *out);
	enum httpc_result hr = httpc_perform(&c);
	out->result = classify(r, hr, &c, out);
	if (out->result == BORZO_REFUSED) {
		struct json_object *e = NULL, *pe = NULL;
		json_object_object_get_ex(out->json, "errors", &e);
		json_object_object_get_ex(out->json, "parameter_errors", &pe);
		log_warn("borzo %s %s refused: errors=%s parameter_errors=%s", method, path,
			 e ? json_object_to_json_string(e) : "null", pe ? json_object_to_json_string(pe) : "null");
	} else if (out->result != BORZO_OK) {
		log_warn("borzo %s %s failed: %s (status %ld%s%s)", method, c.url, borzo_result_name(out->result),
			 c.status, c.error[0] ? ", " : "", c.error);
	}
	buf_free(&c.response);
	return out->result;
}

/* One route point: address and coordinates kept as the decimal texts given. */
static struct json_object *point(const char *address, const char *lat, double latv, const char *lng, double lngv)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "address", json_object_new_string(address));
	json_object_object_add(p, "latitude", json_object_new_double_s(latv, lat));
	json_object_object_add(p, "longitude", json_object_new_double_s(lngv, lng));
	return p;
}

enum borzo_result borzo_calculate(struct req *r, const char *address, const char *lat, const char *lng,
				  int64_t *paise)
{
	char slat[32], slng[32];
	struct borzo_answer ans;

	snprintf(slat, sizeof slat, "%.6f", cfg->store_lat);
	snprintf(slng, sizeof slng, "%.6f", cfg->store_lng);
	struct json_object *body = req_own(r, json_object_new_object());
	struct json_object *points = json_object_new_array();
	json_object_array_add(points, point(cfg->store_address, slat, cfg->store_lat, slng, cfg->store_lng));
	json_object_array_add(points, point(address, lat, strtod(lat, NULL), lng, strtod(lng, NULL)));
	json_object_object_add(body, "type", json_object_new_string("standard"));
	json_object_object_add(body, "matter", json_object_new_string("Fragile Cake"));
	json_object_object_add(body, "vehicle_type_id", json_object_new_int(cfg->borzo_vehicle_type_id));
	json_object_object_add(body, "points", points);

	if (borzo_call(r, "POST", "/calculate-order", body, &ans) != BORZO_OK)
		return ans.result;
	struct json_object *order, *amount;
	if (!json_object_object_get_ex(ans.json, "order", &order) ||
	    !json_object_object_get_ex(order, "payment_amount", &amount) ||
	    !json_object_is_type(amount, json_type_string) ||
	    money_parse(json_object_get_string(amount), paise) != 0 || *paise < 0) {
		log_warn("borzo calculate-order: no usable order.payment_amount");
		return BORZO_BAD_ANSWER;
	}
	return BORZO_OK;
}
