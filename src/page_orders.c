/* page_orders.c: the kitchen's order pages: the day's orders, one order (status, courier), the kitchen sheet. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "deliveries.h"
#include "handlers.h"
#include "invoices.h"
#include "json.h"
#include "kitchen.h"
#include "order_fsm.h"
#include "order_view.h"
#include "orders.h"
#include "slots.h"
#include "util.h"

#define PAGE_LIMIT 1000

/* ---- page decorations (display only, never sent by the API) ---- */

/* The slot's day and "14:00–16:00". */
static void add_slot_label(struct req *r, struct json_object *o)
{
	const char *s = view_text(o, "deliverySlot");
	char from[6], to[6];
	if (slot_clock(s, 0, from) != 0 || slot_clock(s, cfg->slot_minutes, to) != 0)
		return;
	json_object_object_add(o, "slotDate", jstr(arena_strndup(r->a, s, 10)));
	json_object_object_add(o, "slotLabel", jstr(arena_printf(r->a, "%s–%s", from, to)));
}

static const char *status_word(const char *s)
{
	if (!strcmp(s, "BAKING"))
		return "Start baking";
	if (!strcmp(s, "READY"))
		return "Mark ready";
	if (!strcmp(s, "CANCELLED"))
		return "Cancel order";
	if (!strcmp(s, "DELIVERED"))
		return "Mark delivered";
	return s;
}

static void decorate(struct req *r, struct json_object *o)
{
	struct json_object *d;
	const char *st = view_text(o, "status");
	add_slot_label(r, o);
	if (st)
		json_object_object_add(o, "statusClass", jstr(arena_printf(r->a, "st-%s", st)));
	/* only an https link becomes a link: no javascript: from a partner */
	if (json_object_object_get_ex(o, "delivery", &d) && json_object_is_type(d, json_type_object)) {
		const char *u = view_text(d, "trackingUrl");
		if (u && strncmp(u, "https://", 8) == 0)
			json_object_object_add(d, "trackingHref", jstr(u));
	}
}

/* Groups decorated orders into [{slotLabel, orders:[...]}], in slot order. */
static struct json_object *group_by_slot(struct json_object *orders)
{
	struct json_object *groups = json_object_new_array(), *cur = NULL;
	const char *last = NULL;
	for (size_t i = 0; i < json_object_array_length(orders); i++) {
		struct json_object *o = json_object_array_get_idx(orders, i);
		const char *slot = view_text(o, "deliverySlot");
		if (!cur || !last || !slot || strcmp(slot, last) != 0) {
			cur = json_object_new_array();
			struct json_object *g = json_object_new_object();
			json_object_object_add(g, "slotLabel", json_object_get(json_object_object_get(o, "slotLabel")));
			json_object_object_add(g, "orders", cur);
			json_object_array_add(groups, g);
			last = slot;
		}
		json_object_array_add(cur, json_object_get(o));
	}
	return groups;
}

static struct json_object *status_options(const char *selected)
{
	static const char *const all[] = { "PENDING", "CONFIRMED", "BAKING", "READY", "DISPATCHED", "DELIVERED", "CANCELLED" };
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", jstr(all[i]));
		if (selected && strcmp(selected, all[i]) == 0)
			json_object_object_add(o, "selected", jbool(1));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void add_day_links(struct req *r, struct json_object *ctx, const char *date)
{
	char today[11], tomorrow[11];
	admin_kolkata_date(0, today);
	admin_kolkata_date(1, tomorrow);
	json_object_object_add(ctx, "date", jstr(date));
	json_object_object_add(ctx, "today", jstr(today));
	json_object_object_add(ctx, "tomorrow", jstr(tomorrow));
	if (!strcmp(date, today))
		json_object_object_add(ctx, "isToday", jbool(1));
	if (!strcmp(date, tomorrow))
		json_object_object_add(ctx, "isTomorrow", jbool(1));
	(void)r;
}

/* The date and status of the page's query; invalid ones fall back to today / all. */
static const char *page_date(struct req *r, int *bad)
{
	const char *d = admin_date_param(r);
	*bad = d == NULL;
	if (d)
		return d;
	char *today = arena_alloc(r->a, 11);
	admin_kolkata_date(0, today);
	return today;
}

/* ---- pages ---- */

int admin_orders_page(struct req *r)
{
	int bad;
	const char *date = page_date(r, &bad);
	const char *status = query_get(r, "status");
	int64_t total;

	if (!fsm_is_state(status))
		status = NULL;
	struct json_object *orders;
	enum outcome o = order_view_of_day(&r->ctx, date, status, PAGE_LIMIT, 0, OV_STAFF, &orders, &total);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	for (size_t i = 0; i < json_object_array_length(orders); i++)
		decorate(r, json_object_array_get_idx(orders, i));
	struct json_object *ctx = admin_page_ctx(r, "orders", "Orders");
	if (bad)
		json_object_object_add(ctx, "flash", admin_json_text("{\"kind\":\"error\",\"text\":\"That date is not valid; showing today.\"}"));
	add_day_links(r, ctx, date);
	json_object_object_add(ctx, "statusFilter", jbool(1));
	json_object_object_add(ctx, "statuses", status_options(status));
	json_object_object_add(ctx, "slots", group_by_slot(orders));
	json_object_object_add(ctx, "count", jint(total));
	json_object_put(orders);
	return reply_html(r, 200, "admin/orders", ctx);
}

static struct json_object *next_buttons(const char *status)
{
	const char *next[8];
	struct json_object *arr = json_object_new_array();
	fsm_next_states(status, CAUSE_ADMIN, next);
	for (int i = 0; next[i]; i++) {
		struct json_object *b = json_object_new_object();
		json_object_object_add(b, "status", jstr(next[i]));
		json_object_object_add(b, "label", jstr(status_word(next[i])));
		if (!strcmp(next[i], "CANCELLED"))
			json_object_object_add(b, "danger", jbool(1));
		json_object_array_add(arr, b);
	}
	return arr;
}

/* A paid order not yet handed to a courier, or whose last booking failed:
 * delivery_book has the final word, this only decides whether to offer it. */
static int can_book(struct json_object *o)
{
	const char *st = view_text(o, "status");
	struct json_object *d;
	if (!st || (strcmp(st, "CONFIRMED") != 0 && strcmp(st, "BAKING") != 0 && strcmp(st, "READY") != 0 && strcmp(st, "DISPATCHED") != 0))
		return 0;
	if (!json_object_object_get_ex(o, "delivery", &d) || !json_object_is_type(d, json_type_object))
		return strcmp(st, "DISPATCHED") != 0;
	const char *bs = view_text(d, "bookingState"), *ds = view_text(d, "status");
	/* a failed booking, or a courier cancelled by staff or by Borzo: book again */
	return (bs && (strcmp(bs, "FAILED") == 0 || strcmp(bs, "CANCELLED") == 0)) ||
		(ds && (strcmp(ds, "CANCELLED") == 0 || strcmp(ds, "FAILED") == 0));
}

int admin_order_page(struct req *r)
{
	struct json_object *o;
	enum outcome oc = order_view_get(&r->ctx, r->param[0], NULL, OV_STAFF | OV_HISTORY | OV_DOCUMENTS, &o);
	if (oc == E_ORDER_NOT_FOUND)
		return admin_not_found_page(r, oc);
	if (oc != OK)
		return reply_outcome(r, oc, NULL);
	decorate(r, o);
	struct json_object *ctx = admin_page_ctx(r, "orders", "Order");
	const char *st = view_text(o, "status");
	json_object_object_add(ctx, "next", next_buttons(st ? st : ""));
	json_object_object_add(ctx, "canBook", jbool(can_book(o)));
	json_object_object_add(ctx, "order", o);
	return reply_html(r, 200, "admin/order", ctx);
}

/* The order's tax invoice or n-th credit note (n as text), printable. */
static int admin_document(struct req *r, int credit_note, const char *n_text)
{
	struct doc_query q = { .order_id = r->param[0], .credit_note = credit_note, .n = 0 };
	struct json_object *doc;

	if (credit_note && parse_int64(n_text, 1, INT32_MAX, &q.n) != 0)
		return admin_message_page(r, 404, "Not found", "This order has no such credit note.");
	enum outcome o = invoice_get(&r->ctx, &q, &doc);
	switch (o) {
	case OK:
		return reply_html(r, 200, "invoice", doc);
	case E_ORDER_NOT_FOUND:
		return admin_not_found_page(r, o);
	case E_INVOICE_NOT_FOUND:
		return admin_message_page(r, 404, "No tax invoice",
					  "This order has no tax invoice: it is issued when its payment is confirmed.");
	case E_CREDIT_NOTE_NOT_FOUND:
		return admin_message_page(r, 404, "Not found", "This order has no such credit note.");
	default:
		return reply_outcome(r, o, NULL);
	}
}

int admin_order_invoice_page(struct req *r)
{
	return admin_document(r, 0, NULL);
}

int admin_order_credit_note_page(struct req *r)
{
	return admin_document(r, 1, r->param[1]);
}

/* POST /admin/orders/{id}/book: the same booking function as the API and cron. */
int admin_order_book_post(struct req *r)
{
	static const char *const flash[] = {
		[BOOK_OK] = "book_ok",
		[BOOK_NOT_FOUND] = NULL,
		[BOOK_NOT_PAID] = "book_not_paid",
		[BOOK_ALREADY] = "book_already",
		[BOOK_NOT_BOOKABLE] = "book_not_bookable",
		[BOOK_REJECTED] = "book_rejected",
		[BOOK_UNAVAILABLE] = "book_unavailable",
		[BOOK_DB_ERROR] = NULL,
	};
	char msg[1200];

	enum book_result br = delivery_book(&r->ctx, r->param[0], arena_printf(r->a, "admin:%s", r->ctx.who.user_id), msg, sizeof msg);
	if (br == BOOK_DB_ERROR)
		return reply_db_error(r);
	if (br == BOOK_NOT_FOUND)
		return admin_not_found_page(r, E_ORDER_NOT_FOUND);
	return reply_redirect(r, arena_printf(r->a, "/admin/orders/%s?m=%s", r->param[0], flash[br]));
}

int admin_order_status_post(struct req *r)
{
	const char *to = form_get(r, r->body, "status");
	const char *back = arena_printf(r->a, "/admin/orders/%s", r->param[0]);
	if (!fsm_is_state(to))
		return reply_redirect(r, arena_printf(r->a, "%s?m=status_bad", back));
	int moved;
	enum outcome o = order_move_by_staff(&r->ctx, r->param[0], to, &moved);
	switch (o) {
	case OK:
		return reply_redirect(r, arena_printf(r->a, "%s?m=%s", back, moved ? "status_ok" : "status_same"));
	case E_ILLEGAL_TRANSITION:
		return reply_redirect(r, arena_printf(r->a, "%s?m=status_illegal", back));
	case E_ORDER_NOT_FOUND:
		return admin_not_found_page(r, o);
	default:
		return reply_outcome(r, o, NULL);
	}
}

/* ---- kitchen sheet ---- */

int admin_kitchen_page(struct req *r)
{
	int bad;
	const char *date = page_date(r, &bad);
	struct json_object *slots, *notes;
	enum outcome o = kitchen_sheet(&r->ctx, date, &slots, &notes);
	if (o != OK || !notes) {
		json_object_put(slots);
		return reply_outcome(r, o != OK ? o : E_DB, NULL);
	}
	struct json_object *ctx = admin_page_ctx(r, "kitchen", "Kitchen sheet");
	add_day_links(r, ctx, date);
	json_object_object_add(ctx, "slots", slots);
	json_object_object_add(ctx, "notes", notes);
	if (json_object_array_length(notes))
		json_object_object_add(ctx, "hasNotes", jbool(1));
	if (json_object_array_length(slots) == 0)
		json_object_object_add(ctx, "empty", jbool(1));
	return reply_html(r, 200, "admin/kitchen", ctx);
}
