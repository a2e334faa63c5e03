/* borzo.h: the Borzo Business API client: calculate, create, list and cancel orders. */
#ifndef APP_BORZO_H
#define APP_BORZO_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

enum borzo_result {
	BORZO_OK = 0,	    /* is_successful: true; the answer is usable */
	BORZO_REJECTED,	    /* is_successful: false; errors + parameter_errors in err */
	BORZO_SERVER_ERROR, /* 5xx or another unusable HTTP answer: nothing was done */
	BORZO_TIMEOUT,	    /* sent, no usable answer: the outcome is unknown */
	BORZO_UNREACHABLE,  /* could not connect: nothing was sent */
};

/* Price from the kitchen (STORE_*) to the point: POST calculate-order with a
 * car (BORZO_VEHICLE_TYPE_ID), matter "Fragile Cake". lat/lng are decimal
 * texts. *paise gets order.payment_amount. Failures are logged. */
enum borzo_result borzo_calculate(struct arena *a, const char *address, const char *lat, const char *lng,
				  int64_t *paise);

/* POST create-order with body (not taken). On BORZO_OK *order is the "order"
 * object of the answer (owned by the request). err gets a one-line reason. */
enum borzo_result borzo_create_order(struct arena *a, struct json_object *body,
				     struct json_object **order, char *err, size_t errlen);

/* GET orders?created_datetime_from=..&offset=..&count=50. On BORZO_OK
 * *orders is the "orders" array (owned by the request). */
enum borzo_result borzo_get_orders(struct arena *a, const char *created_from, int offset,
				   struct json_object **orders, char *err, size_t errlen);

/* GET orders?order_id=: one order as Borzo sees it now. On BORZO_OK *order is
 * the order object (owned by the request), or NULL when Borzo has no such order. */
enum borzo_result borzo_get_order(struct arena *a, long long borzo_order_id, struct json_object **order,
				  char *err, size_t errlen);

/* POST cancel-order {order_id}. On BORZO_REJECTED *code (may be NULL) gets the
 * first error code, e.g. "order_cannot_be_canceled" (owned by the request). */
enum borzo_result borzo_cancel_order(struct arena *a, long long borzo_order_id,
				     const char **code, char *err, size_t errlen);

#endif
