/* delivery_status.c: Borzo statuses mapped to ours (forward only) and callbacks read into events; pure. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "delivery_status.h"
#include "json.h"

int delivery_status_rank(const char *s)
{
	if (!s || strcmp(s, "SEARCHING") == 0)
		return 0;
	if (strcmp(s, "ASSIGNED") == 0)
		return 1;
	if (strcmp(s, "PICKED_UP") == 0)
		return 2;
	return DELIVERY_RANK_FINAL; /* COMPLETED, CANCELLED, FAILED */
}

static const struct {
	const char *borzo, *ours;
} delivery_map[] = {
	{ "courier_assigned", "ASSIGNED" },
	{ "courier_departed", "ASSIGNED" },
	{ "courier_at_pickup", "ASSIGNED" },
	{ "parcel_picked_up", "PICKED_UP" },
	{ "active", "PICKED_UP" },
	{ "courier_arrived", "PICKED_UP" },
	{ "finished", "COMPLETED" },
	{ "canceled", "CANCELLED" },
	{ "failed", "FAILED" },
};

const char *map_delivery_status(const char *s)
{
	for (size_t i = 0; s && i < sizeof delivery_map / sizeof delivery_map[0]; i++)
		if (strcmp(delivery_map[i].borzo, s) == 0)
			return delivery_map[i].ours;
	return NULL;
}

const char *map_order_status(const char *s, int has_courier, int pickup_visited)
{
	if (!s)
		return NULL;
	if (strcmp(s, "completed") == 0)
		return "COMPLETED";
	if (strcmp(s, "canceled") == 0)
		return "CANCELLED";
	if (strcmp(s, "active") != 0 || !has_courier)
		return NULL;
	return pickup_visited ? "PICKED_UP" : "ASSIGNED";
}

const char *borzo_str(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

const char *borzo_courier_name(struct arena *a, struct json_object *courier)
{
	const char *n = borzo_str(courier, "name"), *s = borzo_str(courier, "surname");
	if (!n && !s)
		return NULL;
	return arena_printf(a, "%.100s%s%.100s", n ? n : "", n && s ? " " : "", s ? s : "");
}

/* 1 when the order's pickup point (the first) has a courier visit time. */
static int pickup_visited(struct json_object *order)
{
	struct json_object *pts;
	return json_object_object_get_ex(order, "points", &pts) && json_object_is_type(pts, json_type_array) &&
		json_object_array_length(pts) > 0 &&
		borzo_str(json_object_array_get_idx(pts, 0), "courier_visit_datetime") != NULL;
}

/* Reads an order or delivery object: 1, or -1 without a usable order_id. */
static int read_object(struct arena *a, struct json_object *obj, int is_order, struct borzo_event *ev)
{
	struct json_object *id, *courier = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, "order_id", &id) ||
	    !json_object_is_type(id, json_type_int) || json_object_get_int64(id) <= 0 ||
	    json_object_get_int64(id) == INT64_MAX)
		return -1;
	ev->borzo_order_id = (long long)json_object_get_int64(id);
	ev->raw_status = borzo_str(obj, "status");
	json_object_object_get_ex(obj, "courier", &courier);
	if (courier && !json_object_is_type(courier, json_type_object))
		courier = NULL;
	ev->courier_name = borzo_courier_name(a, courier);
	ev->courier_phone = borzo_str(courier, "phone");
	if (ev->courier_name && text_has_controls(ev->courier_name, strlen(ev->courier_name), TEXT_SINGLE_LINE))
		ev->courier_name = NULL;
	if (ev->courier_phone && (strlen(ev->courier_phone) > 20 || text_has_controls(ev->courier_phone, strlen(ev->courier_phone), TEXT_SINGLE_LINE)))
		ev->courier_phone = NULL;
	ev->status = is_order ? map_order_status(ev->raw_status, courier != NULL, pickup_visited(obj))
			      : map_delivery_status(ev->raw_status);
	return 1;
}

int borzo_event_read(struct arena *a, struct json_object *body, struct borzo_event *ev)
{
	const char *type = borzo_str(body, "event_type");
	int is_order = type && (strcmp(type, "order_changed") == 0 || strcmp(type, "order_created") == 0);
	int is_delivery = type && (strcmp(type, "delivery_changed") == 0 || strcmp(type, "delivery_created") == 0);
	struct json_object *obj = NULL;

	if (!is_order && !is_delivery)
		return 0;
	json_object_object_get_ex(body, is_order ? "order" : "delivery", &obj);
	return read_object(a, obj, is_order, ev);
}

int borzo_event_of_order(struct arena *a, struct json_object *order, struct borzo_event *ev)
{
	return read_object(a, order, 1, ev);
}
