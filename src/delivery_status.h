/* delivery_status.h: Borzo's words in our terms: its order and delivery
 * statuses mapped to ours (forward only), and a callback read into an event.
 * Pure: no database, no request. */
#ifndef APP_DELIVERY_STATUS_H
#define APP_DELIVERY_STATUS_H

#include <json-c/json.h>

struct arena;

/* Our delivery statuses (deliveries.status) by rank: SEARCHING (or none) 0,
 * ASSIGNED 1, PICKED_UP 2, and the final ones (COMPLETED, CANCELLED, FAILED)
 * DELIVERY_RANK_FINAL. An event moves a delivery only to a higher rank, so
 * duplicates and late, older events change nothing. Unknown text ranks final. */
#define DELIVERY_RANK_FINAL 3
int delivery_status_rank(const char *ours);

/* A delivery status of a delivery_* callback (doc/partners.md §12) as ours, or NULL
 * when it moves nothing (planned, draft, delayed, return_*, unknown...). */
const char *map_delivery_status(const char *borzo_status);

/* An order status of an order_* callback as ours, or NULL: completed ->
 * COMPLETED, canceled -> CANCELLED; active with a courier -> ASSIGNED, or
 * PICKED_UP once the courier visited the pickup point; anything else NULL. */
const char *map_order_status(const char *borzo_status, int has_courier, int pickup_visited);

/* A Borzo callback reduced to what we act on. */
struct borzo_event {
	long long borzo_order_id;
	const char *raw_status;	   /* Borzo's word (may be NULL) */
	const char *status;	   /* ours, or NULL when it moves nothing */
	const char *courier_name;  /* "name surname", NULL when absent or unsafe */
	const char *courier_phone; /* NULL when absent, too long or unsafe */
};

/* Reads a callback body (doc/partners.md §13) into ev. Returns 1 for an event to
 * apply, 0 for an event type we do not act on, -1 when malformed (no order
 * or delivery object with a positive integer order_id). Strings point into
 * body or the arena. */
int borzo_event_read(struct arena *a, struct json_object *body, struct borzo_event *ev);

/* Borzo's current order (GET orders) read as the order_changed callback it
 * would have sent: 1, or -1 when it is not an order with an id. */
int borzo_event_of_order(struct arena *a, struct json_object *order, struct borzo_event *ev);

/* The string at key of a Borzo object, or NULL (absent, not a string, o NULL). */
const char *borzo_str(struct json_object *o, const char *key);
/* "name surname" of a Borzo courier object (arena), or NULL. */
const char *borzo_courier_name(struct arena *a, struct json_object *courier);

#endif
