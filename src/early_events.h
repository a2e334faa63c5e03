/* early_events.h: partner events that arrived before what they name was
 * recorded here: a Borzo callback racing the commit of its booking, a Razorpay
 * event racing the storing of its order's or refund's id. Such an event is
 * kept (table early_events), never acknowledged and dropped, and the
 * transaction that records its subject applies it.
 *
 * Both sides take early_lock(subject) in their transaction: the webhook before
 * it looks the subject up (and keeps the event when it is unknown), the writer
 * before it records the subject (and applies what was kept). Under READ
 * COMMITTED each statement sees what committed before it, so whichever comes
 * second sees the other's work: the event is applied exactly once, by one of
 * them. Unclaimed events (a Borzo order we forgot after a rebooking, another
 * shop's Razorpay order) are deleted after EARLY_EVENTS_KEEP. */
#ifndef APP_EARLY_EVENTS_H
#define APP_EARLY_EVENTS_H

#include <json-c/json.h>

struct ctx;

/* How long an event nobody claims is kept: Razorpay's late authorisations
 * come within 3 days, Borzo bookings are retried for about an hour. */
#define EARLY_EVENTS_KEEP "3 days"

/* In the caller's transaction: the lock shared by the keeper and the writer of
 * source's subject (a transaction-level advisory lock). 0, or -1 (DB error). */
int early_lock(struct ctx *c, const char *source, const char *subject);

/* In the caller's transaction, under early_lock: keeps the event (type and
 * body as received, signature already checked). 0, or -1. */
int early_keep(struct ctx *c, const char *source, const char *subject, const char *type, struct json_object *body);

/* What applies one kept event: 0, or -1 to roll the caller's transaction back. */
typedef int (*early_fn)(struct ctx *c, const char *type, struct json_object *body, void *arg);

/* In the caller's transaction: takes early_lock, then applies the events kept
 * about subject with fn, oldest first, and deletes them. The number applied,
 * or -1 (DB error, or fn failed). */
int early_apply(struct ctx *c, const char *source, const char *subject, early_fn fn, void *arg);

/* Deletes the events kept longer than EARLY_EVENTS_KEEP: how many, or -1. */
int early_prune(struct ctx *c);

#endif
