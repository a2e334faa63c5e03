/* test_estimate.c: the delivery fee's buffer and rounding, coordinates, and the inscription limits. */
#include "estimate.h"
#include "orders.h"
#include "tap.h"

int main(void)
{
	ok(delivery_fee_buffered(10000, 10) == 11000, "₹100 + 10%% = ₹110");
	ok(delivery_fee_buffered(12345, 10) == 13600, "₹123.45 + 10%% = ₹135.795, up to ₹136");
	ok(delivery_fee_buffered(10000, 0) == 10000, "no buffer, a whole rupee stays");
	ok(delivery_fee_buffered(10001, 0) == 10100, "no buffer, one paisa over rounds up to the next rupee");
	ok(delivery_fee_buffered(9091, 10) == 10100, "₹90.91 + 10%% = ₹100.001, up to ₹101");
	ok(delivery_fee_buffered(0, 10) == 0, "a free quote stays free");
	ok(delivery_fee_buffered(4500, 100) == 9000, "a 100%% buffer doubles");

	ok(coord_text_valid("12.9716", 90) && coord_text_valid("-77.5946", 180) && coord_text_valid("0", 90),
	   "plain decimals are coordinates");
	ok(!coord_text_valid("91", 90) && !coord_text_valid("180.5", 180), "out of range");
	ok(!coord_text_valid("12.", 90) && !coord_text_valid("1e2", 90) && !coord_text_valid(" 12", 90) &&
		   !coord_text_valid("", 90) && !coord_text_valid(NULL, 90) && !coord_text_valid("1234", 180),
	   "junk is not a coordinate");

	ok(order_inscription_limit(500) == INSCRIPTION_MAX_SMALL, "a 500 g cake: %d characters", INSCRIPTION_MAX_SMALL);
	ok(order_inscription_limit(501) == INSCRIPTION_MAX_MEDIUM, "501 g: %d", INSCRIPTION_MAX_MEDIUM);
	ok(order_inscription_limit(1000) == INSCRIPTION_MAX_MEDIUM, "1 kg: %d", INSCRIPTION_MAX_MEDIUM);
	ok(order_inscription_limit(1001) == INSCRIPTION_MAX_LARGE, "over 1 kg: %d", INSCRIPTION_MAX_LARGE);
	ok(order_inscription_limit(0) == INSCRIPTION_MAX_SMALL, "no weight: the smallest limit");
	return done_testing();
}
