/* api_estimate.c: GET /api/delivery/estimate: the delivery fee to a point or to one of the caller's addresses. */
#include <strings.h>

#include "auth.h"
#include "estimate.h"
#include "handlers.h"
#include "http.h"
#include "json.h"
#include "util.h"

/* The route is public: an addressId needs the caller's token. 0, or -1 answered. */
static int sign_in(struct req *r)
{
	const char *h = r->authorization;
	int rc = h && strncasecmp(h, "Bearer ", 7) == 0 ? auth_load_principal(&r->ctx, h + 7) : -1;
	if (rc == -2)
		return reply_db_error(r), -1;
	if (rc != 0)
		return reply_error(r, 401, "UNAUTHORIZED", NULL, "addressId needs a valid bearer token"), -1;
	return 0;
}

int estimate_get(struct req *r)
{
	const char *id = query_get(r, "addressId"), *lat, *lng;
	int64_t fee;
	enum outcome o;

	if (id) {
		if (sign_in(r) != 0)
			return 0;
		if (!is_uuid(id))
			return reply_outcome(r, E_ADDRESS_NOT_FOUND, "addressId");
		o = delivery_fee_to_address(&r->ctx, id, &fee);
	} else {
		lat = query_get(r, "lat"), lng = query_get(r, "lng");
		if (!coord_text_valid(lat, 90))
			return reply_error(r, 400, "VALIDATION_ERROR", "lat", "lat must be a decimal latitude -90 to 90");
		if (!coord_text_valid(lng, 180))
			return reply_error(r, 400, "VALIDATION_ERROR", "lng", "lng must be a decimal longitude -180 to 180");
		o = delivery_fee(&r->ctx, lat, lng, arena_printf(r->a, "Delivery point %s, %s", lat, lng), &fee);
	}
	if (o != OK)
		return reply_outcome(r, o, o == E_ADDRESS_NOT_FOUND ? "addressId" : NULL);
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "amount", jmoney(fee));
	json_object_object_add(a, "currency", jstr("INR"));
	return reply_json(r, 200, a);
}
