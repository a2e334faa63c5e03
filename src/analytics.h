/* analytics.h: sales and delivery numbers for a range of delivery days. */
#ifndef APP_ANALYTICS_H
#define APP_ANALYTICS_H

#include <json-c/json.h>

#include "ctx.h"
#include "outcome.h"

#define ANALYTICS_MAX_RANGE_DAYS 366
#define ANALYTICS_DEFAULT_RANGE_DAYS 30

/* Delivery days from..to, both included, as YYYY-MM-DD. */
struct analytics_range {
	char from[11], to[11];
};

/* The range asked for: from and to are real days as YYYY-MM-DD (the caller
 * checked) or NULL/"" for the defaults: to = today, from = the
 * ANALYTICS_DEFAULT_RANGE_DAYS-day window ending at to. OK, E_RANGE_REVERSED
 * (to before from) or E_RANGE_TOO_LONG (over ANALYTICS_MAX_RANGE_DAYS days). */
enum outcome analytics_range_resolve(const char *from, const char *to, const char *today, struct analytics_range *out);

/* Days from a to b (YYYY-MM-DD both; negative when b is before a). */
long analytics_days_between(const char *a, const char *b);

/* The numbers of the range: {from, to, totalRevenue, orderCount,
 * averageOrderValue, popularCakes, deliveryPerformance {booked, delivered,
 * onTimeRate, averageMinutesToDeliver}, failedBookings, revenuePerDay,
 * slotUtilisation}, arena-owned (json_object_get to hand it on). OK or E_DB.
 * One statement: no transaction needed. */
enum outcome analytics_compute(struct ctx *c, const struct analytics_range *range, struct json_object **out);

/* For the admin page: the cakes of paid orders per product and size, best
 * first, at most limit: [{productId, variantId, name, label, quantity, revenue}]
 * (arena-owned). OK or E_DB. */
enum outcome analytics_cakes_by_size(struct ctx *c, const struct analytics_range *range, int limit,
				     struct json_object **out);

/* For the admin page: kitchen units booked per day and slot time, orders not
 * cancelled: {slots: ["10:00", ...], days: [{date, units: [n per slot]}],
 * capacity: units of one slot} (arena-owned). OK or E_DB. */
enum outcome analytics_slot_grid(struct ctx *c, const struct analytics_range *range, struct json_object **out);

#endif
