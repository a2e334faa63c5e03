/* test_slots.c: slot times, dates, blackouts, and the grid of a day with its time rules. */
#include "slots.h"
#include "tap.h"

/* 2026-02-14 00:00 in Asia/Kolkata, as Unix time. */
#define FEB14 ((time_t)1771007400)
#define AT(day, h, m) (FEB14 + (time_t)(day)*86400 + (h)*3600 + (m)*60)

int main(void)
{
	struct slot_rules rules = { .open_hour = 10, .close_hour = 22, .slot_minutes = 120, .same_day_cutoff_hour = 14, .max_days_ahead = 30 };
	struct slot g[SLOTS_PER_DAY_MAX];
	char hm[6];
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

	ok(slot_clock("2026-02-14T14:00:00+05:30", 0, hm) == 0, "a clock time");
	is_str(hm, "14:00", "its hours and minutes");
	slot_clock("2026-02-14T23:00:00+05:30", 120, hm);
	is_str(hm, "01:00", "two hours later, around midnight");
	ok(slot_clock("2026-02-14", 0, hm) != 0 && slot_clock(NULL, 0, hm) != 0, "no time, no clock");
	return done_testing();
}
