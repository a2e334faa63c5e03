/* ops.h: what an operator asks the database at 3 a.m., as samples for /metrics:
 * the queue, the emails, today's and tomorrow's orders, the payments and
 * deliveries waiting on a partner, and the dispatch pass. */
#ifndef APP_OPS_H
#define APP_OPS_H

#include "outcome.h"

struct ctx;

/* One sample: a gauge's name, up to two labels (NULL names when absent), and
 * its value as decimal text. Strings live in the context's arena. */
struct ops_sample {
	const char *metric;
	const char *label[2], *value_of[2];
	const char *value;
};

/* The gauges' names and help texts, in the order samples come. */
struct ops_gauge {
	const char *metric, *help;
};
extern const struct ops_gauge ops_gauges[];
extern const int ops_gauges_count;

/* Reads every gauge now (one statement). */
enum outcome ops_samples(struct ctx *c, struct ops_sample **samples, int *n);

#endif
