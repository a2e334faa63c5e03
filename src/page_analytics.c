/* page_analytics.c: the analytics of a date range as JSON (GET /api/admin/analytics)
 * and as the admin page with server-drawn SVG charts (GET /admin/analytics). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "analytics.h"
#include "chart.h"
#include "handlers.h"
#include "http.h"
#include "json.h"
#include "timefmt.h"
#include "util.h"

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

/* The charts' geometry, in SVG user units (the viewBox; CSS scales it). */
#define CHART_W 720
#define REV_H 272
#define REV_X0 84  /* the y axis; its labels to the left */
#define REV_X1 712 /* the plot's right edge */
#define REV_TOP 24 /* room for the value labels above the highest bar */
#define REV_Y0 224 /* the x axis; the days' labels below */
#define CAKE_ROW 44
#define CAKE_X0 8
#define CAKE_X1 620	 /* room for the value after the longest bar */
#define LABEL_CHAR_W 7.4 /* the width of a character at font-size 12, roughly */
/* Bars narrower than this (ranges of more than 44 days) carry no value label: the
 * labels would overlap; each bar's <title>, the description and the table say it. */
#define MIN_LABELLED_BAR 14

static int64_t paise_of(struct json_object *o, const char *key)
{
	int64_t p = 0;
	money_parse(json_object_get_string(json_object_object_get(o, key)), &p);
	return p;
}

static const char *inr(struct req *r, int64_t paise)
{
	char s[40];
	money_format_inr(paise, s);
	return arena_strdup(r->a, s);
}

/* Characters (not bytes) of UTF-8 text s. */
static int text_chars(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A calendar day named for people (timefmt_date); the text as it came when it is not a date. */
static const char *day_label(struct req *r, const char *date, enum timefmt_date_style style)
{
	char out[TIMEFMT_MAX];
	if (timefmt_date(date, style, time(NULL), out) != 0)
		return date ? date : "";
	return arena_strdup(r->a, out);
}

/* Each day of the list gets "dateText": its date named for people. */
static void add_day_text(struct req *r, struct json_object *days)
{
	size_t n = json_object_is_type(days, json_type_array) ? json_object_array_length(days) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *day = json_object_array_get_idx(days, i);
		const char *date = json_object_get_string(json_object_object_get(day, "date"));
		json_object_object_add(day, "dateText", jstr(day_label(r, date, TIMEFMT_DATE_DAY)));
	}
}

static void add_num(struct json_object *o, const char *key, double v)
{
	char s[32]; /* one decimal: short attributes; finer than a pixel is of no use */
	snprintf(s, sizeof s, "%.1f", v);
	json_object_object_add(o, key, jstr(s));
}

/* Horizontal grid lines with their labels, for an axis of money (paise) drawn
 * from y0 up to top_y. */
static struct json_object *money_ticks(struct req *r, const struct chart_axis *ax, double y0, double top_y)
{
	struct json_object *ticks = json_object_new_array();
	for (int i = 0; i < ax->ticks; i++) {
		struct json_object *t = json_object_new_object();
		double y = y0 - chart_scale((int64_t)(ax->step * (uint64_t)i), ax->top, y0 - top_y);
		add_num(t, "y", y);
		add_num(t, "labelY", y + 4);
		json_object_object_add(t, "label", jstr(inr(r, (int64_t)(ax->step * (uint64_t)i))));
		json_object_array_add(ticks, t);
	}
	return ticks;
}

/* The value label of a bar: above it, or turned upright (inside the bar when
 * it is tall enough) when the bars are too narrow for the text. */
static void value_label(struct json_object *b, const char *text, double cx, double top, double h, double slot_w)
{
	double len = text_chars(text) * LABEL_CHAR_W + 6;
	json_object_object_add(b, "value", jstr(text));
	if (slot_w >= len) {
		add_num(b, "vx", cx);
		add_num(b, "vy", top - 5);
		json_object_object_add(b, "flat", jbool(1));
	} else if (h >= len + 4) {
		add_num(b, "vx", cx);
		add_num(b, "vy", top + h - 5);
		json_object_object_add(b, "inside", jbool(1));
	} else {
		add_num(b, "vx", cx);
		add_num(b, "vy", top - 5);
		json_object_object_add(b, "above", jbool(1));
	}
}

/* The revenue chart: a bar per day on an axis of rupees with nice ticks, the
 * value over each day that had any (when there is room), every k-th day named
 * under the axis. */
static struct json_object *revenue_chart(struct req *r, struct json_object *days, const struct analytics_range *range)
{
	size_t n = json_object_array_length(days);
	int64_t max = 0, total = 0;
	const char *best_day = NULL;
	int with_sales = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(days, i);
		int64_t p = paise_of(d, "revenue");
		total += p;
		with_sales += p > 0;
		if (p > max)
			max = p, best_day = json_object_get_string(json_object_object_get(d, "date"));
	}
	struct chart_axis ax;
	chart_axis_nice(max > 100 ? max : 100, 5, &ax); /* an empty range still reads 0 to ₹1 */
	double slot_w = n ? (double)(REV_X1 - REV_X0) / (double)n : 0;
	size_t every = n > 10 ? (n + 9) / 10 : 1; /* at most about 10 days named */

	struct json_object *c = json_object_new_object(), *bars = json_object_new_array(), *xl = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(days, i), *b = json_object_new_object();
		const char *date = json_object_get_string(json_object_object_get(d, "date"));
		int64_t p = paise_of(d, "revenue");
		double h = chart_scale(p, ax.top, REV_Y0 - REV_TOP), x = REV_X0 + slot_w * (double)i;
		add_num(b, "x", x + slot_w * 0.15);
		add_num(b, "y", REV_Y0 - h);
		add_num(b, "w", slot_w * 0.7 > 1 ? slot_w * 0.7 : 1);
		add_num(b, "h", h);
		json_object_object_add(b, "title", jstr(arena_printf(r->a, "%s: %s", date, inr(r, p))));
		if (p > 0 && slot_w >= MIN_LABELLED_BAR)
			value_label(b, inr(r, p), x + slot_w / 2, REV_Y0 - h, h, slot_w);
		json_object_array_add(bars, b);
		if (i % every == 0) {
			struct json_object *l = json_object_new_object();
			add_num(l, "x", x + slot_w / 2);
			json_object_object_add(l, "label", jstr(day_label(r, date, TIMEFMT_DATE_TICK)));
			json_object_array_add(xl, l);
		}
	}
	json_object_object_add(c, "bars", bars);
	json_object_object_add(c, "xLabels", xl);
	json_object_object_add(c, "yTicks", money_ticks(r, &ax, REV_Y0, REV_TOP));
	const char *from = day_label(r, range->from, TIMEFMT_DATE_LONG), *to = day_label(r, range->to, TIMEFMT_DATE_LONG);
	json_object_object_add(c, "title", jstr(arena_printf(r->a, "Revenue per delivery day, %s to %s", from, to)));
	const char *desc = arena_printf(r->a, "No paid orders in these %zu days: every bar is at %s.", n, inr(r, 0));
	if (max > 0)
		desc = arena_printf(r->a,
				    "Bars of the revenue of paid orders, one per day, on a scale of %s to %s. "
				    "%d of %zu days had sales; the best was %s with %s; in all %s. "
				    "Every day is in the table below.",
				    inr(r, 0), inr(r, (int64_t)ax.top), with_sales, n, day_label(r, best_day, TIMEFMT_DATE_TICK),
				    inr(r, max), inr(r, total));
	json_object_object_add(c, "desc", jstr(desc));
	return c;
}

/* The cakes chart: a bar per product and size, best first, its name above it
 * and the number sold after it, on an axis of cakes with nice ticks. */
static struct json_object *cakes_chart(struct req *r, struct json_object *cakes)
{
	size_t n = json_object_array_length(cakes);
	int64_t max = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t q = json_object_get_int64(json_object_object_get(json_object_array_get_idx(cakes, i), "quantity"));
		max = q > max ? q : max;
	}
	struct chart_axis ax;
	chart_axis_nice(max, 5, &ax);
	double axis_y = (double)n * CAKE_ROW + 6;
	struct json_object *c = json_object_new_object(), *bars = json_object_new_array(), *ticks = json_object_new_array();
	const char *desc = "Cakes sold per product and size, best first:";
	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_array_get_idx(cakes, i), *b = json_object_new_object();
		int64_t q = json_object_get_int64(json_object_object_get(k, "quantity"));
		const char *name = arena_printf(r->a, "%s — %s", json_object_get_string(json_object_object_get(k, "name")),
						json_object_get_string(json_object_object_get(k, "label")));
		double y = (double)i * CAKE_ROW, w = chart_scale(q, ax.top, CAKE_X1 - CAKE_X0);
		add_num(b, "textY", y + 16);
		add_num(b, "y", y + 22);
		add_num(b, "w", w > 1 ? w : 1);
		add_num(b, "vx", CAKE_X0 + w + 6);
		add_num(b, "vy", y + 35);
		json_object_object_add(b, "name", jstr(name));
		json_object_object_add(b, "quantity", jint(q));
		json_object_array_add(bars, b);
		desc = arena_printf(r->a, "%s %s: %lld%s", desc, name, (long long)q, i + 1 < n ? ";" : ".");
	}
	for (int i = 0; i < ax.ticks; i++) {
		struct json_object *t = json_object_new_object();
		add_num(t, "x", CAKE_X0 + chart_scale((int64_t)(ax.step * (uint64_t)i), ax.top, CAKE_X1 - CAKE_X0));
		json_object_object_add(t, "label", jint((int64_t)(ax.step * (uint64_t)i)));
		json_object_array_add(ticks, t);
	}
	json_object_object_add(c, "bars", bars);
	json_object_object_add(c, "ticks", ticks);
	add_num(c, "axisY", axis_y);
	add_num(c, "tickLabelY", axis_y + 18);
	add_num(c, "titleY", axis_y + 36);
	add_num(c, "height", axis_y + 44);
	json_object_object_add(c, "desc", jstr(desc));
	return c;
}

/* The colour step of a cell (heat-0 .. heat-5), its words in the legend. */
static int heat_level(int64_t units, int64_t capacity)
{
	if (units <= 0 || capacity <= 0)
		return units > 0 ? 5 : 0;
	int64_t pct = units * 100 / capacity;
	return pct >= 100 ? 5 : pct > 75 ? 4
		: pct > 50		 ? 3
		: pct > 25		 ? 2
					 : 1;
}

/* The day x slot grid of kitchen units booked against each slot's capacity:
 * each cell its numbers ("4/12") and a colour step. */
static struct json_object *slot_heatmap(struct req *r, struct json_object *grid)
{
	int64_t cap = json_object_get_int64(json_object_object_get(grid, "capacity"));
	struct json_object *days = json_object_object_get(grid, "days"), *rows = json_object_new_array();
	struct json_object *slots = json_object_object_get(grid, "slots");
	for (size_t i = 0; i < json_object_array_length(days); i++) {
		struct json_object *d = json_object_array_get_idx(days, i), *row = json_object_new_object();
		struct json_object *units = json_object_object_get(d, "units"), *cells = json_object_new_array();
		const char *date = json_object_get_string(json_object_object_get(d, "date"));
		for (size_t j = 0; j < json_object_array_length(units); j++) {
			int64_t u = json_object_get_int64(json_object_array_get_idx(units, j));
			struct json_object *cell = json_object_new_object();
			json_object_object_add(cell, "text", jstr(arena_printf(r->a, "%lld/%lld", (long long)u, (long long)cap)));
			json_object_object_add(cell, "level", jint(heat_level(u, cap)));
			json_object_object_add(cell, "slot", json_object_get(json_object_array_get_idx(slots, j)));
			json_object_array_add(cells, cell);
		}
		json_object_object_add(row, "date", jstr(date));
		json_object_object_add(row, "label", jstr(day_label(r, date, TIMEFMT_DATE_DAY)));
		json_object_object_add(row, "cells", cells);
		json_object_array_add(rows, row);
	}
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "slots", json_object_get(slots));
	json_object_object_add(h, "rows", rows);
	json_object_object_add(h, "capacity", jint(cap));
	return h;
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

/* Each element's money field key as rupees for people ("₹2,600") under key "Text". */
static void add_money_text(struct req *r, struct json_object *list, const char *key)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		json_object_object_add(o, arena_printf(r->a, "%sText", key), jstr(inr(r, paise_of(o, key))));
	}
}

static enum outcome add_charts(struct req *r, struct json_object *ctx, struct json_object *a,
			       const struct analytics_range *range)
{
	struct json_object *cakes, *grid;
	enum outcome o = analytics_cakes_by_size(&r->ctx, range, 10, &cakes);
	if (o == OK)
		o = analytics_slot_grid(&r->ctx, range, &grid);
	if (o != OK)
		return o;
	struct json_object *days = json_object_object_get(a, "revenuePerDay");
	add_money_text(r, days, "revenue");
	add_day_text(r, days);
	add_money_text(r, cakes, "revenue");
	json_object_object_add(ctx, "revenueText", jstr(inr(r, paise_of(a, "totalRevenue"))));
	json_object_object_add(ctx, "averageText", jstr(inr(r, paise_of(a, "averageOrderValue"))));
	json_object_object_add(ctx, "rev", revenue_chart(r, days, range));
	json_object_object_add(ctx, "cakes", json_object_get(cakes));
	if (json_object_array_length(cakes)) {
		json_object_object_add(ctx, "hasCakes", jbool(1));
		json_object_object_add(ctx, "cakeChart", cakes_chart(r, cakes));
	}
	json_object_object_add(ctx, "heat", slot_heatmap(r, grid));
	add_utilisation(json_object_object_get(a, "slotUtilisation"));
	struct json_object *perf = json_object_object_get(a, "deliveryPerformance");
	struct json_object *rate = json_object_object_get(perf, "onTimeRate");
	if (rate)
		json_object_object_add(ctx, "onTimePercent",
				       jstr(arena_printf(r->a, "%.1f%%", json_object_get_double(rate) * 100)));
	return OK;
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
	o = add_charts(r, ctx, a, &range);
	if (o != OK) {
		json_object_put(ctx);
		return reply_outcome(r, o, NULL);
	}
	json_object_object_add(ctx, "a", json_object_get(a));
	return reply_html(r, 200, "admin/analytics", ctx);
}
