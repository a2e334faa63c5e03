/* order_fsm.h: the order state machine, the only writer of orders.status. */
#ifndef APP_ORDER_FSM_H
#define APP_ORDER_FSM_H

struct ctx;

/* Who causes a move: doc/contract.md §1 says only payment confirms, only a booked courier
 * dispatches, only Borzo's completion (or an admin) delivers. */
enum fsm_cause {
	CAUSE_PAYMENT = 1 << 0,	 /* verify, webhook, reconciliation */
	CAUSE_COURIER = 1 << 1,	 /* a Borzo booking succeeded */
	CAUSE_BORZO = 1 << 2,	 /* a Borzo callback */
	CAUSE_ADMIN = 1 << 3,	 /* kitchen staff */
	CAUSE_CUSTOMER = 1 << 4, /* the order's owner */
	CAUSE_SYSTEM = 1 << 5,	 /* expiry of unpaid orders */
};

enum fsm_result {
	FSM_OK = 0,
	FSM_DB_ERROR = -1, /* reply with reply_db_error */
	FSM_NOT_FOUND = -2,
	FSM_ILLEGAL = -3, /* 409 ILLEGAL_TRANSITION */
	FSM_ALREADY = -4, /* already in that state: a harmless repeat */
};

/* Moves the order to `to` if the machine allows it for this cause. Must run
 * inside the caller's transaction (it locks the row FOR UPDATE). Records the
 * change in order_status_history with actor (e.g. "admin:<uuid>", "razorpay")
 * and note; stamps confirmed_at/dispatched_at/delivered_at/cancelled_at; on
 * CANCELLED releases the order's slot units exactly once; queues the customer's
 * email for CONFIRMED, DISPATCHED and DELIVERED (mail_queue). from_out (may be
 * NULL) gets the previous status, in the request's arena. */
enum fsm_result order_transition(struct ctx *c, const char *order_id, const char *to,
				 enum fsm_cause cause, const char *actor, const char *note,
				 const char **from_out);

/* Puts the order on the kitchen's attention list with reason (one statement:
 * part of the caller's transaction when there is one). 0, or -1 on a DB error. */
int order_flag_attention(struct ctx *c, const char *order_id, const char *reason);

/* 1 when from -> to is a move the machine allows for cause. */
int fsm_allowed(const char *from, const char *to, enum fsm_cause cause);
/* The states reachable from `from` by cause, NULL-terminated (static strings). */
void fsm_next_states(const char *from, enum fsm_cause cause, const char *out[8]);
/* 1 when s is one of the seven order states. */
int fsm_is_state(const char *s);

#endif
