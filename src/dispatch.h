/* dispatch.h: the background duties one POST /api/internal/dispatch pass runs. */
#ifndef APP_DISPATCH_H
#define APP_DISPATCH_H

struct req;

/* Most orders one duty handles in a pass (the pass stays short). */
#define DISPATCH_BATCH 50

/* A duty does a bounded amount of work, each unit in its own transaction,
 * and returns how many units it did, or -1 on a database failure. */
struct dispatch_duty {
	const char *name;	/* the key of its count in the summary */
	int (*run)(struct req *r);
};

/* Cancels PENDING orders unpaid for UNPAID_EXPIRY_MINUTES (no authorized or
 * captured payment), oldest first, through the state machine ("system:expiry"),
 * which gives their slot units back. Returns how many, or -1. */
int dispatch_expire_unpaid(struct req *r);

#endif
