/* test_analytics.c: the analytics range rules (defaults, order, the longest span). */
#include <stdio.h>

#include "analytics.h"
#include "tap.h"

int main(void)
{
	struct analytics_range r;

	ok(analytics_range_resolve(NULL, NULL, "2031-06-30", &r) == OK, "defaults accepted");
	is_str(r.to, "2031-06-30", "to defaults to today");
	is_str(r.from, "2031-06-01", "from defaults to 30 days ending at to");
	ok(analytics_range_resolve("", "", "2031-03-01", &r) == OK, "empty parameters are the defaults");
	is_str(r.from, "2031-01-31", "across February");
	ok(analytics_range_resolve(NULL, "2031-01-10", "2040-01-01", &r) == OK, "to given, from defaulted");
	is_str(r.from, "2030-12-12", "the window ends at to, across a year");
	ok(analytics_range_resolve("2031-06-01", NULL, "2031-06-03", &r) == OK, "from given, to today");
	is_str(r.from, "2031-06-01", "from kept");
	is_str(r.to, "2031-06-03", "to is today");

	ok(analytics_range_resolve("2031-06-03", "2031-06-03", "2031-06-03", &r) == OK, "one day");
	ok(analytics_range_resolve("2031-06-03", "2031-06-01", "2031-06-03", &r) == E_RANGE_REVERSED, "to before from");
	ok(analytics_range_resolve("2024-01-01", "2024-12-31", "2031-01-01", &r) == OK, "a leap year (366 days)");
	ok(analytics_range_resolve("2031-01-01", "2032-01-02", "2031-01-01", &r) == E_RANGE_TOO_LONG, "367 days refused");
	ok(analytics_range_resolve("2030-01-01", "2031-06-01", "2031-01-01", &r) == E_RANGE_TOO_LONG, "a year and a half refused");
	ok(analytics_days_between("2031-02-28", "2031-03-01") == 1 && analytics_days_between("2032-02-28", "2032-03-01") == 2,
	   "days between across February, leap and not");

	char want[64];
	snprintf(want, sizeof want, "the range may span at most %d days", ANALYTICS_MAX_RANGE_DAYS);
	is_str(outcome_info(E_RANGE_TOO_LONG)->message, want, "the too-long text names the limit");
	is_str(outcome_info(E_RANGE_REVERSED)->message, "to must not be before from", "the reversed text");
	ok(outcome_info(E_RANGE_REVERSED)->status == 400, "400");
	return done_testing();
}
