/* kitchen.c: the kitchen sheet of a day, built by PostgreSQL in two statements. */
#include "arena.h"
#include "conf.h"
#include "db.h"
#include "kitchen.h"
#include "order_view.h"

enum outcome kitchen_sheet(struct ctx *c, const char *date, struct json_object **slots, struct json_object **notes)
{
	*slots = *notes = NULL;
	PGresult *res = db_query(c,
				 "SELECT json_agg(s ORDER BY s.slot_at)::text AS j FROM ("
				 " SELECT t.delivery_slot AS slot_at, to_char(t.delivery_slot, 'HH24:MI') || '–' || "
				 "  to_char(t.delivery_slot + make_interval(mins => $2::int), 'HH24:MI') AS slot, "
				 "  json_agg(json_build_object('name', t.product_name, 'label', t.variant_label, 'quantity', t.qty) "
				 "  ORDER BY t.product_name, t.variant_label) AS cakes, sum(t.qty)::int AS total "
				 " FROM (SELECT o.delivery_slot, i.product_name, i.variant_label, sum(i.quantity)::int AS qty "
				 "       FROM orders o JOIN order_items i ON i.order_id = o.id "
				 "       WHERE o.delivery_slot >= $1::date AND o.delivery_slot < $1::date + 1 "
				 "       AND o.status IN ('CONFIRMED','BAKING','READY') "
				 "       GROUP BY 1, 2, 3) t "
				 " GROUP BY t.delivery_slot) s",
				 date, arena_printf(c->a, "%d", cfg->slot_minutes));
	if (!res)
		return E_DB;
	const char *text = db_val(res, 0, "j");
	res = db_query(c,
		       "SELECT COALESCE(json_agg(json_build_object('orderNumber', o.order_number, "
		       " 'slot', to_char(o.delivery_slot, 'HH24:MI'), 'customMessage', o.custom_message, "
		       " 'isGift', o.is_gift, 'giftMessage', o.gift_message, 'customer', " ORDER_VIEW_CUSTOMER_NAME ", "
		       " 'cakes', (SELECT string_agg(i.quantity || ' × ' || i.product_name || ' (' || i.variant_label || ')', ', ' "
		       "           ORDER BY i.product_name) FROM order_items i WHERE i.order_id = o.id)) "
		       " ORDER BY o.delivery_slot, o.order_number), '[]')::text "
		       "FROM orders o JOIN users u ON u.id = o.user_id "
		       "WHERE o.delivery_slot >= $1::date AND o.delivery_slot < $1::date + 1 "
		       "AND o.status IN ('CONFIRMED','BAKING','READY') "
		       "AND (COALESCE(o.custom_message, '') <> '' OR o.is_gift)",
		       date);
	if (!res)
		return E_DB;
	*slots = text ? json_tokener_parse(text) : NULL;
	if (!*slots)
		*slots = json_object_new_array();
	*notes = json_tokener_parse(PQgetvalue(res, 0, 0));
	return OK;
}
