/* metrics.h: counters and histograms that every process of a host adds to, in
 * memory the master maps before it forks (like shared.h): a worker that dies
 * or is replaced loses nothing. Rendered in Prometheus' text format 0.0.4. */
#ifndef APP_METRICS_H
#define APP_METRICS_H

#include <stdint.h>

#include "buf.h"

/* Route numbers are indexes into the route table; METRICS_NO_ROUTE counts
 * requests that matched none (404/405). */
#define METRICS_MAX_ROUTES 160
#define METRICS_NO_ROUTE (-1)

enum metrics_event {
	EV_WORKER_START,
	EV_WORKER_EXIT,	  /* exited with a status */
	EV_WORKER_KILLED, /* died of a signal */
	EV_LISTENER_RESTART,
	EV_DB_ERROR,	   /* a statement failed unexpectedly (not a constraint or a conflict) */
	EV_DB_RECONNECT,   /* a lost connection re-established */
	EV_DB_UNAVAILABLE, /* a request answered 503: the database could not be reached */
	EV_OVERLOAD,	   /* a request refused for overload (503) */
	EV_COUNT
};

/* The master maps the counters; 0, or -1 (errno). Before, and outside the
 * server, a private copy stands in. */
int metrics_init(void);

void metrics_event(enum metrics_event e);
void metrics_request(int route, int status, int64_t micros);
/* One call to a partner: partner and operation are short names ("borzo",
 * "create-order"); outcome one of "ok", "refused", "4xx", "5xx", "timeout",
 * "error". */
void metrics_partner(const char *partner, const char *operation, const char *outcome, int64_t micros);

/* Appends the counters in the exposition format. route_label(i) names route
 * i (its pattern) and route_method(i) its method, for i < nroutes. */
void metrics_render(struct buf *out, int nroutes, const char *(*route_label)(int), const char *(*route_method)(int));

#endif
