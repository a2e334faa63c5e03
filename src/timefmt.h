/* timefmt.h: instants written for people, in the shop's zone (Asia/Kolkata), with "now" passed in. */
#ifndef APP_TIMEFMT_H
#define APP_TIMEFMT_H

#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

/* India Standard Time: UTC+05:30 all year (no daylight saving since 1945), so
 * one constant is the whole rule: nothing here reads the server's TZ or tzdata. */
#define TIMEFMT_IST_OFFSET (5 * 3600 + 30 * 60)

/* The calendar (proleptic Gregorian): days from 1970-01-01 to y-m-d, and the
 * days of month m (1-12) of year y. */
long timefmt_days_from_civil(int y, int m, int d);
/* Exactly n digits at s as a number, or -1 when one is not a digit. */
int timefmt_digits(const char *s, int n);
/* A real calendar date "YYYY-MM-DD" at the start of s (what follows is the
 * caller's to check): 0 with y, m, d set, or -1. */
int timefmt_ymd(const char *s, int *y, int *m, int *d);
int timefmt_days_in_month(int y, int m);

/* Room for any string written below (the longest: a full slot range). */
#define TIMEFMT_MAX 80

/* Parses an instant as PostgreSQL writes timestamptz text or as the API writes
 * it (RFC 3339): "YYYY-MM-DD[T ]HH:MM[:SS[.frac]]" then "Z" or "+HH[:MM]" or
 * "-HH[:MM]". 0 and *out set, or -1 on anything else. */
int timefmt_parse(const char *text, time_t *out);

/* "2026-12-03T16:00:00+05:30": the machine-readable instant, in IST. */
void timefmt_iso(time_t t, char out[TIMEFMT_MAX]);
/* "Thursday 3 December 2026, 16:00 IST": the whole instant, for a tooltip. */
void timefmt_full(time_t t, char out[TIMEFMT_MAX]);
/* "Thu 3 Dec", with " 2027" when t's year (IST) is not now's. */
void timefmt_day(time_t t, time_t now, char out[TIMEFMT_MAX]);
/* A delivery slot of `minutes` from start: "Thu 3 Dec, 16:00–18:00" (year as
 * in timefmt_day); "16:00–18:00" alone when with_day is 0. */
void timefmt_slot(time_t start, int minutes, time_t now, int with_day, char out[TIMEFMT_MAX]);
/* t relative to now, the way the kitchen says it:
 *   less than 60 s either way      "now"
 *   less than 60 min               "in 25 min" / "25 min ago"
 *   less than 6 h                  "in 3 h" / "3 h ago" (whole hours, rounded down)
 *   the same IST day / the next / the one before   "today 14:05" / "tomorrow 09:00" / "yesterday 09:10"
 *   otherwise                      "Thu 3 Dec, 14:05" (year as in timefmt_day) */
void timefmt_relative(time_t t, time_t now, char out[TIMEFMT_MAX]);

/* A calendar day (a date, not an instant: "YYYY-MM-DD" as PostgreSQL writes a
 * date) named for people: TIMEFMT_DATE_TICK "2 Jun" (a chart's axis, where the
 * range gives the year), TIMEFMT_DATE_DAY "Mon 2 Jun" (year as in timefmt_day),
 * TIMEFMT_DATE_LONG "2 Jun 2031". 0, or -1 (out empty) when ymd is not a date. */
enum timefmt_date_style { TIMEFMT_DATE_TICK,
			  TIMEFMT_DATE_DAY,
			  TIMEFMT_DATE_LONG };
int timefmt_date(const char *ymd, enum timefmt_date_style style, time_t now, char out[TIMEFMT_MAX]);

enum timefmt_style {
	TIMEFMT_RELATIVE,   /* human: timefmt_relative */
	TIMEFMT_DAY,	    /* human: timefmt_day */
	TIMEFMT_SLOT,	    /* human: timefmt_slot with the day; full: the range */
	TIMEFMT_SLOT_HOURS, /* human: timefmt_slot without the day */
};

/* {iso, human, full} of the instant in text (as timefmt_parse reads it), the
 * fields templates/partials/time.mustache renders as <time datetime title>;
 * slot_minutes is used by the slot styles only. NULL when text is NULL or not
 * an instant. Caller owns the object. */
struct json_object *timefmt_json(const char *text, enum timefmt_style style, int slot_minutes, time_t now);

#endif
