/* borzo.h: the Borzo Business API client (calculate now; create/cancel/get later). */
#ifndef APP_BORZO_H
#define APP_BORZO_H

#include <json-c/json.h>
#include <stdint.h>

struct req;

enum borzo_result {
	BORZO_OK = 0,		/* HTTP 200/201 with is_successful:true */
	BORZO_REFUSED = -1,	/* is_successful:false (HTTP 400): Borzo said no */
	BORZO_SERVER_ERROR = -2,	/* HTTP 5xx or another unexpected status */
	BORZO_TIMEOUT = -3,	/* sent, no complete answer: the outcome is unknown */
	BORZO_UNREACHABLE = -4,	/* could not connect: nothing was sent */
	BORZO_BAD_ANSWER = -5,	/* an answer we could not parse or understand */
};

#define BORZO_CONNECT_TIMEOUT_MS 3000	/* applied by httpc as min(3000, total) */
#define BORZO_TOTAL_TIMEOUT_MS 10000

struct borzo_answer {
	enum borzo_result result;
	long http_status;	/* 0 when no answer arrived */
	struct json_object *json;	/* parsed body or NULL; owned by the request */
};

/* Calls BORZO_API_URL + path ("/calculate-order") with X-DV-Auth-Token and body
 * (may be NULL; not taken). Fills out and returns out->result. Refusals are
 * logged with their errors and parameter_errors. */
enum borzo_result borzo_call(struct req *r, const char *method, const char *path,
			     struct json_object *body, struct borzo_answer *out);

/* Price from the kitchen (STORE_*) to the point: POST /calculate-order with a
 * car (BORZO_VEHICLE_TYPE_ID), matter "Fragile Cake". lat/lng are decimal
 * texts. *paise gets order.payment_amount. */
enum borzo_result borzo_calculate(struct req *r, const char *address, const char *lat, const char *lng,
				  int64_t *paise);

/* Short text for logs: "ok", "refused", "server error", ... */
const char *borzo_result_name(enum borzo_result res);

#endif
