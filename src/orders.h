/* orders.h: the order as the API shows it, shared by orders, payments, admin, fulfilment. */
#ifndef APP_ORDERS_H
#define APP_ORDERS_H

#include <json-c/json.h>

struct req;

/* Inscription (customMessage) limits in characters by the largest cake. */
#define INSCRIPTION_MAX_SMALL 20	/* largest cake <= 500 g */
#define INSCRIPTION_MAX_MEDIUM 30	/* <= 1000 g */
#define INSCRIPTION_MAX_LARGE 40	/* larger */
#define GIFT_MESSAGE_MAX 300

/* The order as JSON ({id, orderNumber, status, items, subtotal, ...}), built
 * with two queries. With user_id_or_NULL only that user's order is found, and
 * the owner's trackingUrl (PUBLIC_URL/track/<token>) is included. Returns a
 * new object (caller owns), or NULL when absent or on a database failure
 * (db_sqlstate() is then non-empty). */
struct json_object *order_json(struct req *r, const char *order_id, const char *user_id_or_NULL);

/* Answers 404 ORDER_NOT_FOUND or the database error after order_json gave NULL. */
int reply_order_missing(struct req *r);

#endif
