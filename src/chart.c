/* chart.c: nice axis ticks (1, 2 or 5 x 10^n) and the scaling of values to pixels. */
#include "chart.h"

void chart_axis_nice(int64_t max, int want, struct chart_axis *out)
{
	uint64_t m = max > 0 ? (uint64_t)max : 0;

	want = want < 1 ? 1 : want > 20 ? 20
					: want;
	uint64_t raw = m / (uint64_t)want + (m % (uint64_t)want != 0); /* the least step that covers m */
	if (raw == 0)
		raw = 1;
	uint64_t p = 1;
	while (p <= raw / 10)
		p *= 10; /* the power of ten with p <= raw < 10 p */
	uint64_t step = raw <= p ? p : raw <= 2 * p ? 2 * p
		: raw <= 5 * p			    ? 5 * p
						    : 10 * p;
	uint64_t n = m / step + (m % step != 0);
	if (n == 0)
		n = 1;
	out->step = step;
	out->top = n * step; /* n <= want, step <= 10 raw: no overflow of 64 bits */
	out->ticks = (int)n + 1;
}

double chart_scale(int64_t v, uint64_t top, double len)
{
	if (v <= 0 || top == 0)
		return 0;
	if ((uint64_t)v >= top)
		return len;
	return (double)v / (double)top * len;
}
