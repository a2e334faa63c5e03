/* test_invoice.c: GST arithmetic and identifiers (src/gst.c): GSTINs, rates, financial years,
 * document numbers, and tax-inclusive amounts split to the paisa over many random carts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gst.h"
#include "tap.h"

/* ---- a small deterministic generator (the same carts on every run) ---- */

static uint64_t seed = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static int64_t rnd_between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* A line total as carts have them: mostly cakes of a few hundred rupees to a
 * few thousand, times a quantity; sometimes odd paise, sometimes huge or tiny. */
static int64_t rnd_total(int allow_tiny)
{
	switch (rnd() % 8) {
	case 0:
		return rnd_between(allow_tiny ? 0 : 2, 99);
	case 1:
		return rnd_between(100, GST_MAX_PAISE / 1000) * rnd_between(1, 20);
	case 2:
		return rnd_between(GST_MAX_PAISE / 2, GST_MAX_PAISE);
	default:
		return rnd_between(29900, 499900) / 100 * 100 * rnd_between(1, 20) + (rnd() % 4 == 0 ? rnd_between(1, 99) : 0);
	}
}

static const int rates[] = { 0, 25, 300, 500, 1200, 1800, 2800, 4000 };

static int rnd_rate(void)
{
	return rates[rnd() % (sizeof rates / sizeof rates[0])];
}

/* ---- identifiers ---- */

static void test_gstin(void)
{
	static const char *const good[] = { "27AAPFU0939F1ZV", "29AAGCB7383J1Z4" };
	char s[16];
	int caught = 0, tried = 0;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(gstin_valid(good[i]), "%s is a valid GSTIN (published example)", good[i]);
	ok(gstin_check_char("27AAPFU0939F1Z") == 'V', "its check character is computed");
	/* every single substitution is caught (by the pattern or by the check character) */
	for (int pos = 0; pos < 15; pos++) {
		for (const char *ch = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"; *ch; ch++) {
			memcpy(s, good[0], 16);
			if (s[pos] == *ch)
				continue;
			s[pos] = *ch;
			tried++;
			caught += !gstin_valid(s);
		}
	}
	ok(caught == tried, "all %d one-character typos are refused (%d caught)", tried, caught);
	memcpy(s, good[0], 16);
	s[1] = '9'; /* state 29, with the check character made right for it */
	s[14] = gstin_check_char(s);
	ok(gstin_valid(s), "another state with its own check character is valid");
	s[0] = '9';
	s[1] = '9';
	s[14] = gstin_check_char(s);
	ok(!gstin_valid(s), "state code 99 is not a state");
	ok(!gstin_valid("27aapfu0939f1zv"), "lower case refused");
	ok(!gstin_valid("27AAPFU0939F1Z"), "14 characters refused");
	ok(!gstin_valid("27AAPFU0939F1ZVX"), "16 characters refused");
	ok(!gstin_valid("") && !gstin_valid(NULL), "empty refused");
	is_str(gst_state_name("29"), "Karnataka", "29 is Karnataka");
	is_str(gst_state_name("27"), "Maharashtra", "27 is Maharashtra");
	is_str(gst_state_name("97"), "Other Territory", "97 is Other Territory");
	ok(!gst_state_name("00") && !gst_state_name("99") && !gst_state_name("2") && !gst_state_name(NULL), "no state 00, 99");
	ok(gst_hsn_valid("1905") && gst_hsn_valid("996813") && gst_hsn_valid("19059010"), "4, 6 and 8 digit codes");
	ok(!gst_hsn_valid("190") && !gst_hsn_valid("19051") && !gst_hsn_valid("1905a0") && !gst_hsn_valid(""), "other codes refused");
}

static void test_rates(void)
{
	static const struct {
		const char *text;
		int rate;
	} good[] = { { "18", 1800 }, { "5", 500 }, { "0", 0 }, { "2.5", 250 }, { "0.25", 25 }, { "40", 4000 }, { "12.00", 1200 } };
	static const char *const bad[] = { "41", "40.01", "18.", ".5", "1.234", "-1", "", "abc", "18%", " 18", "100000000000" };
	char t[16];
	int r;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(gst_rate_parse(good[i].text, &r) == 0 && r == good[i].rate, "rate \"%s\" is %d hundredths", good[i].text, good[i].rate);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(gst_rate_parse(bad[i], &r) == -1, "rate \"%s\" refused", bad[i]);
	gst_rate_text(18000, t);
	is_str(t, "18", "18 %% as text");
	gst_rate_text(2500, t);
	is_str(t, "2.5", "2.5 %% (half of 5 %%) as text");
	gst_rate_text(125, t);
	is_str(t, "0.125", "0.125 %% (half of 0.25 %%) as text");
	gst_rate_text(9000, t);
	is_str(t, "9", "9 %% as text");
}

static void test_numbers(void)
{
	char fy[8], n[GST_NUMBER_MAX + 1];

	ok(gst_fy_start(2027, 3) == 2026 && gst_fy_start(2027, 4) == 2027 && gst_fy_start(2026, 12) == 2026 &&
		   gst_fy_start(2027, 1) == 2026,
	   "April to March: March 2027 is in 2026-27, April 2027 starts 2027-28");
	gst_fy_label(2026, fy);
	is_str(fy, "2026-27", "financial year label");
	gst_fy_label(2099, fy);
	is_str(fy, "2099-00", "the century turns");
	ok(gst_doc_number("LF", 2026, 123, n) == 0, "a number");
	is_str(n, "LF/26-27/000123", "invoice number");
	ok(strlen(n) <= GST_NUMBER_MAX, "within 16 characters (%zu)", strlen(n));
	ok(gst_doc_number("CN", 2026, 4, n) == 0, "a credit note number");
	is_str(n, "CN/26-27/000004", "credit note number");
	ok(gst_doc_number("LF", 2026, 1234567, n) == 0 && strlen(n) == 16, "7 digits still fit: %s", n);
	ok(gst_doc_number("LF", 2026, 12345678, n) == -1, "8 digits would not fit 16 characters: refused");
	ok(gst_doc_number("LF", 2026, 0, n) == -1, "no number 0");
}

/* ---- the split ---- */

static void test_split_examples(void)
{
	struct gst_line l[3] = { { .total = 118000, .rate = 1800 } };

	ok(gst_split(l, 1, 0) == 0 && l[0].taxable == 100000 && l[0].cgst == 9000 && l[0].sgst == 9000 && l[0].igst == 0,
	   "Rs 1180 at 18 %% in the state: 1000 + 90 CGST + 90 SGST");
	ok(gst_split(l, 1, 1) == 0 && l[0].taxable == 100000 && l[0].igst == 18000 && l[0].cgst == 0 && l[0].sgst == 0,
	   "Rs 1180 at 18 %% to another state: 1000 + 180 IGST");
	for (int i = 0; i < 3; i++)
		l[i] = (struct gst_line){ .total = 100, .rate = 1800 };
	/* each head's exact share is 7.63 paise: the rate's 22.88 rounds to 23, so
	 * two lines (equal remainders: the earlier first) take one more paisa */
	ok(gst_split(l, 3, 0) == 0 && l[0].cgst == 8 && l[1].cgst == 8 && l[2].cgst == 7 && l[0].taxable == 84 &&
		   l[2].taxable == 86,
	   "Rs 1 x 3 at 18 %%: CGST 8 + 8 + 7 = 23 (the total's 22.88 rounded), residue to the earlier lines");
	l[0] = (struct gst_line){ .total = 189950, .rate = 500 };
	l[1] = (struct gst_line){ .total = 9950, .rate = 1800 };
	ok(gst_split(l, 2, 0) == 0 && l[0].cgst == 4523 && l[0].taxable == 180904 && l[1].cgst == 759 && l[1].taxable == 8432,
	   "two rates are taxed apart: 1899.50 at 5 %% and 99.50 at 18 %%");
	l[0] = (struct gst_line){ .total = 1, .rate = 1800 };
	ok(gst_split(l, 1, 0) == 0 && l[0].taxable == 1 && l[0].cgst == 0, "a paisa cannot carry CGST and SGST: its tax rounds down");
	l[0] = (struct gst_line){ .total = -1, .rate = 1800 };
	ok(gst_split(l, 1, 0) == -1, "a negative total refused");
	l[0] = (struct gst_line){ .total = 100, .rate = 4001 };
	ok(gst_split(l, 1, 0) == -1, "a rate above 40 %% refused");
	ok(gst_split(l, GST_MAX_LINES + 1, 0) == -1, "more than %d lines refused", GST_MAX_LINES);
}

/* Checks one split cart; returns a description of the first problem, or NULL. */
static const char *check_split(const struct gst_line *l, size_t n, int inter)
{
	int heads = inter ? 1 : 2;

	for (size_t i = 0; i < n; i++) {
		int64_t share = inter ? l[i].igst : l[i].cgst, d = (int64_t)heads * (10000 + l[i].rate);
		if (l[i].taxable + l[i].cgst + l[i].sgst + l[i].igst != l[i].total)
			return "a line's taxable value and taxes do not add up to its total";
		if (l[i].taxable < 0 || l[i].cgst < 0 || l[i].sgst < 0 || l[i].igst < 0)
			return "a negative amount";
		if (inter ? (l[i].cgst || l[i].sgst) : (l[i].igst || l[i].cgst != l[i].sgst))
			return "the wrong heads: IGST alone between states, CGST = SGST within one";
		/* |share - total x rate / d| < 1 paisa */
		if (llabs(share * d - l[i].total * l[i].rate) >= d)
			return "a line's tax is a paisa or more off its exact share";
	}
	for (size_t i = 0; i < n; i++) { /* each rate's tax is the rate's total rounded half up, once */
		int rate = l[i].rate, seen = 0;
		for (size_t k = 0; k < i; k++)
			seen |= l[k].rate == rate;
		if (seen)
			continue;
		int64_t sum = 0, tax = 0, d = (int64_t)heads * (10000 + rate);
		for (size_t k = i; k < n; k++)
			if (l[k].rate == rate) {
				sum += l[k].total;
				tax += inter ? l[k].igst : l[k].cgst;
			}
		if (tax != (2 * sum * rate + d) / (2 * d))
			return "a rate's tax is not its lines' total taxed and rounded once";
	}
	return NULL;
}

static void test_split_random(void)
{
	const int carts = 200000;
	struct gst_line l[GST_MAX_LINES], again[GST_MAX_LINES];
	int bad = 0, unstable = 0;
	const char *why = NULL;
	int64_t lines = 0;

	for (int c = 0; c < carts; c++) {
		size_t n = (size_t)rnd_between(1, 31);
		int inter = rnd() % 3 == 0, goods = rnd_rate(), delivery = rnd() % 2 ? goods : rnd_rate();
		for (size_t i = 0; i < n; i++)
			l[i] = (struct gst_line){ .total = rnd_total(0), .rate = i + 1 == n ? delivery : goods };
		memcpy(again, l, sizeof l);
		const char *w = gst_split(l, n, inter) == 0 ? check_split(l, n, inter) : "refused";
		if (w && !bad++)
			why = w;
		gst_split(again, n, inter);
		unstable += memcmp(again, l, n * sizeof l[0]) != 0;
		lines += (int64_t)n;
	}
	ok(bad == 0, "%d random carts (%lld lines): taxable + taxes = total on every line and every rate, "
		     "each tax within a paisa of exact, the rate's tax rounded once (%d bad%s%s)",
	   carts, (long long)lines, bad, why ? ": " : "", why ? why : "");
	ok(unstable == 0, "the split is deterministic");
}

/* Carts holding 0- and 1-paisa lines: still exact, never a negative taxable value. */
static void test_split_tiny(void)
{
	struct gst_line l[GST_MAX_LINES];
	int bad = 0;

	for (int c = 0; c < 20000; c++) {
		size_t n = (size_t)rnd_between(1, 40);
		int inter = rnd() % 2, rate = rnd_rate();
		for (size_t i = 0; i < n; i++)
			l[i] = (struct gst_line){ .total = rnd_between(0, 3), .rate = rate };
		gst_split(l, n, inter);
		for (size_t i = 0; i < n; i++)
			bad += l[i].taxable < 0 || l[i].taxable + l[i].cgst + l[i].sgst + l[i].igst != l[i].total ||
				(!inter && l[i].cgst != l[i].sgst);
	}
	ok(bad == 0, "tiny lines add up and keep taxable >= 0 (%d bad)", bad);
}

/* ---- credit notes: spreading a refund over the invoice's lines ---- */

static void test_spread(void)
{
	int64_t room[4] = { 10000, 60000, 40000 }, out[4];
	int first[4] = { 1, 0, 0 };

	ok(gst_spread(60000, room, first, 3, out) == 0 && out[0] == 10000 && out[1] == 30000 && out[2] == 20000,
	   "the delivery back whole, then the cakes in proportion");
	ok(gst_spread(5000, room, first, 3, out) == 0 && out[0] == 5000 && out[1] == 0 && out[2] == 0,
	   "less than the delivery: all of it on the delivery");
	ok(gst_spread(110000, room, first, 3, out) == 0 && out[0] == 10000 && out[1] == 60000 && out[2] == 40000,
	   "everything: every line whole");
	ok(gst_spread(110001, room, first, 3, out) == -1, "more than the lines hold: refused");
	ok(gst_spread(-1, room, first, 3, out) == -1, "a negative amount refused");
	room[0] = 1, room[1] = 1, room[2] = 1;
	first[0] = 0;
	ok(gst_spread(2, room, first, 3, out) == 0 && out[0] == 1 && out[1] == 1 && out[2] == 0, "ties go to the earlier lines");

	int bad = 0, whole_differs = 0;
	int64_t r[GST_MAX_LINES], o[GST_MAX_LINES];
	int f[GST_MAX_LINES];
	struct gst_line inv[GST_MAX_LINES], cn[GST_MAX_LINES];
	for (int c = 0; c < 100000; c++) {
		size_t n = (size_t)rnd_between(1, 31);
		int64_t total = 0, rest = 0, firsts = 0;
		for (size_t i = 0; i < n; i++) {
			r[i] = rnd_total(1);
			f[i] = i + 1 == n && rnd() % 2; /* the delivery line, last, when there is one */
			total += r[i];
			rest += f[i] ? 0 : r[i];
			firsts += f[i] ? r[i] : 0;
		}
		int64_t amount = rnd() % 5 == 0 ? total : rnd_between(0, total);
		if (gst_spread(amount, r, f, n, o) != 0) {
			bad++;
			continue;
		}
		int64_t sum = 0, left = amount > firsts ? amount - firsts : 0;
		for (size_t i = 0; i < n; i++) {
			sum += o[i];
			bad += o[i] < 0 || o[i] > r[i];
			bad += f[i] && o[i] != (amount >= firsts ? r[i] : o[i]); /* the delivery first, whole */
			/* the others within a paisa of their share of what is left */
			if (!f[i] && rest > 0) {
				__extension__ __int128 exact = (__int128)left * r[i], got = (__int128)o[i] * rest;
				bad += got - exact >= rest || exact - got >= rest;
			}
		}
		bad += sum != amount;
		if (amount == total) { /* a full refund credits exactly the invoice's taxes */
			int rate = rnd_rate(), inter = rnd() % 2;
			for (size_t i = 0; i < n; i++) {
				inv[i] = (struct gst_line){ .total = r[i], .rate = rate };
				cn[i] = (struct gst_line){ .total = o[i], .rate = rate };
			}
			gst_split(inv, n, inter);
			gst_split(cn, n, inter);
			whole_differs += memcmp(inv, cn, n * sizeof inv[0]) != 0;
		}
	}
	ok(bad == 0, "100000 random refunds: spread exactly, never above a line, delivery first, the rest in proportion (%d bad)", bad);
	ok(whole_differs == 0, "a full credit note repeats its invoice's taxes to the paisa");
}

int main(void)
{
	test_gstin();
	test_rates();
	test_numbers();
	test_split_examples();
	test_split_random();
	test_split_tiny();
	test_spread();
	return done_testing();
}
