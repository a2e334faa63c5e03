/* test_deliveries.c: Borzo's statuses in our terms (doc/partners.md §12), forward-only ranks, callbacks read into events. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "delivery_status.h"
#include "json.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *borzo, *ours;
} delivery_cases[] = {
	/* no courier yet, or nothing that moves a delivery */
	{ "invalid", NULL },
	{ "draft", NULL },
	{ "planned", NULL },
	{ "delayed", NULL },
	{ "deleted", NULL },
	/* a courier on the way to the kitchen: not picked up yet */
	{ "courier_assigned", "ASSIGNED" },
	{ "courier_departed", "ASSIGNED" },
	{ "courier_at_pickup", "ASSIGNED" },
	/* the cake is with the courier */
	{ "parcel_picked_up", "PICKED_UP" },
	{ "active", "PICKED_UP" },
	{ "courier_arrived", "PICKED_UP" },
	/* final */
	{ "finished", "COMPLETED" },
	{ "canceled", "CANCELLED" },
	{ "failed", "FAILED" },
	/* return and re-attempt flows (newer API versions) are not ours to follow */
	{ "return_planned", NULL },
	{ "return_courier_assigned", NULL },
	{ "return_courier_departed", NULL },
	{ "return_courier_picked_up", NULL },
	{ "return_finished", NULL },
	{ "reattempt_planned", NULL },
	/* unknown words */
	{ "cancelled", NULL },
	{ "FINISHED", NULL },
	{ "", NULL },
	{ "finished ", NULL },
	{ "completed", NULL },
};

static void delivery_statuses(void)
{
	for (size_t i = 0; i < N(delivery_cases); i++)
		is_str(map_delivery_status(delivery_cases[i].borzo), delivery_cases[i].ours, "delivery '%s' -> %s",
		       delivery_cases[i].borzo, delivery_cases[i].ours ? delivery_cases[i].ours : "nothing");
	ok(map_delivery_status(NULL) == NULL, "no delivery status -> nothing");
}

static void order_statuses(void)
{
	static const char *still_open[] = { "new", "available", "reactivated", "draft", "delayed" };

	for (size_t i = 0; i < N(still_open); i++)
		ok(!map_order_status(still_open[i], 0, 0) && !map_order_status(still_open[i], 1, 1),
		   "order '%s' moves nothing, courier or not", still_open[i]);
	ok(!map_order_status("active", 0, 0), "active without a courier moves nothing");
	is_str(map_order_status("active", 1, 0), "ASSIGNED", "active with a courier -> ASSIGNED");
	is_str(map_order_status("active", 1, 1), "PICKED_UP", "active after the pickup visit -> PICKED_UP");
	is_str(map_order_status("completed", 0, 0), "COMPLETED", "completed -> COMPLETED");
	is_str(map_order_status("completed", 1, 1), "COMPLETED", "completed with a courier -> COMPLETED");
	is_str(map_order_status("canceled", 0, 0), "CANCELLED", "canceled -> CANCELLED");
	ok(!map_order_status("finished", 1, 1), "a delivery word on an order moves nothing");
	ok(!map_order_status("cancelled", 0, 0) && !map_order_status("ACTIVE", 1, 0) && !map_order_status("", 1, 1),
	   "unknown order words move nothing");
	ok(!map_order_status(NULL, 1, 1), "no order status -> nothing");
}

static void ranks(void)
{
	static const char *ours[] = { "SEARCHING", "ASSIGNED", "PICKED_UP", "COMPLETED", "CANCELLED", "FAILED" };
	static const int want[] = { 0, 1, 2, DELIVERY_RANK_FINAL, DELIVERY_RANK_FINAL, DELIVERY_RANK_FINAL };

	for (size_t i = 0; i < N(ours); i++)
		ok(delivery_status_rank(ours[i]) == want[i], "%s ranks %d", ours[i], want[i]);
	ok(delivery_status_rank(NULL) == 0, "no status yet ranks as SEARCHING");
	/* forward only: every mapped status moves a delivery only to a higher rank */
	ok(delivery_status_rank("ASSIGNED") > delivery_status_rank(NULL), "a courier assigned moves a new delivery");
	ok(!(delivery_status_rank("ASSIGNED") > delivery_status_rank("PICKED_UP")), "a late courier_assigned never undoes a pickup");
	ok(!(delivery_status_rank("PICKED_UP") > delivery_status_rank("PICKED_UP")), "a duplicate changes nothing");
	ok(!(delivery_status_rank("COMPLETED") > delivery_status_rank("CANCELLED")) &&
		   !(delivery_status_rank("CANCELLED") > delivery_status_rank("COMPLETED")) &&
		   !(delivery_status_rank("FAILED") > delivery_status_rank("COMPLETED")),
	   "a final status is never left");
	ok(delivery_status_rank("CANCELLED") > delivery_status_rank("PICKED_UP"), "a cancellation after pickup still lands");
	ok(delivery_status_rank("SOMETHING_ELSE") == DELIVERY_RANK_FINAL, "unknown text ranks final (never moved past)");
	int forward = 1;
	for (size_t i = 0; i < N(delivery_cases); i++) {
		const char *s = delivery_cases[i].ours;
		if (s && delivery_status_rank(s) <= delivery_status_rank(NULL))
			forward = 0;
	}
	ok(forward, "every status Borzo can move us to ranks above a new delivery");
}

/* Reads body as a callback in arena a. */
static int read_body(struct arena *a, const char *body, struct borzo_event *ev)
{
	struct json_object *o = json_own(a, json_tokener_parse(body));
	memset(ev, 0, sizeof *ev);
	return borzo_event_read(a, o, ev);
}

static void events(void)
{
	struct arena *a = arena_new();
	struct borzo_event ev;

	ok(read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":{\"order_id\":42,\"status\":\"parcel_picked_up\","
			"\"courier\":{\"name\":\"Ravi\",\"surname\":\"Kumar\",\"phone\":\"919876543210\"}}}",
		     &ev) == 1 &&
		   ev.borzo_order_id == 42,
	   "a delivery event names its Borzo order");
	is_str(ev.status, "PICKED_UP", "its status mapped");
	is_str(ev.raw_status, "parcel_picked_up", "Borzo's word kept");
	is_str(ev.courier_name, "Ravi Kumar", "name and surname joined");
	is_str(ev.courier_phone, "919876543210", "the courier's phone");

	ok(read_body(a, "{\"event_type\":\"order_changed\",\"order\":{\"order_id\":7,\"status\":\"active\","
			"\"courier\":{\"name\":\"Asha\"},\"points\":[{\"courier_visit_datetime\":\"2026-01-01T10:00:00+05:30\"},{}]}}",
		     &ev) == 1,
	   "an order event");
	is_str(ev.status, "PICKED_UP", "active after the kitchen visit -> PICKED_UP");
	is_str(ev.courier_name, "Asha", "a name alone");
	ok(read_body(a, "{\"event_type\":\"order_created\",\"order\":{\"order_id\":7,\"status\":\"active\","
			"\"courier\":{\"surname\":\"Rao\"},\"points\":[{\"courier_visit_datetime\":null}]}}",
		     &ev) == 1 &&
		   ev.status && strcmp(ev.status, "ASSIGNED") == 0,
	   "active before the visit -> ASSIGNED");
	ok(read_body(a, "{\"event_type\":\"order_changed\",\"order\":{\"order_id\":7,\"status\":\"active\",\"courier\":null}}",
		     &ev) == 1 &&
		   !ev.status && !ev.courier_name,
	   "active without a courier moves nothing");
	ok(read_body(a, "{\"event_type\":\"delivery_created\",\"delivery\":{\"order_id\":9,\"status\":\"planned\"}}", &ev) == 1 &&
		   !ev.status,
	   "a planned delivery moves nothing");

	ok(read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":{\"order_id\":9,\"status\":\"active\","
			"\"courier\":{\"name\":\"Bad\\nName\",\"phone\":\"123456789012345678901\"}}}",
		     &ev) == 1 &&
		   !ev.courier_name && !ev.courier_phone,
	   "a name with a newline or an over-long phone is dropped");
	ok(read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":{\"order_id\":9,\"courier\":\"Ravi\"}}", &ev) == 1 &&
		   !ev.courier_name && !ev.raw_status && !ev.status,
	   "a courier that is not an object is ignored");

	ok(read_body(a, "{\"event_type\":\"something_new\"}", &ev) == 0, "an unknown event type is not acted on");
	ok(read_body(a, "{\"order\":{\"order_id\":1}}", &ev) == 0, "no event type: not acted on");
	ok(read_body(a, "{\"event_type\":\"order_changed\",\"delivery\":{\"order_id\":1}}", &ev) == -1,
	   "an order event without its order is malformed");
	ok(read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":{\"order_id\":\"x\"}}", &ev) == -1,
	   "order_id not an integer");
	ok(read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":{\"order_id\":0}}", &ev) == -1 &&
		   read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":{\"order_id\":-3}}", &ev) == -1,
	   "order_id must be positive");
	ok(read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":{\"order_id\":99999999999999999999}}", &ev) == -1,
	   "an absurd order_id is malformed");
	ok(read_body(a, "{\"event_type\":\"delivery_changed\",\"delivery\":null}", &ev) == -1, "a null delivery");

	struct json_object *order = json_tokener_parse("{\"order_id\":5,\"status\":\"completed\"}");
	memset(&ev, 0, sizeof ev);
	ok(borzo_event_of_order(a, order, &ev) == 1 && ev.borzo_order_id == 5 && ev.status &&
		   strcmp(ev.status, "COMPLETED") == 0,
	   "Borzo's current order reads as its order_changed event");
	json_object_put(order);
	ok(borzo_event_of_order(a, NULL, &ev) == -1, "no order: nothing to read");
	arena_free(a);
}

int main(void)
{
	delivery_statuses();
	order_statuses();
	ranks();
	events();
	return done_testing();
}
