/* order_fsm.c: one table of legal moves; every status change goes through here. */
#include <string.h>

#include "arena.h"
#include "db.h"
#include "mail.h"
#include "order_fsm.h"
#include "util.h"

static const struct move {
	const char *from, *to;
	unsigned causes;
} moves[] = {
	{ "PENDING", "CONFIRMED", CAUSE_PAYMENT },
	{ "PENDING", "CANCELLED", CAUSE_CUSTOMER | CAUSE_ADMIN | CAUSE_SYSTEM },
	{ "CONFIRMED", "BAKING", CAUSE_ADMIN },
	{ "CONFIRMED", "CANCELLED", CAUSE_CUSTOMER | CAUSE_ADMIN },
	{ "CONFIRMED", "DISPATCHED", CAUSE_COURIER },
	{ "BAKING", "READY", CAUSE_ADMIN },
	{ "BAKING", "DISPATCHED", CAUSE_COURIER },
	{ "READY", "DISPATCHED", CAUSE_COURIER },
	{ "DISPATCHED", "DELIVERED", CAUSE_BORZO | CAUSE_ADMIN },
};

/* The customer hears of these moves; the email is written in the move's own
 * transaction (a cancellation's email waits for its refund: see cancel paths). */
static const char *email_for(const char *to)
{
	if (strcmp(to, "CONFIRMED") == 0)
		return "confirmed";
	if (strcmp(to, "DISPATCHED") == 0)
		return "on_the_way";
	if (strcmp(to, "DELIVERED") == 0)
		return "delivered";
	return NULL;
}

static const char *const states[] = { "PENDING", "CONFIRMED", "BAKING", "READY", "DISPATCHED", "DELIVERED", "CANCELLED" };

int fsm_is_state(const char *s)
{
	for (size_t i = 0; s && i < sizeof states / sizeof states[0]; i++)
		if (strcmp(s, states[i]) == 0)
			return 1;
	return 0;
}

int fsm_allowed(const char *from, const char *to, enum fsm_cause cause)
{
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0)
			return (moves[i].causes & cause) != 0;
	return 0;
}

void fsm_next_states(const char *from, enum fsm_cause cause, const char *out[8])
{
	int n = 0;
	for (size_t i = 0; i < sizeof moves / sizeof moves[0] && n < 7; i++)
		if (strcmp(moves[i].from, from) == 0 && (moves[i].causes & cause))
			out[n++] = moves[i].to;
	out[n] = NULL;
}

enum fsm_result order_transition(struct ctx *c, const char *order_id, const char *to,
				 enum fsm_cause cause, const char *actor, const char *note,
				 const char **from_out)
{
	if (!db_in_tx(c)) {
		log_err("order_transition called outside a transaction");
		return FSM_DB_ERROR;
	}
	PGresult *res = db_query(c, "SELECT status FROM orders WHERE id = $1 FOR UPDATE", order_id);
	if (!res)
		return FSM_DB_ERROR;
	if (PQntuples(res) != 1)
		return FSM_NOT_FOUND;
	const char *from = arena_strdup(c->a, db_val(res, 0, "status"));
	if (from_out)
		*from_out = from;
	if (strcmp(from, to) == 0)
		return FSM_ALREADY;
	if (!fsm_allowed(from, to, cause))
		return FSM_ILLEGAL;
	if (!db_query(c,
		      "UPDATE orders SET status = $2, updated_at = now(), "
		      "confirmed_at = CASE WHEN $2 = 'CONFIRMED' THEN now() ELSE confirmed_at END, "
		      "dispatched_at = CASE WHEN $2 = 'DISPATCHED' THEN now() ELSE dispatched_at END, "
		      "delivered_at = CASE WHEN $2 = 'DELIVERED' THEN now() ELSE delivered_at END, "
		      "cancelled_at = CASE WHEN $2 = 'CANCELLED' THEN now() ELSE cancelled_at END "
		      "WHERE id = $1",
		      order_id, to))
		return FSM_DB_ERROR;
	if (!db_query(c, "INSERT INTO order_status_history (order_id, from_status, to_status, actor, note) "
			 "VALUES ($1, $2, $3, $4, $5)",
		      order_id, from, to, actor, note))
		return FSM_DB_ERROR;
	const char *email = email_for(to);
	if (email && mail_queue(c, order_id, email) == -1)
		return FSM_DB_ERROR;
	/* a cancelled order gives its kitchen units back to the slot, once */
	if (strcmp(to, "CANCELLED") == 0 &&
	    !db_query(c, "WITH o AS (UPDATE orders SET slot_released = true WHERE id = $1 AND NOT slot_released "
			 "RETURNING delivery_slot, slot_units) "
			 "UPDATE delivery_slots s SET booked_units = greatest(0, s.booked_units - o.slot_units) "
			 "FROM o WHERE s.slot_start = o.delivery_slot",
		      order_id))
		return FSM_DB_ERROR;
	return FSM_OK;
}

int order_flag_attention(struct ctx *c, const char *order_id, const char *reason)
{
	return db_query(c, "UPDATE orders SET needs_attention = true, attention_reason = $2, updated_at = now() "
			   "WHERE id = $1",
			order_id, reason)
		? 0
		: -1;
}
