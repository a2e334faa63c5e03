/* invoices.h: GST tax invoices and credit notes: issued in the transaction of
 * the payment or refund they document, numbered without gaps per financial
 * year, frozen, and read back as printable documents (README "Tax invoices"). */
#ifndef APP_INVOICES_H
#define APP_INVOICES_H

#include <json-c/json.h>
#include <stdint.h>

#include "outcome.h"

struct ctx;

/* The series: "LF/26-27/000123" for invoices, "CN/26-27/000004" for credit notes. */
#define INVOICE_SERIES "LF"
#define CREDIT_NOTE_SERIES "CN"

/* In the caller's transaction, after the order moved PENDING -> CONFIRMED by its
 * payment: the order's tax invoice, numbered from the invoice series of the
 * financial year of the transaction's time in Asia/Kolkata. Its lines are the
 * order's items and the delivery fee, taxed as README "Tax invoices" says; the
 * seller and the buyer are copied in. The number's counter row stays locked
 * until the caller's commit: a rollback gives the number back. Nothing is done
 * without STORE_GSTIN, or when the order has its invoice already. OK, or E_DB
 * (or E_INTERNAL, logged): the caller must roll back. */
enum outcome invoice_issue(struct ctx *c, const char *order_id);

/* In the caller's transaction, once Razorpay took refund_id: a credit note
 * against the order's invoice for the refunded amount, from the credit note
 * series. The delivery line is credited first (every refund band returns the
 * delivery fee whole), the rest over the cakes' lines in proportion to what
 * they still hold; never more than the invoice less its earlier credit notes.
 * Nothing is done when the order has no invoice (never confirmed: money that
 * came after it expired) or the refund has its note already. OK, or E_DB (or
 * E_INTERNAL, logged): the caller must roll back. */
enum outcome credit_note_issue(struct ctx *c, const char *refund_id);

/* Which document to read: the order by id (owner_id, when not NULL, must own
 * it) or by tracking token; its invoice, or its n-th credit note (1 = the
 * first issued). */
struct doc_query {
	const char *order_id, *owner_id, *token;
	int credit_note;
	int64_t n;
};

/* The document as data (caller owns): kind, title, number, issuedAt, issuedOn,
 * orderNumber, seller {legalName, tradeName, gstin, address, stateCode,
 * stateName}, buyer {name, address}, placeOfSupply {code, name}, interState,
 * invoice {number, issuedOn} (a credit note's), lines[] {position, kind,
 * description, hsn, quantity, unitPrice, rate, cgstRate, sgstRate, igstRate,
 * taxable, cgst, sgst, igst, total}, totals {taxable, cgst, sgst, igst, total};
 * money as "1234.50". OK, E_ORDER_NOT_FOUND (no such order for this reader),
 * E_INVOICE_NOT_FOUND / E_CREDIT_NOTE_NOT_FOUND (the order has no such
 * document), E_DB. */
enum outcome invoice_get(struct ctx *c, const struct doc_query *q, struct json_object **out);

#endif
