/* api_deliveries.c: POST /api/delivery/book|cancel/{orderId} (admin) and the signed Borzo callback POST /api/delivery/webhook. */

#include "auth.h"
#include "conf.h"
#include "deliveries.h"
#include "delivery_status.h"
#include "handlers.h"
#include "http.h"
#include "json.h"
#include "util.h"

/* The delivery on OK, else the outcome with the domain's sentence when it has one. */
static int reply_delivery(struct req *r, enum outcome o, const struct delivery_answer *a)
{
	if (o == OK)
		return reply_json(r, 200, json_object_get(a->view));
	if (a->message)
		return reply_outcome_msg(r, o, NULL, "%s", a->message);
	return reply_outcome(r, o, NULL);
}

int delivery_book_post(struct req *r)
{
	struct delivery_answer a;
	enum outcome o = delivery_book_view(&r->ctx, r->param[0], &a);
	return reply_delivery(r, o, &a);
}

int delivery_cancel_post(struct req *r)
{
	struct delivery_answer a;
	enum outcome o = delivery_cancel(&r->ctx, r->param[0], &a);
	return reply_delivery(r, o, &a);
}

/* 200 {"status": what} */
static int reply_status(struct req *r, const char *what)
{
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "status", json_object_new_string(what));
	return reply_json(r, 200, a);
}

/* Borzo signs the raw body (doc/partners.md §13); anything unsigned or unreadable is refused before the shop sees it. */
int delivery_webhook(struct req *r)
{
	const char *sig = req_header(r, "HTTP_X_DV_SIGNATURE");
	const char *secret = cfg->borzo_callback_secret;
	struct borzo_event ev = { 0 };
	char err[160];

	if (!sig || !secret || !*secret || !auth_hmac_verify(secret, r->body, r->body_len, sig))
		return reply_error(r, 401, "INVALID_SIGNATURE", NULL, "X-DV-Signature does not match the body");
	struct json_object *body = json_own(r->a, json_parse_strict(r->body, r->body_len, err, sizeof err));
	if (!body)
		return reply_error(r, 400, "MALFORMED_JSON", NULL, "%s", err);
	int rc = borzo_event_read(r->a, body, &ev);
	if (rc < 0)
		return reply_error(r, 400, "VALIDATION_ERROR", "order_id", "The event has no order or delivery with an order_id");
	if (rc == 0)
		return reply_status(r, "ignored");
	enum event_fate fate;
	enum outcome o = delivery_apply_event(&r->ctx, &ev, body, &fate);
	if (o != OK)
		return reply_outcome(r, o, NULL);
	/* Borzo ignores the body (doc/partners.md §13.6); it says what happened, for people and tests */
	return reply_status(r, fate == EVENT_KEPT ? "kept" : fate == EVENT_MATCHED ? "applied"
										   : "ignored");
}
