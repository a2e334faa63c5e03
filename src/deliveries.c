/* deliveries.c: Borzo couriers for orders: booking exactly once, cancellation, Borzo's events, the catch-up pass. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "borzo.h"
#include "conf.h"
#include "db.h"
#include "deliveries.h"
#include "delivery_status.h"
#include "early_events.h"
#include "jobs.h"
#include "json.h"
#include "order_fsm.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* What transaction 1 learnt about the order: enough for the payload. */
struct claim {
	const char *order_id, *number, *total, *street, *city, *pincode, *lat, *lng;
	const char *name, *phone, *slot_start, *slot_end, *kg, *search_from;
	int is_gift, lookup, attempts;
	int dispatched; /* a rebooking: the order kept DISPATCHED after its courier was cancelled */
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
	/* clang-format off */
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
	/* clang-format on */
	if (!res)
		return BOOK_DB_ERROR;
	if (PQntuples(res) != 1)
		return say(msg, msglen, BOOK_NOT_FOUND, "No such order");
	const char *st = db_val(res, 0, "status");
	if (strcmp(st, "PENDING") == 0)
		return say(msg, msglen, BOOK_NOT_PAID, "The order is not paid yet");
	cl->dispatched = strcmp(st, "DISPATCHED") == 0; /* check_delivery decides */
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
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT booking_state, outcome_unknown, coalesce(status IN ('CANCELLED', 'FAILED'), false) AS courier_gone, "
		"attempt_started_at < now() - make_interval(mins => " STR(BOOKING_STALE_MINUTES) ") AS stale "
		"FROM deliveries WHERE order_id = $1", cl->order_id);
	/* clang-format on */
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
				 /* clang-format off */
		"borzo_order_id = CASE WHEN deliveries.booking_state = 'BOOKED' OR deliveries.booking_state = 'CANCELLED' "
		"  THEN NULL ELSE deliveries.borzo_order_id END, "
		"status = CASE WHEN deliveries.booking_state IN ('BOOKED', 'CANCELLED') THEN NULL ELSE deliveries.status END, "
		"courier_name = CASE WHEN deliveries.booking_state IN ('BOOKED', 'CANCELLED') THEN NULL ELSE deliveries.courier_name END, "
		"courier_phone = CASE WHEN deliveries.booking_state IN ('BOOKED', 'CANCELLED') THEN NULL ELSE deliveries.courier_phone END "
		"RETURNING attempts, " SQL_TIME("created_at - interval '10 minutes'") " AS search_from",
		cl->order_id, cl->lookup ? "true" : "false");
	/* clang-format on */
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
	add_str(p, "address", arena_printf(c->a, "%s, %s %s", cl->street ? cl->street : "", cl->city ? cl->city : "", cl->pincode ? cl->pincode : ""));
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
	int failed = cl->attempts < 1 ? 1 : cl->attempts > 10 ? 10
							      : cl->attempts;
	struct job_new retry = { .kind = "book_courier", .order_id = cl->order_id, .prior_failures = failed, .delay_minutes = job_backoff_minutes(failed) };

	if (db_begin(c) != 0 ||
	    !db_query(c, "UPDATE deliveries SET booking_state = 'FAILED', last_error = $2, outcome_unknown = $3::boolean, "
			 "updated_at = now() WHERE order_id = $1",
		      cl->order_id, err, unknown ? "true" : "false"))
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

static const char *drop_tracking_url(struct json_object *order)
{
	struct json_object *pts;
	if (!json_object_object_get_ex(order, "points", &pts) || !json_object_is_type(pts, json_type_array) ||
	    json_object_array_length(pts) < 2)
		return NULL;
	return borzo_str(json_object_array_get_idx(pts, 1), "tracking_url");
}

static int apply_kept(struct ctx *c, const char *type, struct json_object *body, void *arg);

/* Transaction 2: store the Borzo order, DISPATCHED, "on the way" email, and
 * the callbacks about it that arrived before this commit. */
static enum book_result record_booking(struct ctx *c, const struct claim *cl, struct json_object *order,
				       const char *actor, char *msg, size_t msglen)
{
	struct json_object *id = NULL, *courier = NULL;
	json_object_object_get_ex(order, "order_id", &id);
	json_object_object_get_ex(order, "courier", &courier);
	if (!id || !json_object_is_type(id, json_type_int) || json_object_get_int64(id) <= 0)
		return record_failure(c, cl, BOOK_UNAVAILABLE, 1, "Borzo answered without an order id", msg, msglen);
	const char *bid = arena_printf(c->a, "%lld", (long long)json_object_get_int64(id));
	const char *cname = borzo_courier_name(c->a, courier);

	/* the lock a callback about bid takes too: it waits for this commit, or was kept before it */
	if (db_begin(c) != 0)
		return BOOK_DB_ERROR;
	if (early_lock(c, "borzo", bid) != 0)
		goto fail;
	if (!db_query(c, "UPDATE deliveries SET booking_state = 'BOOKED', borzo_order_id = $2::bigint, tracking_url = $3, "
			 "courier_name = $4, courier_phone = $5, status = CASE WHEN $4::text IS NULL THEN 'SEARCHING' ELSE 'ASSIGNED' END, "
			 "borzo_status = $6, price = CASE WHEN $7 ~ '^[0-9]+(\\.[0-9]{1,2})?$' THEN $7::numeric END, "
			 "booked_at = now(), outcome_unknown = false, last_error = NULL, updated_at = now() "
			 "WHERE order_id = $1",
		      cl->order_id, bid, drop_tracking_url(order), cname, cname ? borzo_str(courier, "phone") : NULL,
		      borzo_str(order, "status"), borzo_str(order, "payment_amount") ? borzo_str(order, "payment_amount") : ""))
		goto fail;
	enum fsm_result fr = order_transition(c, cl->order_id, "DISPATCHED", CAUSE_COURIER, actor,
					      arena_printf(c->a, "Borzo order %s", bid), NULL);
	if (fr == FSM_DB_ERROR)
		goto fail;
	if (fr != FSM_OK && fr != FSM_ALREADY &&
	    order_flag_attention(c, cl->order_id, arena_printf(c->a, "Borzo order %s was booked but the order can no longer "
								     "be dispatched: cancel it at Borzo",
							       bid)) != 0)
		goto fail;
	/* a rebooking settles what the lost courier had flagged */
	if (cl->dispatched && !db_query(c, "UPDATE orders SET needs_attention = false, attention_reason = NULL "
					   "WHERE id = $1 AND (attention_reason LIKE 'Courier cancelled%' "
					   "OR attention_reason LIKE 'Borzo reports the delivery%')",
					cl->order_id))
		goto fail;
	/* callbacks Borzo sent before this commit, applied with it */
	if (early_apply(c, "borzo", bid, apply_kept, NULL) < 0)
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

/* ---- what staff see and do ---- */

struct json_object *delivery_json(struct ctx *c, const char *order_id)
{
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT order_id, booking_state, status, borzo_order_id, tracking_url, courier_name, courier_phone, "
		"attempts, last_error, " SQL_TIME("booked_at") " AS booked_at, " SQL_TIME("delivered_at") " AS delivered_at "
		"FROM deliveries WHERE order_id = $1", order_id);
	/* clang-format on */
	if (!res || PQntuples(res) != 1)
		return NULL;
	struct json_object *o = json_own(c->a, json_object_new_object());
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

/* OK with the delivery in out->view, or E_DB. */
static enum outcome answer_delivery(struct ctx *c, const char *order_id, struct delivery_answer *out)
{
	out->view = delivery_json(c, order_id);
	return out->view ? OK : E_DB;
}

static enum outcome book_outcome(enum book_result br)
{
	switch (br) {
	case BOOK_OK:
		return OK;
	case BOOK_NOT_FOUND:
		return E_ORDER_NOT_FOUND;
	case BOOK_NOT_PAID:
		return E_NOT_PAID;
	case BOOK_ALREADY:
		return E_ALREADY_BOOKED;
	case BOOK_NOT_BOOKABLE:
		return E_NOT_BOOKABLE;
	case BOOK_REJECTED:
		return E_BOOKING_REJECTED;
	case BOOK_UNAVAILABLE:
		return E_COURIER_UNAVAILABLE;
	case BOOK_DB_ERROR:
		break;
	}
	return E_DB;
}

enum outcome delivery_book_view(struct ctx *c, const char *order_id, struct delivery_answer *out)
{
	char msg[1200] = "";
	enum book_result br = delivery_book(c, order_id, ctx_actor(c), msg, sizeof msg);

	*out = (struct delivery_answer){ 0 };
	if (br == BOOK_OK)
		return answer_delivery(c, order_id, out);
	if (br != BOOK_NOT_FOUND && br != BOOK_DB_ERROR)
		out->message = arena_strdup(c->a, msg);
	return book_outcome(br);
}

/* After Borzo cancelled: the delivery is CANCELLED, the order stays
 * DISPATCHED and is flagged, so staff rebook or deliver by hand. */
static enum outcome record_cancel(struct ctx *c, void *order_id)
{
	if (!db_query(c, "UPDATE deliveries SET booking_state = 'CANCELLED', status = 'CANCELLED', cancelled_at = now(), "
			 "updated_at = now() WHERE order_id = $1",
		      (const char *)order_id) ||
	    order_flag_attention(c, order_id, arena_printf(c->a, "Courier cancelled by %s: rebook or deliver by hand", ctx_actor(c))) != 0)
		return E_DB;
	return OK;
}

enum outcome delivery_cancel(struct ctx *c, const char *order_id, struct delivery_answer *out)
{
	const char *code = NULL;
	char err[1024];

	*out = (struct delivery_answer){ 0 };
	PGresult *res = db_query(c, "SELECT d.booking_state, d.borzo_order_id, d.status FROM orders o "
				    "LEFT JOIN deliveries d ON d.order_id = o.id WHERE o.id = $1",
				 order_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ORDER_NOT_FOUND;
	const char *bs = db_val(res, 0, "booking_state"), *st = db_val(res, 0, "status");
	const char *bid = db_val(res, 0, "borzo_order_id");
	/* only a booked courier still on its way can be cancelled */
	if (!bs || strcmp(bs, "BOOKED") != 0 || !bid)
		return E_NOT_BOOKED;
	if (st && delivery_status_rank(st) == DELIVERY_RANK_FINAL) {
		out->message = arena_printf(c->a, "The delivery is already %s", st);
		return E_CANNOT_CANCEL;
	}
	switch (borzo_cancel_order(c->a, atoll(bid), &code, err, sizeof err)) {
	case BORZO_OK:
		if (db_tx(c, record_cancel, (void *)order_id) != OK)
			return E_DB;
		return answer_delivery(c, order_id, out);
	case BORZO_REJECTED:
		if (code && strcmp(code, "order_cannot_be_canceled") == 0)
			return E_CANNOT_CANCEL;
		out->message = arena_printf(c->a, "Borzo refused: %s", err);
		return E_CANCEL_REJECTED;
	default:
		out->message = "Borzo could not be reached; try again";
		return E_COURIER_UNAVAILABLE;
	}
}

/* ---- Borzo's events (callbacks and the catch-up) ---- */

/* The consequences on the order of a delivery that reached a final status. */
static int apply_final(struct ctx *c, const char *order_id, const struct borzo_event *ev)
{
	if (strcmp(ev->status, "COMPLETED") != 0)
		return order_flag_attention(c, order_id, arena_printf(c->a, "Borzo reports the delivery %s: "
									    "rebook or deliver by hand",
								      ev->raw_status));
	enum fsm_result fr = order_transition(c, order_id, "DELIVERED", CAUSE_BORZO, "borzo",
					      arena_printf(c->a, "Borzo order %lld completed", ev->borzo_order_id), NULL);
	if (fr == FSM_DB_ERROR)
		return -1;
	if (fr == FSM_ILLEGAL || fr == FSM_NOT_FOUND)
		return order_flag_attention(c, order_id, "Borzo completed a delivery for an order that was not DISPATCHED");
	return 0; /* the FSM queued the "delivered" email */
}

struct event_apply {
	const struct borzo_event *ev;
	struct json_object *body; /* the callback, kept when its order is unknown; NULL: never kept */
	enum event_fate fate;
};

/* In the transaction of db_tx (or of a booking): the delivery moved forward and its order told. */
static enum outcome apply_locked(struct ctx *c, void *arg)
{
	struct event_apply *ea = arg;
	const struct borzo_event *ev = ea->ev;
	const char *bid = arena_printf(c->a, "%lld", ev->borzo_order_id);

	/* taken before the look-up: a booking recording bid commits first or finds the event kept */
	if (early_lock(c, "borzo", bid) != 0)
		return E_DB;
	PGresult *res = db_query(c, "SELECT order_id, status, booking_state FROM deliveries "
				    "WHERE borzo_order_id = $1::bigint FOR UPDATE",
				 bid);
	if (!res)
		return E_DB;
	if (PQntuples(res) == 0) {
		if (!ea->body || !ev->status) /* nothing to keep, or an event that would move nothing */
			return OK;
		struct json_object *t = NULL;
		json_object_object_get_ex(ea->body, "event_type", &t);
		if (early_keep(c, "borzo", bid, t && json_object_is_type(t, json_type_string) ? json_object_get_string(t) : NULL,
			       ea->body) != 0)
			return E_DB;
		ea->fate = EVENT_KEPT;
		return OK;
	}
	ea->fate = EVENT_MATCHED;
	const char *order_id = db_val(res, 0, "order_id"), *cur = db_val(res, 0, "status");
	/* forward only: duplicates and late, older events change nothing */
	if (!ev->status || strcmp(db_val(res, 0, "booking_state"), "BOOKED") != 0 ||
	    delivery_status_rank(ev->status) <= delivery_status_rank(cur))
		return OK;
	if (!db_query(c, "UPDATE deliveries SET status = $2, borzo_status = $3, "
			 "courier_name = coalesce($4, courier_name), courier_phone = coalesce($5, courier_phone), "
			 "picked_up_at = CASE WHEN $2 IN ('PICKED_UP', 'COMPLETED') THEN coalesce(picked_up_at, now()) ELSE picked_up_at END, "
			 "delivered_at = CASE WHEN $2 = 'COMPLETED' THEN now() ELSE delivered_at END, updated_at = now() "
			 "WHERE order_id = $1",
		      order_id, ev->status, ev->raw_status, ev->courier_name, ev->courier_phone))
		return E_DB;
	if (delivery_status_rank(ev->status) == DELIVERY_RANK_FINAL && apply_final(c, order_id, ev) != 0)
		return E_DB;
	return OK;
}

/* A callback kept before its booking committed, applied in the booking's transaction. */
static int apply_kept(struct ctx *c, const char *type, struct json_object *body, void *arg)
{
	struct borzo_event ev = { 0 };
	(void)type;
	(void)arg;
	if (borzo_event_read(c->a, body, &ev) != 1)
		return 0; /* kept only after it read as an event: nothing to do */
	struct event_apply ea = { &ev, NULL, EVENT_UNKNOWN };
	return apply_locked(c, &ea) == OK ? 0 : -1;
}

enum outcome delivery_apply_event(struct ctx *c, const struct borzo_event *ev, struct json_object *body,
				  enum event_fate *fate)
{
	struct event_apply ea = { ev, body, EVENT_UNKNOWN };
	enum outcome o = db_tx(c, apply_locked, &ea);

	*fate = o == OK ? ea.fate : EVENT_UNKNOWN;
	return o;
}

enum outcome deliveries_refresh(struct ctx *c, int limit, int64_t deadline_ms, int *updated)
{
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT borzo_order_id::text AS bid FROM deliveries WHERE booking_state = 'BOOKED' "
		"AND borzo_order_id IS NOT NULL AND coalesce(status, 'SEARCHING') IN ('SEARCHING', 'ASSIGNED', 'PICKED_UP') "
		"AND updated_at < now() - interval '" DELIVERY_REFRESH_AFTER "' ORDER BY updated_at LIMIT $1::int",
		arena_printf(c->a, "%d", limit));
	/* clang-format on */
	char err[512];

	if (!res)
		return E_DB;
	for (int i = 0; i < PQntuples(res) && mono_ms() < deadline_ms; i++) {
		const char *bid = db_val(res, i, "bid");
		struct json_object *order;
		struct borzo_event ev = { 0 };
		enum event_fate fate;
		/* touched first: each delivery is asked about at most every few minutes */
		if (!db_query(c, "UPDATE deliveries SET updated_at = now() WHERE borzo_order_id = $1::bigint", bid))
			return E_DB;
		if (borzo_get_order(c->a, atoll(bid), &order, err, sizeof err) != BORZO_OK || !order) {
			log_warn("refresh of Borzo order %s: %s", bid, order ? err : "not found at Borzo");
			continue;
		}
		if (borzo_event_of_order(c->a, order, &ev) != 1 || !ev.status)
			continue;
		if (delivery_apply_event(c, &ev, NULL, &fate) != OK)
			return E_DB;
		*updated += fate == EVENT_MATCHED;
	}
	return OK;
}
