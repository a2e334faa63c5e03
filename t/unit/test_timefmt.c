/* test_timefmt.c: times for people in IST at every boundary: midnight IST vs UTC, 59/60 s, past and future, the year. */
#include <stdlib.h>

#include "tap.h"
#include "timefmt.h"

/* The instant of an RFC 3339 text (the parser is tested separately below). */
static time_t at(const char *s)
{
	time_t t;
	if (timefmt_parse(s, &t) != 0) {
		printf("# bad fixture %s\n", s);
		exit(2);
	}
	return t;
}

static const char *rel(const char *t, const char *now)
{
	static char out[TIMEFMT_MAX];
	timefmt_relative(at(t), at(now), out);
	return out;
}

static void test_parse(void)
{
	time_t t;
	ok(timefmt_parse("1970-01-01T00:00:00Z", &t) == 0 && t == 0, "epoch in UTC");
	ok(timefmt_parse("1970-01-01T05:30:00+05:30", &t) == 0 && t == 0, "epoch in IST");
	ok(timefmt_parse("2026-12-03 16:00:00+05:30", &t) == 0 && t == at("2026-12-03T10:30:00Z"),
	   "PostgreSQL's text form (space, +05:30) is the same instant as UTC");
	ok(timefmt_parse("2026-12-03 10:30:00.123456+00", &t) == 0 && t == at("2026-12-03T10:30:00Z"), "fraction and +00 (PostgreSQL with TimeZone UTC)");
	ok(timefmt_parse("2026-12-03T05:00:00-0500", &t) == 0 && t == at("2026-12-03T10:00:00Z"), "-HHMM");
	ok(timefmt_parse("2026-12-03T16:00+05:30", &t) == 0 && t == at("2026-12-03T16:00:00+05:30"), "seconds optional");
	ok(timefmt_parse("2028-02-29T00:00:00Z", &t) == 0, "29 Feb of a leap year");
	ok(timefmt_parse("2027-02-29T00:00:00Z", &t) != 0, "29 Feb of a common year refused");
	ok(timefmt_parse("2026-12-03T24:00:00Z", &t) != 0, "hour 24 refused");
	ok(timefmt_parse("2026-12-03T16:00:00", &t) != 0, "no zone refused (an instant needs one)");
	ok(timefmt_parse("2026-12-03T16:00:00+05:30x", &t) != 0, "trailing junk refused");
	ok(timefmt_parse("2026-12-03", &t) != 0 && timefmt_parse("", &t) != 0 && timefmt_parse(NULL, &t) != 0, "short, empty, NULL refused");
	ok(timefmt_parse("2026-13-03T16:00:00Z", &t) != 0, "month 13 refused");
}

static void test_absolute(void)
{
	char out[TIMEFMT_MAX];
	time_t now = at("2026-12-02T14:05:00+05:30");

	timefmt_iso(at("2026-12-03T10:30:00Z"), out);
	is_str(out, "2026-12-03T16:00:00+05:30", "iso in IST");
	timefmt_full(at("2026-12-03T10:30:00Z"), out);
	is_str(out, "Thursday 3 December 2026, 16:00 IST", "full");
	timefmt_slot(at("2026-12-03T16:00:00+05:30"), 120, now, 1, out);
	is_str(out, "Thu 3 Dec, 16:00–18:00", "slot with its day");
	timefmt_slot(at("2026-12-03T16:00:00+05:30"), 120, now, 0, out);
	is_str(out, "16:00–18:00", "slot hours alone");
	timefmt_slot(at("2027-01-05T10:00:00+05:30"), 90, now, 1, out);
	is_str(out, "Tue 5 Jan 2027, 10:00–11:30", "slot next year: with the year");
	timefmt_slot(at("2026-12-31T22:00:00+05:30"), 120, now, 1, out);
	is_str(out, "Thu 31 Dec, 22:00–00:00", "slot ending at midnight");
	/* midnight IST is 18:30 UTC the day before: the day is IST's */
	timefmt_day(at("2026-12-02T18:30:00Z"), now, out);
	is_str(out, "Thu 3 Dec", "18:30 UTC on the 2nd is the 3rd in IST");
	timefmt_day(at("2026-12-02T18:29:59Z"), now, out);
	is_str(out, "Wed 2 Dec", "a second earlier is still the 2nd");
	timefmt_day(at("2026-12-31T18:30:00Z"), now, out);
	is_str(out, "Fri 1 Jan 2027", "new year in IST before UTC's: with the year");
	timefmt_day(at("2026-01-01T00:00:00+05:30"), at("2026-12-31T23:59:59+05:30"), out);
	is_str(out, "Thu 1 Jan", "same IST year: no year");
}

static void test_relative(void)
{
	const char *now = "2026-12-02T14:05:00+05:30";
	is_str(rel("2026-12-02T14:05:00+05:30", now), "now", "the same second");
	is_str(rel("2026-12-02T14:05:59+05:30", now), "now", "59 s ahead: now");
	is_str(rel("2026-12-02T14:04:01+05:30", now), "now", "59 s ago: now");
	is_str(rel("2026-12-02T14:06:00+05:30", now), "in 1 min", "60 s ahead: in 1 min");
	is_str(rel("2026-12-02T14:04:00+05:30", now), "1 min ago", "60 s ago: 1 min ago");
	is_str(rel("2026-12-02T14:30:00+05:30", now), "in 25 min", "in 25 min");
	is_str(rel("2026-12-02T15:04:59+05:30", now), "in 59 min", "59 min 59 s: in 59 min");
	is_str(rel("2026-12-02T15:05:00+05:30", now), "in 1 h", "60 min: in 1 h");
	is_str(rel("2026-12-02T11:05:00+05:30", now), "3 h ago", "3 h ago");
	is_str(rel("2026-12-02T08:05:01+05:30", now), "5 h ago", "5 h 59 min 59 s ago: 5 h ago");
	is_str(rel("2026-12-02T08:05:00+05:30", now), "today 08:05", "6 h ago: today 08:05");
	is_str(rel("2026-12-02T23:59:00+05:30", now), "today 23:59", "later today");
	is_str(rel("2026-12-03T00:00:00+05:30", now), "tomorrow 00:00", "IST midnight: tomorrow");
	is_str(rel("2026-12-01T09:10:00+05:30", now), "yesterday 09:10", "yesterday");
	is_str(rel("2026-12-01T00:00:00+05:30", now), "yesterday 00:00", "yesterday's first minute");
	is_str(rel("2026-11-30T23:59:00+05:30", now), "Mon 30 Nov, 23:59", "the day before yesterday: the date");
	is_str(rel("2026-12-04T14:05:00+05:30", now), "Fri 4 Dec, 14:05", "two days ahead: the date");
	/* now is 23:30 IST (18:00 UTC): 00:30 IST is tomorrow although UTC is still the same day */
	is_str(rel("2026-12-02T19:30:00Z", "2026-12-02T18:00:00Z"), "in 1 h", "an hour and a half ahead: in 1 h");
	is_str(rel("2026-12-03T00:30:00Z", "2026-12-02T18:00:00Z"), "tomorrow 06:00", "6.5 h ahead across IST midnight: tomorrow");
	is_str(rel("2026-12-02T18:40:00Z", "2026-12-03T01:00:00Z"), "today 00:10", "yesterday in UTC is today in IST (00:10 seen from 06:30)");
	is_str(rel("2027-01-01T10:00:00+05:30", "2026-12-31T10:00:00+05:30"), "tomorrow 10:00", "across the new year: tomorrow");
	is_str(rel("2027-01-03T10:00:00+05:30", "2026-12-31T10:00:00+05:30"), "Sun 3 Jan 2027, 10:00", "next year's date: with the year");
}

static void test_json(void)
{
	time_t now = at("2026-12-02T14:05:00+05:30");
	struct json_object *o = timefmt_json("2026-12-03T16:00:00+05:30", TIMEFMT_SLOT, 120, now), *v;
	ok(o != NULL, "json of a slot");
	is_str(json_object_object_get_ex(o, "iso", &v) ? json_object_get_string(v) : NULL, "2026-12-03T16:00:00+05:30", "iso");
	is_str(json_object_object_get_ex(o, "human", &v) ? json_object_get_string(v) : NULL, "Thu 3 Dec, 16:00–18:00", "human");
	is_str(json_object_object_get_ex(o, "full", &v) ? json_object_get_string(v) : NULL, "Thursday 3 December 2026, 16:00–18:00 IST", "full");
	json_object_put(o);
	o = timefmt_json("2026-12-02 09:00:40.5+00", TIMEFMT_RELATIVE, 0, now);
	is_str(json_object_object_get_ex(o, "human", &v) ? json_object_get_string(v) : NULL, "in 25 min", "relative from PostgreSQL's UTC text");
	is_str(json_object_object_get_ex(o, "iso", &v) ? json_object_get_string(v) : NULL, "2026-12-02T14:30:40+05:30", "iso rewritten in IST");
	json_object_put(o);
	ok(timefmt_json("not a time", TIMEFMT_DAY, 0, now) == NULL && timefmt_json(NULL, TIMEFMT_DAY, 0, now) == NULL, "junk and NULL: NULL");
}

/* Calendar days (dates, not instants): the day named is the day written, whatever the zone. */
static void test_date(void)
{
	char out[TIMEFMT_MAX];
	time_t now = at("2031-06-03T23:59:00+05:30");
	ok(timefmt_date("2031-06-02", TIMEFMT_DATE_TICK, now, out) == 0, "a date is read");
	is_str(out, "2 Jun", "tick");
	timefmt_date("2031-06-02", TIMEFMT_DATE_DAY, now, out);
	is_str(out, "Mon 2 Jun", "day, this year");
	timefmt_date("2030-12-31", TIMEFMT_DATE_DAY, now, out);
	is_str(out, "Tue 31 Dec 2030", "day, another year: with the year");
	timefmt_date("2031-01-01", TIMEFMT_DATE_DAY, at("2030-12-31T20:00:00Z"), out);
	is_str(out, "Wed 1 Jan", "now 01:30 IST on 1 Jan (still 31 Dec in UTC): this year is IST's");
	timefmt_date("2031-06-02", TIMEFMT_DATE_LONG, now, out);
	is_str(out, "2 Jun 2031", "long");
	timefmt_date("2028-02-29", TIMEFMT_DATE_DAY, now, out);
	is_str(out, "Tue 29 Feb 2028", "29 Feb of a leap year");
	ok(timefmt_date("2027-02-29", TIMEFMT_DATE_TICK, now, out) != 0 && out[0] == '\0', "29 Feb of a common year refused, out empty");
	ok(timefmt_date("2031-06-02T00:00:00Z", TIMEFMT_DATE_TICK, now, out) != 0, "an instant is not a date");
	ok(timefmt_date("2031-6-2", TIMEFMT_DATE_TICK, now, out) != 0 && timefmt_date("", TIMEFMT_DATE_TICK, now, out) != 0 &&
		   timefmt_date(NULL, TIMEFMT_DATE_TICK, now, out) != 0,
	   "short, empty, NULL refused");
}

int main(void)
{
	test_parse();
	test_absolute();
	test_relative();
	test_json();
	test_date();
	return done_testing();
}
