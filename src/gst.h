/* gst.h: India's GST, the pure part: GSTINs and state codes, rates, the financial
 * year, document numbers, and tax-inclusive amounts split into taxable value and
 * tax to the paisa. No database, no configuration: unit-tested alone. */
#ifndef APP_GST_H
#define APP_GST_H

#include <stddef.h>
#include <stdint.h>

/* Rule 46(b) and 53(1A)(b) of the CGST Rules: a serial number of at most 16
 * characters (letters, digits, '-' and '/'), unique within a financial year. */
#define GST_NUMBER_MAX 16
/* Rates are in hundredths of a percent (1800 = 18 %, 250 = 2.5 %), up to 40 %. */
#define GST_RATE_MAX 4000
/* The largest amount a line may hold: NUMERIC(10,2) in paise. */
#define GST_MAX_PAISE 9999999999LL
/* The most lines a document has (a cart holds 30 cakes, and the delivery). */
#define GST_MAX_LINES 64

/* ---- identifiers ---- */

/* The check character GSTN computes over the first 14 characters of a GSTIN
 * (a Luhn mod 36 over 0-9A-Z), or 0 when one of them is not 0-9 or A-Z. */
char gstin_check_char(const char *first14);
/* 1 when s is the GSTIN of a regular taxpayer: 2-digit state code (one of
 * gst_state_name's), PAN (5 letters, 4 digits, a letter), entity number (1-9,
 * A-Z), 'Z', and the right check character. */
int gstin_valid(const char *s);
/* The state or union territory of a two-digit GST state code ("29" ->
 * "Karnataka"), or NULL when s is not one. */
const char *gst_state_name(const char *code);
/* 1 when s is an HSN or SAC code as invoices print it: 4, 6 or 8 digits. */
int gst_hsn_valid(const char *s);

/* ---- rates ---- */

/* A percentage ("18", "2.5", "0.25": at most two decimals, 0 to 40) in
 * hundredths of a percent into *rate: 0, or -1. */
int gst_rate_parse(const char *s, int *rate);
/* A rate in thousandths of a percent as short text: 18000 -> "18", 2500 ->
 * "2.5", 125 -> "0.125" (the half of a rate, CGST's or SGST's, needs them). */
void gst_rate_text(int thousandths, char out[16]);

/* ---- financial years and numbers ---- */

/* The first year of the financial year (April to March) holding a civil date:
 * 2027-03-31 -> 2026, 2027-04-01 -> 2027. */
int gst_fy_start(int year, int month);
/* "2026-27" for the financial year starting in 2026. */
void gst_fy_label(int start_year, char out[8]);
/* "<prefix>/<yy>-<yy>/<seq on 6 digits or more>", e.g. "LF/26-27/000123": 0, or
 * -1 when seq < 1 or the number would be longer than GST_NUMBER_MAX. */
int gst_doc_number(const char *prefix, int fy_start, int64_t seq, char out[GST_NUMBER_MAX + 1]);

/* ---- amounts ---- */

/* One line of a document. Prices are tax-inclusive: total is what the customer
 * pays for the line; gst_split fills in the rest. */
struct gst_line {
	int64_t total;			   /* in: paise, 0 to GST_MAX_PAISE */
	int rate;			   /* in: hundredths of a percent */
	int64_t taxable, cgst, sgst, igst; /* out: taxable + cgst + sgst + igst == total */
};

/* Splits each line's total into its taxable value and tax: IGST alone when
 * inter_state, else CGST and SGST in equal halves. For each rate, the tax of
 * all its lines together is rounded once, half up, to the paisa (per head:
 * IGST, or CGST and SGST each, = total x rate / (100 % + rate)); that tax is
 * then shared out by largest remainder: each line gets its exact share rounded
 * down, and the paise left over go one each to the lines with the largest
 * remainders (the earlier line first on a tie; never one whose taxable value
 * would drop below 0). So every line, every rate and the whole document add
 * up to the paisa, and no line's tax is a paisa or more off its exact share.
 * 0, or -1 (nothing written) when a total or a rate is out of range or n is
 * more than GST_MAX_LINES. */
int gst_split(struct gst_line *lines, size_t n, int inter_state);

/* Spreads amount paise over n lines that can take at most room[i] each (a
 * credit note over what its invoice's lines still hold): the lines with
 * first[i] set are filled whole first, in order (the delivery, which every
 * refund band gives back in full); the rest goes to the other lines in
 * proportion to their room, by largest remainder (the earlier line first on a
 * tie). out[i] <= room[i] and the out[] add up to amount. 0, or -1 (nothing
 * written) when amount is negative or more than all the room, or n is more
 * than GST_MAX_LINES. */
int gst_spread(int64_t amount, const int64_t *room, const int *first, size_t n, int64_t *out);

#endif
