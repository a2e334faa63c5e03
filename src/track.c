/* track.c: GET /track/{token}: the customer's public order tracking page (HTML). */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"

static const struct { const char *status, *label; } labels[] = {
	{ "PENDING", "Waiting for payment" }, { "CONFIRMED", "Order confirmed" },
	{ "BAKING", "Baking" }, { "READY", "Ready for pickup by the courier" },
	{ "DISPATCHED", "On the way" }, { "DELIVERED", "Delivered" }, { "CANCELLED", "Cancelled" },
	{ "SEARCHING", "Looking for a courier" }, { "ASSIGNED", "Courier assigned" },
	{ "PICKED_UP", "Courier has your cake" }, { "COMPLETED", "Delivered" }, { "FAILED", "Delivery failed" },
};

static const char *label(const char *status)
{
	for (size_t i = 0; status && i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(labels[i].status, status) == 0)
			return labels[i].label;
	return status;
}

/* Tokens are URL-safe random strings: anything else cannot exist. */
static int token_ok(const char *t)
{
	size_t n = strlen(t);
	if (n < 8 || n > 128)
		return 0;
	for (const char *p = t; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

static int not_found(struct req *r)
{
	struct json_object *ctx = json_object_new_object();
	json_object_object_add(ctx, "storeName", jstr(cfg->store_name));
	return reply_html(r, 404, "track/not_found", ctx);
}

/* [{label, at}] from order_status_history, oldest first; NULL on a DB error. */
static struct json_object *timeline(struct req *r, const char *order_id)
{
	PGresult *res = db_query(&r->ctx, "SELECT to_status, to_char(created_at, 'Dy DD Mon, HH24:MI') AS at "
				    "FROM order_status_history WHERE order_id = $1 ORDER BY id", order_id);
	if (!res)
		return NULL;
	struct json_object *a = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++) {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "label", jstr(label(db_val(res, i, "to_status"))));
		json_object_object_add(e, "at", jstr(db_val(res, i, "at")));
		json_object_array_add(a, e);
	}
	return a;
}

/* Courier and Borzo link once a courier is assigned (never after a cancellation). */
static void add_courier(struct json_object *ctx, PGresult *res)
{
	const char *ds = db_val(res, 0, "delivery_status"), *url = db_val(res, 0, "tracking_url");
	int live = ds && strcmp(ds, "CANCELLED") != 0 && strcmp(ds, "FAILED") != 0;

	if (ds)
		json_object_object_add(ctx, "deliveryStatus", jstr(label(ds)));
	if (live && db_val(res, 0, "courier_name")) {
		json_object_object_add(ctx, "courierName", jstr(db_val(res, 0, "courier_name")));
		json_object_object_add(ctx, "courierPhone", jstr(db_val(res, 0, "courier_phone")));
	}
	/* only web links: a partner's text never becomes a javascript: URL */
	if (live && url && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0))
		json_object_object_add(ctx, "trackingUrl", jstr(url));
}

int track_get(struct req *r)
{
	const char *token = r->param[0];
	char mins[16];

	if (!token_ok(token))
		return not_found(r);
	snprintf(mins, sizeof mins, "%d", cfg->slot_minutes);
	PGresult *res = db_query(&r->ctx,
		"SELECT o.id, o.order_number, o.status, to_char(o.delivery_slot, 'Dy DD Mon YYYY') AS slot_date, "
		"to_char(o.delivery_slot, 'HH24:MI') AS slot_start, "
		"to_char(o.delivery_slot + make_interval(mins => $2::int), 'HH24:MI') AS slot_end, "
		"d.status AS delivery_status, d.courier_name, d.courier_phone, d.tracking_url "
		"FROM orders o LEFT JOIN deliveries d ON d.order_id = o.id AND d.booking_state IN ('BOOKED', 'CANCELLED') "
		"WHERE o.tracking_token = $1", token, mins);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return not_found(r);
	struct json_object *ctx = json_own(r->a, json_object_new_object());
	struct json_object *tl = timeline(r, db_val(res, 0, "id"));
	if (!tl)
		return reply_db_error(r);
	json_object_object_add(ctx, "timeline", tl);
	json_object_object_add(ctx, "storeName", jstr(cfg->store_name));
	json_object_object_add(ctx, "orderNumber", jstr(db_val(res, 0, "order_number")));
	json_object_object_add(ctx, "status", jstr(label(db_val(res, 0, "status"))));
	json_object_object_add(ctx, "slotDate", jstr(db_val(res, 0, "slot_date")));
	json_object_object_add(ctx, "slotStart", jstr(db_val(res, 0, "slot_start")));
	json_object_object_add(ctx, "slotEnd", jstr(db_val(res, 0, "slot_end")));
	add_courier(ctx, res);
	reply_header(r, "Cache-Control", "no-store");
	return reply_html(r, 200, "track/order", json_object_get(ctx));
}
