/* slots.h: delivery slots: the grid a day offers and booking kitchen units in one. */
#ifndef APP_SLOTS_H
#define APP_SLOTS_H

struct req;

/* Lead time the slots endpoint assumes when the client gives no leadHours. */
#define SLOTS_DEFAULT_LEAD_HOURS 2
/* How far ahead slots are offered, in days after today (Asia/Kolkata). */
#define SLOTS_MAX_DAYS_AHEAD 30

/* 1 when s is an RFC 3339 date-time "YYYY-MM-DDTHH:MM:SS" with "Z" or "+HH:MM"
 * (optional fraction), a real calendar date; the text is then safe to cast. */
int slot_time_valid(const char *s);

/* Inside the caller's transaction: checks that slot_start_text is a slot the
 * slots endpoint offers for this lead time (on the grid, inside opening hours,
 * after now + lead_hours, before the same-day cut-off, not a blackout date,
 * at most SLOTS_MAX_DAYS_AHEAD days ahead) and books `units` kitchen units in
 * it atomically. Returns 0 when booked; 1 when refused, with *err_code set to
 * "SLOT_UNAVAILABLE" or "SLOT_FULL"; -1 on a database failure. */
int slot_check_and_book(struct req *r, const char *slot_start_text, int units, int lead_hours,
			const char **err_code);

#endif
