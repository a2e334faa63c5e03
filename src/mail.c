/* mail.c: the customer email outbox: what to send when (rendered into the outbox in the
 * transaction of the change that causes it), sent by jobs of kind send_email. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "conf.h"
#include "db.h"
#include "jobs.h"
#include "json.h"
#include "mail.h"
#include "render.h"
#include "smtp.h"
#include "timefmt.h"
#include "util.h"

static const struct kind {
	const char *name;
	const char *before, *after; /* subject: before + order number + after + " - " + store */
} kinds[] = {
	{ "confirmed", "Order #", " is confirmed" },
	{ "on_the_way", "Your cake is on the way (order #", ")" },
	{ "delivered", "Order #", " has been delivered" },
	{ "cancelled", "Order #", " was cancelled" },
	{ "refunded", "A refund for order #", "" }, /* money that came after the order expired */
};

static const struct kind *kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

static void put(struct json_object *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_object_add(o, k, json_object_new_string(v));
}

/* The order's items as [{name, label, quantity, lineTotal}]; NULL on a DB error. */
static struct json_object *items_json(struct ctx *c, const char *order_id)
{
	PGresult *res = db_query(c, "SELECT product_name, variant_label, quantity, line_total FROM order_items "
				    "WHERE order_id = $1 ORDER BY product_name, variant_label",
				 order_id);
	if (!res)
		return NULL;
	struct json_object *a = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++) {
		struct json_object *it = json_object_new_object();
		put(it, "name", db_val(res, i, "product_name"));
		put(it, "label", db_val(res, i, "variant_label"));
		put(it, "quantity", db_val(res, i, "quantity"));
		put(it, "lineTotal", db_val(res, i, "line_total"));
		json_object_array_add(a, it);
	}
	return a;
}

/* The template context of an order (row 0 of res). */
static struct json_object *order_context(struct ctx *c, PGresult *res)
{
	struct json_object *o = json_object_new_object();
	static const char *const cols[][2] = {
		{ "order_number", "orderNumber" },
		{ "name", "customerName" },
		{ "custom_message", "inscription" },
		{ "gift_message", "giftMessage" },
		{ "total_amount", "total" },
		{ "tracking_url", "courierTrackingUrl" },
		{ "courier_name", "courierName" },
		{ "courier_phone", "courierPhone" },
		{ "refund", "refundAmount" },
	};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		put(o, cols[i][1], db_val(res, 0, cols[i][0]));
	json_object_object_add(o, "isGift", json_object_new_boolean(db_bool(res, 0, "is_gift")));
	/* the slot as every page writes it (timefmt.h): "Thu 3 Dec, 16:00–18:00" */
	time_t start;
	char slot[TIMEFMT_MAX];
	if (timefmt_parse(db_val(res, 0, "slot_at"), &start) == 0) {
		timefmt_slot(start, cfg->slot_minutes, time(NULL), 1, slot);
		put(o, "slot", slot);
	}
	put(o, "storeName", cfg->store_name);
	put(o, "trackingPage", arena_printf(c->a, "%s/track/%s", cfg->public_url, db_val(res, 0, "tracking_token")));
	/* issued with the confirmation that queues the email (invoices.h) */
	if (cfg->store_gstin)
		put(o, "invoicePage", arena_printf(c->a, "%s/track/%s/invoice", cfg->public_url, db_val(res, 0, "tracking_token")));
	return o;
}

int mail_queue(struct ctx *c, const char *order_id, const char *kind)
{
	const struct kind *k = kind_find(kind);

	if (!k) {
		log_err("mail_queue: unknown kind %s", kind);
		return -2;
	}
	PGresult *res = db_query(c,
				 "SELECT o.order_number, o.custom_message, o.is_gift, o.gift_message, o.total_amount, o.tracking_token, " SQL_TIME("o.delivery_slot") " AS slot_at, "
																				      "o.user_id, u.email, u.name, u.deleted_at IS NOT NULL AS erased, d.tracking_url, d.courier_name, d.courier_phone, "
																				      "(SELECT sum(f.amount) FROM refunds f WHERE f.order_id = o.id AND f.status <> 'FAILED') AS refund "
																				      "FROM orders o JOIN users u ON u.id = o.user_id LEFT JOIN deliveries d ON d.order_id = o.id "
																				      "WHERE o.id = $1",
				 order_id);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		log_err("mail_queue: no order %s", order_id);
		return -2;
	}
	if (db_bool(res, 0, "erased"))
		return 0; /* a deleted account has no address to write to */
	struct json_object *ctx = json_own(c->a, order_context(c, res));
	struct json_object *items = items_json(c, order_id);
	if (!items)
		return -1;
	json_object_object_add(ctx, "items", items);
	struct buf body = BUF_INIT;
	if (tmpl_render(c->templates, arena_printf(c->a, "emails/%s", kind), ctx, &body) != 0) {
		log_err("mail_queue: template emails/%s missing", kind);
		buf_free(&body);
		return -2;
	}
	const char *subject = arena_printf(c->a, "%s%s%s - %s", k->before, db_val(res, 0, "order_number"),
					   k->after, cfg->store_name);
	PGresult *ins = db_query(c, "INSERT INTO emails (order_id, user_id, kind, to_address, subject, body) "
				    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id, kind) DO NOTHING",
				 order_id, db_val(res, 0, "user_id"), kind, db_val(res, 0, "email"), subject,
				 body.data ? body.data : "");
	buf_free(&body);
	return ins ? 0 : -1;
}

int mail_queue_reset(struct ctx *c, const char *reset_id)
{
	const char *subject = arena_printf(c->a, "Reset your password - %s", cfg->store_name);

	/* the body is written when the email is sent, with the link made then */
	return db_query(c,
			"INSERT INTO emails (kind, user_id, password_reset_id, to_address, subject, body) "
			"SELECT 'password_reset', u.id, r.id, u.email, $2, '' FROM password_resets r "
			"JOIN users u ON u.id = r.user_id WHERE r.id = $1::uuid",
			reset_id, subject)
		? 0
		: -1;
}

int mail_queue_password_changed(struct ctx *c, const char *user_id, int by_reset)
{
	PGresult *res = db_query(c, "SELECT name, email, role FROM users WHERE id = $1 AND deleted_at IS NULL", user_id);
	if (!res)
		return -1;
	if (PQntuples(res) != 1)
		return 0; /* erased in the meantime: nobody to write to */
	char when[TIMEFMT_MAX];
	timefmt_full(time(NULL), when);
	int staff = strcmp(db_val(res, 0, "role"), "ADMIN") == 0;
	struct json_object *ctx = json_own(c->a, json_object_new_object());
	put(ctx, "customerName", db_val(res, 0, "name"));
	put(ctx, "storeName", cfg->store_name);
	put(ctx, "when", when);
	json_object_object_add(ctx, "byReset", json_object_new_boolean(by_reset));
	/* where a new reset starts: staff on the sign-in page, customers in the shop's app */
	put(ctx, "signIn", staff ? arena_printf(c->a, "%s/admin/login", cfg->public_url) : NULL);
	struct buf body = BUF_INIT;
	if (tmpl_render(c->templates, "emails/password_changed", ctx, &body) != 0) {
		buf_free(&body);
		log_err("mail_queue_password_changed: template emails/password_changed missing");
		return -2;
	}
	PGresult *ins = db_query(c, "INSERT INTO emails (kind, user_id, to_address, subject, body) VALUES ('password_changed', $1, $2, $3, $4)",
				 user_id, db_val(res, 0, "email"),
				 arena_printf(c->a, "Your password was changed - %s", cfg->store_name), body.data ? body.data : "");
	buf_free(&body);
	return ins ? 0 : -1;
}

/* ---- sending: the send_email job kind ---- */

/* Where a reset's link goes: staff to the admin pages' form, customers to RESET_URL. */
static const char *reset_url(struct ctx *c, const struct reset_link *l)
{
	if (l->staff)
		return arena_printf(c->a, "%s/admin/password-reset?token=%s", cfg->public_url, l->token);
	return arena_printf(c->a, "%s%ctoken=%s", cfg->reset_url, strchr(cfg->reset_url, '?') ? '&' : '?', l->token);
}

/* The two bodies of a reset email: *sent with a link made now, *kept (for the
 * outbox, the export) without it. 0; 1 when the reset is no longer live (the
 * email is void); -1 on a DB error; -2 when the template is missing. */
static int reset_bodies(struct ctx *c, const char *reset_id, const char **sent, const char **kept)
{
	struct reset_link l;
	struct buf a = BUF_INIT, b = BUF_INIT;

	switch (reset_id ? auth_reset_issue(c, reset_id, &l) : 0) {
	case 1:
		break;
	case 0:
		return 1;
	default:
		return -1;
	}
	struct json_object *ctx = json_own(c->a, json_object_new_object());
	put(ctx, "customerName", l.name);
	put(ctx, "storeName", cfg->store_name);
	put(ctx, "minutes", arena_printf(c->a, "%d", RESET_VALID_MINUTES));
	int rc = tmpl_render(c->templates, "emails/password_reset", ctx, &b);
	put(ctx, "link", reset_url(c, &l));
	rc = rc || tmpl_render(c->templates, "emails/password_reset", ctx, &a);
	*sent = arena_strdup(c->a, a.data ? a.data : "");
	*kept = arena_strdup(c->a, b.data ? b.data : "");
	buf_free(&a);
	buf_free(&b);
	return rc ? -2 : 0;
}

int mail_ready(void)
{
	return cfg->smtp_url && *cfg->smtp_url;
}

/* The email a send_email job names (its payload's email_id), or NULL. */
static const char *email_of(const struct job *j)
{
	struct json_object *v;
	const char *id = json_object_object_get_ex(j->payload, "email_id", &v) ? json_object_get_string(v) : NULL;
	int64_t n;

	return id && parse_int64(id, 1, INT64_MAX, &n) == 0 ? id : NULL;
}

enum job_result mail_send_job(struct ctx *c, const struct job *j, char *err, size_t errlen)
{
	const char *id = email_of(j), *body, *kept = NULL;

	/* a payload that names no email can never succeed: bury it rather than fail the claim */
	if (!id) {
		snprintf(err, errlen, "the job names no email");
		return JOB_GIVE_UP;
	}
	PGresult *res = db_query(c,
				 "SELECT id, kind, to_address, subject, body, password_reset_id FROM emails "
				 "WHERE id = $1::bigint AND state NOT IN ('sent', 'void')",
				 id);
	if (!res)
		return JOB_DB_ERROR;
	if (PQntuples(res) != 1)
		return JOB_DONE; /* sent already, void, or gone */
	body = db_val(res, 0, "body");
	if (strcmp(db_val(res, 0, "kind"), "password_reset") == 0) {
		switch (reset_bodies(c, db_val(res, 0, "password_reset_id"), &body, &kept)) {
		case 0:
			break;
		case 1: /* superseded, used, too old, or the account is gone: never sent */
			return db_query(c, "UPDATE emails SET state = 'void' WHERE id = $1::bigint", id) ? JOB_DONE
													 : JOB_DB_ERROR;
		case -2:
			snprintf(err, errlen, "template emails/password_reset missing");
			return JOB_GIVE_UP;
		default:
			return JOB_DB_ERROR;
		}
	}
	switch (smtp_send(c->a, cfg->smtp_url, cfg->smtp_insecure, cfg->mail_from, db_val(res, 0, "to_address"), atoll(id),
			  db_val(res, 0, "subject"), body, err, errlen)) {
	case SMTP_SENT:
		/* a reset email is kept without its link: the token is nowhere but in the mail */
		return db_query(c, "UPDATE emails SET state = 'sent', sent_at = now(), last_error = NULL, "
				   "body = COALESCE($2, body) WHERE id = $1::bigint",
				id, kept)
			? JOB_DONE
			: JOB_DB_ERROR;
	case SMTP_REFUSED:
		return JOB_GIVE_UP;
	case SMTP_UNREACHABLE:
		log_warn("email %s not sent: %s", id, err);
		return JOB_STOP;
	default:
		log_warn("email %s not sent: %s", id, err);
		return JOB_RETRY;
	}
}

int mail_send_failed(struct ctx *c, const struct job *j, int dead, const char *err)
{
	const char *id = email_of(j);

	/* the outbox row shows what the job decided; its send_after follows the job's next run */
	if (!id)
		return 0;
	return db_query(c, "UPDATE emails SET attempts = attempts + 1, last_error = $2, "
			   "state = CASE WHEN $3::boolean THEN 'dead' ELSE 'queued' END, "
			   "send_after = CASE WHEN $3::boolean THEN send_after "
			   "ELSE (SELECT run_at FROM jobs WHERE id = $4::bigint) END WHERE id = $1::bigint",
			id, err, dead ? "true" : "false", j->id)
		? 0
		: -1;
}
