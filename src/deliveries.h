/* deliveries.h: Borzo courier booking (exactly once), cancellation and callbacks. */
#ifndef APP_DELIVERIES_H
#define APP_DELIVERIES_H

#include <stddef.h>
#include <stdint.h>

struct ctx;
struct req;

enum book_result {
	BOOK_OK = 0,		/* booked now, or found at Borzo after a lost answer */
	BOOK_NOT_FOUND,		/* no such order: 404 */
	BOOK_NOT_PAID,		/* PENDING: 409 NOT_PAID */
	BOOK_ALREADY,		/* dispatched, booked, or another attempt running: 409 ALREADY_BOOKED */
	BOOK_NOT_BOOKABLE,	/* delivered or cancelled: 409 NOT_BOOKABLE */
	BOOK_REJECTED,		/* Borzo said is_successful:false: 422 BOOKING_REJECTED, an admin retries */
	BOOK_UNAVAILABLE,	/* 5xx, unreachable or unknown outcome: 503, a book_courier job retries */
	BOOK_DB_ERROR,		/* reply_db_error */
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
 * actor) and queues the "on_the_way" email. A failure is recorded on the row
 * (FAILED, last_error); transient ones queue a book_courier job. msg gets a
 * sentence for the client. Must be called outside a transaction. */
enum book_result delivery_book(struct ctx *c, const char *order_id, const char *actor, char *msg, size_t msglen);

/* The dispatch pass: BOOKED deliveries not final and not heard of for
 * DELIVERY_REFRESH_AFTER are read back from Borzo (GET orders) and applied like
 * a callback (forward only), so a lost or early callback is caught up. Adds to
 * *updated the deliveries that moved. 0, or -1 on a DB error. */
#define DELIVERY_REFRESH_AFTER "10 minutes"
int deliveries_refresh(struct req *r, int limit, int64_t deadline_ms, int *updated);

#endif
