/* slots.h: delivery slots: the grid a day offers (pure rules) and booking kitchen units in one. */
#ifndef APP_SLOTS_H
#define APP_SLOTS_H

#include <json-c/json.h>
#include <stdint.h>
#include <time.h>

#include "outcome.h"

struct ctx;

/* Lead time the slots endpoint assumes when the client gives no leadHours. */
#define SLOTS_DEFAULT_LEAD_HOURS 2
/* How far ahead slots are offered, in days after today (Asia/Kolkata). */
#define SLOTS_MAX_DAYS_AHEAD 30
/* The most slots one day can hold (SLOT_MINUTES >= 15). */
#define SLOTS_PER_DAY_MAX (24 * 4 + 1)

/* ---- pure rules ---- */

/* 1 when s is an RFC 3339 date-time "YYYY-MM-DDTHH:MM:SS" with "Z" or "+HH:MM"
 * (optional fraction), a real calendar date; the text is then safe to cast. */
int slot_time_valid(const char *s);
/* 1 when s is exactly "YYYY-MM-DD", a real date in 2000..2999 (*y, *m, *d set). */
int slot_date_valid(const char *s, int *y, int *m, int *d);
/* Days from today in Asia/Kolkata at `now` to y-m-d (negative in the past). */
long slot_days_ahead(int y, int m, int d, time_t now);
/* "YYYY-MM-DD" of the day `days` after today in Asia/Kolkata at `now` (the
 * admin pages' today and tomorrow). */
void slot_kolkata_date(time_t now, int days, char out[11]);
/* 1 when date ("YYYY-MM-DD") is in the comma-separated list (BLACKOUT_DATES). */
int slot_blackout(const char *list, const char *date);

/* The shop's hours as the configuration gives them. */
struct slot_rules {
	int open_hour, close_hour, slot_minutes, same_day_cutoff_hour, max_days_ahead;
};

struct slot {
	int64_t start;			   /* Unix time */
	char start_text[32], end_text[32]; /* RFC 3339 in Asia/Kolkata, "2026-02-14T14:00:00+05:30" */
	int open;			   /* the time rules allow it at `now` for this lead time */
};

/* The grid of day y-m-d: a slot every slot_minutes from open_hour while it
 * ends by close_hour. A slot is open when it starts after now + lead_hours,
 * the day is between today and max_days_ahead, and a same-day slot is asked
 * before same_day_cutoff_hour. Fills out (at most max); returns the count. */
int slot_grid(const struct slot_rules *rules, int y, int m, int d, time_t now, int lead_hours,
	      struct slot *out, int max);

/* ---- with the database ---- */

/* The slots of date (valid, in range) for this lead time:
 * [{start, end, available, remaining}] (caller owns). OK or E_DB. */
enum outcome slots_of_day(struct ctx *c, const char *date, int lead_hours, struct json_object **out);

/* In the caller's transaction: checks that slot_start_text is a slot the slots
 * endpoint offers for this lead time (on the grid, open, not a blackout date)
 * and books `units` kitchen units in it atomically. OK, E_SLOT_UNAVAILABLE,
 * E_SLOT_FULL, E_DB. */
enum outcome slot_check_and_book(struct ctx *c, const char *slot_start_text, int units, int lead_hours);

#endif
