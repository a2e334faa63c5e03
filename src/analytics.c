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
 * paid ones (CONFIRMED, BAKING, READY, DISPATCHED, DELIVERED). The figures come
 * from the per-day summaries that triggers keep exact in the commit of every
 * change (schema/0014_analytics_summary.sql), so a range costs its days, not its
 * orders. s: per day and slot time, from the orders summary, which the totals,
 * the days and the slots derive from; the delivery times, the bookings and the
 * cakes have a summary each. The answer is the one the same statement gave over
 * the orders themselves, to the last digit (t/66-analytics-summary.t compares
 * them): rows whose figures went back to zero are skipped where they would show,
 * and the delivery minutes keep their numeric scale. Cakes that tie on quantity,
 * revenue and name are ordered by product id (they were in no defined order). */
#define PAID "status IN ('CONFIRMED','BAKING','READY','DISPATCHED','DELIVERED')"
#define DAYS "day BETWEEN $1::date AND $2::date"
/* clang-format off */
static const char analytics_sql[] =
	"WITH s AS (SELECT day, slot, "
	"  sum(amount) FILTER (WHERE " PAID ") AS revenue, "
	"  sum(orders) FILTER (WHERE " PAID ") AS n, "
	"  sum(orders) FILTER (WHERE status = 'DELIVERED') AS delivered, "
	"  sum(units) FILTER (WHERE status <> 'CANCELLED') AS units, "
	"  sum(orders) FILTER (WHERE status <> 'CANCELLED') AS live "
	"  FROM analytics_day_orders WHERE " DAYS " GROUP BY day, slot), "
	"dl AS (SELECT COALESCE(sum(orders) FILTER (WHERE late <= $3::int), 0) AS on_time, "
	"  sum(minutes) FILTER (WHERE scale >= 0 AND orders > 0) AS min_sum, "
	"  sum(orders) FILTER (WHERE scale >= 0) AS min_n "
	"  FROM analytics_day_delivered WHERE " DAYS "), "
	"tot AS (SELECT COALESCE(sum(revenue), 0) AS revenue, COALESCE(sum(n), 0) AS n, "
	"  COALESCE(sum(delivered), 0) AS delivered FROM s), "
	"cakes AS (SELECT product_id, max(product_name) AS name, sum(quantity)::int AS quantity, "
	"  sum(revenue) AS revenue FROM analytics_day_cakes WHERE " DAYS " AND lines > 0 "
	"  GROUP BY product_id ORDER BY 3 DESC, 4 DESC, 2, 1 LIMIT 10), "
	"book AS (SELECT COALESCE(sum(booked), 0) AS booked, COALESCE(sum(failed), 0) AS failed "
	"  FROM analytics_day_bookings WHERE " DAYS "), "
	"per_day AS (SELECT day, sum(revenue) AS revenue, sum(n) AS n FROM s WHERE n > 0 GROUP BY day), "
	"days AS (SELECT g::date AS day FROM generate_series($1::date, $2::date, interval '1 day') g), "
	"slots AS (SELECT slot, sum(units)::int AS units FROM s WHERE live > 0 GROUP BY slot) "
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
	"CASE WHEN tot.delivered > 0 THEN round(dl.on_time::numeric / tot.delivered, 4)::text END AS on_time_rate, "
	"round((dl.min_sum / NULLIF(dl.min_n, 0))::numeric, 1)::text AS avg_min "
	"FROM tot, dl, book";
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

/* ---- for the admin page's charts (not in the API's answer) ---- */

/* The cakes of paid orders per product AND size, from the cakes summary's
 * rows of the range (schema/0018: kept per size too), as popularCakes is per
 * product; rows whose figures went back to zero are skipped. */
/* clang-format off */
static const char cakes_by_size_sql[] =
	"SELECT COALESCE(json_agg(json_build_object('productId', product_id, 'variantId', variant_id, "
	"  'name', name, 'label', label, 'quantity', quantity, 'revenue', revenue::text) "
	"  ORDER BY quantity DESC, revenue DESC, name, label, variant_id), '[]')::text AS j FROM ("
	" SELECT product_id, variant_id, max(product_name) AS name, max(variant_label) AS label, "
	"  sum(quantity)::int AS quantity, sum(revenue) AS revenue "
	" FROM analytics_day_cakes WHERE " DAYS " AND lines > 0 "
	" GROUP BY product_id, variant_id "
	" ORDER BY 5 DESC, 6 DESC, 3, 4, 2 LIMIT $3::int) c";
/* clang-format on */

enum outcome analytics_cakes_by_size(struct ctx *c, const struct analytics_range *range, int limit,
				     struct json_object **out)
{
	char lim[16];

	snprintf(lim, sizeof lim, "%d", limit);
	PGresult *res = db_query(c, cakes_by_size_sql, range->from, range->to, lim);
	const char *j = res ? db_val(res, 0, "j") : NULL;
	*out = j ? json_own(c->a, json_tokener_parse(j)) : NULL;
	return *out ? OK : E_DB;
}

/* The kitchen units booked per day and slot time (orders not cancelled, from
 * the orders summary), with every slot time of the shop's day ($3 open hour,
 * $4 close hour, $5 slot minutes) as a column, and any other time that holds
 * bookings. The cells are one join, grouped by day (a subquery per day read
 * the range's summary rows once per day: a year's grid took ~90 ms). */
/* clang-format off */
static const char slot_grid_sql[] =
	"WITH days AS (SELECT g::date AS day FROM generate_series($1::date, $2::date, interval '1 day') g), "
	"u AS (SELECT day, slot, sum(units) FILTER (WHERE status <> 'CANCELLED') AS units "
	"  FROM analytics_day_orders WHERE " DAYS " GROUP BY day, slot), "
	"slots AS (SELECT to_char(make_interval(mins => m), 'HH24:MI') AS slot "
	"  FROM generate_series($3::int * 60, $4::int * 60 - $5::int, $5::int) m "
	"  UNION SELECT slot FROM u WHERE units > 0), "
	"grid AS (SELECT d.day, json_agg(COALESCE(u.units, 0)::int ORDER BY s.slot) AS units "
	"  FROM days d CROSS JOIN slots s LEFT JOIN u ON u.day = d.day AND u.slot = s.slot GROUP BY d.day) "
	"SELECT json_build_object('slots', (SELECT COALESCE(json_agg(slot ORDER BY slot), '[]') FROM slots), "
	" 'days', (SELECT json_agg(json_build_object('date', d.day, 'units', COALESCE(g.units, '[]')) ORDER BY d.day) "
	"   FROM days d LEFT JOIN grid g ON g.day = d.day))::text AS j";
/* clang-format on */

enum outcome analytics_slot_grid(struct ctx *c, const struct analytics_range *range, struct json_object **out)
{
	char open[8], close[8], mins[8];

	snprintf(open, sizeof open, "%d", cfg->open_hour);
	snprintf(close, sizeof close, "%d", cfg->close_hour);
	snprintf(mins, sizeof mins, "%d", cfg->slot_minutes);
	PGresult *res = db_query(c, slot_grid_sql, range->from, range->to, open, close, mins);
	const char *j = res ? db_val(res, 0, "j") : NULL;
	*out = j ? json_own(c->a, json_tokener_parse(j)) : NULL;
	if (!*out)
		return E_DB;
	json_object_object_add(*out, "capacity", json_object_new_int(cfg->slot_capacity_units));
	return OK;
}
