/* test_chart.c: the charts' geometry (nice ticks at 0, one value, all-equal
 * and huge values; scaling) and their money labels (Indian grouping). */
#include <stdint.h>
#include <stdio.h>

#include "chart.h"
#include "tap.h"
#include "util.h"

static int axis_is(int64_t max, int want, uint64_t step, uint64_t top, int ticks)
{
	struct chart_axis a;
	chart_axis_nice(max, want, &a);
	if (a.step == step && a.top == top && a.ticks == ticks)
		return 1;
	printf("#   max %lld want %d: step %llu top %llu ticks %d\n", (long long)max, want, (unsigned long long)a.step,
	       (unsigned long long)a.top, a.ticks);
	return 0;
}

/* every axis: top covers max, top is a whole number of steps, the step is 1, 2 or 5 x 10^n */
static int axis_sound(int64_t max, int want)
{
	struct chart_axis a;
	chart_axis_nice(max, want, &a);
	uint64_t s = a.step;
	while (s % 10 == 0)
		s /= 10;
	return (s == 1 || s == 2 || s == 5) && a.top >= (uint64_t)(max > 0 ? max : 0) && a.top % a.step == 0 &&
		(uint64_t)(a.ticks - 1) * a.step == a.top && a.ticks - 1 <= (want < 1 ? 1 : want);
}

static const char *inr(int64_t paise)
{
	static char s[40];
	money_format_inr(paise, s);
	return s;
}

int main(void)
{
	ok(axis_is(0, 5, 1, 1, 2), "0: the axis 0..1, so an empty chart has a scale");
	ok(axis_is(-7, 5, 1, 1, 2), "a negative max counts as 0");
	ok(axis_is(1, 5, 1, 1, 2), "one unit");
	ok(axis_is(7, 5, 2, 8, 5), "7 in about 5 steps: 0 2 4 6 8");
	ok(axis_is(2600, 5, 1000, 3000, 4), "2600: 0 1000 2000 3000");
	ok(axis_is(4650, 5, 1000, 5000, 6), "4650: steps of 1000");
	ok(axis_is(1000, 5, 200, 1000, 6), "all values equal at a tick: top is the value");
	ok(axis_is(999, 4, 500, 1000, 3), "999 in about 4 steps: 0 500 1000");
	ok(axis_is(12, 4, 5, 15, 4), "12 in 4: steps of 5");
	ok(axis_is(100, 1, 100, 100, 2), "one interval");
	ok(axis_is(100, 0, 100, 100, 2), "want 0 is clamped to 1");
	ok(axis_is(139900, 5, 50000, 150000, 4), "₹1,39,900: steps of 50,000");
	ok(axis_is(INT64_MAX, 5, 2000000000000000000ULL, 10000000000000000000ULL, 6),
	   "INT64_MAX: top passes INT64_MAX without overflow");
	ok(axis_is(INT64_MAX, 20, 500000000000000000ULL, 9500000000000000000ULL, 20), "INT64_MAX in 20 steps");
	int sound = 1;
	for (int64_t m = 0; m < 5000; m += 7)
		for (int w = 0; w <= 21; w++)
			sound &= axis_sound(m, w);
	for (int64_t m = 1; m > 0 && m < INT64_MAX / 3; m = m * 3 + 1)
		sound &= axis_sound(m, 5) & axis_sound(m, 10);
	ok(sound, "every axis covers its max with a whole number of 1/2/5 x 10^n steps");

	ok(chart_scale(0, 10, 200) == 0, "0 -> 0 px");
	ok(chart_scale(5, 10, 200) == 100, "half -> half");
	ok(chart_scale(10, 10, 200) == 200, "top -> full length");
	ok(chart_scale(11, 10, 200) == 200 && chart_scale(-3, 10, 200) == 0, "clamped to 0..len");
	ok(chart_scale(5, 0, 200) == 0, "an axis of 0 draws nothing");
	ok(chart_scale(INT64_MAX, 10000000000000000000ULL, 100) > 92 && chart_scale(INT64_MAX, 10000000000000000000ULL, 100) < 93,
	   "huge values scale without overflow");

	is_str(inr(0), "₹0", "zero");
	is_str(inr(500), "₹5", "five rupees");
	is_str(inr(99900), "₹999", "three digits: no comma");
	is_str(inr(100000), "₹1,000", "thousand");
	is_str(inr(13990000), "₹1,39,900", "lakh grouping");
	is_str(inr(129950), "₹1,299.50", "paise shown when there are any");
	is_str(inr(5), "₹0.05", "paise only");
	is_str(inr(1000000000), "₹1,00,00,000", "a crore");
	is_str(inr(-139900), "-₹1,399", "negative");
	is_str(inr(INT64_MAX), "₹92,23,37,20,36,85,47,758.07", "INT64_MAX");
	is_str(inr(INT64_MIN), "-₹92,23,37,20,36,85,47,758.08", "INT64_MIN");
	return done_testing();
}
