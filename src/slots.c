/* slots.c: GET /api/delivery/slots and the booking of kitchen units in a slot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonutil.h"
#include "slots.h"
#include "util.h"

#define KOLKATA_OFFSET_SECONDS (5 * 3600 + 30 * 60)	/* India has no daylight saving */

/* The grid of one day (Asia/Kolkata): every slot with its capacity left and
 * whether the time rules allow it ($1 date, $2 lead hours). Blackouts are
 * checked in C. */
static const char SLOTS_SQL[] =
	"WITH p AS (SELECT $1::date AS d, (now() AT TIME ZONE 'Asia/Kolkata')::date AS today, "
	"  extract(hour FROM now() AT TIME ZONE 'Asia/Kolkata')::int AS hour_now) "
	"SELECT extract(epoch FROM g)::bigint AS epoch, " SQL_TIME("g") " AS start, "
	"  " SQL_TIME("g + make_interval(mins => $5::int)") " AS finish, "
	"  greatest(0, coalesce(ds.capacity_units, $6::int) - coalesce(ds.booked_units, 0)) AS remaining, "
	"  (g > now() + make_interval(hours => $2::int) "
	"   AND p.d BETWEEN p.today AND p.today + $8::int "
	"   AND NOT (p.d = p.today AND p.hour_now >= $7::int)) AS open "
	"FROM p CROSS JOIN LATERAL generate_series("
	"  (p.d + make_interval(hours => $3::int))::timestamp AT TIME ZONE 'Asia/Kolkata', "
	"  (p.d + make_interval(hours => $4::int, mins => -$5::int))::timestamp AT TIME ZONE 'Asia/Kolkata', "
	"  make_interval(mins => $5::int)) AS g "
	"LEFT JOIN delivery_slots ds ON ds.slot_start = g "
	"ORDER BY g";

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dm[m - 1];
}

/* Reads exactly n digits; -1 when any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY-MM-DD" at the start of s, a real date in 2000..2999. */
static int date_prefix_valid(const char *s, int *y, int *m, int *d)
{
	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return 0;
	*y = digits(s, 4), *m = digits(s + 5, 2), *d = digits(s + 8, 2);
	return *y >= 2000 && *y <= 2999 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

int slot_time_valid(const char *s)
{
	int y, m, d;
	if (!s || !date_prefix_valid(s, &y, &m, &d) || (s[10] != 'T' && s[10] != 't'))
		return 0;
	const char *t = s + 11;
	if (strlen(t) < 8 || t[2] != ':' || t[5] != ':')
		return 0;
	int hh = digits(t, 2), mm = digits(t + 3, 2), ss = digits(t + 6, 2);
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
	int oh = digits(t + 1, 2), om = digits(t + 4, 2);
	return oh >= 0 && oh <= 14 && om >= 0 && om <= 59;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Days between today in Asia/Kolkata and y-m-d (negative in the past). */
static long days_ahead(int y, int m, int d)
{
	time_t now = time(NULL) + KOLKATA_OFFSET_SECONDS;
	struct tm tm;
	gmtime_r(&now, &tm);
	return days_from_civil(y, m, d) - days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* 1 when date ("YYYY-MM-DD") is listed in BLACKOUT_DATES. */
static int is_blackout(const char *date)
{
	const char *p = cfg->blackout_dates;
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

/* Runs SLOTS_SQL for date with this lead time; NULL on a database failure. */
static PGresult *slots_query(struct req *r, const char *date, int lead_hours)
{
	char lead[16], open[16], close[16], mins[16], cap[16], cutoff[16], ahead[16];
	snprintf(lead, sizeof lead, "%d", lead_hours);
	snprintf(open, sizeof open, "%d", cfg->open_hour);
	snprintf(close, sizeof close, "%d", cfg->close_hour);
	snprintf(mins, sizeof mins, "%d", cfg->slot_minutes);
	snprintf(cap, sizeof cap, "%d", cfg->slot_capacity_units);
	snprintf(cutoff, sizeof cutoff, "%d", cfg->same_day_cutoff_hour);
	snprintf(ahead, sizeof ahead, "%d", SLOTS_MAX_DAYS_AHEAD);
	return db_query(&r->ctx, SLOTS_SQL, date, lead, open, close, mins, cap, cutoff, ahead);
}

int slots_get(struct req *r)
{
	const char *date = query_get(r, "date"), *lh = query_get(r, "leadHours");
	int64_t lead = SLOTS_DEFAULT_LEAD_HOURS;
	int y, m, d;

	if (!date || strlen(date) != 10 || !date_prefix_valid(date, &y, &m, &d))
		return reply_error(r, 400, "VALIDATION_ERROR", "date", "date must be a calendar date YYYY-MM-DD");
	long ahead = days_ahead(y, m, d);
	if (ahead < 0 || ahead > SLOTS_MAX_DAYS_AHEAD)
		return reply_error(r, 400, "DATE_OUT_OF_RANGE", "date",
				   "date must be between today and %d days ahead", SLOTS_MAX_DAYS_AHEAD);
	if (lh && parse_int64(lh, 0, 336, &lead) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "leadHours", "leadHours must be an integer 0 to 336");
	PGresult *res = slots_query(r, date, (int)lead);
	if (!res)
		return reply_db_error(r);
	int blackout = is_blackout(date);
	struct json_object *list = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++) {
		int remaining = atoi(db_val(res, i, "remaining"));
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "start", jstr(db_val(res, i, "start")));
		json_object_object_add(s, "end", jstr(db_val(res, i, "finish")));
		json_object_object_add(s, "available", jbool(!blackout && remaining > 0 && db_bool(res, i, "open")));
		json_object_object_add(s, "remaining", jint(remaining));
		json_object_array_add(list, s);
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "date", jstr(date));
	json_object_object_add(o, "slots", list);
	return reply_json(r, 200, o);
}

/* Finds the grid slot starting at slot_text: 1 offered (time rules, not a
 * blackout), 0 not offered, -1 database failure. *start_out is its canonical
 * timestamptz text. */
static int slot_offered(struct req *r, const char *slot_text, int lead_hours, const char **start_out)
{
	PGresult *res = db_query(&r->ctx, "SELECT to_char(($1::timestamptz AT TIME ZONE 'Asia/Kolkata')::date, 'YYYY-MM-DD') AS d, "
				    "extract(epoch FROM $1::timestamptz)::bigint AS epoch", slot_text);
	if (!res)
		return -1;
	const char *date = arena_strdup(r->a, db_val(res, 0, "d"));
	const char *epoch = arena_strdup(r->a, db_val(res, 0, "epoch"));
	if (is_blackout(date))
		return 0;
	if (!(res = slots_query(r, date, lead_hours)))
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		if (strcmp(db_val(res, i, "epoch"), epoch) == 0) {
			*start_out = arena_strdup(r->a, db_val(res, i, "start"));
			return db_bool(res, i, "open");
		}
	}
	return 0;
}

int slot_check_and_book(struct req *r, const char *slot_start_text, int units, int lead_hours,
			const char **err_code)
{
	const char *start = NULL;
	char cap[16], u[16];

	if (!slot_time_valid(slot_start_text)) {
		*err_code = "SLOT_UNAVAILABLE";
		return 1;
	}
	int offered = slot_offered(r, slot_start_text, lead_hours, &start);
	if (offered <= 0) {
		*err_code = "SLOT_UNAVAILABLE";
		return offered < 0 ? -1 : 1;
	}
	snprintf(cap, sizeof cap, "%d", cfg->slot_capacity_units);
	snprintf(u, sizeof u, "%d", units);
	if (!db_query(&r->ctx, "INSERT INTO delivery_slots (slot_start, capacity_units) VALUES ($1, $2::int) "
			 "ON CONFLICT (slot_start) DO NOTHING", start, cap))
		return -1;
	/* the row lock makes concurrent bookings queue here; each sees the last total */
	PGresult *res = db_query(&r->ctx, "UPDATE delivery_slots SET booked_units = booked_units + $2::int "
				    "WHERE slot_start = $1 AND booked_units + $2::int <= capacity_units "
				    "RETURNING booked_units", start, u);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		*err_code = "SLOT_FULL";
		return 1;
	}
	return 0;
}
