/* test_refund.c: the refund policy (refund_decide): every band, rounding, staff, nothing captured, too late. */
#include "payments.h"
#include "tap.h"

#define H(x) ((int64_t)(x)*60) /* hours in minutes */

int main(void)
{
	int64_t p;

	/* an order of subtotal 1000.01 and fee 50.00, all captured: 1050.01 */
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 0, 100001, 5000, H(48), &p) == REFUND_DONE && p == 105001,
	   "customer, 48 h before: everything back");
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 0, 100001, 5000, H(24), &p) == REFUND_DONE && p == 105001,
	   "customer, exactly 24 h before: everything back");
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 0, 100001, 5000, H(24) - 1, &p) == REFUND_DONE && p == 50001 + 5000,
	   "customer, just under 24 h: half the subtotal rounded up to the paisa, plus the whole fee (%lld)", (long long)p);
	ok(refund_decide(CANCELLER_CUSTOMER, 105000, 0, 100000, 5000, H(12), &p) == REFUND_DONE && p == 55000,
	   "customer, 12 h: an even subtotal halves exactly");
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 0, 100001, 5000, H(6), &p) == REFUND_DONE && p == 55001,
	   "customer, exactly 6 h: still the half band");
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 0, 100001, 5000, H(6) - 1, &p) == REFUND_TOO_LATE && p == 0,
	   "customer, under 6 h: too late");
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 0, 100001, 5000, -30, &p) == REFUND_TOO_LATE,
	   "customer, after the slot started: too late");
	ok(refund_decide(CANCELLER_STAFF, 105001, 0, 100001, 5000, H(1), &p) == REFUND_DONE && p == 105001,
	   "staff, 1 h before: everything back");
	ok(refund_decide(CANCELLER_STAFF, 105001, 0, 100001, 5000, -H(3), &p) == REFUND_DONE && p == 105001,
	   "staff, after the slot: everything back");
	ok(refund_decide(CANCELLER_SYSTEM, 105001, 0, 100001, 5000, -H(48), &p) == REFUND_DONE && p == 105001,
	   "system (late payment): everything back");
	ok(refund_decide(CANCELLER_CUSTOMER, 0, 0, 100001, 5000, H(48), &p) == REFUND_NOT_PAID && p == 0,
	   "nothing captured: nothing to refund");
	ok(refund_decide(CANCELLER_CUSTOMER, 0, 0, 100001, 5000, H(1), &p) == REFUND_NOT_PAID,
	   "nothing captured is never too late");
	ok(refund_decide(CANCELLER_STAFF, 0, 0, 100001, 5000, H(1), &p) == REFUND_NOT_PAID && p == 0,
	   "staff, nothing captured: nothing to refund");
	ok(refund_decide(CANCELLER_STAFF, 105001, 40000, 100001, 5000, H(1), &p) == REFUND_DONE && p == 65001,
	   "staff after a partial refund: what is left");
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 80000, 100001, 5000, H(12), &p) == REFUND_DONE && p == 25001,
	   "the half band never gives back more than is left");
	ok(refund_decide(CANCELLER_STAFF, 105001, 105001, 100001, 5000, H(48), &p) == REFUND_NOT_PAID && p == 0,
	   "all refunded already: nothing more");
	ok(refund_decide(CANCELLER_CUSTOMER, 105001, 105001, 100001, 5000, H(2), &p) == REFUND_TOO_LATE,
	   "the cut-off holds even when nothing is left");
	ok(refund_decide(CANCELLER_CUSTOMER, 101, 0, 1, 100, H(12), &p) == REFUND_DONE && p == 101,
	   "half of one paisa rounds up to one paisa");
	return done_testing();
}
