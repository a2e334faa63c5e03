/* test_addresses.c: PIN codes, the great-circle distance, and the cart's and addresses' limits as answered. */
#include <stdio.h>

#include "addresses.h"
#include "cart.h"
#include "tap.h"

int main(void)
{
	ok(address_pincode_ok("560001"), "560001 is a PIN code");
	ok(!address_pincode_ok("060001"), "no PIN code starts with 0");
	ok(!address_pincode_ok("56001") && !address_pincode_ok("5600011"), "six digits exactly");
	ok(!address_pincode_ok("56000a") && !address_pincode_ok(""), "digits only");

	ok(address_distance_km(12.9716, 77.5946, 12.9716, 77.5946) == 0, "a point is 0 km from itself");
	double d = address_distance_km(12.9716, 77.5946, 13.0827, 80.2707); /* Bengaluru - Chennai */
	ok(d > 289 && d < 292, "Bengaluru to Chennai about 290 km (%.1f)", d);
	double a = address_distance_km(0, 0, 0, 1), b = address_distance_km(0, 1, 0, 0);
	ok(a == b && a > 111.1 && a < 111.3, "one degree at the equator about 111.2 km, both ways (%.2f)", a);
	ok(address_distance_km(0, 0, 0, 180) < 20016, "antipodes: half the circumference, no NaN");

	/* the limits' numbers are written into the answers' texts: they must agree */
	char want[128];
	snprintf(want, sizeof want, "You can keep at most %d addresses", ADDRESS_LIMIT);
	is_str(outcome_info(E_ADDRESS_LIMIT)->message, want, "ADDRESS_LIMIT text");
	snprintf(want, sizeof want, "A cart holds at most %d different cakes", CART_MAX_LINES);
	is_str(outcome_info(E_CART_FULL)->message, want, "CART_FULL text");
	snprintf(want, sizeof want, "At most %d of one cake per order", CART_MAX_LINE_QUANTITY);
	is_str(outcome_info(E_QUANTITY_LIMIT)->message, want, "QUANTITY_LIMIT text");
	snprintf(want, sizeof want, "At most %d of one cake per order; the cart already has some", CART_MAX_LINE_QUANTITY);
	is_str(outcome_info(E_QUANTITY_LIMIT_IN_CART)->message, want, "QUANTITY_LIMIT (with the cart's line) text");
	is_str(outcome_info(E_QUANTITY_LIMIT_IN_CART)->code, "QUANTITY_LIMIT", "both quantity limits answer QUANTITY_LIMIT");
	return done_testing();
}
