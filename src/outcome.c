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
	[E_ADDRESS_LIMIT] = { 422, "ADDRESS_LIMIT", "Too many saved addresses" },
	[E_OUT_OF_DELIVERY_AREA] = { 422, "OUT_OF_DELIVERY_AREA", "The point is outside the delivery area" },

	[E_PRODUCT_NOT_FOUND] = { 404, "NOT_FOUND", "No such product" },
	[E_VARIANT_NOT_FOUND] = { 404, "VARIANT_NOT_FOUND", "No such variant" },
	[E_SLUG_TAKEN] = { 409, "SLUG_TAKEN", "Another product has this slug" },
	[E_VARIANT_LABEL_TAKEN] = { 409, "VARIANT_EXISTS", "The product already has a variant with this label" },
	[E_TOO_MANY_IMAGES] = { 409, "TOO_MANY_IMAGES", "The product has as many images as it may" },
	[E_UNSUPPORTED_IMAGE] = { 415, "UNSUPPORTED_IMAGE", "The file is not a PNG, JPEG or WebP image" },
	[E_STORAGE_UNAVAILABLE] = { 502, "STORAGE_UNAVAILABLE", "The image could not be stored" },

	[E_CART_ITEM_NOT_FOUND] = { 404, "CART_ITEM_NOT_FOUND", "No such cart line" },
	[E_CART_FULL] = { 422, "CART_FULL", "The cart holds as many different cakes as it may" },
	[E_QUANTITY_LIMIT] = { 422, "QUANTITY_LIMIT", "Too many of one cake" },
	[E_VARIANT_UNAVAILABLE] = { 422, "VARIANT_UNAVAILABLE", "That cake is not available" },

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
	[E_PAYMENT_PROVIDER_UNAVAILABLE] = { 503, "PAYMENT_PROVIDER_UNAVAILABLE", "Razorpay is unavailable; try again shortly" },
	[E_PAYMENT_PROVIDER_ERROR] = { 502, "PAYMENT_PROVIDER_ERROR", "Razorpay refused the request" },
	[E_INVALID_SIGNATURE] = { 400, "INVALID_SIGNATURE", "The signature does not match" },

	[E_DELIVERY_UNAVAILABLE] = { 503, "DELIVERY_UNAVAILABLE", "The courier service is unavailable; try again shortly" },
	[E_DELIVERY_QUOTE_FAILED] = { 502, "DELIVERY_QUOTE_FAILED", "The courier service could not price this address" },
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
