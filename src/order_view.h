/* order_view.h: the order as data, one SQL and one builder; options pick the shape. */
#ifndef APP_ORDER_VIEW_H
#define APP_ORDER_VIEW_H

#include <json-c/json.h>
#include <stdint.h>

#include "outcome.h"

struct ctx;

/* What a view holds. The customer's shape (the API's Order) and the staff's
 * (the admin API's) order the same fields differently and show different
 * payment and delivery objects: OV_ADMIN picks the staff's. */
enum order_view_option {
	OV_ITEMS = 1 << 0,     /* items[] */
	OV_PAYMENT = 1 << 1,   /* payment: 4 fields for the customer, 8 for staff (null when none) */
	OV_DELIVERY = 1 << 2,  /* delivery: 4 fields for the customer, 10 for staff (null when none) */
	OV_HISTORY = 1 << 3,   /* statusHistory[] {from, to, actor, note, at} */
	OV_OWNER = 1 << 4,     /* trackingUrl (PUBLIC_URL/track/<token>): the owner's own view */
	OV_ADMIN = 1 << 5,     /* staff fields: needsAttention, attentionReason, customer */
	OV_DOCUMENTS = 1 << 6, /* invoice {number, issuedAt, total} (null when none) and
				* creditNotes[] {n, number, issuedAt, total}: the tax documents */
};
/* SQL of the customer's name as staff see it, over users u: a deleted account's
 * orders say "deleted customer" (its name, email and phone, null in the staff
 * shape, were erased with it). */
#define ORDER_VIEW_CUSTOMER_NAME "CASE WHEN u.deleted_at IS NULL THEN u.name ELSE 'deleted customer' END"

/* The shapes the API answers. */
#define OV_CUSTOMER (OV_ITEMS | OV_PAYMENT | OV_DELIVERY)
#define OV_STAFF (OV_ADMIN | OV_ITEMS | OV_PAYMENT | OV_DELIVERY)

/* One order by id. owner_id (may be NULL) restricts it to that customer's
 * orders. *out (caller owns) gets the order; E_ORDER_NOT_FOUND or E_DB. */
enum outcome order_view_get(struct ctx *c, const char *order_id, const char *owner_id, unsigned options,
			    struct json_object **out);

/* One order by its public tracking token; as order_view_get. */
enum outcome order_view_by_token(struct ctx *c, const char *token, unsigned options, struct json_object **out);

/* A customer's orders, newest first: *items (caller owns) and *total. OK or E_DB. */
enum outcome order_view_of_customer(struct ctx *c, const char *user_id, int64_t limit, int64_t offset,
				    unsigned options, struct json_object **items, int64_t *total);

/* The orders whose slot falls on date (YYYY-MM-DD, Asia/Kolkata), by slot then
 * number; status (may be NULL) filters. *items (caller owns) and *total. OK or E_DB. */
enum outcome order_view_of_day(struct ctx *c, const char *date, const char *status, int64_t limit, int64_t offset,
			       unsigned options, struct json_object **items, int64_t *total);

/* The same pages as the two above, written into out as the API's answer
 * {"items":[...],"total":n,"limit":n,"offset":n}: byte for byte what json-c
 * prints for them (JSON_TEXT_FLAGS), without building its objects. OK or E_DB. */
struct buf;
enum outcome order_view_page_of_customer(struct ctx *c, const char *user_id, int64_t limit, int64_t offset,
					 unsigned options, struct buf *out);
enum outcome order_view_page_of_day(struct ctx *c, const char *date, const char *status, int64_t limit,
				    int64_t offset, unsigned options, struct buf *out);

/* A string member of o (any JSON object), or NULL. */
const char *view_text(struct json_object *o, const char *key);

#endif
