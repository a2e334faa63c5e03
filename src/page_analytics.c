/* page_analytics.c: the analytics of a date range as JSON (GET /api/admin/analytics)
 * and as the admin page with server-drawn SVG charts (GET /admin/analytics). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "analytics.h"
#include "handlers.h"
#include "http.h"
#include "json.h"
#include "util.h"

#define CHART_W 720
#define CHART_H 200

/* Reads ?from= and ?to= into a range; NULL, or the message of a 400 with
 * *field naming the parameter at fault. */
static const char *read_range(struct req *r, struct analytics_range *range, const char **field)
{
	const char *f = query_get(r, "from"), *t = query_get(r, "to");
	char today[11];

	*field = "to";
	if (t && *t && admin_parse_date(t) != 0)
		return "to must be a day as YYYY-MM-DD";
	*field = "from";
	if (f && *f && admin_parse_date(f) != 0)
		return "from must be a day as YYYY-MM-DD";
	admin_kolkata_date(0, today);
	enum outcome o = analytics_range_resolve(f, t, today, range);
	return o == OK ? NULL : outcome_info(o)->message;
}

/* GET /api/admin/analytics?from&to: the numbers of the range as JSON. */
int api_admin_analytics(struct req *r)
{
	struct analytics_range range;
	struct json_object *a;
	const char *field;
	const char *err = read_range(r, &range, &field);

	if (err)
		return reply_error(r, 400, "VALIDATION_ERROR", field, "%s", err);
	enum outcome o = analytics_compute(&r->ctx, &range, &a);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return reply_json(r, 200, json_object_get(a));
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

/* GET /admin/analytics?from&to: the numbers of the range with charts drawn as SVG. */
int admin_analytics_page(struct req *r)
{
	struct analytics_range range;
	struct json_object *a;
	const char *field;
	const char *err = read_range(r, &range, &field);
	struct json_object *ctx = admin_page_ctx(r, "analytics", "Analytics");

	if (err) {
		json_object_object_add(ctx, "error", jstr(err));
		return reply_html(r, 400, "admin/analytics", ctx);
	}
	enum outcome o = analytics_compute(&r->ctx, &range, &a);
	if (o != OK) {
		json_object_put(ctx);
		return reply_outcome(r, o, NULL);
	}
	json_object_object_add(ctx, "from", jstr(range.from));
	json_object_object_add(ctx, "to", jstr(range.to));
	add_charts(r, ctx, a);
	json_object_object_add(ctx, "a", json_object_get(a));
	return reply_html(r, 200, "admin/analytics", ctx);
}
