/* deliveries.c: POST /api/delivery/book|cancel/{orderId}, POST /api/delivery/webhook (Borzo). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "borzo.h"
#include "conf.h"
#include "db.h"
#include "deliveries.h"
#include "handlers.h"
#include "http.h"
#include "jobs.h"
#include "jsonutil.h"
#include "order_fsm.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* What transaction 1 learnt about the order: enough for the payload. */
struct claim {
	const char *order_id, *number, *total, *street, *city, *pincode, *lat, *lng;
	const char *name, *phone, *slot_start, *slot_end, *kg, *search_from;
	int is_gift, lookup, attempts;
	int dispatched;	/* a rebooking: the order kept DISPATCHED after its courier was cancelled */
};

/* Borzo wants digits only, "91" + the 10-digit mobile. */
static const char *phone_digits(struct ctx *c, const char *in)
{
	char d[24];
	size_t n = 0;

	for (const char *p = in ? in : ""; *p && n < sizeof d - 1; p++)
		if (isdigit((unsigned char)*p))
			d[n++] = *p;
	d[n] = '\0';
	if (n == 10)
		return arena_printf(c->a, "91%s", d);
	if (n == 11 && d[0] == '0')
		return arena_printf(c->a, "91%s", d + 1);
	return arena_strdup(c->a, d);
}

static enum book_result say(char *msg, size_t msglen, enum book_result br, const char *text)
{
	snprintf(msg, msglen, "%s", text);
	return br;
}

/* ---- transaction 1: lock, check, mark IN_PROGRESS ---- */

static enum book_result check_order(struct ctx *c, struct claim *cl, char *msg, size_t msglen)
{
	char mins[16];

	snprintf(mins, sizeof mins, "%d", cfg->slot_minutes);
	PGresult *res = db_query(c,
		"SELECT o.status, o.order_number::text AS number, o.total_amount::text AS total, o.is_gift, "
		"o.address->>'street' AS street, o.address->>'city' AS city, o.address->>'pincode' AS pincode, "
		"o.address->>'latitude' AS lat, o.address->>'longitude' AS lng, "
		"coalesce(o.address->>'contactName', o.address->>'name', u.name) AS name, "
		"coalesce(o.address->>'contactPhone', o.address->>'phone', u.phone) AS phone, "
		SQL_TIME("o.delivery_slot") " AS slot_start, "
		SQL_TIME("o.delivery_slot + make_interval(mins => $2::int)") " AS slot_end, "
		"(SELECT greatest(1, ceil(coalesce(sum(i.weight_grams * i.quantity), 0) / 1000.0))::int "
		" FROM order_items i WHERE i.order_id = o.id)::text AS kg "
		"FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1 FOR UPDATE OF o", cl->order_id, mins);
	if (!res)
		return BOOK_DB_ERROR;
	if (PQntuples(res) != 1)
		return say(msg, msglen, BOOK_NOT_FOUND, "No such order");
	const char *st = db_val(res, 0, "status");
	if (strcmp(st, "PENDING") == 0)
		return say(msg, msglen, BOOK_NOT_PAID, "The order is not paid yet");
	cl->dispatched = strcmp(st, "DISPATCHED") == 0;	/* check_delivery decides */
	if (strcmp(st, "DELIVERED") == 0 || strcmp(st, "CANCELLED") == 0)
		return say(msg, msglen, BOOK_NOT_BOOKABLE, "The order is delivered or cancelled");
	cl->number = db_val(res, 0, "number");
	cl->total = db_val(res, 0, "total");
	cl->is_gift = db_bool(res, 0, "is_gift");
	cl->street = db_val(res, 0, "street");
	cl->city = db_val(res, 0, "city");
	cl->pincode = db_val(res, 0, "pincode");
	cl->lat = db_val(res, 0, "lat");
	cl->lng = db_val(res, 0, "lng");
	cl->name = db_val(res, 0, "name");
	cl->phone = phone_digits(c, db_val(res, 0, "phone"));
	cl->slot_start = db_val(res, 0, "slot_start");
	cl->slot_end = db_val(res, 0, "slot_end");
	cl->kg = db_val(res, 0, "kg");
	return BOOK_OK;
}

static enum book_result check_delivery(struct ctx *c, struct claim *cl, char *msg, size_t msglen)
{
	PGresult *res = db_query(c,
		"SELECT booking_state, outcome_unknown, coalesce(status IN ('CANCELLED', 'FAILED'), false) AS courier_gone, "
		"attempt_started_at < now() - make_interval(mins => " STR(BOOKING_STALE_MINUTES) ") AS stale "
		"FROM deliveries WHERE order_id = $1", cl->order_id);
	if (!res)
		return BOOK_DB_ERROR;
	if (PQntuples(res) == 0)
		return cl->dispatched ? say(msg, msglen, BOOK_ALREADY, "A courier is already booked for this order") : BOOK_OK;
	const char *bs = db_val(res, 0, "booking_state");
	/* a courier cancelled (by staff or by Borzo) or a failed delivery may be booked again */
	if (strcmp(bs, "CANCELLED") == 0 || (strcmp(bs, "BOOKED") == 0 && db_bool(res, 0, "courier_gone"))) {
		cl->lookup = 0;
		return BOOK_OK;
	}
	if (strcmp(bs, "BOOKED") == 0 || cl->dispatched)
		return say(msg, msglen, BOOK_ALREADY, "A courier is already booked for this order");
	if (strcmp(bs, "IN_PROGRESS") == 0 && !db_bool(res, 0, "stale"))
		return say(msg, msglen, BOOK_ALREADY, "A booking for this order is in progress");
	/* a stale IN_PROGRESS row or a lost answer: Borzo may have the order */
	cl->lookup = strcmp(bs, "IN_PROGRESS") == 0 || db_bool(res, 0, "outcome_unknown");
	return BOOK_OK;
}

static enum book_result mark_in_progress(struct ctx *c, struct claim *cl)
{
	PGresult *res = db_query(c,
		"INSERT INTO deliveries (order_id, booking_state, attempts, attempt_started_at) "
		"VALUES ($1, 'IN_PROGRESS', 1, now()) ON CONFLICT (order_id) DO UPDATE SET "
		"booking_state = 'IN_PROGRESS', attempts = deliveries.attempts + 1, attempt_started_at = now(), "
		"outcome_unknown = $2::boolean, updated_at = now(), "
		/* a rebooking forgets the cancelled Borzo order; its late callbacks match nothing */
		"borzo_order_id = CASE WHEN deliveries.booking_state = 'BOOKED' OR deliveries.booking_state = 'CANCELLED' "
		"  THEN NULL ELSE deliveries.borzo_order_id END, "
		"status = CASE WHEN deliveries.booking_state IN ('BOOKED', 'CANCELLED') THEN NULL ELSE deliveries.status END, "
		"courier_name = CASE WHEN deliveries.booking_state IN ('BOOKED', 'CANCELLED') THEN NULL ELSE deliveries.courier_name END, "
		"courier_phone = CASE WHEN deliveries.booking_state IN ('BOOKED', 'CANCELLED') THEN NULL ELSE deliveries.courier_phone END "
		"RETURNING attempts, " SQL_TIME("created_at - interval '10 minutes'") " AS search_from",
		cl->order_id, cl->lookup ? "true" : "false");
	if (!res || PQntuples(res) != 1)
		return BOOK_DB_ERROR;
	cl->attempts = atoi(db_val(res, 0, "attempts"));
	cl->search_from = db_val(res, 0, "search_from");
	return BOOK_OK;
}

static enum book_result claim_booking(struct ctx *c, struct claim *cl, char *msg, size_t msglen)
{
	enum book_result br;

	if (db_begin(c) != 0)
		return BOOK_DB_ERROR;
	if ((br = check_order(c, cl, msg, msglen)) != BOOK_OK || (br = check_delivery(c, cl, msg, msglen)) != BOOK_OK ||
	    (br = mark_in_progress(c, cl)) != BOOK_OK) {
		db_rollback(c);
		return br;
	}
	return db_commit(c) == 0 ? BOOK_OK : BOOK_DB_ERROR;
}

/* ---- the Borzo side ---- */

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static struct json_object *contact(const char *phone, const char *name)
{
	struct json_object *cp = json_object_new_object();
	add_str(cp, "phone", phone);
	add_str(cp, "name", name);
	return cp;
}

static struct json_object *kitchen_point(struct ctx *c)
{
	struct json_object *p = json_object_new_object();
	add_str(p, "address", cfg->store_address);
	add_str(p, "latitude", arena_printf(c->a, "%.6f", cfg->store_lat));
	add_str(p, "longitude", arena_printf(c->a, "%.6f", cfg->store_lng));
	json_object_object_add(p, "contact_person", contact(phone_digits(c, cfg->store_phone), cfg->store_name));
	add_str(p, "note", "fragile cake, keep upright");
	return p;
}

static struct json_object *customer_point(struct ctx *c, const struct claim *cl)
{
	struct json_object *p = json_object_new_object();
	add_str(p, "address", arena_printf(c->a, "%s, %s %s", cl->street ? cl->street : "", cl->city ? cl->city : "",
					   cl->pincode ? cl->pincode : ""));
	if (cl->lat && cl->lng) {
		add_str(p, "latitude", cl->lat);
		add_str(p, "longitude", cl->lng);
	}
	json_object_object_add(p, "contact_person", contact(cl->phone, cl->name));
	add_str(p, "required_start_datetime", cl->slot_start);
	add_str(p, "required_finish_datetime", cl->slot_end);
	add_str(p, "client_order_id", cl->number);
	add_str(p, "note", cl->is_gift ? "GIFT order: fragile cake, keep upright" : "fragile cake, keep upright");
	return p;
}

/* The create-order body (owned by the request). */
static struct json_object *create_payload(struct ctx *c, const struct claim *cl)
{
	struct json_object *b = json_own(c->a, json_object_new_object()), *pts = json_object_new_array();

	add_str(b, "type", "standard");
	add_str(b, "matter", "Fragile Cake");
	json_object_object_add(b, "vehicle_type_id", json_object_new_int(cfg->borzo_vehicle_type_id));
	json_object_object_add(b, "total_weight_kg", json_object_new_int(atoi(cl->kg ? cl->kg : "1")));
	add_str(b, "insurance_amount", cl->total);
	json_object_array_add(pts, kitchen_point(c));
	json_object_array_add(pts, customer_point(c, cl));
	json_object_object_add(b, "points", pts);
	return b;
}

/* 1 when one of the Borzo order's points carries our order number. */
static int order_is_ours(struct json_object *o, const char *number)
{
	struct json_object *pts, *st, *cid;
	if (!json_object_object_get_ex(o, "points", &pts) || !json_object_is_type(pts, json_type_array))
		return 0;
	if (json_object_object_get_ex(o, "status", &st) && json_object_is_type(st, json_type_string) &&
	    strcmp(json_object_get_string(st), "canceled") == 0)
		return 0;
	for (size_t i = 0; i < json_object_array_length(pts); i++) {
		struct json_object *p = json_object_array_get_idx(pts, i);
		if (json_object_object_get_ex(p, "client_order_id", &cid) && json_object_is_type(cid, json_type_string) &&
		    strcmp(json_object_get_string(cid), number) == 0)
			return 1;
	}
	return 0;
}

#define LOOKUP_MAX_PAGES 10

/* Resolves a lost answer: *found is our order at Borzo, or NULL when absent. */
static enum borzo_result lookup_order(struct ctx *c, const struct claim *cl, struct json_object **found,
				      char *err, size_t errlen)
{
	*found = NULL;
	for (int page = 0; page < LOOKUP_MAX_PAGES; page++) {
		struct json_object *orders;
		enum borzo_result br = borzo_get_orders(c->a, cl->search_from, page * 50, &orders, err, errlen);
		if (br != BORZO_OK)
			return br;
		size_t n = json_object_array_length(orders);
		for (size_t i = 0; i < n; i++)
			if (order_is_ours(json_object_array_get_idx(orders, i), cl->number)) {
				*found = json_object_array_get_idx(orders, i);
				return BORZO_OK;
			}
		if (n < 50)
			break;
	}
	return BORZO_OK;
}

/* ---- recording the outcome ---- */

/* FAILED with last_error; transient failures queue a retry job. */
static enum book_result record_failure(struct ctx *c, const struct claim *cl, enum book_result br,
				       int unknown, const char *err, char *msg, size_t msglen)
{
	/* the booking's failed attempts so far count for the job's back-off */
	int failed = cl->attempts < 1 ? 1 : cl->attempts > 10 ? 10 : cl->attempts;
	struct job_new retry = { .kind = "book_courier", .order_id = cl->order_id, .prior_failures = failed,
				 .delay_minutes = job_backoff_minutes(failed) };

	if (db_begin(c) != 0 ||
	    !db_query(c, "UPDATE deliveries SET booking_state = 'FAILED', last_error = $2, outcome_unknown = $3::boolean, "
			 "updated_at = now() WHERE order_id = $1", cl->order_id, err, unknown ? "true" : "false"))
		goto fail;
	if (br == BOOK_UNAVAILABLE && job_enqueue(c, &retry) != 0)
		goto fail;
	if (br == BOOK_REJECTED &&
	    order_flag_attention(c, cl->order_id, arena_printf(c->a, "Borzo refused the courier booking: %s", err)) != 0)
		goto fail;
	if (db_commit(c) != 0)
		goto fail;
	if (br == BOOK_REJECTED)
		snprintf(msg, msglen, "Borzo refused the booking: %s", err);
	else
		snprintf(msg, msglen, "No courier could be booked now (%s); a retry is queued", err);
	return br;
fail:
	db_rollback(c);
	return BOOK_DB_ERROR;
}

static const char *jstring(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* "name surname" of a Borzo courier object, or NULL. */
static const char *courier_name(struct ctx *c, struct json_object *courier)
{
	const char *n = jstring(courier, "name"), *s = jstring(courier, "surname");
	if (!n && !s)
		return NULL;
	return arena_printf(c->a, "%.100s%s%.100s", n ? n : "", n && s ? " " : "", s ? s : "");
}

static const char *drop_tracking_url(struct json_object *order)
{
	struct json_object *pts;
	if (!json_object_object_get_ex(order, "points", &pts) || !json_object_is_type(pts, json_type_array) ||
	    json_object_array_length(pts) < 2)
		return NULL;
	return jstring(json_object_array_get_idx(pts, 1), "tracking_url");
}

/* Transaction 2: store the Borzo order, DISPATCHED, "on the way" email. */
static enum book_result record_booking(struct ctx *c, const struct claim *cl, struct json_object *order,
				       const char *actor, char *msg, size_t msglen)
{
	struct json_object *id = NULL, *courier = NULL;
	json_object_object_get_ex(order, "order_id", &id);
	json_object_object_get_ex(order, "courier", &courier);
	if (!id || !json_object_is_type(id, json_type_int) || json_object_get_int64(id) <= 0)
		return record_failure(c, cl, BOOK_UNAVAILABLE, 1, "Borzo answered without an order id", msg, msglen);
	const char *bid = arena_printf(c->a, "%lld", (long long)json_object_get_int64(id));
	const char *cname = courier_name(c, courier);

	if (db_begin(c) != 0)
		return BOOK_DB_ERROR;
	if (!db_query(c, "UPDATE deliveries SET booking_state = 'BOOKED', borzo_order_id = $2::bigint, tracking_url = $3, "
			 "courier_name = $4, courier_phone = $5, status = CASE WHEN $4::text IS NULL THEN 'SEARCHING' ELSE 'ASSIGNED' END, "
			 "borzo_status = $6, price = CASE WHEN $7 ~ '^[0-9]+(\\.[0-9]{1,2})?$' THEN $7::numeric END, "
			 "booked_at = now(), outcome_unknown = false, last_error = NULL, updated_at = now() "
			 "WHERE order_id = $1",
		      cl->order_id, bid, drop_tracking_url(order), cname, cname ? jstring(courier, "phone") : NULL,
		      jstring(order, "status"), jstring(order, "payment_amount") ? jstring(order, "payment_amount") : ""))
		goto fail;
	enum fsm_result fr = order_transition(c, cl->order_id, "DISPATCHED", CAUSE_COURIER, actor,
					      arena_printf(c->a, "Borzo order %s", bid), NULL);
	if (fr == FSM_DB_ERROR)
		goto fail;
	if (fr != FSM_OK && fr != FSM_ALREADY &&
	    order_flag_attention(c, cl->order_id, arena_printf(c->a, "Borzo order %s was booked but the order can no longer "
							      "be dispatched: cancel it at Borzo", bid)) != 0)
		goto fail;
	/* a rebooking settles what the lost courier had flagged */
	if (cl->dispatched && !db_query(c, "UPDATE orders SET needs_attention = false, attention_reason = NULL "
					  "WHERE id = $1 AND (attention_reason LIKE 'Courier cancelled%' "
					  "OR attention_reason LIKE 'Borzo reports the delivery%')", cl->order_id))
		goto fail;
	if (db_commit(c) != 0)
		goto fail;
	snprintf(msg, msglen, "Borzo order %s booked", bid);
	return BOOK_OK;
fail:
	/* the row stays IN_PROGRESS: the next attempt finds the order at Borzo */
	db_rollback(c);
	return BOOK_DB_ERROR;
}

enum book_result delivery_book(struct ctx *c, const char *order_id, const char *actor, char *msg, size_t msglen)
{
	struct claim cl = { .order_id = order_id };
	struct json_object *order = NULL;
	char err[1024];
	enum borzo_result br;
	enum book_result res = claim_booking(c, &cl, msg, msglen);

	if (res != BOOK_OK)
		return res;
	if (cl.lookup) {
		br = lookup_order(c, &cl, &order, err, sizeof err);
		if (br != BORZO_OK)
			return record_failure(c, &cl, BOOK_UNAVAILABLE, 1, err, msg, msglen);
		if (order)
			log_info("order %s: found Borzo's order after a lost answer; not creating another", cl.number);
	}
	if (!order) {
		br = borzo_create_order(c->a, create_payload(c, &cl), &order, err, sizeof err);
		if (br == BORZO_REJECTED)
			return record_failure(c, &cl, BOOK_REJECTED, 0, err, msg, msglen);
		if (br != BORZO_OK)
			return record_failure(c, &cl, BOOK_UNAVAILABLE, br == BORZO_TIMEOUT, err, msg, msglen);
	}
	return record_booking(c, &cl, order, actor, msg, msglen);
}

/* ---- handlers ---- */

/* The deliveries row of an order as JSON; NULL on a DB error or no row. */
static struct json_object *delivery_json(struct req *r, const char *order_id)
{
	PGresult *res = db_query(&r->ctx,
		"SELECT order_id, booking_state, status, borzo_order_id, tracking_url, courier_name, courier_phone, "
		"attempts, last_error, " SQL_TIME("booked_at") " AS booked_at, " SQL_TIME("delivered_at") " AS delivered_at "
		"FROM deliveries WHERE order_id = $1", order_id);
	if (!res || PQntuples(res) != 1)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "orderId", jstr(db_val(res, 0, "order_id")));
	json_object_object_add(o, "bookingState", jstr(db_val(res, 0, "booking_state")));
	json_object_object_add(o, "deliveryStatus", jstr(db_val(res, 0, "status")));
	const char *bid = db_val(res, 0, "borzo_order_id");
	json_object_object_add(o, "borzoOrderId", bid ? jint(atoll(bid)) : NULL);
	json_object_object_add(o, "trackingUrl", jstr(db_val(res, 0, "tracking_url")));
	json_object_object_add(o, "courierName", jstr(db_val(res, 0, "courier_name")));
	json_object_object_add(o, "courierPhone", jstr(db_val(res, 0, "courier_phone")));
	json_object_object_add(o, "attempts", jint(atoi(db_val(res, 0, "attempts"))));
	json_object_object_add(o, "lastError", jstr(db_val(res, 0, "last_error")));
	json_object_object_add(o, "bookedAt", jstr(db_val(res, 0, "booked_at")));
	json_object_object_add(o, "deliveredAt", jstr(db_val(res, 0, "delivered_at")));
	return o;
}

static int reply_delivery(struct req *r, const char *order_id)
{
	struct json_object *o = delivery_json(r, order_id);
	return o ? reply_json(r, 200, o) : reply_db_error(r);
}

int delivery_book_post(struct req *r)
{
	const char *id = r->param[0];
	char msg[1200];

	switch (delivery_book(&r->ctx, id, arena_printf(r->a, "admin:%s", r->ctx.who.user_id), msg, sizeof msg)) {
	case BOOK_OK:
		return reply_delivery(r, id);
	case BOOK_NOT_FOUND:
		return reply_error(r, 404, "NOT_FOUND", NULL, "No such order");
	case BOOK_NOT_PAID:
		return reply_error(r, 409, "NOT_PAID", NULL, "%s", msg);
	case BOOK_ALREADY:
		return reply_error(r, 409, "ALREADY_BOOKED", NULL, "%s", msg);
	case BOOK_NOT_BOOKABLE:
		return reply_error(r, 409, "NOT_BOOKABLE", NULL, "%s", msg);
	case BOOK_REJECTED:
		return reply_error(r, 422, "BOOKING_REJECTED", NULL, "%s", msg);
	case BOOK_UNAVAILABLE:
		return reply_error(r, 503, "COURIER_UNAVAILABLE", NULL, "%s", msg);
	case BOOK_DB_ERROR:
		break;
	}
	return reply_db_error(r);
}

/* After Borzo cancelled: the delivery is CANCELLED, the order stays
 * DISPATCHED and is flagged, so staff rebook or deliver by hand. */
static int record_cancel(struct req *r, const char *order_id)
{
	if (db_begin(&r->ctx) != 0 ||
	    !db_query(&r->ctx, "UPDATE deliveries SET booking_state = 'CANCELLED', status = 'CANCELLED', cancelled_at = now(), "
			 "updated_at = now() WHERE order_id = $1", order_id) ||
	    order_flag_attention(&r->ctx, order_id, arena_printf(r->a, "Courier cancelled by admin:%s: rebook or deliver by hand",
							   r->ctx.who.user_id)) != 0 ||
	    db_commit(&r->ctx) != 0) {
		db_rollback(&r->ctx);
		return -1;
	}
	return 0;
}

int delivery_cancel_post(struct req *r)
{
	const char *id = r->param[0], *code;
	char err[1024];

	PGresult *res = db_query(&r->ctx, "SELECT d.booking_state, d.borzo_order_id, d.status FROM orders o "
				    "LEFT JOIN deliveries d ON d.order_id = o.id WHERE o.id = $1", id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return reply_error(r, 404, "NOT_FOUND", NULL, "No such order");
	const char *bs = db_val(res, 0, "booking_state"), *st = db_val(res, 0, "status");
	if (!bs || strcmp(bs, "BOOKED") != 0 || !db_val(res, 0, "borzo_order_id"))
		return reply_error(r, 409, "NOT_BOOKED", NULL, "No courier is booked for this order");
	if (st && (strcmp(st, "COMPLETED") == 0 || strcmp(st, "CANCELLED") == 0 || strcmp(st, "FAILED") == 0))
		return reply_error(r, 409, "CANNOT_CANCEL", NULL, "The delivery is already %s", st);
	switch (borzo_cancel_order(r->a, atoll(db_val(res, 0, "borzo_order_id")), &code, err, sizeof err)) {
	case BORZO_OK:
		return record_cancel(r, id) == 0 ? reply_delivery(r, id) : reply_db_error(r);
	case BORZO_REJECTED:
		if (code && strcmp(code, "order_cannot_be_canceled") == 0)
			return reply_error(r, 409, "CANNOT_CANCEL", NULL, "Borzo no longer allows cancelling this order");
		return reply_error(r, 422, "CANCEL_REJECTED", NULL, "Borzo refused: %s", err);
	default:
		return reply_error(r, 503, "COURIER_UNAVAILABLE", NULL, "Borzo could not be reached; try again");
	}
}

/* ---- Borzo callbacks (borzo.md §5, §6) ---- */

/* Our delivery statuses by rank: a callback only ever moves forward. */
static int status_rank(const char *s)
{
	if (!s || strcmp(s, "SEARCHING") == 0)
		return 0;
	if (strcmp(s, "ASSIGNED") == 0)
		return 1;
	if (strcmp(s, "PICKED_UP") == 0)
		return 2;
	return 3;	/* COMPLETED, CANCELLED, FAILED: final */
}

static const struct { const char *borzo, *ours; } delivery_map[] = {
	{ "courier_assigned", "ASSIGNED" }, { "courier_departed", "ASSIGNED" }, { "courier_at_pickup", "ASSIGNED" },
	{ "parcel_picked_up", "PICKED_UP" }, { "active", "PICKED_UP" }, { "courier_arrived", "PICKED_UP" },
	{ "finished", "COMPLETED" }, { "canceled", "CANCELLED" }, { "failed", "FAILED" },
};

/* A callback reduced to what we act on. */
struct borzo_event {
	long long borzo_order_id;
	const char *raw_status;		/* Borzo's word */
	const char *status;		/* ours, or NULL when it moves nothing */
	const char *courier_name, *courier_phone;
};

static const char *map_delivery_status(const char *s)
{
	for (size_t i = 0; s && i < sizeof delivery_map / sizeof delivery_map[0]; i++)
		if (strcmp(delivery_map[i].borzo, s) == 0)
			return delivery_map[i].ours;
	return NULL;
}

/* Order statuses: completed, canceled; active with a courier is ASSIGNED, or
 * PICKED_UP once the pickup point has been visited. */
static const char *map_order_status(const char *s, struct json_object *order, int has_courier)
{
	struct json_object *pts;
	if (!s)
		return NULL;
	if (strcmp(s, "completed") == 0)
		return "COMPLETED";
	if (strcmp(s, "canceled") == 0)
		return "CANCELLED";
	if (strcmp(s, "active") != 0 || !has_courier)
		return NULL;
	if (json_object_object_get_ex(order, "points", &pts) && json_object_is_type(pts, json_type_array) &&
	    json_object_array_length(pts) > 0 &&
	    jstring(json_object_array_get_idx(pts, 0), "courier_visit_datetime"))
		return "PICKED_UP";
	return "ASSIGNED";
}

/* Fills ev from the body. 1 parsed, 0 an event we do not act on, -1 malformed. */
static int parse_event(struct req *r, struct json_object *body, struct borzo_event *ev)
{
	const char *type = jstring(body, "event_type");
	int is_order = type && (strcmp(type, "order_changed") == 0 || strcmp(type, "order_created") == 0);
	int is_delivery = type && (strcmp(type, "delivery_changed") == 0 || strcmp(type, "delivery_created") == 0);
	struct json_object *obj, *id, *courier = NULL;

	if (!is_order && !is_delivery)
		return 0;
	if (!json_object_object_get_ex(body, is_order ? "order" : "delivery", &obj) ||
	    !json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, "order_id", &id) ||
	    !json_object_is_type(id, json_type_int) || json_object_get_int64(id) <= 0 ||
	    json_object_get_int64(id) == INT64_MAX)
		return -1;
	ev->borzo_order_id = (long long)json_object_get_int64(id);
	ev->raw_status = jstring(obj, "status");
	json_object_object_get_ex(obj, "courier", &courier);
	if (courier && !json_object_is_type(courier, json_type_object))
		courier = NULL;
	ev->courier_name = courier_name(&r->ctx, courier);
	ev->courier_phone = jstring(courier, "phone");
	if (ev->courier_name && text_has_controls(ev->courier_name, strlen(ev->courier_name), TEXT_SINGLE_LINE))
		ev->courier_name = NULL;
	if (ev->courier_phone && (strlen(ev->courier_phone) > 20 ||
				  text_has_controls(ev->courier_phone, strlen(ev->courier_phone), TEXT_SINGLE_LINE)))
		ev->courier_phone = NULL;
	ev->status = is_order ? map_order_status(ev->raw_status, obj, courier != NULL)
			      : map_delivery_status(ev->raw_status);
	return 1;
}

/* The consequences on the order of a delivery that reached a final status. */
static int apply_final(struct req *r, const char *order_id, const struct borzo_event *ev)
{
	if (strcmp(ev->status, "COMPLETED") != 0)
		return order_flag_attention(&r->ctx, order_id, arena_printf(r->a, "Borzo reports the delivery %s: "
								      "rebook or deliver by hand", ev->raw_status));
	enum fsm_result fr = order_transition(&r->ctx, order_id, "DELIVERED", CAUSE_BORZO, "borzo",
					      arena_printf(r->a, "Borzo order %lld completed", ev->borzo_order_id), NULL);
	if (fr == FSM_DB_ERROR)
		return -1;
	if (fr == FSM_ILLEGAL || fr == FSM_NOT_FOUND)
		return order_flag_attention(&r->ctx, order_id, "Borzo completed a delivery for an order that was not DISPATCHED");
	return 0;	/* the FSM queued the "delivered" email */
}

/* Applies ev inside one transaction. 1 applied or harmless, 0 unknown order, -1 DB error. */
static int apply_event(struct req *r, const struct borzo_event *ev)
{
	const char *bid = arena_printf(r->a, "%lld", ev->borzo_order_id);

	if (db_begin(&r->ctx) != 0)
		return -1;
	PGresult *res = db_query(&r->ctx, "SELECT order_id, status, booking_state FROM deliveries "
				    "WHERE borzo_order_id = $1::bigint FOR UPDATE", bid);
	if (!res)
		goto fail;
	if (PQntuples(res) == 0) {
		db_rollback(&r->ctx);
		return 0;
	}
	const char *order_id = db_val(res, 0, "order_id"), *cur = db_val(res, 0, "status");
	/* forward only: duplicates and late, older events change nothing */
	if (!ev->status || strcmp(db_val(res, 0, "booking_state"), "BOOKED") != 0 ||
	    status_rank(ev->status) <= status_rank(cur)) {
		db_rollback(&r->ctx);
		return 1;
	}
	if (!db_query(&r->ctx, "UPDATE deliveries SET status = $2, borzo_status = $3, "
			 "courier_name = coalesce($4, courier_name), courier_phone = coalesce($5, courier_phone), "
			 "picked_up_at = CASE WHEN $2 IN ('PICKED_UP', 'COMPLETED') THEN coalesce(picked_up_at, now()) ELSE picked_up_at END, "
			 "delivered_at = CASE WHEN $2 = 'COMPLETED' THEN now() ELSE delivered_at END, updated_at = now() "
			 "WHERE order_id = $1", order_id, ev->status, ev->raw_status, ev->courier_name, ev->courier_phone))
		goto fail;
	if (status_rank(ev->status) == 3 && apply_final(r, order_id, ev) != 0)
		goto fail;
	return db_commit(&r->ctx) == 0 ? 1 : -1;
fail:
	db_rollback(&r->ctx);
	return -1;
}

/* ---- the dispatch pass: what callbacks may have missed ---- */

int deliveries_refresh(struct req *r, int limit, int64_t deadline_ms, int *updated)
{
	const char *lim = arena_printf(r->a, "%d", limit);
	PGresult *res = db_query(&r->ctx,
		"SELECT borzo_order_id::text AS bid FROM deliveries WHERE booking_state = 'BOOKED' "
		"AND borzo_order_id IS NOT NULL AND coalesce(status, 'SEARCHING') IN ('SEARCHING', 'ASSIGNED', 'PICKED_UP') "
		"AND updated_at < now() - interval '" DELIVERY_REFRESH_AFTER "' ORDER BY updated_at LIMIT $1::int", lim);
	char err[512];

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res) && mono_ms() < deadline_ms; i++) {
		const char *bid = db_val(res, i, "bid");
		struct json_object *order, *ev_body;
		struct borzo_event ev = { 0 };
		/* touched first: each delivery is asked about at most every few minutes */
		if (!db_query(&r->ctx, "UPDATE deliveries SET updated_at = now() WHERE borzo_order_id = $1::bigint", bid))
			return -1;
		if (borzo_get_order(r->a, atoll(bid), &order, err, sizeof err) != BORZO_OK || !order) {
			log_warn("refresh of Borzo order %s: %s", bid, order ? err : "not found at Borzo");
			continue;
		}
		/* Borzo's current order, read as the order_changed callback it would have sent */
		ev_body = json_own(r->a, json_object_new_object());
		json_object_object_add(ev_body, "event_type", json_object_new_string("order_changed"));
		json_object_object_add(ev_body, "order", json_object_get(order));
		if (parse_event(r, ev_body, &ev) != 1 || !ev.status)
			continue;
		int rc = apply_event(r, &ev);
		if (rc < 0)
			return -1;
		*updated += rc;
	}
	return 0;
}

int delivery_webhook(struct req *r)
{
	const char *sig = req_header(r, "HTTP_X_DV_SIGNATURE");
	const char *secret = cfg->borzo_callback_secret;
	struct borzo_event ev = { 0 };
	char err[160];

	if (!sig || !secret || !*secret || !auth_hmac_verify(secret, r->body, r->body_len, sig))
		return reply_error(r, 401, "INVALID_SIGNATURE", NULL, "X-DV-Signature does not match the body");
	struct json_object *body = json_own(r->a, json_parse_strict(r->body, r->body_len, err, sizeof err));
	if (!body)
		return reply_error(r, 400, "MALFORMED_JSON", NULL, "%s", err);
	int rc = parse_event(r, body, &ev);
	if (rc < 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "order_id", "The event has no order or delivery with an order_id");
	if (rc == 0)
		return reply_json(r, 200, json_object_new_object());
	rc = apply_event(r, &ev);
	if (rc < 0)
		return reply_db_error(r);
	if (rc == 0)
		log_info("borzo callback for unknown order %lld (%s): acknowledged", ev.borzo_order_id,
			 ev.raw_status ? ev.raw_status : "-");
	return reply_json(r, 200, json_object_new_object());
}
