/* page_orders.c: the kitchen's order pages: the day's orders, one order (status, courier), the kitchen sheet. */
#include <stdio.h>
#include <string.h>
#include <time.h>

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
#include "timefmt.h"
#include "util.h"

#define PAGE_LIMIT 1000

/* ---- page decorations (display only, never sent by the API) ---- */

/* Adds key: {iso, human, full} of the instant text (timefmt.h), when it is one. */
static void add_time(struct json_object *o, const char *key, const char *text, enum timefmt_style style, time_t now)
{
	struct json_object *t = timefmt_json(text, style, cfg->slot_minutes, now);
	if (t)
		json_object_object_add(o, key, t);
}

/* Who made a change, in the kitchen's words (history rows keep the actor's code). */
static const char *actor_words(const char *actor)
{
	static const struct {
		const char *prefix, *words;
	} words[] = {
		{ "admin:", "staff" },
		{ "customer:", "the customer" },
		{ "razorpay", "Razorpay (the payment)" },
		{ "borzo", "Borzo (the courier)" },
		{ "system:dispatch", "the dispatch pass" },
		{ "system:expiry", "the expiry of unpaid orders" },
		{ "system:reconcile", "the payment check with Razorpay" },
		{ "system:cli", "the command line" },
	};
	for (size_t i = 0; actor && i < sizeof words / sizeof words[0]; i++)
		if (strncmp(actor, words[i].prefix, strlen(words[i].prefix)) == 0)
			return words[i].words;
	return actor;
}

/* The history with times and actors for people, and what it cannot show:
 * every change made through the shop passes order_transition (order_fsm.c),
 * which writes its row; a status written into the database by hand is not
 * there, and the page says so where the chain of rows breaks. */
static void decorate_history(struct json_object *o, time_t now)
{
	struct json_object *hist;
	const char *prev = NULL, *status = view_text(o, "status");
	int gap = 0;

	if (!json_object_object_get_ex(o, "statusHistory", &hist) || !json_object_is_type(hist, json_type_array))
		return;
	size_t n = json_object_array_length(hist);
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hist, i);
		const char *from = view_text(h, "from"), *to = view_text(h, "to");
		add_time(h, "when", view_text(h, "at"), TIMEFMT_RELATIVE, now);
		json_object_object_add(h, "by", jstr(actor_words(view_text(h, "actor"))));
		/* the first row is the placing (from nothing); each next one starts where the last ended */
		if (i == 0 ? from != NULL : !from || !prev || strcmp(from, prev) != 0) {
			json_object_object_add(h, "gapBefore", jbool(1));
			gap = 1;
		}
		prev = to;
	}
	if (n == 0)
		json_object_object_add(o, "historyEmpty", jbool(1));
	else if (status && prev && strcmp(status, prev) != 0) {
		json_object_object_add(o, "historyGapAfter", jbool(1));
		gap = 1;
	}
	if (gap || n == 0)
		json_object_object_add(o, "historyIncomplete", jbool(1));
}

static void decorate(struct req *r, struct json_object *o, time_t now, int with_day)
{
	struct json_object *d;
	const char *st = view_text(o, "status"), *slot = view_text(o, "deliverySlot");
	if (slot && strlen(slot) >= 10)
		json_object_object_add(o, "slotDate", jstr(arena_strndup(r->a, slot, 10)));
	add_time(o, "slot", slot, with_day ? TIMEFMT_SLOT : TIMEFMT_SLOT_HOURS, now);
	if (st)
		json_object_object_add(o, "statusClass", jstr(arena_printf(r->a, "st-%s", st)));
	decorate_history(o, now);
	/* only an https link becomes a link: no javascript: from a partner */
	if (json_object_object_get_ex(o, "delivery", &d) && json_object_is_type(d, json_type_object)) {
		const char *u = view_text(d, "trackingUrl");
		if (u && strncmp(u, "https://", 8) == 0)
			json_object_object_add(d, "trackingHref", jstr(u));
	}
}

/* "slot-1600": the id of a slot's section, from its start text (…THH:MM…). */
static const char *slot_anchor(struct req *r, const char *slot)
{
	if (!slot || strlen(slot) < 16)
		return "slot";
	return arena_printf(r->a, "slot-%.2s%.2s", slot + 11, slot + 14);
}

/* Groups decorated orders into [{slot, anchor, orders:[...]}], in slot order. */
static struct json_object *group_by_slot(struct req *r, struct json_object *orders)
{
	struct json_object *groups = json_object_new_array(), *cur = NULL;
	const char *last = NULL;
	for (size_t i = 0; i < json_object_array_length(orders); i++) {
		struct json_object *o = json_object_array_get_idx(orders, i);
		const char *slot = view_text(o, "deliverySlot");
		if (!cur || !last || !slot || strcmp(slot, last) != 0) {
			cur = json_object_new_array();
			struct json_object *g = json_object_new_object();
			json_object_object_add(g, "slot", json_object_get(json_object_object_get(o, "slot")));
			json_object_object_add(g, "anchor", jstr(slot_anchor(r, slot)));
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

/* The word n asks for: one or many. */
static const char *noun(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "1 order" / "2 orders". */
static const char *count_of(struct req *r, int64_t n, const char *one, const char *many)
{
	return arena_printf(r->a, "%lld %s", (long long)n, noun(n, one, many));
}

/* Adds key: the word alone ("cake", "cakes"), the number stays in the template. */
static void add_noun(struct json_object *o, const char *key, int64_t n, const char *one, const char *many)
{
	json_object_object_add(o, key, jstr(noun(n, one, many)));
}

static int64_t field_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* A count the template shows only when there is some: Mustache takes 0 for true. */
static void count_or_false(struct json_object *o, const char *key, int64_t n)
{
	json_object_object_add(o, key, n ? jint(n) : jbool(0));
}

/* The day's heading as people say it ("Thu 3 Dec"), and its <time>. */
static const char *day_words(struct req *r, struct json_object *ctx, const char *date, time_t now)
{
	struct json_object *t = timefmt_json(arena_printf(r->a, "%sT00:00:00+05:30", date), TIMEFMT_DAY, 0, now);
	if (!t)
		return date;
	/* a day's datetime is the date itself */
	json_object_object_add(t, "iso", jstr(date));
	json_object_object_add(t, "full", jstr(arena_strndup(r->a, view_text(t, "full"), strcspn(view_text(t, "full"), ","))));
	const char *words = arena_strdup(r->a, view_text(t, "human"));
	json_object_object_add(ctx, "day", t);
	return words;
}

/* The day at a glance, slot by slot (kitchen_day), with the day's totals in
 * ctx and the page's title: "Thu 3 Dec — 12 orders, 2 need attention". */
static enum outcome add_glance(struct req *r, struct json_object *ctx, const char *date, const char *day, time_t now)
{
	struct json_object *slots;
	int64_t orders = 0, attention = 0, bake = 0, cakes = 0, due = 0, unpaid = 0;
	enum outcome o = kitchen_day(&r->ctx, date, &slots);
	if (o != OK)
		return o;
	for (size_t i = 0; i < json_object_array_length(slots); i++) {
		struct json_object *g = json_object_array_get_idx(slots, i), *att;
		const char *at = view_text(g, "slotAt");
		time_t due_at;
		add_time(g, "slot", at, TIMEFMT_SLOT_HOURS, now);
		json_object_object_add(g, "anchor", jstr(slot_anchor(r, at)));
		add_time(g, "dueAt", view_text(g, "courierDueAt"), TIMEFMT_RELATIVE, now);
		if (field_int(g, "couriersDue") > 0 && timefmt_parse(view_text(g, "courierDueAt"), &due_at) == 0 && due_at <= now)
			json_object_object_add(g, "courierLate", jbool(1));
		json_object_object_get_ex(g, "attention", &att);
		orders += field_int(g, "orders");
		unpaid += field_int(g, "unpaid");
		bake += field_int(g, "toBake");
		cakes += field_int(g, "cakeCount");
		due += field_int(g, "couriersDue");
		attention += (int64_t)json_object_array_length(att);
		count_or_false(g, "attentionCount", (int64_t)json_object_array_length(att));
		count_or_false(g, "unpaid", field_int(g, "unpaid"));
		count_or_false(g, "cancelled", field_int(g, "cancelled"));
		count_or_false(g, "couriersDue", field_int(g, "couriersDue"));
	}
	if (json_object_array_length(slots))
		json_object_object_add(ctx, "hasGlance", jbool(1));
	json_object_object_add(ctx, "glance", slots);
	json_object_object_add(ctx, "dayOrders", jint(orders));
	count_or_false(ctx, "dayUnpaid", unpaid);
	json_object_object_add(ctx, "dayToBake", jint(bake));
	json_object_object_add(ctx, "dayCakes", jint(cakes));
	json_object_object_add(ctx, "dayCouriersDue", jint(due));
	json_object_object_add(ctx, "dayAttention", jint(attention));
	add_noun(ctx, "dayOrdersNoun", orders, "paid order", "paid orders");
	add_noun(ctx, "dayCakesNoun", cakes, "cake", "cakes");
	add_noun(ctx, "dayCouriersNoun", due, "courier", "couriers");
	add_noun(ctx, "dayAttentionVerb", attention, "needs", "need");
	const char *title = arena_printf(r->a, "%s — %s", day, count_of(r, orders, "order", "orders"));
	if (attention)
		title = arena_printf(r->a, "%s, %s", title, count_of(r, attention, "needs attention", "need attention"));
	json_object_object_add(ctx, "title", jstr(title));
	return OK;
}

/* ---- pages ---- */

int admin_orders_page(struct req *r)
{
	int bad;
	const char *date = page_date(r, &bad);
	const char *status = query_get(r, "status");
	int64_t total;
	time_t now = time(NULL);

	if (!fsm_is_state(status))
		status = NULL;
	struct json_object *orders;
	enum outcome o = order_view_of_day(&r->ctx, date, status, PAGE_LIMIT, 0, OV_STAFF, &orders, &total);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	for (size_t i = 0; i < json_object_array_length(orders); i++)
		decorate(r, json_object_array_get_idx(orders, i), now, 0);
	struct json_object *ctx = admin_page_ctx(r, "orders", "Orders");
	if (bad)
		json_object_object_add(ctx, "flash", admin_json_text("{\"kind\":\"error\",\"text\":\"That date is not valid; showing today.\"}"));
	add_day_links(r, ctx, date);
	o = add_glance(r, ctx, date, day_words(r, ctx, date, now), now);
	if (o != OK) {
		json_object_put(orders);
		json_object_put(ctx);
		return reply_outcome(r, o, NULL);
	}
	json_object_object_add(ctx, "statusFilter", jbool(1));
	json_object_object_add(ctx, "statuses", status_options(status));
	if (status)
		json_object_object_add(ctx, "filtered", jstr(status));
	json_object_object_add(ctx, "slots", group_by_slot(r, orders));
	json_object_object_add(ctx, "count", jint(total));
	add_noun(ctx, "countNoun", total, "order", "orders");
	json_object_put(orders);
	return reply_html(r, 200, "admin/orders", ctx);
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
	decorate(r, o, time(NULL), 1);
	struct json_object *ctx = admin_page_ctx(r, "orders", arena_printf(r->a, "Order #%s", json_object_get_string(json_object_object_get(o, "orderNumber"))));
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

/* The printable sheet: one section per slot with something to bake, its cakes
 * and the inscriptions to write (static/admin.css prints one slot a page). */
int admin_kitchen_page(struct req *r)
{
	int bad;
	const char *date = page_date(r, &bad);
	time_t now = time(NULL);
	struct json_object *slots, *sheet = json_object_new_array();
	enum outcome o = kitchen_day(&r->ctx, date, &slots);
	if (o != OK) {
		json_object_put(sheet);
		return reply_outcome(r, o, NULL);
	}
	for (size_t i = 0; i < json_object_array_length(slots); i++) {
		struct json_object *g = json_object_array_get_idx(slots, i), *notes;
		if (field_int(g, "toBake") == 0)
			continue;
		add_noun(g, "cakeNoun", field_int(g, "cakeCount"), "cake", "cakes");
		add_noun(g, "orderNoun", field_int(g, "toBake"), "order", "orders");
		add_time(g, "slot", view_text(g, "slotAt"), TIMEFMT_SLOT, now);
		json_object_object_add(g, "anchor", jstr(slot_anchor(r, view_text(g, "slotAt"))));
		if (json_object_object_get_ex(g, "notes", &notes) && json_object_array_length(notes))
			json_object_object_add(g, "hasNotes", jbool(1));
		json_object_array_add(sheet, json_object_get(g));
	}
	json_object_put(slots);
	struct json_object *ctx = admin_page_ctx(r, "kitchen", "Kitchen sheet");
	add_day_links(r, ctx, date);
	json_object_object_add(ctx, "title", jstr(arena_printf(r->a, "Kitchen sheet — %s", day_words(r, ctx, date, now))));
	json_object_object_add(ctx, "slots", sheet);
	if (json_object_array_length(sheet) == 0)
		json_object_object_add(ctx, "empty", jbool(1));
	return reply_html(r, 200, "admin/kitchen", ctx);
}
