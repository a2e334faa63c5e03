/* api_orders.c: the orders API: POST/GET /api/orders, GET /api/orders/{id}, POST /api/orders/{id}/cancel,
 * and the admin's GET /api/admin/orders[/{id}], PATCH /api/admin/orders/{id}/status. */
#include <string.h>

#include "admin.h"
#include "api_orders.h"
#include "buf.h"
#include "handlers.h"
#include "http.h"
#include "invoices.h"
#include "jsonutil.h"
#include "order_fsm.h"
#include "order_view.h"
#include "orders.h"
#include "slots.h"
#include "util.h"

int reply_order_view(struct req *r, int status, const char *order_id, const char *owner_id, unsigned options)
{
	struct json_object *o;
	enum outcome oc = order_view_get(&r->ctx, order_id, owner_id, options, &o);
	return oc == OK ? reply_json(r, status, o) : reply_outcome(r, oc, NULL);
}

/* The customer's own order. */
static int reply_own_order(struct req *r, int status, const char *id)
{
	return reply_order_view(r, status, id, r->ctx.who.user_id, OV_CUSTOMER | OV_OWNER);
}

/* A page's ?name= as an integer in [min, max] (def when absent) into *out: 0, or -1 answered. */
static int query_int(struct req *r, const char *name, int64_t def, int64_t min, int64_t max, const char *message,
		     int64_t *out)
{
	const char *v = query_get(r, name);
	*out = def;
	if (v && parse_int64(v, min, max, out) != 0)
		return reply_error(r, 400, "VALIDATION_ERROR", name, "%s", message), -1;
	return 0;
}

/* the order pages are written as text, in the bytes reply_json would send */
_Static_assert(JSON_TEXT_FLAGS == JSON_OUT_FLAGS, "the order pages' text and reply_json must agree");

/* Answers a page of orders written by order_view (its outcome o). Frees page. */
static int reply_page_text(struct req *r, enum outcome o, struct buf *page)
{
	if (o == OK)
		reply_raw(r, 200, "application/json", page->data, page->len);
	else
		reply_outcome(r, o, NULL);
	buf_free(page);
	return 0;
}

/* ---- the customer's orders ---- */

/* The body and the Idempotency-Key header as an order request: 0, or -1 answered. */
static int parse_order_request(struct req *r, struct order_request *in)
{
	int present;

	memset(in, 0, sizeof *in);
	if (jget_uuid(r, r->json, "addressId", REQUIRED, &in->address_id) ||
	    jget_text(r, r->json, "deliverySlot", REQUIRED, 1, 64, TEXT_SINGLE_LINE, &in->slot) ||
	    jget_text(r, r->json, "customMessage", OPTIONAL, 0, 10000, TEXT_SINGLE_LINE, &in->message) ||
	    jget_bool(r, r->json, "isGift", OPTIONAL, &in->is_gift, &present) ||
	    jget_text(r, r->json, "giftMessage", OPTIONAL, 0, GIFT_MESSAGE_MAX, TEXT_MULTI_LINE, &in->gift_message))
		return -1;
	if (!present)
		in->is_gift = 0;
	if (in->message && !*in->message)
		in->message = NULL;
	if (!in->is_gift || (in->gift_message && !*in->gift_message))
		in->gift_message = NULL; /* a gift message only travels with a gift */
	if (!slot_time_valid(in->slot))
		return reply_error(r, 400, "VALIDATION_ERROR", "deliverySlot",
				   "deliverySlot must be an RFC 3339 date-time such as 2026-02-14T14:00:00+05:30"),
		       -1;
	const char *k = req_header(r, "HTTP_IDEMPOTENCY_KEY");
	if (k) {
		size_t n = strlen(k);
		if (n < 1 || n > 100 || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
			return reply_error(r, 400, "VALIDATION_ERROR", "Idempotency-Key",
					   "Idempotency-Key must be 1 to 100 characters A-Z a-z 0-9 _ -"),
			       -1;
		in->idempotency_key = k;
	}
	return 0;
}

int orders_create(struct req *r)
{
	struct order_request in;
	struct order_placed out;

	if (parse_order_request(r, &in) != 0)
		return 0;
	enum outcome o = order_place(&r->ctx, &in, &out);
	switch (o) {
	case OK:
		return reply_own_order(r, out.created ? 201 : 200, out.id);
	case E_ADDRESS_NOT_FOUND:
		return reply_outcome(r, o, "addressId");
	case E_VARIANT_UNAVAILABLE:
		return reply_outcome_msg(r, o, "variantId", "%s (%s) is no longer available", out.product, out.variant);
	case E_INSCRIPTION_TOO_LONG:
		return reply_outcome_msg(r, o, "customMessage",
					 "The inscription fits %d characters on the largest cake of this order",
					 out.inscription_max);
	case E_SLOT_UNAVAILABLE:
		return reply_outcome_msg(r, o, "deliverySlot", "That delivery slot is not offered for this order "
							       "(past, off the grid, before the lead time of %d h, or closed)",
					 out.lead_hours);
	case E_SLOT_FULL:
		return reply_outcome(r, o, "deliverySlot");
	default:
		return reply_outcome(r, o, NULL);
	}
}

int orders_list(struct req *r)
{
	int64_t limit, offset;

	if (query_int(r, "limit", 20, 1, 100, "limit must be an integer 1 to 100", &limit) ||
	    query_int(r, "offset", 0, 0, 1000000000, "offset must be a non-negative integer", &offset))
		return 0;
	struct buf page = BUF_INIT;
	enum outcome o = order_view_page_of_customer(&r->ctx, r->ctx.who.user_id, limit, offset,
						     OV_CUSTOMER | OV_OWNER, &page);
	return reply_page_text(r, o, &page);
}

int orders_get(struct req *r)
{
	return reply_own_order(r, 200, r->param[0]);
}

int orders_cancel(struct req *r)
{
	struct cancel_request rq = { .by = CANCELLER_CUSTOMER, .note = "cancelled by the customer" };
	struct cancellation x;

	enum outcome o = order_cancel(&r->ctx, r->param[0], &rq, &x);
	if (o == E_ILLEGAL_TRANSITION)
		return reply_outcome_msg(r, o, NULL, "The order can no longer be cancelled");
	return o == OK ? reply_own_order(r, 200, r->param[0]) : reply_outcome(r, o, NULL);
}

/* ---- the customer's tax documents ---- */

/* 1 when the client asks for JSON: Accept names application/json, and before text/html if at all. */
static int wants_json(struct req *r)
{
	const char *a = req_header(r, "HTTP_ACCEPT");
	const char *json = a ? strstr(a, "application/json") : NULL, *html = a ? strstr(a, "text/html") : NULL;
	return json && (!html || json < html);
}

/* One of the caller's own documents: printable HTML, or its data as JSON. */
static int reply_own_document(struct req *r, int credit_note, int64_t n)
{
	struct doc_query q = { .order_id = r->param[0], .owner_id = r->ctx.who.user_id, .credit_note = credit_note, .n = n };
	struct json_object *doc;

	enum outcome o = invoice_get(&r->ctx, &q, &doc);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	return wants_json(r) ? reply_json(r, 200, doc) : reply_html(r, 200, "invoice", doc);
}

int orders_invoice_get(struct req *r)
{
	return reply_own_document(r, 0, 0);
}

int orders_credit_note_get(struct req *r)
{
	int64_t n;

	if (parse_int64(r->param[1], 1, INT32_MAX, &n) != 0)
		return reply_outcome(r, E_CREDIT_NOTE_NOT_FOUND, NULL);
	return reply_own_document(r, 1, n);
}

/* ---- the admin's orders ---- */

static int reply_staff_order(struct req *r, const char *id)
{
	return reply_order_view(r, 200, id, NULL, OV_STAFF | OV_HISTORY);
}

int api_admin_orders(struct req *r)
{
	const char *date = admin_date_param(r), *status = query_get(r, "status");
	int64_t limit, offset;

	if (!date)
		return reply_error(r, 400, "VALIDATION_ERROR", "date", "date must be a day as YYYY-MM-DD");
	if (status && *status && !fsm_is_state(status))
		return reply_error(r, 400, "VALIDATION_ERROR", "status", "status is not an order state");
	if (status && !*status)
		status = NULL;
	if (query_int(r, "limit", 20, 1, 100, "limit must be an integer from 1 to 100", &limit) ||
	    query_int(r, "offset", 0, 0, 1000000, "offset must be an integer from 0 to 1000000", &offset))
		return 0;
	struct buf page = BUF_INIT;
	enum outcome o = order_view_page_of_day(&r->ctx, date, status, limit, offset, OV_STAFF, &page);
	return reply_page_text(r, o, &page);
}

int api_admin_order_get(struct req *r)
{
	return reply_staff_order(r, r->param[0]);
}

int api_admin_order_status(struct req *r)
{
	const char *to;
	int moved;

	if (jget_text(r, r->json, "status", REQUIRED, 1, 20, TEXT_SINGLE_LINE, &to))
		return 0;
	if (!fsm_is_state(to))
		return reply_error(r, 400, "VALIDATION_ERROR", "status", "status is not an order state");
	enum outcome o = order_move_by_staff(&r->ctx, r->param[0], to, &moved);
	if (o == E_ILLEGAL_TRANSITION)
		return reply_outcome_msg(r, o, "status", "This order cannot move to %s now", to);
	return o == OK ? reply_staff_order(r, r->param[0]) : reply_outcome(r, o, NULL);
}
