/* test_fsm.c: the order state machine's table of legal moves per cause. */
#include "order_fsm.h"
#include "tap.h"

int main(void)
{
	ok(fsm_allowed("PENDING", "CONFIRMED", CAUSE_PAYMENT), "payment confirms");
	ok(!fsm_allowed("PENDING", "CONFIRMED", CAUSE_ADMIN), "an admin cannot confirm an unpaid order");
	ok(!fsm_allowed("PENDING", "CONFIRMED", CAUSE_CUSTOMER), "a customer cannot confirm");
	ok(fsm_allowed("CONFIRMED", "BAKING", CAUSE_ADMIN), "kitchen starts baking");
	ok(fsm_allowed("BAKING", "READY", CAUSE_ADMIN), "kitchen marks ready");
	ok(!fsm_allowed("PENDING", "BAKING", CAUSE_ADMIN), "no baking before payment");
	ok(fsm_allowed("READY", "DISPATCHED", CAUSE_COURIER), "a booked courier dispatches");
	ok(fsm_allowed("CONFIRMED", "DISPATCHED", CAUSE_COURIER) && fsm_allowed("BAKING", "DISPATCHED", CAUSE_COURIER),
	   "dispatch from CONFIRMED or BAKING too");
	ok(!fsm_allowed("READY", "DISPATCHED", CAUSE_ADMIN), "only a courier booking dispatches");
	ok(fsm_allowed("DISPATCHED", "DELIVERED", CAUSE_BORZO) && fsm_allowed("DISPATCHED", "DELIVERED", CAUSE_ADMIN),
	   "Borzo or an admin delivers");
	ok(!fsm_allowed("READY", "DELIVERED", CAUSE_BORZO), "no delivery without dispatch");
	ok(fsm_allowed("PENDING", "CANCELLED", CAUSE_SYSTEM), "expiry cancels unpaid orders");
	ok(!fsm_allowed("CONFIRMED", "CANCELLED", CAUSE_SYSTEM), "expiry never cancels a paid order");
	ok(fsm_allowed("CONFIRMED", "CANCELLED", CAUSE_CUSTOMER), "customer cancels before baking");
	ok(!fsm_allowed("BAKING", "CANCELLED", CAUSE_CUSTOMER) && !fsm_allowed("BAKING", "CANCELLED", CAUSE_ADMIN),
	   "no cancel once baking started");
	ok(!fsm_allowed("DELIVERED", "PENDING", CAUSE_ADMIN) && !fsm_allowed("CANCELLED", "CONFIRMED", CAUSE_PAYMENT),
	   "terminal states stay terminal");

	const char *next[8];
	fsm_next_states("CONFIRMED", CAUSE_ADMIN, next);
	is_str(next[0], "BAKING", "admin's first choice from CONFIRMED");
	is_str(next[1], "CANCELLED", "admin's second choice from CONFIRMED");
	ok(next[2] == NULL, "and nothing else");
	fsm_next_states("DELIVERED", CAUSE_ADMIN, next);
	ok(next[0] == NULL, "nothing after DELIVERED");
	ok(fsm_is_state("READY") && !fsm_is_state("ready") && !fsm_is_state("SHIPPED") && !fsm_is_state(NULL),
	   "state names are exact");
	return done_testing();
}
