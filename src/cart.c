/* cart.c: the acting customer's cart and its caps (30 different cakes, 20 of one). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cart.h"
#include "db.h"
#include "json.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* One query for the whole cart, priced with today's variant prices. Money
 * stays NUMERIC(10,2) and is printed by PostgreSQL ("1299.00"). */
#define CART_SQL                                                                                                 \
	"SELECT ci.id, ci.variant_id, v.product_id, p.name, v.label, v.price AS unit_price, ci.quantity, "       \
	"v.price * ci.quantity AS line_total, sum(v.price * ci.quantity) OVER () AS subtotal, "                  \
	"v.is_available AND v.archived_at IS NULL AND p.is_available AND p.archived_at IS NULL AS is_available " \
	"FROM carts c JOIN cart_items ci ON ci.cart_id = c.id "                                                  \
	"JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id "                        \
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

enum outcome cart_contents(struct ctx *c, struct json_object **cart)
{
	*cart = NULL;
	PGresult *res = db_query(c, CART_SQL, c->who.user_id);
	if (!res)
		return E_DB;
	struct json_object *items = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, cart_line_json(res, i));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "subtotal", jstr(PQntuples(res) ? db_val(res, 0, "subtotal") : "0.00"));
	*cart = json_own(c->a, o);
	return OK;
}

/* OK when the variant exists and can be sold. */
static enum outcome check_variant(struct ctx *c, const char *variant_id)
{
	PGresult *res = db_query(c,
				 "SELECT v.is_available AND v.archived_at IS NULL AND p.is_available AND p.archived_at IS NULL AS sellable "
				 "FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = $1",
				 variant_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_VARIANT_NOT_FOUND;
	return db_bool(res, 0, "sellable") ? OK : E_VARIANT_UNAVAILABLE;
}

/* Adds to the variant's line of the caller's cart (made on the first add). */
static enum outcome add_line(struct ctx *c, const char *variant_id, int64_t quantity)
{
	PGresult *cart = db_query(c, "INSERT INTO carts (user_id) VALUES ($1) ON CONFLICT (user_id) "
				     "DO UPDATE SET updated_at = now() RETURNING id",
				  c->who.user_id);
	if (!cart)
		return E_DB;
	/* a sanity cap on distinct cakes (two racing adds may pass it by one: harmless) */
	PGresult *lines = db_query(c, "SELECT count(*) FILTER (WHERE variant_id <> $2) AS others, "
				      "bool_or(variant_id = $2) AS has FROM cart_items WHERE cart_id = $1",
				   PQgetvalue(cart, 0, 0), variant_id);
	if (!lines)
		return E_DB;
	if (!db_bool(lines, 0, "has") && atoi(db_val(lines, 0, "others")) >= CART_MAX_LINES)
		return E_CART_FULL;
	/* the conflict arm holds the line's row lock: concurrent adds sum up, and the cap holds */
	/* clang-format off */
	PGresult *line = db_query(c,
		"INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES ($1, $2, $3::int) "
		"ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity "
		"WHERE cart_items.quantity + EXCLUDED.quantity <= " STR(CART_MAX_LINE_QUANTITY) " RETURNING id",
		PQgetvalue(cart, 0, 0), variant_id, arena_printf(c->a, "%lld", (long long)quantity));
	/* clang-format on */
	if (!line)
		return E_DB;
	return PQntuples(line) == 1 ? OK : E_QUANTITY_LIMIT_IN_CART;
}

enum outcome cart_add_variant(struct ctx *c, const char *variant_id, int64_t quantity, struct json_object **cart)
{
	enum outcome o;

	*cart = NULL;
	if (quantity > CART_MAX_LINE_QUANTITY)
		return E_QUANTITY_LIMIT;
	if ((o = check_variant(c, variant_id)) != OK || (o = add_line(c, variant_id, quantity)) != OK)
		return o;
	return cart_contents(c, cart);
}

enum outcome cart_set_quantity(struct ctx *c, const char *line_id, int64_t quantity, struct json_object **cart)
{
	*cart = NULL;
	if (quantity > CART_MAX_LINE_QUANTITY)
		return E_QUANTITY_LIMIT;
	PGresult *res = db_query(c,
				 "UPDATE cart_items ci SET quantity = $3::int FROM carts c "
				 "WHERE ci.id = $1 AND ci.cart_id = c.id AND c.user_id = $2 RETURNING ci.id",
				 line_id, c->who.user_id, arena_printf(c->a, "%lld", (long long)quantity));
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_CART_ITEM_NOT_FOUND;
	return cart_contents(c, cart);
}

enum outcome cart_remove_line(struct ctx *c, const char *line_id, struct json_object **cart)
{
	*cart = NULL;
	PGresult *res = db_query(c,
				 "DELETE FROM cart_items ci USING carts c WHERE ci.id = $1 AND ci.cart_id = c.id AND c.user_id = $2 "
				 "RETURNING ci.id",
				 line_id, c->who.user_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_CART_ITEM_NOT_FOUND;
	return cart_contents(c, cart);
}
