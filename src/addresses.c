/* addresses.c: the caller's delivery addresses: list, create, edit, delete. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "addresses.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "util.h"

#define MAX_ADDRESSES_PER_USER 20
#define EARTH_RADIUS_KM 6371.0088

/* lat/lng come back in their shortest text form so that JSON shows 12.9716, not 12.971600000000001 */
#define ADDRESS_COLUMNS "id, label, street, city, pincode, latitude::float8::text AS latitude, " \
	"longitude::float8::text AS longitude, " SQL_TIME("created_at") " AS created_at"

/* The fields of a create or an edit; *_set says which ones the body carried. */
struct address_in {
	const char *label, *street, *city, *pincode, *lat_text, *lng_text;
	double lat, lng;
	int label_set, label_null;
};

static struct json_object *jcoord(const char *text)
{
	return text ? json_object_new_double_s(strtod(text, NULL), text) : NULL;
}

static struct json_object *address_json(PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", jstr(db_val(res, row, "id")));
	json_object_object_add(o, "label", jstr(db_val(res, row, "label")));
	json_object_object_add(o, "street", jstr(db_val(res, row, "street")));
	json_object_object_add(o, "city", jstr(db_val(res, row, "city")));
	json_object_object_add(o, "pincode", jstr(db_val(res, row, "pincode")));
	json_object_object_add(o, "latitude", jcoord(db_val(res, row, "latitude")));
	json_object_object_add(o, "longitude", jcoord(db_val(res, row, "longitude")));
	json_object_object_add(o, "createdAt", jstr(db_val(res, row, "created_at")));
	return o;
}

/* Great-circle distance in km (haversine). */
static double distance_km(double lat1, double lng1, double lat2, double lng2)
{
	double rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlng = (lng2 - lng1) * rad;
	double h = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlng / 2) * sin(dlng / 2);
	return 2 * EARTH_RADIUS_KM * asin(fmin(1.0, sqrt(h)));
}

/* 0 when the point is within the kitchen's delivery radius; otherwise answers 422. */
static int check_delivery_area(struct req *r, double lat, double lng)
{
	double km = distance_km(cfg->store_lat, cfg->store_lng, lat, lng);
	if (km <= cfg->delivery_radius_km)
		return 0;
	return reply_error(r, 422, "OUT_OF_DELIVERY_AREA", "latitude",
			   "We deliver within %.0f km of the kitchen; this address is %.1f km away",
			   cfg->delivery_radius_km, km), -1;
}

static int is_pincode(const char *s)
{
	if (strlen(s) != 6 || s[0] < '1' || s[0] > '9')
		return 0;
	for (int i = 1; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Reads the address fields of the body; required says whether street, city,
 * pincode and the coordinates must be there. 0, or -1 after a 400. */
static int read_address(struct req *r, int required, struct address_in *in)
{
	struct json_object *o = r->json, *lv = NULL;

	memset(in, 0, sizeof *in);
	in->label_set = json_object_object_get_ex(o, "label", &lv);
	in->label_null = in->label_set && lv == NULL;
	if (jget_text(r, o, "label", OPTIONAL, 0, 50, TEXT_SINGLE_LINE, &in->label) ||
	    jget_text(r, o, "street", required, 1, 200, TEXT_SINGLE_LINE, &in->street) ||
	    jget_text(r, o, "city", required, 1, 100, TEXT_SINGLE_LINE, &in->city) ||
	    jget_text(r, o, "pincode", required, 1, 20, TEXT_SINGLE_LINE, &in->pincode) ||
	    jget_coord(r, o, "latitude", required, -90, 90, &in->lat, &in->lat_text) ||
	    jget_coord(r, o, "longitude", required, -180, 180, &in->lng, &in->lng_text))
		return -1;
	if (in->pincode && !is_pincode(in->pincode))
		return reply_error(r, 400, "VALIDATION_ERROR", "pincode", "pincode must be six digits, not starting with 0"), -1;
	if (in->label && !*in->label)
		in->label_null = 1, in->label = NULL;	/* "" clears the label */
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

/* Wraps items in the list envelope {items, total, limit, offset}. */
static int reply_list(struct req *r, struct json_object *items, int64_t total, int64_t limit, int64_t offset)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", jint(total));
	json_object_object_add(o, "limit", jint(limit));
	json_object_object_add(o, "offset", jint(offset));
	return reply_json(r, 200, o);
}

/* GET /api/addresses?limit&offset: the caller's addresses, oldest first, in the list envelope. */
int addresses_list(struct req *r)
{
	int64_t limit, offset;

	if (list_params(r, &limit, &offset) != 0)
		return 0;
	const char *ls = arena_printf(r->a, "%lld", (long long)limit);
	const char *os = arena_printf(r->a, "%lld", (long long)offset);
	PGresult *res = db_query(&r->ctx,
		"SELECT " ADDRESS_COLUMNS ", count(*) OVER () AS total FROM addresses WHERE user_id = $1 "
		"ORDER BY addresses.created_at, addresses.id LIMIT $2::int OFFSET $3::int", r->ctx.who.user_id, ls, os);
	if (!res)
		return reply_db_error(r);
	int64_t total = 0;
	if (PQntuples(res) > 0) {
		total = strtoll(db_val(res, 0, "total"), NULL, 10);
	} else if (offset > 0) {
		/* past the end: the window count is not there, ask for it */
		PGresult *c = db_query(&r->ctx, "SELECT count(*) FROM addresses WHERE user_id = $1", r->ctx.who.user_id);
		if (!c)
			return reply_db_error(r);
		total = strtoll(PQgetvalue(c, 0, 0), NULL, 10);
	}
	struct json_object *items = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, address_json(res, i));
	return reply_list(r, items, total, limit, offset);
}

/* Inserts under a lock on the user row, so that concurrent creates respect the cap. */
static int insert_address(struct req *r, const struct address_in *in)
{
	PGresult *res;

	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	if (!db_query(&r->ctx, "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", r->ctx.who.user_id) ||
	    !(res = db_query(&r->ctx, "SELECT count(*) FROM addresses WHERE user_id = $1", r->ctx.who.user_id)))
		goto fail;
	if (atoi(PQgetvalue(res, 0, 0)) >= MAX_ADDRESSES_PER_USER) {
		db_rollback(&r->ctx);
		return reply_error(r, 422, "ADDRESS_LIMIT", NULL, "You can keep at most %d addresses", MAX_ADDRESSES_PER_USER);
	}
	if (!(res = db_query(&r->ctx, "INSERT INTO addresses (user_id, label, street, city, pincode, latitude, longitude) "
				"VALUES ($1, $2, $3, $4, $5, round($6::numeric, 6), round($7::numeric, 6)) RETURNING " ADDRESS_COLUMNS,
			     r->ctx.who.user_id, in->label, in->street, in->city, in->pincode, in->lat_text, in->lng_text)))
		goto fail;
	if (db_commit(&r->ctx) != 0)
		goto fail;
	return reply_json(r, 201, address_json(res, 0));
fail:
	db_rollback(&r->ctx);
	return reply_db_error(r);
}

/* POST /api/addresses: 201 address; 422 outside the delivery area or past the cap. */
int addresses_create(struct req *r)
{
	struct address_in in;

	if (read_address(r, REQUIRED, &in) != 0 || check_delivery_area(r, in.lat, in.lng) != 0)
		return 0;
	return insert_address(r, &in);
}

static int address_not_found(struct req *r)
{
	return reply_error(r, 404, "ADDRESS_NOT_FOUND", NULL, "No such address");
}

/* GET /api/addresses/{id}: one of the caller's addresses; 404 otherwise. */
int addresses_get(struct req *r)
{
	PGresult *res = db_query(&r->ctx, "SELECT " ADDRESS_COLUMNS " FROM addresses WHERE id = $1 AND user_id = $2",
				 r->param[0], r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return address_not_found(r);
	return reply_json(r, 200, address_json(res, 0));
}

/* Applies the fields present; the merged point must stay in the delivery area. */
static int update_address(struct req *r, const struct address_in *in)
{
	PGresult *res;

	if (db_begin(&r->ctx) != 0)
		return reply_db_error(r);
	if (!(res = db_query(&r->ctx, "SELECT latitude::float8 AS lat, longitude::float8 AS lng FROM addresses "
				"WHERE id = $1 AND user_id = $2 FOR UPDATE", r->param[0], r->ctx.who.user_id)))
		goto fail;
	if (PQntuples(res) != 1) {
		db_rollback(&r->ctx);
		return address_not_found(r);
	}
	double lat = in->lat_text ? in->lat : strtod(db_val(res, 0, "lat"), NULL);
	double lng = in->lng_text ? in->lng : strtod(db_val(res, 0, "lng"), NULL);
	if ((in->lat_text || in->lng_text) && check_delivery_area(r, lat, lng) != 0) {
		db_rollback(&r->ctx);
		return 0;
	}
	if (!(res = db_query(&r->ctx,
		"UPDATE addresses SET label = CASE WHEN $3 THEN $4 ELSE label END, street = COALESCE($5, street), "
		"city = COALESCE($6, city), pincode = COALESCE($7, pincode), "
		"latitude = COALESCE(round($8::numeric, 6), latitude), longitude = COALESCE(round($9::numeric, 6), longitude), "
		"updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING " ADDRESS_COLUMNS,
		r->param[0], r->ctx.who.user_id, in->label_set ? "true" : "false", in->label,
		in->street, in->city, in->pincode, in->lat_text, in->lng_text)))
		goto fail;
	if (db_commit(&r->ctx) != 0)
		goto fail;
	return reply_json(r, 200, address_json(res, 0));
fail:
	db_rollback(&r->ctx);
	return reply_db_error(r);
}

/* PATCH /api/addresses/{id}: changes the fields present; 200 address. */
int addresses_update(struct req *r)
{
	struct address_in in;

	if (read_address(r, OPTIONAL, &in) != 0)
		return 0;
	return update_address(r, &in);
}

/* DELETE /api/addresses/{id}: 204; 404 when absent or not the caller's. */
int addresses_delete(struct req *r)
{
	PGresult *res = db_query(&r->ctx, "DELETE FROM addresses WHERE id = $1 AND user_id = $2 RETURNING id",
				 r->param[0], r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return address_not_found(r);
	return reply_empty(r, 204);
}

int address_point(struct req *r, const char *id, const char **lat, const char **lng, const char **text)
{
	PGresult *res = db_query(&r->ctx, "SELECT latitude::text AS lat, longitude::text AS lng, "
				    "street || ', ' || city || ' ' || pincode AS addr "
				    "FROM addresses WHERE id = $1 AND user_id = $2", id, r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r), -1;
	if (PQntuples(res) != 1)
		return reply_error(r, 404, "ADDRESS_NOT_FOUND", "addressId", "No such address"), -1;
	*lat = arena_strdup(r->a, db_val(res, 0, "lat"));
	*lng = arena_strdup(r->a, db_val(res, 0, "lng"));
	*text = arena_strdup(r->a, db_val(res, 0, "addr"));
	return 0;
}
