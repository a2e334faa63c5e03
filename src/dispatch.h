/* dispatch.h: the dispatch pass: one bounded run over a table of background duties. */
#ifndef APP_DISPATCH_H
#define APP_DISPATCH_H

#include <json-c/json.h>

#include "outcome.h"

struct ctx;

#define DISPATCH_BUDGET_MS 20000 /* no new duty or item starts after this; a started call may take 10 s more */
#define DISPATCH_BATCH 20	 /* orders, jobs and emails per duty and pass */

/* Runs the duties in order (reconcile payments, expire unpaid orders, book
 * couriers for due orders, catch up quiet deliveries, run due jobs of every
 * kind: courier bookings, emails, refunds) until DISPATCH_BUDGET_MS is spent; the duties not started are
 * listed in "skipped". A failing duty is rolled back, logged and listed in
 * "errors", and the pass goes on. *summary (owned by the arena) gets the
 * counters (expired, booked, bookingFailed, bookingSkipped,
 * deliveriesRefreshed, jobsRequeued, jobsRun, jobsFailed, jobsDead,
 * emailsSent, emailsFailed, [emailsHeld], refundsRetried, paymentsReconciled,
 * lateRefunds) and elapsedMs. OK, or E_DB when the database is gone (the
 * pass stopped there). Outside a transaction. */
enum outcome dispatch_pass(struct ctx *c, struct json_object **summary);

#endif
