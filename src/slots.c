/* slots.c: the slot grid and its rules (pure), the slots of a day, and booking kitchen units in a slot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "json.h"
#include "slots.h"
#include "timefmt.h"

/* ---- pure rules ---- */

/* "YYYY-MM-DD" at the start of s, a real date in 2000..2999. */
static int date_prefix_valid(const char *s, int *y, int *m, int *d)
{
	return timefmt_ymd(s, y, m, d) == 0 && *y >= 2000 && *y <= 2999;
}

int slot_date_valid(const char *s, int *y, int *m, int *d)
{
	return s && strlen(s) == 10 && date_prefix_valid(s, y, m, d);
}

int slot_time_valid(const char *s)
{
	int y, m, d;
	if (!s || !date_prefix_valid(s, &y, &m, &d) || (s[10] != 'T' && s[10] != 't'))
		return 0;
	const char *t = s + 11;
	if (strlen(t) < 8 || t[2] != ':' || t[5] != ':')
		return 0;
	int hh = timefmt_digits(t, 2), mm = timefmt_digits(t + 3, 2), ss = timefmt_digits(t + 6, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
		return 0;
	t += 8;
	if (*t == '.') {
		int n = 0;
		for (t++; *t >= '0' && *t <= '9'; t++)
			n++;
		if (n == 0 || n > 9)
			return 0;
	}
	if ((*t == 'Z' || *t == 'z') && t[1] == '\0')
		return 1;
	if ((*t != '+' && *t != '-') || strlen(t) != 6 || t[3] != ':')
		return 0;
	int oh = timefmt_digits(t + 1, 2), om = timefmt_digits(t + 4, 2);
	return oh >= 0 && oh <= 14 && om >= 0 && om <= 59;
}

/* The Asia/Kolkata calendar time of t. */
static void kolkata_tm(time_t t, struct tm *tm)
{
	time_t local = t + TIMEFMT_IST_OFFSET;
	gmtime_r(&local, tm);
}

long slot_days_ahead(int y, int m, int d, time_t now)
{
	struct tm tm;
	kolkata_tm(now, &tm);
	return timefmt_days_from_civil(y, m, d) - timefmt_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void slot_kolkata_date(time_t now, int days, char out[11])
{
	struct tm tm;
	kolkata_tm(now + (time_t)days * 86400, &tm); /* no daylight saving: every day is 86400 s */
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int slot_blackout(const char *list, const char *date)
{
	const char *p = list;
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n == 10 && strncmp(p, date, 10) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* t as RFC 3339 in Asia/Kolkata (what SQL_TIME writes in the session's zone). */
static void kolkata_text(time_t t, char out[32])
{
	struct tm tm;
	kolkata_tm(t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+05:30", &tm);
}

int slot_grid(const struct slot_rules *rules, int y, int m, int d, time_t now, int lead_hours,
	      struct slot *out, int max)
{
	struct tm today;
	int n = 0;
	long ahead = slot_days_ahead(y, m, d, now);
	time_t midnight = (time_t)timefmt_days_from_civil(y, m, d) * 86400 - TIMEFMT_IST_OFFSET;

	kolkata_tm(now, &today);
	int day_open = ahead >= 0 && ahead <= rules->max_days_ahead &&
		!(ahead == 0 && today.tm_hour >= rules->same_day_cutoff_hour);
	if (rules->slot_minutes <= 0)
		return 0;
	for (int mins = rules->open_hour * 60; mins <= rules->close_hour * 60 - rules->slot_minutes && n < max;
	     mins += rules->slot_minutes) {
		struct slot *s = &out[n++];
		s->start = (int64_t)midnight + mins * 60;
		kolkata_text((time_t)s->start, s->start_text);
		kolkata_text((time_t)s->start + rules->slot_minutes * 60, s->end_text);
		s->open = day_open && s->start > (int64_t)now + (int64_t)lead_hours * 3600;
	}
	return n;
}

/* ---- with the database ---- */

static const struct slot_rules *shop_rules(void)
{
	static struct slot_rules r;
	r.open_hour = cfg->open_hour;
	r.close_hour = cfg->close_hour;
	r.slot_minutes = cfg->slot_minutes;
	r.same_day_cutoff_hour = cfg->same_day_cutoff_hour;
	r.max_days_ahead = SLOTS_MAX_DAYS_AHEAD;
	return &r;
}

enum outcome slots_of_day(struct ctx *c, const char *date, int lead_hours, struct json_object **out)
{
	struct slot grid[SLOTS_PER_DAY_MAX];
	int y, m, d;

	*out = NULL;
	if (!slot_date_valid(date, &y, &m, &d))
		return E_INVALID_INPUT;
	int n = slot_grid(shop_rules(), y, m, d, time(NULL), lead_hours, grid, SLOTS_PER_DAY_MAX);
	PGresult *res = n ? db_query(c, "SELECT extract(epoch FROM slot_start)::bigint AS epoch, capacity_units, booked_units "
					"FROM delivery_slots WHERE slot_start BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)",
				     arena_printf(c->a, "%lld", (long long)grid[0].start),
				     arena_printf(c->a, "%lld", (long long)grid[n - 1].start))
			  : NULL;
	if (n && !res)
		return E_DB;
	int blackout = slot_blackout(cfg->blackout_dates, date);
	struct json_object *list = json_object_new_array();
	for (int i = 0; i < n; i++) {
		int capacity = cfg->slot_capacity_units, booked = 0;
		for (int k = 0; k < PQntuples(res); k++) {
			if (strtoll(db_val(res, k, "epoch"), NULL, 10) == grid[i].start) {
				capacity = atoi(db_val(res, k, "capacity_units"));
				booked = atoi(db_val(res, k, "booked_units"));
			}
		}
		int remaining = capacity - booked > 0 ? capacity - booked : 0;
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "start", jstr(grid[i].start_text));
		json_object_object_add(s, "end", jstr(grid[i].end_text));
		json_object_object_add(s, "available", jbool(!blackout && remaining > 0 && grid[i].open));
		json_object_object_add(s, "remaining", jint(remaining));
		json_object_array_add(list, s);
	}
	*out = list;
	return OK;
}

/* The grid slot starting at slot_text when it is offered (time rules, not a
 * blackout): OK with *start its canonical text, E_SLOT_UNAVAILABLE, E_DB. */
static enum outcome slot_offered(struct ctx *c, const char *slot_text, int lead_hours, const char **start)
{
	struct slot grid[SLOTS_PER_DAY_MAX];
	int y, m, d;

	PGresult *res = db_query(c, "SELECT to_char(($1::timestamptz AT TIME ZONE 'Asia/Kolkata')::date, 'YYYY-MM-DD') AS d, "
				    "extract(epoch FROM $1::timestamptz)::bigint AS epoch",
				 slot_text);
	if (!res)
		return E_DB;
	const char *date = db_val(res, 0, "d");
	int64_t epoch = strtoll(db_val(res, 0, "epoch"), NULL, 10);
	if (slot_blackout(cfg->blackout_dates, date) || !slot_date_valid(date, &y, &m, &d))
		return E_SLOT_UNAVAILABLE;
	int n = slot_grid(shop_rules(), y, m, d, time(NULL), lead_hours, grid, SLOTS_PER_DAY_MAX);
	for (int i = 0; i < n; i++) {
		if (grid[i].start == epoch && grid[i].open) {
			*start = arena_strdup(c->a, grid[i].start_text);
			return OK;
		}
	}
	return E_SLOT_UNAVAILABLE;
}

enum outcome slot_check_and_book(struct ctx *c, const char *slot_start_text, int units, int lead_hours)
{
	const char *start = NULL;
	char cap[16], u[16];

	if (!db_in_tx(c))
		return E_INTERNAL;
	if (!slot_time_valid(slot_start_text))
		return E_SLOT_UNAVAILABLE;
	enum outcome o = slot_offered(c, slot_start_text, lead_hours, &start);
	if (o != OK)
		return o;
	snprintf(cap, sizeof cap, "%d", cfg->slot_capacity_units);
	snprintf(u, sizeof u, "%d", units);
	if (!db_query(c, "INSERT INTO delivery_slots (slot_start, capacity_units) VALUES ($1, $2::int) "
			 "ON CONFLICT (slot_start) DO NOTHING",
		      start, cap))
		return E_DB;
	/* the row lock makes concurrent bookings queue here; each sees the last total */
	PGresult *res = db_query(c, "UPDATE delivery_slots SET booked_units = booked_units + $2::int "
				    "WHERE slot_start = $1 AND booked_units + $2::int <= capacity_units "
				    "RETURNING booked_units",
				 start, u);
	if (!res)
		return E_DB;
	return PQntuples(res) == 1 ? OK : E_SLOT_FULL;
}
