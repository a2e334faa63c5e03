/* kitchen.c: a day in the kitchen, slot by slot, built by PostgreSQL in one statement. */
#include "arena.h"
#include "conf.h"
#include "db.h"
#include "kitchen.h"
#include "order_view.h"
#include "util.h"

/* One row per order of the day, then one JSON object per slot. A courier counts
 * as booked while its booking stands: Borzo's cancellation or failure puts the
 * order back among those due (and on the attention list). */
/* clang-format off */
static const char day_sql[] =
	"WITH o AS ("
	" SELECT o.id, o.order_number, o.status, o.delivery_slot, o.needs_attention, o.attention_reason, "
	"  o.custom_message, o.is_gift, o.gift_message, " ORDER_VIEW_CUSTOMER_NAME " AS customer, "
	"  o.status IN ('CONFIRMED','BAKING','READY') AS to_bake, "
	"  o.status IN ('CONFIRMED','BAKING','READY','DISPATCHED','DELIVERED') AS paid, "
	"  o.status IN ('DISPATCHED','DELIVERED') OR COALESCE(d.booking_state = 'BOOKED' "
	"   AND COALESCE(d.status, '') NOT IN ('CANCELLED','FAILED'), false) AS booked "
	" FROM orders o JOIN users u ON u.id = o.user_id LEFT JOIN deliveries d ON d.order_id = o.id "
	" WHERE o.delivery_slot >= $1::date AND o.delivery_slot < $1::date + 1), "
	"c AS ("
	" SELECT o.delivery_slot, i.product_name, i.variant_label, sum(i.quantity)::int AS qty "
	" FROM o JOIN order_items i ON i.order_id = o.id WHERE o.to_bake GROUP BY 1, 2, 3) "
	"SELECT COALESCE(json_agg(s ORDER BY s.at), '[]')::text AS j FROM ("
	" SELECT o.delivery_slot AS at, " SQL_TIME("o.delivery_slot") " AS \"slotAt\", "
	"  " SQL_TIME("o.delivery_slot - make_interval(mins => $2::int)") " AS \"courierDueAt\", "
	"  count(*) FILTER (WHERE o.paid) AS orders, count(*) FILTER (WHERE o.status = 'PENDING') AS unpaid, "
	"  count(*) FILTER (WHERE o.status = 'CANCELLED') AS cancelled, count(*) FILTER (WHERE o.to_bake) AS \"toBake\", "
	"  count(*) FILTER (WHERE o.paid AND o.booked) AS \"couriersBooked\", "
	"  count(*) FILTER (WHERE o.to_bake AND NOT o.booked) AS \"couriersDue\", "
	"  (SELECT COALESCE(json_agg(json_build_object('name', c.product_name, 'label', c.variant_label, 'quantity', c.qty) "
	"    ORDER BY c.product_name, c.variant_label), '[]') FROM c WHERE c.delivery_slot = o.delivery_slot) AS cakes, "
	"  (SELECT COALESCE(sum(c.qty), 0) FROM c WHERE c.delivery_slot = o.delivery_slot) AS \"cakeCount\", "
	"  COALESCE(json_agg(json_build_object('id', o.id, 'orderNumber', o.order_number, 'customer', o.customer, "
	"   'customMessage', NULLIF(o.custom_message, ''), 'isGift', o.is_gift, 'giftMessage', NULLIF(o.gift_message, ''), "
	"   'cakes', (SELECT string_agg(i.quantity || ' × ' || i.product_name || ' (' || i.variant_label || ')', ', ' "
	"             ORDER BY i.product_name, i.variant_label) FROM order_items i WHERE i.order_id = o.id)) "
	"   ORDER BY o.order_number) FILTER (WHERE o.to_bake AND (COALESCE(o.custom_message, '') <> '' OR o.is_gift)), '[]') AS notes, "
	"  COALESCE(json_agg(json_build_object('id', o.id, 'orderNumber', o.order_number, 'reason', o.attention_reason) "
	"   ORDER BY o.order_number) FILTER (WHERE o.needs_attention), '[]') AS attention "
	" FROM o GROUP BY o.delivery_slot) s";
/* clang-format on */

enum outcome kitchen_day(struct ctx *c, const char *date, struct json_object **slots)
{
	*slots = NULL;
	PGresult *res = db_query(c, day_sql, date, arena_printf(c->a, "%d", cfg->dispatch_lead_minutes));
	if (!res || PQntuples(res) != 1)
		return E_DB;
	const char *text = db_val(res, 0, "j");
	/* PostgreSQL's own JSON: an array by construction */
	*slots = text ? json_tokener_parse(text) : NULL;
	if (!*slots || !json_object_is_type(*slots, json_type_array)) {
		json_object_put(*slots);
		*slots = NULL;
		log_err("kitchen_day: not a JSON array");
		return E_DB;
	}
	return OK;
}
