/* deliveries.h: Borzo couriers for orders: booking (exactly once), cancellation, Borzo's events, the catch-up. */
#ifndef APP_DELIVERIES_H
#define APP_DELIVERIES_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "outcome.h"

struct ctx;
struct borzo_event;

enum book_result {
	BOOK_OK = 0,	   /* booked now, or found at Borzo after a lost answer */
	BOOK_NOT_FOUND,	   /* no such order: 404 */
	BOOK_NOT_PAID,	   /* PENDING: 409 NOT_PAID */
	BOOK_ALREADY,	   /* dispatched, booked, or another attempt running: 409 ALREADY_BOOKED */
	BOOK_NOT_BOOKABLE, /* delivered or cancelled: 409 NOT_BOOKABLE */
	BOOK_REJECTED,	   /* Borzo said is_successful:false: 422 BOOKING_REJECTED, an admin retries */
	BOOK_UNAVAILABLE,  /* 5xx, unreachable or unknown outcome: 503, a book_courier job retries */
	BOOK_DB_ERROR,	   /* a database failure */
};

/* A booking attempt left IN_PROGRESS longer than this is presumed lost (the
 * worker died mid-call): the next attempt looks the order up at Borzo first. */
#define BOOKING_STALE_MINUTES 2

/* Books a Borzo courier for order_id, exactly once. Transaction 1 locks the
 * order, checks it is paid and not booked, and commits the deliveries row as
 * IN_PROGRESS (attempts + 1). Then, if an earlier answer was lost, it looks
 * the order up at Borzo (GET orders, points[].client_order_id == our order
 * number); only when not found does it call create-order. Transaction 2
 * stores the Borzo order, moves the order to DISPATCHED (CAUSE_COURIER, as
 * actor), queues the "on_the_way" email and applies the callbacks Borzo sent
 * about that order before this commit (kept by delivery_apply_event). A failure is recorded on the row
 * (FAILED, last_error); transient ones queue a book_courier job. msg gets a
 * sentence for the client. Must be called outside a transaction. */
enum book_result delivery_book(struct ctx *c, const char *order_id, const char *actor, char *msg, size_t msglen);

/* What a staff action on a courier answers: the delivery on OK, otherwise
 * the sentence for the client (NULL: the outcome's own message). */
struct delivery_answer {
	struct json_object *view; /* delivery_json, owned by the arena */
	const char *message;
};

/* The deliveries row of an order as the API shows it (orderId, bookingState,
 * deliveryStatus, borzoOrderId, trackingUrl, courierName, courierPhone,
 * attempts, lastError, bookedAt, deliveredAt), owned by the arena; NULL when
 * the order has no deliveries row or on a DB error. */
struct json_object *delivery_json(struct ctx *c, const char *order_id);

/* delivery_book as the acting principal (ctx_actor), then the delivery.
 * OK, E_ORDER_NOT_FOUND, E_NOT_PAID, E_ALREADY_BOOKED, E_NOT_BOOKABLE,
 * E_BOOKING_REJECTED, E_COURIER_UNAVAILABLE (a retry job is queued), E_DB.
 * Outside a transaction. */
enum outcome delivery_book_view(struct ctx *c, const char *order_id, struct delivery_answer *out);

/* Cancels the order's booked courier at Borzo (POST cancel-order). Only a
 * BOOKED delivery whose status is not final can be cancelled; Borzo refuses
 * once the courier visited a point. Then, in one transaction, the delivery is
 * CANCELLED and the order, which stays DISPATCHED, is flagged for staff to
 * rebook or deliver by hand (the actor is named). OK (out->view),
 * E_ORDER_NOT_FOUND, E_NOT_BOOKED, E_CANNOT_CANCEL, E_CANCEL_REJECTED,
 * E_COURIER_UNAVAILABLE, E_DB. Outside a transaction. */
enum outcome delivery_cancel(struct ctx *c, const char *order_id, struct delivery_answer *out);

/* What became of a Borzo event. */
enum event_fate {
	EVENT_UNKNOWN = 0, /* its Borzo order is none of ours, and it was not kept */
	EVENT_MATCHED,	   /* one of our deliveries (applied, or a repeat or older event: harmless) */
	EVENT_KEPT,	   /* unknown yet: kept (early_events.h) for the booking that records it */
};

/* Applies a Borzo event (delivery_status.h) in a transaction of its own: the
 * BOOKED delivery with that Borzo order moves forward only (courier name and
 * phone kept when the event has none); a completion delivers the order
 * (CAUSE_BORZO, which queues the "delivered" email), a cancellation or
 * failure flags it for staff. When no delivery has that Borzo order and body
 * (the callback as received) is given, the event is kept: a callback can
 * arrive before the booking that stores the order id has committed, and that
 * booking applies it in its own transaction. *fate says which. OK, or E_DB. */
enum outcome delivery_apply_event(struct ctx *c, const struct borzo_event *ev, struct json_object *body,
				  enum event_fate *fate);

/* The dispatch pass: up to limit BOOKED deliveries not final and not heard of
 * for DELIVERY_REFRESH_AFTER are read back from Borzo (GET orders) until
 * deadline_ms (mono clock) and applied like a callback (forward only), so a
 * lost or early callback is caught up. Adds to *updated the deliveries
 * applied. OK, or E_DB. Outside a transaction. */
#define DELIVERY_REFRESH_AFTER "10 minutes"
enum outcome deliveries_refresh(struct ctx *c, int limit, int64_t deadline_ms, int *updated);

#endif
