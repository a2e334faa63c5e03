/* cart.h: the acting customer's cart: read, add a variant, change a quantity, remove a line. */
#ifndef APP_CART_H
#define APP_CART_H

#include <json-c/json.h>
#include <stdint.h>

#include "ctx.h"
#include "outcome.h"

/* Different cakes one cart may hold, and how many of one cake (outcome.c's
 * CART_FULL and QUANTITY_LIMIT texts say them too). */
#define CART_MAX_LINES 30
#define CART_MAX_LINE_QUANTITY 20

/* Every function answers the cart as it then is: {items: [{id, variantId,
 * productId, name, label, unitPrice, quantity, lineTotal, isAvailable}],
 * subtotal}, priced with today's prices, arena-owned (json_object_get to hand
 * it on); an empty cart when there is none yet. Quantities are >= 1 (the
 * caller checked); above CART_MAX_LINE_QUANTITY they answer E_QUANTITY_LIMIT.
 * Statements stand alone (no transaction): the caps hold through row locks. */

/* OK or E_DB. */
enum outcome cart_contents(struct ctx *c, struct json_object **cart);
/* Adds quantity of a variant (to its line when there is one). OK,
 * E_QUANTITY_LIMIT, E_VARIANT_NOT_FOUND, E_VARIANT_UNAVAILABLE (off sale),
 * E_CART_FULL (a new line past CART_MAX_LINES), E_QUANTITY_LIMIT_IN_CART (the
 * line would pass the cap), E_DB. */
enum outcome cart_add_variant(struct ctx *c, const char *variant_id, int64_t quantity, struct json_object **cart);
/* Sets a line's quantity: OK, E_QUANTITY_LIMIT, E_CART_ITEM_NOT_FOUND, E_DB. */
enum outcome cart_set_quantity(struct ctx *c, const char *line_id, int64_t quantity, struct json_object **cart);
/* Removes a line: OK, E_CART_ITEM_NOT_FOUND, E_DB. */
enum outcome cart_remove_line(struct ctx *c, const char *line_id, struct json_object **cart);

#endif
