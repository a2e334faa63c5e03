/* chart.h: the geometry of the admin pages' charts: axes with nice ticks, and
 * values scaled to pixels. Pure functions (no I/O), unit-tested in t/unit/test_chart.c. */
#ifndef APP_CHART_H
#define APP_CHART_H

#include <stdint.h>

/* An axis from 0 up to top in steps of step: ticks 0, step, 2 step ... top
 * (ticks of them). Unsigned: the top of an axis over a huge value may pass INT64_MAX. */
struct chart_axis {
	uint64_t step, top;
	int ticks;
};

/* The axis for values 0..max (a negative max counts as 0) with about want
 * intervals (clamped to 1..20): step is the smallest 1, 2 or 5 x 10^n that
 * covers max in want steps, top the first multiple of it >= max. max 0 gives
 * the axis 0..1 (step 1): an empty chart still has a scale. */
void chart_axis_nice(int64_t max, int want, struct chart_axis *out);

/* The length of v (clamped to 0..top) on an axis of top drawn over len pixels. */
double chart_scale(int64_t v, uint64_t top, double len);

#endif
