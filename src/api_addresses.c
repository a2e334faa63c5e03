/* api_addresses.c: GET/POST /api/addresses, GET/PATCH/DELETE /api/addresses/{id}. */
#include <string.h>

#include "addresses.h"
#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "util.h"

/* Reads the address fields of the body; required says whether street, city,
 * pincode and the coordinates must be there. 0, or -1 after a 400. */
static int read_address(struct req *r, int required, struct address_fields *in)
{
	struct json_object *o = r->json;

	memset(in, 0, sizeof *in);
	in->label_set = json_object_object_get_ex(o, "label", NULL);
	if (jget_text(r, o, "label", OPTIONAL, 0, 50, TEXT_SINGLE_LINE, &in->label) ||
	    jget_text(r, o, "street", required, 1, 200, TEXT_SINGLE_LINE, &in->street) ||
	    jget_text(r, o, "city", required, 1, 100, TEXT_SINGLE_LINE, &in->city) ||
	    jget_text(r, o, "pincode", required, 1, 20, TEXT_SINGLE_LINE, &in->pincode) ||
	    jget_coord(r, o, "latitude", required, -90, 90, &in->lat, &in->lat_text) ||
	    jget_coord(r, o, "longitude", required, -180, 180, &in->lng, &in->lng_text))
		return -1;
	if (in->pincode && !address_pincode_ok(in->pincode))
		return reply_error(r, 400, "VALIDATION_ERROR", "pincode", "pincode must be six digits, not starting with 0"), -1;
	if (in->label && !*in->label)
		in->label = NULL; /* "" clears the label */
	return 0;
}

/* Reads limit (1..100, default 20) and offset (>= 0, default 0) from the query. */
static int list_params(struct req *r, int64_t *limit, int64_t *offset)
{
	const char *l = query_get(r, "limit"), *o = query_get(r, "offset");

	*limit = 20;
	*offset = 0;
	if (l && parse_int64(l, 1, 100, limit) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "limit", "limit must be a whole number from 1 to 100"), -1;
	if (o && parse_int64(o, 0, INT32_MAX, offset) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "offset", "offset must be a whole number from 0"), -1;
	return 0;
}

/* The address with status, or the outcome's error. */
static int reply_address(struct req *r, int status, enum outcome o, const struct address_result *res)
{
	if (o == E_OUT_OF_DELIVERY_AREA)
		return reply_outcome_msg(r, o, "latitude", "We deliver within %.0f km of the kitchen; this address is %.1f km away",
					 cfg->delivery_radius_km, res->distance_km);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_json(r, status, json_object_get(res->address));
}

/* GET /api/addresses?limit&offset: the caller's addresses, oldest first, in the list envelope. */
int addresses_list(struct req *r)
{
	int64_t limit, offset;
	struct json_object *page;

	if (list_params(r, &limit, &offset) != 0)
		return 0;
	enum outcome o = address_list(&r->ctx, limit, offset, &page);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_json(r, 200, json_object_get(page));
}

/* POST /api/addresses: 201 address; 422 outside the delivery area or past the cap. */
int addresses_create(struct req *r)
{
	struct address_fields in;
	struct address_result res;

	if (read_address(r, REQUIRED, &in) != 0)
		return 0;
	return reply_address(r, 201, address_create(&r->ctx, &in, &res), &res);
}

/* GET /api/addresses/{id}: one of the caller's addresses; 404 otherwise. */
int addresses_get(struct req *r)
{
	struct address_result res;

	return reply_address(r, 200, address_get(&r->ctx, r->param[0], &res), &res);
}

/* PATCH /api/addresses/{id}: changes the fields present; 200 address. */
int addresses_update(struct req *r)
{
	struct address_fields in;
	struct address_result res;

	if (read_address(r, OPTIONAL, &in) != 0)
		return 0;
	return reply_address(r, 200, address_update(&r->ctx, r->param[0], &in, &res), &res);
}

/* DELETE /api/addresses/{id}: 204; 404 when absent or not the caller's. */
int addresses_delete(struct req *r)
{
	enum outcome o = address_delete(&r->ctx, r->param[0]);

	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_empty(r, 204);
}
