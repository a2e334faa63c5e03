/* track.c: GET /track/{token}: the customer's public order tracking page (HTML), from the order view;
 * GET /track/{token}/invoice and /credit-notes/{n}: the order's printable GST documents. */
#include <string.h>
#include <time.h>

#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "invoices.h"
#include "json.h"
#include "order_view.h"
#include "timefmt.h"
#include "util.h"

static const struct {
	const char *status, *label;
} labels[] = {
	{ "PENDING", "Waiting for payment" },
	{ "CONFIRMED", "Order confirmed" },
	{ "BAKING", "Baking" },
	{ "READY", "Ready for pickup by the courier" },
	{ "DISPATCHED", "On the way" },
	{ "DELIVERED", "Delivered" },
	{ "CANCELLED", "Cancelled" },
	{ "SEARCHING", "Looking for a courier" },
	{ "ASSIGNED", "Courier assigned" },
	{ "PICKED_UP", "Courier has your cake" },
	{ "COMPLETED", "Delivered" },
	{ "FAILED", "Delivery failed" },
};

static const char *label(const char *status)
{
	for (size_t i = 0; status && i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(labels[i].status, status) == 0)
			return labels[i].label;
	return status;
}

/* Tokens are URL-safe random strings: anything else cannot exist. */
static int token_ok(const char *t)
{
	size_t n = strlen(t);
	if (n < 8 || n > 128)
		return 0;
	for (const char *p = t; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/* The 404 page; title and message NULL: an unknown tracking link. */
static int not_found_page(struct req *r, const char *title, const char *message)
{
	struct json_object *ctx = json_object_new_object();
	json_object_object_add(ctx, "storeName", jstr(cfg->store_name));
	json_object_object_add(ctx, "title", jstr(title));
	json_object_object_add(ctx, "message", jstr(message));
	return reply_html(r, 404, "track/not_found", ctx);
}

static int not_found(struct req *r)
{
	return not_found_page(r, NULL, NULL);
}

/* [{label, when}] of the order's history, oldest first (when: timefmt.h's {iso, human, full}). */
static struct json_object *timeline(struct json_object *order, time_t now)
{
	struct json_object *hist, *a = json_object_new_array();
	json_object_object_get_ex(order, "statusHistory", &hist);
	for (size_t i = 0; i < json_object_array_length(hist); i++) {
		struct json_object *h = json_object_array_get_idx(hist, i), *e = json_object_new_object();
		json_object_object_add(e, "label", jstr(label(view_text(h, "to"))));
		struct json_object *when = timefmt_json(view_text(h, "at"), TIMEFMT_RELATIVE, 0, now);
		if (when)
			json_object_object_add(e, "when", when);
		json_object_array_add(a, e);
	}
	return a;
}

/* Courier and Borzo link once a courier is booked (never after a cancellation). */
static void add_courier(struct json_object *ctx, struct json_object *order)
{
	struct json_object *d;
	if (!json_object_object_get_ex(order, "delivery", &d) || !json_object_is_type(d, json_type_object))
		return;
	const char *bs = view_text(d, "bookingState");
	if (!bs || (strcmp(bs, "BOOKED") != 0 && strcmp(bs, "CANCELLED") != 0))
		return; /* a booking not made (yet) shows nothing */
	const char *ds = view_text(d, "status"), *url = view_text(d, "trackingUrl");
	int live = ds && strcmp(ds, "CANCELLED") != 0 && strcmp(ds, "FAILED") != 0;

	if (ds)
		json_object_object_add(ctx, "deliveryStatus", jstr(label(ds)));
	if (live && view_text(d, "courierName")) {
		json_object_object_add(ctx, "courierName", jstr(view_text(d, "courierName")));
		json_object_object_add(ctx, "courierPhone", jstr(view_text(d, "courierPhone")));
	}
	/* only web links: a partner's text never becomes a javascript: URL */
	if (live && url && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0))
		json_object_object_add(ctx, "trackingUrl", jstr(url));
}

/* Links to the order's invoice and credit notes (token_ok has vetted the token for a URL). */
static void add_documents(struct req *r, struct json_object *ctx, struct json_object *order)
{
	struct json_object *inv, *notes, *links = json_object_new_array();
	if (json_object_object_get_ex(order, "invoice", &inv) && json_object_is_type(inv, json_type_object)) {
		struct json_object *l = json_object_new_object();
		json_object_object_add(l, "href", jstr(arena_printf(r->a, "/track/%s/invoice", r->param[0])));
		json_object_object_add(l, "label", jstr(arena_printf(r->a, "Tax invoice %s", view_text(inv, "number"))));
		json_object_array_add(links, l);
	}
	json_object_object_get_ex(order, "creditNotes", &notes);
	for (size_t i = 0; i < json_object_array_length(notes); i++) {
		struct json_object *cn = json_object_array_get_idx(notes, i), *l = json_object_new_object();
		json_object_object_add(l, "href", jstr(arena_printf(r->a, "/track/%s/credit-notes/%zu", r->param[0], i + 1)));
		json_object_object_add(l, "label", jstr(arena_printf(r->a, "Credit note %s", view_text(cn, "number"))));
		json_object_array_add(links, l);
	}
	json_object_object_add(ctx, "hasDocuments", jbool(json_object_array_length(links) > 0));
	json_object_object_add(ctx, "documents", links);
}

int track_get(struct req *r)
{
	struct json_object *order;
	time_t now = time(NULL);

	if (!token_ok(r->param[0]))
		return not_found(r);
	enum outcome o = order_view_by_token(&r->ctx, r->param[0], OV_ADMIN | OV_DELIVERY | OV_HISTORY | OV_DOCUMENTS, &order);
	if (o == E_ORDER_NOT_FOUND)
		return not_found(r);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	json_own(r->a, order);
	struct json_object *slot = timefmt_json(view_text(order, "deliverySlot"), TIMEFMT_SLOT, cfg->slot_minutes, now);
	if (!slot)
		return reply_outcome(r, E_INTERNAL, NULL);
	struct json_object *ctx = json_own(r->a, json_object_new_object());
	json_object_object_add(ctx, "slot", slot);
	json_object_object_add(ctx, "timeline", timeline(order, now));
	json_object_object_add(ctx, "storeName", jstr(cfg->store_name));
	json_object_object_add(ctx, "orderNumber", jstr(json_object_get_string(json_object_object_get(order, "orderNumber"))));
	json_object_object_add(ctx, "status", jstr(label(view_text(order, "status"))));
	add_courier(ctx, order);
	add_documents(r, ctx, order);
	reply_header(r, "Cache-Control", "no-store");
	return reply_html(r, 200, "track/order", json_object_get(ctx));
}

/* The order's tax invoice or n-th credit note (n as text), printable. */
static int track_document(struct req *r, int credit_note, const char *n_text)
{
	struct doc_query q = { .token = r->param[0], .credit_note = credit_note, .n = 0 };
	struct json_object *doc;

	if (!token_ok(r->param[0]) || (credit_note && parse_int64(n_text, 1, INT32_MAX, &q.n) != 0))
		return not_found(r);
	enum outcome o = invoice_get(&r->ctx, &q, &doc);
	if (o == E_INVOICE_NOT_FOUND)
		return not_found_page(r, "No invoice yet", "The tax invoice is issued when the payment of the order is confirmed.");
	if (o == E_CREDIT_NOTE_NOT_FOUND)
		return not_found_page(r, "No such credit note", "A credit note is issued for each refund of a paid order.");
	if (o == E_ORDER_NOT_FOUND)
		return not_found(r);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	reply_header(r, "Cache-Control", "no-store");
	return reply_html(r, 200, "invoice", doc);
}

int track_invoice_get(struct req *r)
{
	return track_document(r, 0, NULL);
}

int track_credit_note_get(struct req *r)
{
	return track_document(r, 1, r->param[1]);
}
