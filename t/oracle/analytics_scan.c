/* analytics_scan.c: the oracle of t/66-analytics-summary.t. The analytics answer
 * computed as it was before the per-day summaries (schema/0011): src/analytics.c's
 * statement over the orders, order_items and deliveries themselves, and the same
 * JSON built from it. The summaries must give the same bytes. One change: popular
 * cakes that tie on quantity, revenue and name (two products of the same name) were
 * in no defined order, and the tenth place among them was anyone's; both statements
 * now order them by product id.
 *
 * Usage: analytics_scan FROM TO [summary]   (days as YYYY-MM-DD)
 * prints the body GET /api/admin/analytics?from=FROM&to=TO answers, computed over
 * the orders; with "summary", the body analytics_compute gives (the summaries).
 * The configuration comes from the environment, as lafete reads it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "arena.h"
#include "conf.h"
#include "db.h"
#include "http.h"
#include "json.h"

#define PAID "status IN ('CONFIRMED','BAKING','READY','DISPATCHED','DELIVERED')"
#define TIMED "status = 'DELIVERED' AND dispatched_at IS NOT NULL AND delivered_at IS NOT NULL"
#define IN_RANGE(o) o "delivery_slot >= $1::date AND " o "delivery_slot < $2::date + 1"
/* clang-format off */
static const char scan_sql[] =
	"WITH g AS (SELECT delivery_slot::date AS day, to_char(delivery_slot, 'HH24:MI') AS slot, "
	"  COALESCE(sum(total_amount) FILTER (WHERE " PAID "), 0) AS revenue, "
	"  count(*) FILTER (WHERE " PAID ") AS n, "
	"  count(*) FILTER (WHERE status = 'DELIVERED') AS delivered, "
	"  count(*) FILTER (WHERE status = 'DELIVERED' "
	"    AND delivered_at <= delivery_slot + make_interval(mins => $3::int)) AS on_time, "
	"  sum(EXTRACT(EPOCH FROM delivered_at - dispatched_at) / 60) FILTER (WHERE " TIMED ") AS min_sum, "
	"  count(*) FILTER (WHERE " TIMED ") AS min_n, "
	"  sum(slot_units) FILTER (WHERE status <> 'CANCELLED') AS units, "
	"  count(*) FILTER (WHERE status <> 'CANCELLED') AS live "
	"  FROM orders WHERE " IN_RANGE("") " GROUP BY 1, 2), "
	"tot AS (SELECT COALESCE(sum(revenue), 0) AS revenue, COALESCE(sum(n), 0) AS n, "
	"  COALESCE(sum(delivered), 0) AS delivered, COALESCE(sum(on_time), 0) AS on_time, "
	"  sum(min_sum) / NULLIF(sum(min_n), 0) AS avg_min FROM g), "
	"cakes AS (SELECT i.product_id, max(i.product_name) AS name, sum(i.quantity)::int AS quantity, "
	"  sum(i.line_total) AS revenue FROM orders o JOIN order_items i ON i.order_id = o.id "
	"  WHERE " IN_RANGE("o.") " AND o." PAID " "
	"  GROUP BY i.product_id ORDER BY 3 DESC, 4 DESC, 2, 1 LIMIT 10), "
	"book AS (SELECT count(*) FILTER (WHERE d.booking_state = 'BOOKED') AS booked, "
	"  count(*) FILTER (WHERE d.booking_state = 'FAILED') AS failed "
	"  FROM orders o JOIN deliveries d ON d.order_id = o.id WHERE " IN_RANGE("o.") "), "
	"per_day AS (SELECT day, sum(revenue) AS revenue, sum(n) AS n FROM g WHERE n > 0 GROUP BY day), "
	"days AS (SELECT g::date AS day FROM generate_series($1::date, $2::date, interval '1 day') g), "
	"slots AS (SELECT slot, sum(units)::int AS units FROM g WHERE live > 0 GROUP BY slot) "
	"SELECT json_build_object("
	" 'from', $1::date, 'to', $2::date, "
	" 'totalRevenue', round(tot.revenue, 2)::text, 'orderCount', tot.n, "
	" 'averageOrderValue', CASE WHEN tot.n > 0 THEN round(tot.revenue / tot.n, 2) ELSE 0.00 END::numeric(14,2)::text, "
	" 'popularCakes', COALESCE((SELECT json_agg(json_build_object('productId', product_id, 'name', name, "
	"   'quantity', quantity, 'revenue', round(revenue, 2)::text) ORDER BY quantity DESC, revenue DESC, name, product_id) FROM cakes), '[]'), "
	" 'deliveryPerformance', json_build_object('booked', book.booked, 'delivered', tot.delivered), "
	" 'failedBookings', book.failed, "
	" 'revenuePerDay', (SELECT json_agg(json_build_object('date', days.day, "
	"   'revenue', round(COALESCE(per_day.revenue, 0), 2)::numeric(14,2)::text, 'orderCount', COALESCE(per_day.n, 0)) "
	"   ORDER BY days.day) FROM days LEFT JOIN per_day ON per_day.day = days.day), "
	" 'slotUtilisation', COALESCE((SELECT json_agg(json_build_object('slot', slot, 'bookedUnits', units, "
	"   'capacityUnits', $4::int * (SELECT count(*) FROM days)) ORDER BY slot) FROM slots), '[]') "
	")::text AS j, "
	"CASE WHEN tot.delivered > 0 THEN round(tot.on_time::numeric / tot.delivered, 4)::text END AS on_time_rate, "
	"round(tot.avg_min::numeric, 1)::text AS avg_min "
	"FROM tot, book";
/* clang-format on */

static struct json_object *number_or_null(const char *text)
{
	return text ? json_object_new_double_s(strtod(text, NULL), text) : NULL;
}

/* The answer over the orders, built as analytics_compute built it. */
static struct json_object *scan(struct ctx *c, const struct analytics_range *range)
{
	char mins[16], cap[16];

	snprintf(mins, sizeof mins, "%d", cfg->slot_minutes);
	snprintf(cap, sizeof cap, "%d", cfg->slot_capacity_units);
	PGresult *res = db_query(c, scan_sql, range->from, range->to, mins, cap);
	const char *j = res ? db_val(res, 0, "j") : NULL;
	struct json_object *o = j ? json_tokener_parse(j) : NULL, *perf;
	if (!o || !json_object_object_get_ex(o, "deliveryPerformance", &perf))
		return NULL;
	json_object_object_add(perf, "onTimeRate", number_or_null(db_val(res, 0, "on_time_rate")));
	json_object_object_add(perf, "averageMinutesToDeliver", number_or_null(db_val(res, 0, "avg_min")));
	return o;
}

int main(int argc, char **argv)
{
	char err[2048];
	struct db db = { 0 };
	struct ctx c = { 0 };
	struct analytics_range range;
	struct json_object *o = NULL;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "summary") != 0)) {
		fprintf(stderr, "usage: analytics_scan FROM TO [summary]\n");
		return 2;
	}
	if (conf_load(getenv("LAFETE_ENV_FILE"), err, sizeof err) != 0) {
		fprintf(stderr, "analytics_scan: invalid configuration:\n%s", err);
		return 2;
	}
	snprintf(range.from, sizeof range.from, "%s", argv[1]);
	snprintf(range.to, sizeof range.to, "%s", argv[2]);
	c.a = arena_new();
	c.db = &db;
	if (db_connect(&db, "analytics-scan") != 0)
		return 2;
	if (argc == 4) {
		if (analytics_compute(&c, &range, &o) == OK)
			json_object_get(o);
	} else {
		o = scan(&c, &range);
	}
	int rc = o ? 0 : 1;
	if (o)
		puts(json_object_to_json_string_ext(o, JSON_OUT_FLAGS));
	else
		fprintf(stderr, "analytics_scan: the statement failed\n");
	json_object_put(o);
	db_done(&db);
	db_disconnect(&db);
	arena_free(c.a);
	return rc;
}
