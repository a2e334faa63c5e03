/* test_slots.c: slot times, dates, blackouts, and the grid of a day with its time rules. */
#include "slots.h"
#include "tap.h"

/* 2026-02-14 00:00 in Asia/Kolkata, as Unix time. */
#define FEB14 ((time_t)1771007400)
#define AT(day, h, m) (FEB14 + (time_t)(day)*86400 + (h)*3600 + (m)*60)

/* The fault matrix's clock row: the rules at the exact second around each
 * boundary, in Asia/Kolkata, where a clock near it (or an off-by-one) would
 * offer a slot that cannot be honoured or hide one that can. The app reads
 * time(NULL) here and PostgreSQL's now() for the rest; neither can be set from
 * outside, so these instants are checked on the pure functions. */
static void clock_faults(const struct slot_rules *rules)
{
	struct slot g[SLOTS_PER_DAY_MAX];
	char d[11];

	/* a slot boundary with the lead time: a slot opens only strictly after now + lead */
	slot_grid(rules, 2026, 2, 14, AT(0, 7, 59) + 59, 2, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open, "07:59:59 + 2 h lead: the 10:00 slot is still open");
	slot_grid(rules, 2026, 2, 14, AT(0, 8, 0), 2, g, SLOTS_PER_DAY_MAX);
	ok(!g[0].open && g[1].open, "08:00:00 + 2 h lead: 10:00 closes at that second, 12:00 stays open");
	slot_grid(rules, 2026, 2, 14, AT(0, 9, 59) + 59, 0, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open, "09:59:59, no lead: the 10:00 slot is open a second before it starts");
	slot_grid(rules, 2026, 2, 14, AT(0, 10, 0), 0, g, SLOTS_PER_DAY_MAX);
	ok(!g[0].open && g[1].open, "10:00:00: a slot that has started is not offered; the next is");

	/* the same-day cut-off (14:00) */
	slot_grid(rules, 2026, 2, 14, AT(0, 13, 59) + 59, 0, g, SLOTS_PER_DAY_MAX);
	ok(g[2].open && g[5].open, "13:59:59: today's 14:00 to 20:00 slots open");
	slot_grid(rules, 2026, 2, 14, AT(0, 14, 0), 0, g, SLOTS_PER_DAY_MAX);
	ok(!g[3].open && !g[5].open, "14:00:00: nothing left today");
	slot_grid(rules, 2026, 2, 15, AT(0, 14, 0), 2, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open, "14:00:00: tomorrow's first slot open");

	/* midnight in Kolkata is 18:30 UTC: the day turns there, not at UTC's midnight */
	time_t before = FEB14 + 86400 - 1, at = FEB14 + 86400; /* 23:59:59 on the 14th, 00:00:00 on the 15th */
	ok(slot_days_ahead(2026, 2, 14, before) == 0 && slot_days_ahead(2026, 2, 14, at) == -1, "the 14th is today until 23:59:59, then yesterday");
	ok(slot_days_ahead(2026, 2, 15, before) == 1 && slot_days_ahead(2026, 2, 15, at) == 0, "the 15th: tomorrow, then today");
	slot_kolkata_date(before, 0, d);
	is_str(d, "2026-02-14", "the admin's today at 23:59:59");
	slot_kolkata_date(at, 0, d);
	is_str(d, "2026-02-15", "and at 00:00:00 (18:30 UTC)");
	slot_kolkata_date(at, 1, d);
	is_str(d, "2026-02-16", "tomorrow then");
	slot_kolkata_date(FEB14 + 86400 + 5 * 3600 + 1800 - 1, 0, d);
	is_str(d, "2026-02-15", "23:59:59 UTC on the 14th is already the 15th here");
	slot_grid(rules, 2026, 2, 15, before, 2, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open, "23:59:59: tomorrow 10:00 open (10 h ahead)");
	slot_grid(rules, 2026, 2, 15, at, 2, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open && g[5].open, "00:00:00: the same slots, now today's, before the cut-off");
	slot_grid(rules, 2026, 3, 16, before, 2, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open, "23:59:59 on the 14th: the 16th of March is 30 days ahead, offered");
	slot_grid(rules, 2026, 3, 17, before, 2, g, SLOTS_PER_DAY_MAX);
	ok(!g[0].open, "and the 17th of March (31 days) is not");
	slot_grid(rules, 2026, 3, 17, at, 2, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open, "at 00:00:00 the 17th of March comes into the window");
	slot_grid(rules, 2026, 2, 14, at, 0, g, SLOTS_PER_DAY_MAX);
	ok(!g[5].open, "and the 14th's last slot is gone");

	/* the year's end and a leap day at Kolkata's midnight */
	time_t ny = (time_t)1798741800; /* 2027-01-01 00:00:00 +05:30 */
	slot_kolkata_date(ny - 1, 0, d);
	is_str(d, "2026-12-31", "New Year's Eve at 23:59:59");
	slot_kolkata_date(ny, 0, d);
	is_str(d, "2027-01-01", "New Year's Day at 00:00:00");
	ok(slot_days_ahead(2027, 1, 1, ny - 1) == 1 && slot_days_ahead(2026, 12, 31, ny) == -1, "days ahead across the year");
	time_t leap = (time_t)1835375400; /* 2028-02-29 00:00:00 +05:30 */
	slot_kolkata_date(leap - 1, 1, d);
	is_str(d, "2028-02-29", "the day after the 28th of February 2028 is the 29th");
	slot_kolkata_date(leap, 1, d);
	is_str(d, "2028-03-01", "and the day after that the 1st of March");
}

int main(void)
{
	struct slot_rules rules = { .open_hour = 10, .close_hour = 22, .slot_minutes = 120, .same_day_cutoff_hour = 14, .max_days_ahead = 30 };
	struct slot g[SLOTS_PER_DAY_MAX];
	int y, m, d;

	ok(slot_time_valid("2026-02-14T14:00:00+05:30") && slot_time_valid("2026-02-14T08:30:00Z") &&
		   slot_time_valid("2026-02-14t14:00:00.123-01:00"),
	   "RFC 3339 date-times");
	ok(!slot_time_valid("2026-02-30T14:00:00+05:30") && !slot_time_valid("2026-02-14 14:00:00+05:30") &&
		   !slot_time_valid("2026-02-14T24:00:00Z") && !slot_time_valid("2026-02-14T14:00:00") &&
		   !slot_time_valid("2026-02-14T14:00:00+5:30") && !slot_time_valid("2026-02-14T14:00:00.Z") &&
		   !slot_time_valid("1999-12-31T10:00:00Z") && !slot_time_valid(NULL),
	   "not RFC 3339, or not a real date");
	ok(slot_date_valid("2028-02-29", &y, &m, &d) && y == 2028 && m == 2 && d == 29, "a leap day");
	ok(!slot_date_valid("2026-02-29", &y, &m, &d) && !slot_date_valid("2026-2-14", &y, &m, &d) &&
		   !slot_date_valid("2026-02-14T", &y, &m, &d) && !slot_date_valid(NULL, &y, &m, &d),
	   "not a calendar date");
	ok(slot_days_ahead(2026, 2, 14, AT(0, 23, 59)) == 0 && slot_days_ahead(2026, 2, 15, AT(0, 0, 1)) == 1 &&
		   slot_days_ahead(2026, 2, 13, AT(0, 9, 0)) == -1,
	   "days ahead count in Kolkata");
	ok(slot_days_ahead(2026, 2, 14, FEB14 - 1) == 1, "a second before Kolkata's midnight is still yesterday");
	ok(slot_blackout("2026-02-14", "2026-02-14") && slot_blackout(" 2026-01-01, 2026-02-14", "2026-02-14") &&
		   !slot_blackout("2026-02-15", "2026-02-14") && !slot_blackout("", "2026-02-14") && !slot_blackout(NULL, "2026-02-14"),
	   "blackout lists");

	int n = slot_grid(&rules, 2026, 2, 14, AT(-1, 9, 0), 2, g, SLOTS_PER_DAY_MAX);
	ok(n == 6, "10:00 to 22:00 by 2 h: six slots (%d)", n);
	is_str(g[0].start_text, "2026-02-14T10:00:00+05:30", "the first starts at opening");
	is_str(g[0].end_text, "2026-02-14T12:00:00+05:30", "and ends two hours later");
	is_str(g[5].start_text, "2026-02-14T20:00:00+05:30", "the last starts two hours before closing");
	ok(g[0].start == AT(0, 10, 0), "its Unix time");
	ok(g[0].open && g[5].open, "all open the day before");

	n = slot_grid(&rules, 2026, 2, 14, AT(0, 9, 0), 0, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open && g[1].open, "same day at 09:00, no lead: 10:00 open");
	n = slot_grid(&rules, 2026, 2, 14, AT(0, 8, 0), 2, g, SLOTS_PER_DAY_MAX);
	ok(!g[0].open && g[1].open, "08:00 + 2 h = 10:00: the 10:00 slot is not strictly after, 12:00 is");
	n = slot_grid(&rules, 2026, 2, 14, AT(0, 14, 0), 0, g, SLOTS_PER_DAY_MAX);
	ok(!g[3].open && !g[5].open, "after the same-day cut-off (14:00) nothing is open today");
	n = slot_grid(&rules, 2026, 2, 14, AT(0, 13, 59), 0, g, SLOTS_PER_DAY_MAX);
	ok(!g[1].open && g[2].open, "13:59, no lead: 14:00 open, 12:00 gone");
	n = slot_grid(&rules, 2026, 2, 14, AT(-30, 12, 0), 2, g, SLOTS_PER_DAY_MAX);
	ok(g[0].open, "30 days ahead is offered");
	n = slot_grid(&rules, 2026, 2, 14, AT(-31, 12, 0), 2, g, SLOTS_PER_DAY_MAX);
	ok(!g[0].open, "31 days ahead is not");
	n = slot_grid(&rules, 2026, 2, 14, AT(1, 9, 0), 0, g, SLOTS_PER_DAY_MAX);
	ok(!g[0].open && !g[5].open, "a past day is closed");

	struct slot_rules odd = { .open_hour = 10, .close_hour = 21, .slot_minutes = 120, .same_day_cutoff_hour = 24, .max_days_ahead = 30 };
	n = slot_grid(&odd, 2026, 2, 14, AT(-1, 0, 0), 0, g, SLOTS_PER_DAY_MAX);
	ok(n == 5, "10:00 to 21:00 by 2 h: the last slot ends by closing (%d)", n);
	struct slot_rules late = { .open_hour = 22, .close_hour = 24, .slot_minutes = 120, .same_day_cutoff_hour = 24, .max_days_ahead = 30 };
	n = slot_grid(&late, 2026, 2, 14, AT(-1, 0, 0), 0, g, SLOTS_PER_DAY_MAX);
	ok(n == 1, "one slot up to midnight");
	is_str(g[0].end_text, "2026-02-15T00:00:00+05:30", "which ends the next day");
	struct slot_rules quarter = { .open_hour = 0, .close_hour = 24, .slot_minutes = 15, .same_day_cutoff_hour = 24, .max_days_ahead = 30 };
	ok(slot_grid(&quarter, 2026, 2, 14, AT(-1, 0, 0), 0, g, SLOTS_PER_DAY_MAX) == 96, "a day of quarter hours fits");

	clock_faults(&rules);

	return done_testing();
}
