/* analytics.c: sales and delivery numbers for a range of delivery days: the range rules and the one statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics.h"
#include "conf.h"
#include "db.h"
#include "json.h"

/* Orders count by their delivery slot's day (Asia/Kolkata); revenue counts the
 * paid ones (CONFIRMED, BAKING, READY, DISPATCHED, DELIVERED). One statement,
 * set-based, reading orders in ONE grouped pass (g: per day and slot time) that
 * the totals, the days, the slots and the delivery numbers all come from; the
 * cakes and the bookings each join once. A long range is read in parallel. */
#define PAID "status IN ('CONFIRMED','BAKING','READY','DISPATCHED','DELIVERED')"
#define TIMED "status = 'DELIVERED' AND dispatched_at IS NOT NULL AND delivered_at IS NOT NULL"
#define IN_RANGE(o) o "delivery_slot >= $1::date AND " o "delivery_slot < $2::date + 1"
/* clang-format off */
static const char analytics_sql[] =
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
	"  GROUP BY i.product_id ORDER BY 3 DESC, 4 DESC, 2 LIMIT 10), "
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
	"   'quantity', quantity, 'revenue', round(revenue, 2)::text) ORDER BY quantity DESC, revenue DESC, name) FROM cakes), '[]'), "
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

/* Seconds since the epoch of a YYYY-MM-DD day at 00:00 UTC. */
static time_t day_start(const char *d)
{
	struct tm t = { 0 };
	sscanf(d, "%4d-%2d-%2d", &t.tm_year, &t.tm_mon, &t.tm_mday);
	t.tm_year -= 1900, t.tm_mon--;
	return timegm(&t);
}

long analytics_days_between(const char *a, const char *b)
{
	return (long)((day_start(b) - day_start(a)) / 86400);
}

/* The day n days after d (before when negative) into out. */
static void day_add(const char *d, int n, char out[11])
{
	time_t s = day_start(d) + (time_t)n * 86400;
	struct tm t;
	gmtime_r(&s, &t);
	strftime(out, 11, "%Y-%m-%d", &t);
}

enum outcome analytics_range_resolve(const char *from, const char *to, const char *today, struct analytics_range *out)
{
	snprintf(out->to, sizeof out->to, "%s", to && *to ? to : today);
	if (from && *from)
		snprintf(out->from, sizeof out->from, "%s", from);
	else
		day_add(out->to, -(ANALYTICS_DEFAULT_RANGE_DAYS - 1), out->from);
	long span = analytics_days_between(out->from, out->to);
	if (span < 0)
		return E_RANGE_REVERSED;
	if (span + 1 > ANALYTICS_MAX_RANGE_DAYS)
		return E_RANGE_TOO_LONG;
	return OK;
}

static struct json_object *number_or_null(const char *text)
{
	return text ? json_object_new_double_s(strtod(text, NULL), text) : NULL;
}

enum outcome analytics_compute(struct ctx *c, const struct analytics_range *range, struct json_object **out)
{
	char mins[16], cap[16];

	*out = NULL;
	snprintf(mins, sizeof mins, "%d", cfg->slot_minutes);
	snprintf(cap, sizeof cap, "%d", cfg->slot_capacity_units);
	PGresult *res = db_query(c, analytics_sql, range->from, range->to, mins, cap);
	if (!res)
		return E_DB;
	const char *j = db_val(res, 0, "j");
	struct json_object *o = j ? json_tokener_parse(j) : NULL, *perf;
	if (!o || !json_object_object_get_ex(o, "deliveryPerformance", &perf)) {
		/* PostgreSQL built it: unreadable only if broken, answered as a failed query */
		json_object_put(o);
		return E_DB;
	}
	json_object_object_add(perf, "onTimeRate", number_or_null(db_val(res, 0, "on_time_rate")));
	json_object_object_add(perf, "averageMinutesToDeliver", number_or_null(db_val(res, 0, "avg_min")));
	*out = json_own(c->a, o);
	return OK;
}
