/* api_orders.h: answering with one order, for the order and payment handlers. */
#ifndef APP_API_ORDERS_H
#define APP_API_ORDERS_H

struct req;

/* Answers the order in the view's shape (order_view.h options), restricted to
 * owner_id's orders when not NULL: status with the order, 404 ORDER_NOT_FOUND,
 * or the database error. Returns 0. */
int reply_order_view(struct req *r, int status, const char *order_id, const char *owner_id, unsigned options);

#endif
