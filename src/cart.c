/* cart.c: the caller's cart: read, add a variant, change a quantity, remove a line. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "util.h"

#define MAX_LINE_QUANTITY 20
#define MAX_LINE_QUANTITY_S "20"
#define MAX_CART_LINES 30

/* One query for the whole cart, priced with today's variant prices. Money
 * stays NUMERIC(10,2) and is printed by PostgreSQL ("1299.00"). */
#define CART_SQL \
	"SELECT ci.id, ci.variant_id, v.product_id, p.name, v.label, v.price AS unit_price, ci.quantity, " \
	"v.price * ci.quantity AS line_total, sum(v.price * ci.quantity) OVER () AS subtotal, " \
	"v.is_available AND v.archived_at IS NULL AND p.is_available AND p.archived_at IS NULL AS is_available " \
	"FROM carts c JOIN cart_items ci ON ci.cart_id = c.id " \
	"JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id " \
	"WHERE c.user_id = $1 ORDER BY ci.created_at, ci.id"

static struct json_object *cart_line_json(PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", jstr(db_val(res, row, "id")));
	json_object_object_add(o, "variantId", jstr(db_val(res, row, "variant_id")));
	json_object_object_add(o, "productId", jstr(db_val(res, row, "product_id")));
	json_object_object_add(o, "name", jstr(db_val(res, row, "name")));
	json_object_object_add(o, "label", jstr(db_val(res, row, "label")));
	json_object_object_add(o, "unitPrice", jstr(db_val(res, row, "unit_price")));
	json_object_object_add(o, "quantity", jint(strtoll(db_val(res, row, "quantity"), NULL, 10)));
	json_object_object_add(o, "lineTotal", jstr(db_val(res, row, "line_total")));
	/* a cake taken off sale since it was added: shown, so the customer can remove it
	 * before ordering (POST /api/orders refuses it with 422) */
	json_object_object_add(o, "isAvailable", jbool(db_bool(res, row, "is_available")));
	return o;
}

/* Answers the caller's cart with status (an empty cart when there is none yet). */
static int reply_cart(struct req *r, int status)
{
	PGresult *res = db_query(&r->ctx, CART_SQL, r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r);
	struct json_object *items = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, cart_line_json(res, i));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "subtotal", jstr(PQntuples(res) ? db_val(res, 0, "subtotal") : "0.00"));
	return reply_json(r, status, o);
}

/* Reads quantity: a whole number >= 1 (else 400); above the line cap 422. */
static int read_quantity(struct req *r, int64_t *q)
{
	if (jget_int(r, r->json, "quantity", REQUIRED, 1, INT32_MAX, q, NULL) != 0)
		return -1;
	if (*q > MAX_LINE_QUANTITY)
		return reply_error(r, 422, "QUANTITY_LIMIT", "quantity", "At most %d of one cake per order",
				   MAX_LINE_QUANTITY), -1;
	return 0;
}

/* GET /api/cart: the caller's cart. */
int cart_get(struct req *r)
{
	return reply_cart(r, 200);
}

/* 0 when the variant exists and can be sold; otherwise answers 404 or 422. */
static int check_variant(struct req *r, const char *variant_id)
{
	PGresult *res = db_query(&r->ctx,
		"SELECT v.is_available AND v.archived_at IS NULL AND p.is_available AND p.archived_at IS NULL AS sellable "
		"FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = $1", variant_id);
	if (!res)
		return reply_db_error(r), -1;
	if (PQntuples(res) != 1)
		return reply_error(r, 404, "VARIANT_NOT_FOUND", "variantId", "No such cake size"), -1;
	if (!db_bool(res, 0, "sellable"))
		return reply_error(r, 422, "VARIANT_UNAVAILABLE", "variantId", "This cake is not available right now"), -1;
	return 0;
}

/* POST /api/cart {variantId, quantity}: adds to the line of that variant; 201 cart. */
int cart_add(struct req *r)
{
	const char *variant_id;
	int64_t q;

	if (jget_uuid(r, r->json, "variantId", REQUIRED, &variant_id) || read_quantity(r, &q) ||
	    check_variant(r, variant_id))
		return 0;
	PGresult *cart = db_query(&r->ctx, "INSERT INTO carts (user_id) VALUES ($1) ON CONFLICT (user_id) "
				     "DO UPDATE SET updated_at = now() RETURNING id", r->ctx.who.user_id);
	if (!cart)
		return reply_db_error(r);
	/* a sanity cap on distinct cakes (two racing adds may pass it by one: harmless) */
	PGresult *lines = db_query(&r->ctx, "SELECT count(*) FILTER (WHERE variant_id <> $2) AS others, "
				      "bool_or(variant_id = $2) AS has FROM cart_items WHERE cart_id = $1",
				   PQgetvalue(cart, 0, 0), variant_id);
	if (!lines)
		return reply_db_error(r);
	if (!db_bool(lines, 0, "has") && atoi(db_val(lines, 0, "others")) >= MAX_CART_LINES)
		return reply_error(r, 422, "CART_FULL", "variantId", "A cart holds at most %d different cakes", MAX_CART_LINES);
	/* the conflict arm holds the line's row lock: concurrent adds sum up, and the cap holds */
	PGresult *line = db_query(&r->ctx,
		"INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES ($1, $2, $3::int) "
		"ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity "
		"WHERE cart_items.quantity + EXCLUDED.quantity <= " MAX_LINE_QUANTITY_S " RETURNING id",
		PQgetvalue(cart, 0, 0), variant_id, arena_printf(r->a, "%lld", (long long)q));
	if (!line)
		return reply_db_error(r);
	if (PQntuples(line) != 1)
		return reply_error(r, 422, "QUANTITY_LIMIT", "quantity", "At most %d of one cake per order; the cart already has some",
				   MAX_LINE_QUANTITY);
	return reply_cart(r, 201);
}

static int line_not_found(struct req *r)
{
	return reply_error(r, 404, "CART_ITEM_NOT_FOUND", NULL, "No such line in your cart");
}

/* PATCH /api/cart/items/{id} {quantity}: sets the line's quantity; 200 cart. */
int cart_item_update(struct req *r)
{
	int64_t q;

	if (read_quantity(r, &q) != 0)
		return 0;
	PGresult *res = db_query(&r->ctx,
		"UPDATE cart_items ci SET quantity = $3::int FROM carts c "
		"WHERE ci.id = $1 AND ci.cart_id = c.id AND c.user_id = $2 RETURNING ci.id",
		r->param[0], r->ctx.who.user_id, arena_printf(r->a, "%lld", (long long)q));
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return line_not_found(r);
	return reply_cart(r, 200);
}

/* DELETE /api/cart/items/{id}: removes the line; 200 cart. */
int cart_item_delete(struct req *r)
{
	PGresult *res = db_query(&r->ctx,
		"DELETE FROM cart_items ci USING carts c WHERE ci.id = $1 AND ci.cart_id = c.id AND c.user_id = $2 "
		"RETURNING ci.id", r->param[0], r->ctx.who.user_id);
	if (!res)
		return reply_db_error(r);
	if (PQntuples(res) != 1)
		return line_not_found(r);
	return reply_cart(r, 200);
}
