/* outcome.c: THE table from domain outcomes to HTTP answers. */
#include <stddef.h>

#include "outcome.h"

static const struct outcome_info table[OUTCOME_COUNT] = {
	[OK] = { 200, NULL, NULL },
	[E_DB] = { 500, "INTERNAL", "Internal error" },
	[E_INTERNAL] = { 500, "INTERNAL", "Internal error" },
	[E_INVALID_INPUT] = { 400, "INVALID_INPUT", "A value has the wrong format" },

	[E_INVALID_CREDENTIALS] = { 401, "INVALID_CREDENTIALS", "Wrong email or password" },
	[E_TOO_MANY_ATTEMPTS] = { 429, "TOO_MANY_ATTEMPTS", "Too many failed attempts; try again later" },
	[E_EMAIL_TAKEN] = { 409, "EMAIL_TAKEN", "An account with this email already exists" },
	[E_ADDRESS_NOT_FOUND] = { 404, "ADDRESS_NOT_FOUND", "No such address" },
	[E_ADDRESS_LIMIT] = { 422, "ADDRESS_LIMIT", "You can keep at most 20 addresses" }, /* addresses.h ADDRESS_LIMIT */
	[E_OUT_OF_DELIVERY_AREA] = { 422, "OUT_OF_DELIVERY_AREA", "The point is outside the delivery area" },
	[E_ACCOUNT_GONE] = { 401, "UNAUTHORIZED", "The account no longer exists" },
	[E_TRY_AGAIN] = { 503, "TRY_AGAIN", "The server is busy; try again" },
	[E_TOKEN_FAILED] = { 500, "INTERNAL", "Could not issue a token" },
	[E_RESET_TOKEN_INVALID] = { 400, "RESET_TOKEN_INVALID", "This reset link is invalid, used or expired; ask for a new one" },
	/* conf.h ADMIN_PASSWORD_MIN_CHARS */
	[E_PASSWORD_TOO_WEAK] = { 400, "VALIDATION_ERROR", "A staff password needs at least 12 characters and must not be a known default" },
	[E_ORDERS_IN_PROGRESS] = { 409, "ORDERS_IN_PROGRESS",
				   "An order is paid and not yet delivered or cancelled; the account can be deleted once it is" },

	[E_PRODUCT_NOT_FOUND] = { 404, "NOT_FOUND", "No such product" },
	[E_VARIANT_NOT_FOUND] = { 404, "VARIANT_NOT_FOUND", "No such variant" },
	[E_SLUG_TAKEN] = { 409, "SLUG_TAKEN", "Another product already uses this slug" },
	[E_VARIANT_LABEL_TAKEN] = { 409, "VARIANT_LABEL_TAKEN", "This product already has a variant with this label" },
	[E_TOO_MANY_IMAGES] = { 409, "TOO_MANY_IMAGES", "A product has at most 20 images" },
	[E_UNSUPPORTED_IMAGE] = { 415, "UNSUPPORTED_IMAGE", "The image must be a JPEG, PNG or WebP file" },
	[E_STORAGE_UNAVAILABLE] = { 502, "STORAGE_UNAVAILABLE", "The image store is unavailable; try again" },
	[E_PRODUCT_VARIANT_NOT_FOUND] = { 404, "NOT_FOUND", "No such variant" },
	[E_IMAGE_TOO_LARGE] = { 413, "PAYLOAD_TOO_LARGE", "The image is larger than 5 MiB" },
	[E_IMAGE_NOT_FOUND] = { 404, "NOT_FOUND", "No such image on this product" },

	/* the numbers are cart.h's CART_MAX_LINES and CART_MAX_LINE_QUANTITY */
	[E_CART_ITEM_NOT_FOUND] = { 404, "CART_ITEM_NOT_FOUND", "No such line in your cart" },
	[E_CART_FULL] = { 422, "CART_FULL", "A cart holds at most 30 different cakes" },
	[E_QUANTITY_LIMIT] = { 422, "QUANTITY_LIMIT", "At most 20 of one cake per order" },
	[E_QUANTITY_LIMIT_IN_CART] = { 422, "QUANTITY_LIMIT", "At most 20 of one cake per order; the cart already has some" },
	[E_VARIANT_UNAVAILABLE] = { 422, "VARIANT_UNAVAILABLE", "This cake is not available right now" },

	[E_RANGE_REVERSED] = { 400, "VALIDATION_ERROR", "to must not be before from" },
	[E_RANGE_TOO_LONG] = { 400, "VALIDATION_ERROR", "the range may span at most 366 days" },

	[E_ORDER_NOT_FOUND] = { 404, "ORDER_NOT_FOUND", "No such order" },
	[E_CART_EMPTY] = { 422, "CART_EMPTY", "The cart is empty" },
	[E_ORDER_TOO_LARGE] = { 422, "ORDER_TOO_LARGE", "The order total is too large" },
	[E_INSCRIPTION_TOO_LONG] = { 400, "INSCRIPTION_TOO_LONG", "The inscription is too long for the largest cake" },
	[E_SLOT_UNAVAILABLE] = { 422, "SLOT_UNAVAILABLE", "That delivery slot is not offered for this order" },
	[E_SLOT_FULL] = { 422, "SLOT_FULL", "That delivery slot has no kitchen capacity left for this order" },
	[E_ILLEGAL_TRANSITION] = { 409, "ILLEGAL_TRANSITION", "The order cannot move to that status" },
	[E_CANCELLATION_TOO_LATE] = { 409, "CANCELLATION_TOO_LATE",
				      "A paid order can no longer be cancelled this close to its delivery slot" },

	[E_PAYMENT_NOT_FOUND] = { 404, "NOT_FOUND", "No such payment" },
	[E_ORDER_NOT_PAYABLE] = { 409, "ORDER_NOT_PAYABLE", "The order cannot be paid in its status" },
	[E_PAYMENT_PROVIDER_UNAVAILABLE] = { 503, "PAYMENT_PROVIDER_UNAVAILABLE", "The payment provider is unavailable; try again shortly" },
	[E_PAYMENT_PROVIDER_ERROR] = { 502, "PAYMENT_PROVIDER_ERROR", "The payment provider refused the request" },
	[E_INVALID_SIGNATURE] = { 400, "INVALID_SIGNATURE", "The payment signature does not match" },
	[E_MALFORMED_EVENT] = { 400, "MALFORMED_EVENT", "The event carries no usable payment" },

	[E_INVOICE_NOT_FOUND] = { 404, "INVOICE_NOT_FOUND", "This order has no tax invoice (it is not paid)" },
	[E_CREDIT_NOTE_NOT_FOUND] = { 404, "CREDIT_NOTE_NOT_FOUND", "This order has no such credit note" },

	[E_DELIVERY_UNAVAILABLE] = { 503, "DELIVERY_UNAVAILABLE", "The courier partner is unavailable; try again shortly" },
	[E_PARTNER_BUSY] = { 503, "PARTNER_BUSY", "Too many requests are waiting for the courier partner; try again shortly" },
	[E_DELIVERY_QUOTE_FAILED] = { 502, "DELIVERY_QUOTE_FAILED", "The courier partner could not price a delivery to this address" },
	[E_NOT_PAID] = { 409, "NOT_PAID", "The order is not paid yet" },
	[E_ALREADY_BOOKED] = { 409, "ALREADY_BOOKED", "A courier is already booked for this order" },
	[E_NOT_BOOKABLE] = { 409, "NOT_BOOKABLE", "The order is delivered or cancelled" },
	[E_NOT_BOOKED] = { 409, "NOT_BOOKED", "No courier is booked for this order" },
	[E_BOOKING_REJECTED] = { 422, "BOOKING_REJECTED", "The courier service refused the booking" },
	[E_COURIER_UNAVAILABLE] = { 503, "COURIER_UNAVAILABLE", "The courier service is unavailable; try again shortly" },
	[E_CANCEL_REJECTED] = { 422, "CANCEL_REJECTED", "The courier service refused to cancel" },
	[E_CANNOT_CANCEL] = { 409, "CANNOT_CANCEL", "Borzo no longer allows cancelling this order" },

	[E_JOB_NOT_FOUND] = { 404, "NOT_FOUND", "No such job" },
};

const struct outcome_info *outcome_info(enum outcome o)
{
	if ((unsigned)o >= OUTCOME_COUNT || (o != OK && !table[o].code))
		return &table[E_INTERNAL];
	return &table[o];
}
