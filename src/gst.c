/* gst.c: GST identifiers, rates, financial years, numbers and the tax-inclusive split (pure). */
#include <stdio.h>
#include <string.h>

#include "gst.h"

/* ---- identifiers ---- */

/* The GST state codes (the first two characters of every GSTIN). 25 and 28 are
 * no longer given (Daman and Diu joined 26 in 2020; Andhra Pradesh is 37 since
 * 2014) but older documents carry them. */
static const struct {
	const char *code, *name;
} states[] = {
	{ "01", "Jammu and Kashmir" },
	{ "02", "Himachal Pradesh" },
	{ "03", "Punjab" },
	{ "04", "Chandigarh" },
	{ "05", "Uttarakhand" },
	{ "06", "Haryana" },
	{ "07", "Delhi" },
	{ "08", "Rajasthan" },
	{ "09", "Uttar Pradesh" },
	{ "10", "Bihar" },
	{ "11", "Sikkim" },
	{ "12", "Arunachal Pradesh" },
	{ "13", "Nagaland" },
	{ "14", "Manipur" },
	{ "15", "Mizoram" },
	{ "16", "Tripura" },
	{ "17", "Meghalaya" },
	{ "18", "Assam" },
	{ "19", "West Bengal" },
	{ "20", "Jharkhand" },
	{ "21", "Odisha" },
	{ "22", "Chhattisgarh" },
	{ "23", "Madhya Pradesh" },
	{ "24", "Gujarat" },
	{ "25", "Daman and Diu" },
	{ "26", "Dadra and Nagar Haveli and Daman and Diu" },
	{ "27", "Maharashtra" },
	{ "28", "Andhra Pradesh (before 2014)" },
	{ "29", "Karnataka" },
	{ "30", "Goa" },
	{ "31", "Lakshadweep" },
	{ "32", "Kerala" },
	{ "33", "Tamil Nadu" },
	{ "34", "Puducherry" },
	{ "35", "Andaman and Nicobar Islands" },
	{ "36", "Telangana" },
	{ "37", "Andhra Pradesh" },
	{ "38", "Ladakh" },
	{ "97", "Other Territory" },
};

const char *gst_state_name(const char *code)
{
	for (size_t i = 0; code && i < sizeof states / sizeof states[0]; i++)
		if (strcmp(states[i].code, code) == 0)
			return states[i].name;
	return NULL;
}

static const char base36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static int b36(char ch)
{
	const char *p = ch ? strchr(base36, ch) : NULL;
	return p ? (int)(p - base36) : -1;
}

char gstin_check_char(const char *s)
{
	int sum = 0;

	for (int i = 0; i < 14; i++) {
		int v = b36(s[i]);
		if (v < 0)
			return 0;
		int p = v * (i % 2 ? 2 : 1); /* weights 1, 2, 1, 2 ... */
		sum += p / 36 + p % 36;
	}
	return base36[(36 - sum % 36) % 36];
}

static int all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

int gstin_valid(const char *s)
{
	static const char digits[] = "0123456789", upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char code[3];

	if (!s || strlen(s) != 15)
		return 0;
	memcpy(code, s, 2);
	code[2] = '\0';
	return gst_state_name(code) && all_of(s + 2, 5, upper) && all_of(s + 7, 4, digits) && all_of(s + 11, 1, upper) &&
		all_of(s + 12, 1, "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") && s[13] == 'Z' && gstin_check_char(s) == s[14];
}

int gst_hsn_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return (n == 4 || n == 6 || n == 8) && strspn(s, "0123456789") == n;
}

/* ---- rates ---- */

int gst_rate_parse(const char *s, int *rate)
{
	int whole = 0, frac = 0, fd = 0;
	const char *p = s;

	if (!p || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((whole = whole * 10 + (*p - '0')) > 100)
			return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && fd < 2; p++, fd++)
			frac = frac * 10 + (*p - '0');
		if (fd == 0)
			return -1;
	}
	if (*p)
		return -1;
	int r = whole * 100 + (fd == 1 ? frac * 10 : frac);
	if (r > GST_RATE_MAX)
		return -1;
	*rate = r;
	return 0;
}

void gst_rate_text(int thousandths, char out[16])
{
	int whole = thousandths / 1000, frac = thousandths % 1000;

	if (frac == 0)
		snprintf(out, 16, "%d", whole);
	else if (frac % 100 == 0)
		snprintf(out, 16, "%d.%d", whole, frac / 100);
	else if (frac % 10 == 0)
		snprintf(out, 16, "%d.%02d", whole, frac / 10);
	else
		snprintf(out, 16, "%d.%03d", whole, frac);
}

/* ---- financial years and numbers ---- */

int gst_fy_start(int year, int month)
{
	return month >= 4 ? year : year - 1;
}

void gst_fy_label(int start_year, char out[8])
{
	unsigned y = (unsigned)start_year % 10000u;
	snprintf(out, 8, "%04u-%02u", y, (y + 1) % 100u);
}

int gst_doc_number(const char *prefix, int fy_start, int64_t seq, char out[GST_NUMBER_MAX + 1])
{
	char tmp[64];

	if (seq < 1 || fy_start < 0)
		return -1;
	int n = snprintf(tmp, sizeof tmp, "%s/%02d-%02d/%06lld", prefix, fy_start % 100, (fy_start + 1) % 100, (long long)seq);
	if (n < 0 || n > GST_NUMBER_MAX)
		return -1;
	memcpy(out, tmp, (size_t)n + 1);
	return 0;
}

/* ---- amounts ---- */

/* The lines of one rate (those at or after `first` with its rate): the tax per
 * head rounded once for all of them, shared by largest remainder. */
static void split_rate(struct gst_line *l, size_t n, size_t first, int inter_state, unsigned char *done)
{
	int rate = l[first].rate;
	int heads = inter_state ? 1 : 2;				 /* IGST, or CGST + SGST */
	int64_t d = (int64_t)heads * (10000 + rate), sum = 0, given = 0; /* tax per head = total x rate / d */

	for (size_t i = first; i < n; i++) {
		if (done[i] || l[i].rate != rate)
			continue;
		sum += l[i].total;
		l[i].igst = l[i].total * rate / d; /* the share rounded down, for now */
		given += l[i].igst;
	}
	int64_t left = (2 * sum * rate + d) / (2 * d) - given; /* the rate's tax, half up, minus the floors */
	for (; left > 0; left--) {
		size_t best = n;
		int64_t best_rem = 0;
		for (size_t i = first; i < n; i++) {
			if (done[i] || l[i].rate != rate || l[i].cgst) /* cgst marks a line given its paisa */
				continue;
			int64_t rem = l[i].total * rate % d;
			if (rem > best_rem && l[i].total - heads * (l[i].igst + 1) >= 0) {
				best = i;
				best_rem = rem;
			}
		}
		if (best == n)
			break; /* only 1-paisa lines could take it (CGST and SGST of a paisa each): rounded down */
		l[best].igst++;
		l[best].cgst = 1;
	}
	for (size_t i = first; i < n; i++) {
		if (done[i] || l[i].rate != rate)
			continue;
		int64_t share = l[i].igst;
		l[i].cgst = l[i].sgst = inter_state ? 0 : share;
		l[i].igst = inter_state ? share : 0;
		l[i].taxable = l[i].total - heads * share;
		done[i] = 1;
	}
}

int gst_split(struct gst_line *l, size_t n, int inter_state)
{
	unsigned char done[GST_MAX_LINES];

	if (n > GST_MAX_LINES)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (l[i].total < 0 || l[i].total > GST_MAX_PAISE || l[i].rate < 0 || l[i].rate > GST_RATE_MAX)
			return -1;
	for (size_t i = 0; i < n; i++) {
		done[i] = 0;
		l[i].taxable = l[i].cgst = l[i].sgst = l[i].igst = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!done[i])
			split_rate(l, n, i, inter_state, done);
	return 0;
}

int gst_spread(int64_t amount, const int64_t *room, const int *first, size_t n, int64_t *out)
{
	__extension__ typedef unsigned __int128 u128; /* amount x room reaches 10^20 */
	int64_t total = 0, rest = 0, left = amount;
	unsigned char bumped[GST_MAX_LINES];

	if (n > GST_MAX_LINES)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (room[i] < 0 || room[i] > GST_MAX_PAISE)
			return -1;
		total += room[i];
	}
	if (amount < 0 || amount > total)
		return -1;
	for (size_t i = 0; i < n; i++) { /* the lines given back whole first */
		out[i] = first[i] ? (room[i] < left ? room[i] : left) : 0;
		left -= out[i];
		rest += first[i] ? 0 : room[i];
		bumped[i] = 0;
	}
	if (left == 0)
		return 0;
	int64_t given = 0;
	for (size_t i = 0; i < n; i++)
		if (!first[i]) {
			out[i] = (int64_t)((u128)left * (u128)room[i] / (u128)rest);
			given += out[i];
		}
	for (int64_t extra = left - given; extra > 0; extra--) {
		size_t best = n;
		u128 best_rem = 0;
		for (size_t i = 0; i < n; i++) {
			u128 rem = first[i] || bumped[i] ? 0 : (u128)left * (u128)room[i] % (u128)rest;
			if (rem > best_rem) {
				best = i;
				best_rem = rem;
			}
		}
		if (best == n)
			return -1; /* cannot happen: the remainders add up to extra x rest */
		out[best]++;
		bumped[best] = 1;
	}
	return 0;
}
