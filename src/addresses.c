/* addresses.c: the acting customer's delivery addresses, the per-user limit and the delivery radius. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "addresses.h"
#include "arena.h"
#include "conf.h"
#include "db.h"
#include "json.h"

#define EARTH_RADIUS_KM 6371.0088

/* lat/lng come back in their shortest text form so that JSON shows 12.9716, not 12.971600000000001 */
/* clang-format off */
#define ADDRESS_COLUMNS "id, label, street, city, pincode, latitude::float8::text AS latitude, " \
	"longitude::float8::text AS longitude, " SQL_TIME("created_at") " AS created_at"
/* clang-format on */

/* ---- pure rules ---- */

int address_pincode_ok(const char *s)
{
	if (strlen(s) != 6 || s[0] < '1' || s[0] > '9')
		return 0;
	for (int i = 1; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

double address_distance_km(double lat1, double lng1, double lat2, double lng2)
{
	double rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlng = (lng2 - lng1) * rad;
	double h = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlng / 2) * sin(dlng / 2);
	return 2 * EARTH_RADIUS_KM * asin(fmin(1.0, sqrt(h)));
}

enum outcome address_in_delivery_area(double lat, double lng, double *km)
{
	*km = address_distance_km(cfg->store_lat, cfg->store_lng, lat, lng);
	return *km <= cfg->delivery_radius_km ? OK : E_OUT_OF_DELIVERY_AREA;
}

/* ---- rows and answers ---- */

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

/* out->address from row 0 of res; OK. */
static enum outcome answer(struct ctx *c, PGresult *res, struct address_result *out)
{
	out->address = json_own(c->a, address_json(res, 0));
	return OK;
}

enum outcome address_list(struct ctx *c, int64_t limit, int64_t offset, struct json_object **page)
{
	const char *ls = arena_printf(c->a, "%lld", (long long)limit);
	const char *os = arena_printf(c->a, "%lld", (long long)offset);

	*page = NULL;
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT " ADDRESS_COLUMNS ", count(*) OVER () AS total FROM addresses WHERE user_id = $1 "
		"ORDER BY addresses.created_at, addresses.id LIMIT $2::int OFFSET $3::int", c->who.user_id, ls, os);
	/* clang-format on */
	if (!res)
		return E_DB;
	int64_t total = 0;
	if (PQntuples(res) > 0) {
		total = strtoll(db_val(res, 0, "total"), NULL, 10);
	} else if (offset > 0) {
		/* past the end: the window count is not there, ask for it */
		PGresult *n = db_query(c, "SELECT count(*) FROM addresses WHERE user_id = $1", c->who.user_id);
		if (!n)
			return E_DB;
		total = strtoll(PQgetvalue(n, 0, 0), NULL, 10);
	}
	struct json_object *items = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, address_json(res, i));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", jint(total));
	json_object_object_add(o, "limit", jint(limit));
	json_object_object_add(o, "offset", jint(offset));
	*page = json_own(c->a, o);
	return OK;
}

/* A create or an edit as db_tx runs it. */
struct address_write {
	const char *id; /* NULL for a create */
	const struct address_fields *in;
	struct address_result *out;
};

/* Inserts under a lock on the user row, so that concurrent creates respect the cap. */
static enum outcome insert_address(struct ctx *c, void *arg)
{
	const struct address_write *w = arg;
	const struct address_fields *in = w->in;
	PGresult *res;

	if (!db_query(c, "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", c->who.user_id) ||
	    !(res = db_query(c, "SELECT count(*) FROM addresses WHERE user_id = $1", c->who.user_id)))
		return E_DB;
	if (atoi(PQgetvalue(res, 0, 0)) >= ADDRESS_LIMIT)
		return E_ADDRESS_LIMIT;
	if (!(res = db_query(c, "INSERT INTO addresses (user_id, label, street, city, pincode, latitude, longitude) "
				"VALUES ($1, $2, $3, $4, $5, round($6::numeric, 6), round($7::numeric, 6)) RETURNING " ADDRESS_COLUMNS,
			     c->who.user_id, in->label, in->street, in->city, in->pincode, in->lat_text, in->lng_text)))
		return E_DB;
	return answer(c, res, w->out);
}

enum outcome address_create(struct ctx *c, const struct address_fields *in, struct address_result *out)
{
	struct address_write w = { NULL, in, out };

	memset(out, 0, sizeof *out);
	if (address_in_delivery_area(in->lat, in->lng, &out->distance_km) != OK)
		return E_OUT_OF_DELIVERY_AREA;
	return db_tx(c, insert_address, &w);
}

enum outcome address_get(struct ctx *c, const char *id, struct address_result *out)
{
	memset(out, 0, sizeof *out);
	/* clang-format off */
	PGresult *res = db_query(c, "SELECT " ADDRESS_COLUMNS " FROM addresses WHERE id = $1 AND user_id = $2",
				 id, c->who.user_id);
	/* clang-format on */
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ADDRESS_NOT_FOUND;
	return answer(c, res, out);
}

/* Applies the fields present; the merged point must stay in the delivery area. */
static enum outcome update_address(struct ctx *c, void *arg)
{
	const struct address_write *w = arg;
	const struct address_fields *in = w->in;
	PGresult *res;

	if (!(res = db_query(c, "SELECT latitude::float8 AS lat, longitude::float8 AS lng FROM addresses "
				"WHERE id = $1 AND user_id = $2 FOR UPDATE",
			     w->id, c->who.user_id)))
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ADDRESS_NOT_FOUND;
	double lat = in->lat_text ? in->lat : strtod(db_val(res, 0, "lat"), NULL);
	double lng = in->lng_text ? in->lng : strtod(db_val(res, 0, "lng"), NULL);
	if ((in->lat_text || in->lng_text) && address_in_delivery_area(lat, lng, &w->out->distance_km) != OK)
		return E_OUT_OF_DELIVERY_AREA;
	if (!(res = db_query(c,
			     "UPDATE addresses SET label = CASE WHEN $3 THEN $4 ELSE label END, street = COALESCE($5, street), "
			     "city = COALESCE($6, city), pincode = COALESCE($7, pincode), "
			     "latitude = COALESCE(round($8::numeric, 6), latitude), longitude = COALESCE(round($9::numeric, 6), longitude), "
			     "updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING " ADDRESS_COLUMNS,
			     w->id, c->who.user_id, in->label_set ? "true" : "false", in->label,
			     in->street, in->city, in->pincode, in->lat_text, in->lng_text)))
		return E_DB;
	return answer(c, res, w->out);
}

enum outcome address_update(struct ctx *c, const char *id, const struct address_fields *in, struct address_result *out)
{
	struct address_write w = { id, in, out };

	memset(out, 0, sizeof *out);
	return db_tx(c, update_address, &w);
}

enum outcome address_delete(struct ctx *c, const char *id)
{
	PGresult *res = db_query(c, "DELETE FROM addresses WHERE id = $1 AND user_id = $2 RETURNING id",
				 id, c->who.user_id);
	if (!res)
		return E_DB;
	return PQntuples(res) == 1 ? OK : E_ADDRESS_NOT_FOUND;
}

enum outcome address_point(struct ctx *c, const char *id, const char **lat, const char **lng, const char **text)
{
	PGresult *res = db_query(c, "SELECT latitude::text AS lat, longitude::text AS lng, "
				    "street || ', ' || city || ' ' || pincode AS addr "
				    "FROM addresses WHERE id = $1 AND user_id = $2",
				 id, c->who.user_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ADDRESS_NOT_FOUND;
	*lat = arena_strdup(c->a, db_val(res, 0, "lat"));
	*lng = arena_strdup(c->a, db_val(res, 0, "lng"));
	*text = arena_strdup(c->a, db_val(res, 0, "addr"));
	return OK;
}
