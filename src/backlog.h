/* backlog.h: what background work left for staff: failing jobs, emails waiting or dead, orders needing attention. */
#ifndef APP_BACKLOG_H
#define APP_BACKLOG_H

#include <json-c/json.h>

#include "outcome.h"

struct ctx;

#define BACKLOG_LIMIT 200 /* rows per list */

/* Three arrays, owned by the arena. */
struct backlog {
	/* dead or failing jobs of every kind, last touched first: id, kind, state,
	 * attempts, maxAttempts, lastError, orderId, runAt, dead */
	struct json_object *jobs;
	/* the outbox's queued and dead emails, newest first: id, kind, to,
	 * subject, state, attempts, lastError, orderId, sendAfter */
	struct json_object *emails;
	/* orders flagged for staff, by delivery slot: id, orderNumber, status,
	 * reason, deliverySlot */
	struct json_object *attention;
};

/* Reads the three lists in one snapshot. OK, or E_DB. */
enum outcome backlog_read(struct ctx *c, struct backlog *out);

#endif
