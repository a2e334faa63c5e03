/* timefmt.c: instants written for people, in India Standard Time (the one rule for every page and email). */
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

static const char *const wday_short[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const wday_long[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
static const char *const mon_short[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const mon_long[] = { "January", "February", "March", "April", "May", "June",
					"July", "August", "September", "October", "November", "December" };

/* H. Hinnant's algorithm. */
long timefmt_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The IST calendar time of t. */
static void ist(time_t t, struct tm *tm)
{
	time_t local = t + TIMEFMT_IST_OFFSET;
	gmtime_r(&local, tm);
}

/* The IST day number of t (days since 1970-01-01 in IST). */
static long ist_day(time_t t)
{
	time_t local = t + TIMEFMT_IST_OFFSET;
	return (long)(local >= 0 ? local / 86400 : -((-local + 86399) / 86400));
}

int timefmt_digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int timefmt_days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

int timefmt_ymd(const char *s, int *y, int *m, int *d)
{
	if (!s || strnlen(s, 10) < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	*y = timefmt_digits(s, 4), *m = timefmt_digits(s + 5, 2), *d = timefmt_digits(s + 8, 2);
	return *y >= 0 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= timefmt_days_in_month(*y, *m) ? 0 : -1;
}

int timefmt_parse(const char *s, time_t *out)
{
	if (!s || strlen(s) < 16)
		return -1;
	int y, mo, d, h = timefmt_digits(s + 11, 2), mi = timefmt_digits(s + 14, 2), sec = 0;
	if (timefmt_ymd(s, &y, &mo, &d) != 0 || (s[10] != 'T' && s[10] != ' ') || h < 0 || h > 23 || s[13] != ':' ||
	    mi < 0 || mi > 59)
		return -1;
	const char *p = s + 16;
	if (*p == ':') {
		if ((sec = timefmt_digits(p + 1, 2)) < 0 || sec > 59)
			return -1;
		p += 3;
		if (*p == '.') {
			int n = 0;
			for (p++; *p >= '0' && *p <= '9'; p++)
				n++;
			if (n == 0)
				return -1;
		}
	}
	long off = 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if (*p == '+' || *p == '-') {
		int oh = timefmt_digits(p + 1, 2), om = 0;
		size_t rest = strlen(p + 1);
		if (oh < 0 || oh > 14)
			return -1;
		if (rest == 5 && p[3] == ':')
			om = timefmt_digits(p + 4, 2);
		else if (rest == 4)
			om = timefmt_digits(p + 3, 2);
		else if (rest != 2)
			return -1;
		if (om < 0 || om > 59)
			return -1;
		off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
	} else {
		return -1;
	}
	*out = (time_t)(timefmt_days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + sec - off);
	return 0;
}

void timefmt_iso(time_t t, char out[TIMEFMT_MAX])
{
	struct tm tm;
	ist(t, &tm);
	snprintf(out, TIMEFMT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d+05:30", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void timefmt_full(time_t t, char out[TIMEFMT_MAX])
{
	struct tm tm;
	ist(t, &tm);
	snprintf(out, TIMEFMT_MAX, "%s %d %s %d, %02d:%02d IST", wday_long[tm.tm_wday], tm.tm_mday, mon_long[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
}

/* "Thu 3 Dec" [+ " 2027"] into out[n] (n >= 24 holds any year of 4 digits). */
static void day_text(time_t t, time_t now, char *out, size_t n)
{
	struct tm tm, tn;
	ist(t, &tm);
	ist(now, &tn);
	if (tm.tm_year == tn.tm_year)
		snprintf(out, n, "%s %d %s", wday_short[tm.tm_wday], tm.tm_mday, mon_short[tm.tm_mon]);
	else
		snprintf(out, n, "%s %d %s %d", wday_short[tm.tm_wday], tm.tm_mday, mon_short[tm.tm_mon], tm.tm_year + 1900);
}

void timefmt_day(time_t t, time_t now, char out[TIMEFMT_MAX])
{
	day_text(t, now, out, TIMEFMT_MAX);
}

int timefmt_date(const char *ymd, enum timefmt_date_style style, time_t now, char out[TIMEFMT_MAX])
{
	int y, m, d;

	out[0] = '\0';
	if (timefmt_ymd(ymd, &y, &m, &d) != 0 || ymd[10] != '\0')
		return -1;
	/* the day's IST midnight: the instant whose IST calendar day it is */
	time_t t = (time_t)(timefmt_days_from_civil(y, m, d) * 86400L - TIMEFMT_IST_OFFSET);
	if (style == TIMEFMT_DATE_DAY)
		day_text(t, now, out, TIMEFMT_MAX);
	else if (style == TIMEFMT_DATE_LONG)
		snprintf(out, TIMEFMT_MAX, "%d %s %d", d, mon_short[m - 1], y);
	else
		snprintf(out, TIMEFMT_MAX, "%d %s", d, mon_short[m - 1]);
	return 0;
}

/* "16:00" of t in IST into out[6]. */
static void clock_text(time_t t, char out[6])
{
	struct tm tm;
	ist(t, &tm);
	snprintf(out, 6, "%02u:%02u", (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u);
}

void timefmt_slot(time_t start, int minutes, time_t now, int with_day, char out[TIMEFMT_MAX])
{
	char day[32], from[6], to[6];
	day_text(start, now, day, sizeof day);
	clock_text(start, from);
	clock_text(start + (time_t)minutes * 60, to);
	snprintf(out, TIMEFMT_MAX, "%s%s%s–%s", with_day ? day : "", with_day ? ", " : "", from, to);
}

void timefmt_relative(time_t t, time_t now, char out[TIMEFMT_MAX])
{
	long long d = (long long)t - (long long)now, ad = d < 0 ? -d : d;
	char clock[6], day[32];
	clock_text(t, clock);
	if (ad < 60) {
		snprintf(out, TIMEFMT_MAX, "now");
		return;
	}
	if (ad < 6 * 3600) {
		long long n = ad < 3600 ? ad / 60 : ad / 3600;
		const char *unit = ad < 3600 ? "min" : "h";
		if (d > 0)
			snprintf(out, TIMEFMT_MAX, "in %lld %s", n, unit);
		else
			snprintf(out, TIMEFMT_MAX, "%lld %s ago", n, unit);
		return;
	}
	long days = ist_day(t) - ist_day(now);
	const char *word = days == 0 ? "today" : days == 1 ? "tomorrow"
		: days == -1				   ? "yesterday"
							   : NULL;
	if (word) {
		snprintf(out, TIMEFMT_MAX, "%s %s", word, clock);
		return;
	}
	day_text(t, now, day, sizeof day);
	snprintf(out, TIMEFMT_MAX, "%s, %s", day, clock);
}

struct json_object *timefmt_json(const char *text, enum timefmt_style style, int slot_minutes, time_t now)
{
	time_t t;
	char iso[TIMEFMT_MAX], human[TIMEFMT_MAX], full[TIMEFMT_MAX];

	if (timefmt_parse(text, &t) != 0)
		return NULL;
	timefmt_iso(t, iso);
	timefmt_full(t, full);
	switch (style) {
	case TIMEFMT_DAY:
		timefmt_day(t, now, human);
		break;
	case TIMEFMT_SLOT:
	case TIMEFMT_SLOT_HOURS: {
		char from[6], to[6], day[40];
		struct tm tm;
		timefmt_slot(t, slot_minutes, now, style == TIMEFMT_SLOT, human);
		clock_text(t, from);
		clock_text(t + (time_t)slot_minutes * 60, to);
		ist(t, &tm);
		snprintf(day, sizeof day, "%s %d %s %d", wday_long[tm.tm_wday], tm.tm_mday, mon_long[tm.tm_mon], tm.tm_year + 1900);
		snprintf(full, sizeof full, "%s, %s–%s IST", day, from, to);
		break;
	}
	default:
		timefmt_relative(t, now, human);
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "iso", json_object_new_string(iso));
	json_object_object_add(o, "human", json_object_new_string(human));
	json_object_object_add(o, "full", json_object_new_string(full));
	return o;
}
