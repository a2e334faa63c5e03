/* api_cart.c: GET/POST /api/cart, PATCH/DELETE /api/cart/items/{id}. */
#include <stdint.h>

#include "cart.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"

/* The cart with status, or the outcome's error naming the input at fault. */
static int reply_cart(struct req *r, int status, enum outcome o, struct json_object *cart)
{
	switch (o) {
	case OK:
		return reply_json(r, status, json_object_get(cart));
	case E_VARIANT_NOT_FOUND:
		return reply_outcome_msg(r, o, "variantId", "No such cake size");
	case E_VARIANT_UNAVAILABLE:
	case E_CART_FULL:
		return reply_outcome(r, o, "variantId");
	case E_QUANTITY_LIMIT:
	case E_QUANTITY_LIMIT_IN_CART:
		return reply_outcome(r, o, "quantity");
	default:
		return reply_outcome(r, o, NULL);
	}
}

/* Reads quantity: a whole number >= 1, else 400. 0 or -1 answered. */
static int read_quantity(struct req *r, int64_t *q)
{
	return jget_int(r, r->json, "quantity", REQUIRED, 1, INT32_MAX, q, NULL);
}

/* GET /api/cart: the caller's cart. */
int cart_get(struct req *r)
{
	struct json_object *cart;
	enum outcome o = cart_contents(&r->ctx, &cart);

	return reply_cart(r, 200, o, cart);
}

/* POST /api/cart {variantId, quantity}: adds to the line of that variant; 201 cart. */
int cart_add(struct req *r)
{
	const char *variant_id;
	int64_t q;
	struct json_object *cart;

	if (jget_uuid(r, r->json, "variantId", REQUIRED, &variant_id) || read_quantity(r, &q))
		return 0;
	enum outcome o = cart_add_variant(&r->ctx, variant_id, q, &cart);
	return reply_cart(r, 201, o, cart);
}

/* PATCH /api/cart/items/{id} {quantity}: sets the line's quantity; 200 cart. */
int cart_item_update(struct req *r)
{
	int64_t q;
	struct json_object *cart;

	if (read_quantity(r, &q) != 0)
		return 0;
	enum outcome o = cart_set_quantity(&r->ctx, r->param[0], q, &cart);
	return reply_cart(r, 200, o, cart);
}

/* DELETE /api/cart/items/{id}: removes the line; 200 cart. */
int cart_item_delete(struct req *r)
{
	struct json_object *cart;
	enum outcome o = cart_remove_line(&r->ctx, r->param[0], &cart);

	return reply_cart(r, 200, o, cart);
}
