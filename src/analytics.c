/* analytics.c: sales and delivery numbers for a date range, as JSON and as a page with server-drawn SVG charts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "jsonutil.h"
#include "util.h"

#define MAX_RANGE_DAYS 366
#define DEFAULT_RANGE_DAYS 30
#define CHART_W 720
#define CHART_H 200

/* Orders count by their delivery slot's day (Asia/Kolkata); revenue counts the
 * paid ones (CONFIRMED, BAKING, READY, DISPATCHED, DELIVERED). One statement,
 * set-based, reading orders in ONE grouped pass (g: per day and slot time) that
 * the totals, the days, the slots and the delivery numbers all come from; the
 * cakes and the bookings each join once. A long range is read in parallel. */
#define PAID "status IN ('CONFIRMED','BAKING','READY','DISPATCHED','DELIVERED')"
#define TIMED "status = 'DELIVERED' AND dispatched_at IS NOT NULL AND delivered_at IS NOT NULL"
#define IN_RANGE(o) o "delivery_slot >= $1::date AND " o "delivery_slot < $2::date + 1"
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

/* Days from a to b (both valid YYYY-MM-DD). */
static long days_between(const char *a, const char *b)
{
	struct tm ta = { 0 }, tb = { 0 };
	sscanf(a, "%4d-%2d-%2d", &ta.tm_year, &ta.tm_mon, &ta.tm_mday);
	sscanf(b, "%4d-%2d-%2d", &tb.tm_year, &tb.tm_mon, &tb.tm_mday);
	ta.tm_year -= 1900, tb.tm_year -= 1900, ta.tm_mon--, tb.tm_mon--;
	return (long)((timegm(&tb) - timegm(&ta)) / 86400);
}

static const char *date_add(struct req *r, const char *d, int days)
{
	struct tm t = { 0 };
	sscanf(d, "%4d-%2d-%2d", &t.tm_year, &t.tm_mon, &t.tm_mday);
	t.tm_year -= 1900, t.tm_mon--;
	time_t s = timegm(&t) + (time_t)days * 86400;
	gmtime_r(&s, &t);
	char *out = arena_alloc(r->a, 11);
	strftime(out, 11, "%Y-%m-%d", &t);
	return out;
}

/* Reads ?from= and ?to= with their defaults; NULL and a message when invalid. */
static const char *read_range(struct req *r, const char **from, const char **to, const char **field)
{
	const char *f = query_get(r, "from"), *t = query_get(r, "to");
	char *today = arena_alloc(r->a, 11);

	admin_kolkata_date(0, today);
	*field = "to";
	if (t && *t && admin_parse_date(t) != 0)
		return "to must be a day as YYYY-MM-DD";
	*to = t && *t ? t : today;
	*field = "from";
	if (f && *f && admin_parse_date(f) != 0)
		return "from must be a day as YYYY-MM-DD";
	*from = f && *f ? f : date_add(r, *to, -(DEFAULT_RANGE_DAYS - 1));
	long span = days_between(*from, *to);
	if (span < 0)
		return "to must not be before from";
	if (span + 1 > MAX_RANGE_DAYS)
		return "the range may span at most 366 days";
	return NULL;
}

static struct json_object *number_or_null(const char *text)
{
	return text ? json_object_new_double_s(strtod(text, NULL), text) : NULL;
}

/* The analytics object for [from, to]; NULL on a DB error. */
static struct json_object *analytics_compute(struct req *r, const char *from, const char *to)
{
	const char *mins = arena_printf(r->a, "%d", cfg->slot_minutes);
	const char *cap = arena_printf(r->a, "%d", cfg->slot_capacity_units);
	PGresult *res = db_query(&r->ctx, analytics_sql, from, to, mins, cap);
	if (!res)
		return NULL;
	struct json_object *o = admin_json_text(db_val(res, 0, "j")), *perf;
	if (!o || !json_object_object_get_ex(o, "deliveryPerformance", &perf)) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(perf, "onTimeRate", number_or_null(db_val(res, 0, "on_time_rate")));
	json_object_object_add(perf, "averageMinutesToDeliver", number_or_null(db_val(res, 0, "avg_min")));
	return o;
}

int api_admin_analytics(struct req *r)
{
	const char *from, *to, *field;
	const char *err = read_range(r, &from, &to, &field);
	if (err)
		return reply_error(r, 400, "VALIDATION_ERROR", field, "%s", err);
	struct json_object *o = analytics_compute(r, from, to);
	if (!o)
		return reply_db_error(r);
	return reply_json(r, 200, o);
}

/* ---- the page ---- */

static int64_t paise_of(struct json_object *o, const char *key)
{
	int64_t p = 0;
	money_parse(json_object_get_string(json_object_object_get(o, key)), &p);
	return p;
}

/* Vertical bars of revenue per day, scaled to the best day. */
static struct json_object *day_bars(struct req *r, struct json_object *days)
{
	size_t n = json_object_array_length(days);
	int64_t max = 1;
	for (size_t i = 0; i < n; i++) {
		int64_t p = paise_of(json_object_array_get_idx(days, i), "revenue");
		max = p > max ? p : max;
	}
	struct json_object *bars = json_object_new_array();
	int w = n ? CHART_W / (int)n : CHART_W;
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(days, i), *b = json_object_new_object();
		int h = (int)(paise_of(d, "revenue") * (CHART_H - 20) / max);
		json_object_object_add(b, "x", jint((int64_t)i * w));
		json_object_object_add(b, "y", jint(CHART_H - h));
		json_object_object_add(b, "w", jint(w > 2 ? w - 1 : 1));
		json_object_object_add(b, "h", jint(h));
		json_object_object_add(b, "date", json_object_get(json_object_object_get(d, "date")));
		json_object_object_add(b, "revenue", json_object_get(json_object_object_get(d, "revenue")));
		json_object_array_add(bars, b);
	}
	(void)r;
	return bars;
}

/* Horizontal bars of the popular cakes by quantity. */
static struct json_object *cake_bars(struct json_object *cakes)
{
	size_t n = json_object_array_length(cakes);
	int64_t max = 1;
	for (size_t i = 0; i < n; i++) {
		int64_t q = json_object_get_int64(json_object_object_get(json_object_array_get_idx(cakes, i), "quantity"));
		max = q > max ? q : max;
	}
	struct json_object *bars = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cakes, i), *b = json_object_new_object();
		int64_t q = json_object_get_int64(json_object_object_get(c, "quantity"));
		json_object_object_add(b, "y", jint((int64_t)i * 28));
		json_object_object_add(b, "textY", jint((int64_t)i * 28 + 17));
		json_object_object_add(b, "w", jint(q * 460 / max));
		json_object_object_add(b, "name", json_object_get(json_object_object_get(c, "name")));
		json_object_object_add(b, "quantity", jint(q));
		json_object_array_add(bars, b);
	}
	return bars;
}

/* Percent of capacity per slot time, for the table. */
static void add_utilisation(struct json_object *slots)
{
	for (size_t i = 0; i < json_object_array_length(slots); i++) {
		struct json_object *s = json_object_array_get_idx(slots, i);
		int64_t b = json_object_get_int64(json_object_object_get(s, "bookedUnits"));
		int64_t c = json_object_get_int64(json_object_object_get(s, "capacityUnits"));
		json_object_object_add(s, "percent", jint(c > 0 ? b * 100 / c : 0));
	}
}

static void add_charts(struct req *r, struct json_object *ctx, struct json_object *a)
{
	struct json_object *cakes = json_object_object_get(a, "popularCakes");
	struct json_object *cb = cake_bars(cakes);
	json_object_object_add(ctx, "dayBars", day_bars(r, json_object_object_get(a, "revenuePerDay")));
	json_object_object_add(ctx, "cakeChartHeight", jint((int64_t)json_object_array_length(cb) * 28 + 4));
	json_object_object_add(ctx, "cakeBars", cb);
	add_utilisation(json_object_object_get(a, "slotUtilisation"));
	struct json_object *perf = json_object_object_get(a, "deliveryPerformance");
	struct json_object *rate = json_object_object_get(perf, "onTimeRate");
	if (rate)
		json_object_object_add(ctx, "onTimePercent",
			jstr(arena_printf(r->a, "%.1f%%", json_object_get_double(rate) * 100)));
}

int admin_analytics_page(struct req *r)
{
	const char *from, *to, *field;
	const char *err = read_range(r, &from, &to, &field);
	struct json_object *ctx = admin_page_ctx(r, "analytics", "Analytics");

	if (err) {
		json_object_object_add(ctx, "error", jstr(err));
		return reply_html(r, 400, "admin/analytics", ctx);
	}
	struct json_object *a = analytics_compute(r, from, to);
	if (!a) {
		json_object_put(ctx);
		return reply_db_error(r);
	}
	json_object_object_add(ctx, "from", jstr(from));
	json_object_object_add(ctx, "to", jstr(to));
	add_charts(r, ctx, a);
	json_object_object_add(ctx, "a", a);
	return reply_html(r, 200, "admin/analytics", ctx);
}
