/* outcome.h: what a domain function can answer, and (outcome.c) the one table
 * that turns each outcome into an HTTP status and an error code, so that the
 * same condition answers the same code on every route. */
#ifndef APP_OUTCOME_H
#define APP_OUTCOME_H

enum outcome {
	OK = 0,
	/* the kernel */
	E_DB,		 /* a database failure: 503 when gone or conflicting, else 500 */
	E_INTERNAL,	 /* a bug or an unreadable row: 500, logged */
	E_INVALID_INPUT, /* a value the database refused as malformed */
	/* accounts */
	E_INVALID_CREDENTIALS,
	E_TOO_MANY_ATTEMPTS,
	E_EMAIL_TAKEN,
	E_ADDRESS_NOT_FOUND,
	E_ADDRESS_LIMIT,
	E_OUT_OF_DELIVERY_AREA,
	E_ACCOUNT_GONE, /* a valid token of a row no longer there */
	E_TRY_AGAIN,	/* password hashing out of memory */
	E_TOKEN_FAILED,
	E_RESET_TOKEN_INVALID, /* unknown, used, voided or expired */
	E_PASSWORD_TOO_WEAK,   /* a staff password outside development: conf_admin_password_problem */
	E_ORDERS_IN_PROGRESS,  /* deletion while an order is paid and not yet delivered or cancelled */
	/* catalog */
	E_PRODUCT_NOT_FOUND,
	E_VARIANT_NOT_FOUND,
	E_SLUG_TAKEN,
	E_VARIANT_LABEL_TAKEN,
	E_TOO_MANY_IMAGES,
	E_UNSUPPORTED_IMAGE,
	E_STORAGE_UNAVAILABLE,
	E_PRODUCT_VARIANT_NOT_FOUND, /* the admin's: not a variant of this product */
	E_IMAGE_TOO_LARGE,
	E_IMAGE_NOT_FOUND,
	/* cart */
	E_CART_ITEM_NOT_FOUND,
	E_CART_FULL,
	E_QUANTITY_LIMIT,
	E_QUANTITY_LIMIT_IN_CART, /* the cart's line and the addition exceed the cap */
	E_VARIANT_UNAVAILABLE,
	/* analytics */
	E_RANGE_REVERSED,
	E_RANGE_TOO_LONG,
	/* orders */
	E_ORDER_NOT_FOUND,
	E_CART_EMPTY,
	E_ORDER_TOO_LARGE,
	E_INSCRIPTION_TOO_LONG,
	E_SLOT_UNAVAILABLE,
	E_SLOT_FULL,
	E_ILLEGAL_TRANSITION,
	E_CANCELLATION_TOO_LATE,
	/* payments */
	E_PAYMENT_NOT_FOUND,
	E_ORDER_NOT_PAYABLE,
	E_PAYMENT_PROVIDER_UNAVAILABLE,
	E_PAYMENT_PROVIDER_ERROR,
	E_INVALID_SIGNATURE,
	E_MALFORMED_EVENT,
	/* tax invoices */
	E_INVOICE_NOT_FOUND,	 /* the order (visible to the reader) has no tax invoice */
	E_CREDIT_NOTE_NOT_FOUND, /* ... or no credit note of that number */
	/* delivery */
	E_DELIVERY_UNAVAILABLE,
	E_PARTNER_BUSY, /* too many workers already wait on the partner */
	E_DELIVERY_QUOTE_FAILED,
	E_NOT_PAID,
	E_ALREADY_BOOKED,
	E_NOT_BOOKABLE,
	E_NOT_BOOKED,
	E_BOOKING_REJECTED,
	E_COURIER_UNAVAILABLE,
	E_CANCEL_REJECTED,
	E_CANNOT_CANCEL,
	/* jobs */
	E_JOB_NOT_FOUND,
	OUTCOME_COUNT
};

struct outcome_info {
	int status;	     /* HTTP status */
	const char *code;    /* the error envelope's code; NULL for OK */
	const char *message; /* the envelope's message */
};

/* The row of o (never NULL: an unknown value reads as E_INTERNAL). */
const struct outcome_info *outcome_info(enum outcome o);

#endif
