/* estimate.c: GET /api/delivery/estimate and the delivery fee used by orders. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addresses.h"
#include "auth.h"
#include "conf.h"
#include "db.h"
#include "estimate.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int coord_text_valid(const char *s, double limit)
{
	const char *p = s;
	int before = 0, after = 0;

	if (!s)
		return 0;
	if (*p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		before++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			after++;
	if (*p || before < 1 || before > 3 || after > 10 || (p[-1] == '.'))
		return 0;
	double v = strtod(s, NULL);
	return isfinite(v) && fabs(v) <= limit;
}

/* Borzo's price plus the buffer, rounded up to the rupee (integer arithmetic). */
static int64_t buffered_fee(int64_t quote_paise)
{
	int64_t x = quote_paise * (100 + cfg->delivery_fee_buffer_percent);	/* paise × 100 */
	return (x + 9999) / 10000 * 100;
}

int delivery_fee(struct req *r, const char *lat, const char *lng, const char *address, int64_t *fee_paise)
{
	int64_t quote;
	PGresult *res = db_query(&r->ctx,
		"SELECT round($1::numeric, 3)::text AS lat_key, round($2::numeric, 3)::text AS lng_key, "
		"(SELECT amount::text FROM delivery_quotes WHERE lat_key = round($1::numeric, 3) "
		" AND lng_key = round($2::numeric, 3) "
		" AND fetched_at > now() - make_interval(mins => $3::int)) AS amount",
		lat, lng, STR(QUOTE_CACHE_MINUTES));
	if (!res)
		return ESTIMATE_DB_ERROR;
	const char *cached = db_val(res, 0, "amount");
	if (cached && money_parse(cached, &quote) == 0) {
		*fee_paise = buffered_fee(quote);
		return BORZO_OK;
	}
	const char *lat_key = arena_strdup(r->a, db_val(res, 0, "lat_key"));
	const char *lng_key = arena_strdup(r->a, db_val(res, 0, "lng_key"));
	enum borzo_result br = borzo_calculate(r->a, address, lat_key, lng_key, &quote);
	if (br != BORZO_OK)
		return br;
	char amount[32];
	money_format(quote, amount);
	if (!db_query(&r->ctx, "INSERT INTO delivery_quotes (lat_key, lng_key, amount) VALUES ($1, $2, $3) "
			 "ON CONFLICT (lat_key, lng_key) DO UPDATE SET amount = EXCLUDED.amount, fetched_at = now()",
		      lat_key, lng_key, amount))
		return ESTIMATE_DB_ERROR;
	*fee_paise = buffered_fee(quote);
	return BORZO_OK;
}

int reply_fee_error(struct req *r, int result)
{
	if (result == ESTIMATE_DB_ERROR)
		return reply_db_error(r);
	if (result == BORZO_REJECTED)
		return reply_error(r, 502, "DELIVERY_QUOTE_FAILED", NULL,
				   "The courier partner could not price a delivery to this address");
	return reply_error(r, 503, "DELIVERY_UNAVAILABLE", NULL,
			   "The courier partner is unavailable; try again shortly");
}

/* The caller's address (token required here, the route is public): 0 with lat/lng/address set, or -1 answered. */
static int caller_address_point(struct req *r, const char *id, const char **lat, const char **lng, const char **addr)
{
	const char *h = r->authorization;
	int rc = h && strncasecmp(h, "Bearer ", 7) == 0 ? auth_load_principal(&r->ctx, h + 7) : -1;
	if (rc == -2)
		return reply_db_error(r), -1;
	if (rc != 0)
		return reply_error(r, 401, "UNAUTHORIZED", NULL, "addressId needs a valid bearer token"), -1;
	if (!is_uuid(id))
		return reply_error(r, 404, "ADDRESS_NOT_FOUND", "addressId", "No such address"), -1;
	enum outcome o = address_point(&r->ctx, id, lat, lng, addr);
	return o == OK ? 0 : (reply_outcome(r, o, "addressId"), -1);
}

int estimate_get(struct req *r)
{
	const char *id = query_get(r, "addressId"), *lat, *lng, *addr;
	int64_t fee;

	if (id) {
		if (caller_address_point(r, id, &lat, &lng, &addr) != 0)
			return 0;
	} else {
		lat = query_get(r, "lat"), lng = query_get(r, "lng");
		if (!coord_text_valid(lat, 90))
			return reply_error(r, 400, "VALIDATION_ERROR", "lat", "lat must be a decimal latitude -90 to 90");
		if (!coord_text_valid(lng, 180))
			return reply_error(r, 400, "VALIDATION_ERROR", "lng", "lng must be a decimal longitude -180 to 180");
		addr = arena_printf(r->a, "Delivery point %s, %s", lat, lng);
	}
	int rc = delivery_fee(r, lat, lng, addr, &fee);
	if (rc != BORZO_OK)
		return reply_fee_error(r, rc);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "amount", jmoney(fee));
	json_object_object_add(o, "currency", jstr("INR"));
	return reply_json(r, 200, o);
}
