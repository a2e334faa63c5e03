/* mail.c: customer emails: rendered into the outbox, sent over SMTP by the dispatch pass. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "httpc.h"
#include "json.h"
#include "mail.h"
#include "render.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct kind {
	const char *name;
	const char *before, *after;	/* subject: before + order number + after + " - " + store */
} kinds[] = {
	{ "confirmed", "Order #", " is confirmed" },
	{ "on_the_way", "Your cake is on the way (order #", ")" },
	{ "delivered", "Order #", " has been delivered" },
	{ "cancelled", "Order #", " was cancelled" },
	{ "refunded", "A refund for order #", "" },	/* money that came after the order expired */
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
				    "WHERE order_id = $1 ORDER BY product_name, variant_label", order_id);
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
		{ "order_number", "orderNumber" }, { "name", "customerName" }, { "slot_date", "slotDate" },
		{ "slot_start", "slotStart" }, { "slot_end", "slotEnd" }, { "custom_message", "inscription" },
		{ "gift_message", "giftMessage" }, { "total_amount", "total" }, { "tracking_url", "courierTrackingUrl" },
		{ "courier_name", "courierName" }, { "courier_phone", "courierPhone" }, { "refund", "refundAmount" },
	};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		put(o, cols[i][1], db_val(res, 0, cols[i][0]));
	json_object_object_add(o, "isGift", json_object_new_boolean(db_bool(res, 0, "is_gift")));
	put(o, "storeName", cfg->store_name);
	put(o, "trackingPage", arena_printf(c->a, "%s/track/%s", cfg->public_url, db_val(res, 0, "tracking_token")));
	return o;
}

int mail_queue(struct ctx *c, const char *order_id, const char *kind)
{
	const struct kind *k = kind_find(kind);
	char mins[16];

	if (!k) {
		log_err("mail_queue: unknown kind %s", kind);
		return -2;
	}
	snprintf(mins, sizeof mins, "%d", cfg->slot_minutes);
	PGresult *res = db_query(c,
		"SELECT o.order_number, o.custom_message, o.is_gift, o.gift_message, o.total_amount, o.tracking_token, "
		"to_char(o.delivery_slot, 'Dy DD Mon YYYY') AS slot_date, to_char(o.delivery_slot, 'HH24:MI') AS slot_start, "
		"to_char(o.delivery_slot + make_interval(mins => $2::int), 'HH24:MI') AS slot_end, "
		"u.email, u.name, d.tracking_url, d.courier_name, d.courier_phone, "
		"(SELECT sum(f.amount) FROM refunds f WHERE f.order_id = o.id AND f.status <> 'FAILED') AS refund "
		"FROM orders o JOIN users u ON u.id = o.user_id LEFT JOIN deliveries d ON d.order_id = o.id "
		"WHERE o.id = $1", order_id, mins);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		log_err("mail_queue: no order %s", order_id);
		return -2;
	}
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
	PGresult *ins = db_query(c, "INSERT INTO emails (order_id, kind, to_address, subject, body) "
				    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, kind) DO NOTHING",
				 order_id, kind, db_val(res, 0, "email"), subject, body.data ? body.data : "");
	buf_free(&body);
	return ins ? 0 : -1;
}

/* ---- the message ---- */

static int has_crlf(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") != NULL;
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* RFC 2047 encoded words (UTF-8, base64), split on character boundaries. */
static void put_encoded_header(struct buf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t take = n - i > 45 ? 45 : n - i;
		while (i + take < n && take > 0 && ((unsigned char)s[i + take] & 0xC0) == 0x80)
			take--;	/* never cut a UTF-8 sequence */
		char b64[128];
		sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + i, take, sodium_base64_VARIANT_ORIGINAL);
		buf_printf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", b64);
		i += take;
	}
}

char *mail_message(struct ctx *c, long long email_id, const char *from, const char *to,
		   const char *subject, const char *body)
{
	char date[64], rnd[17];
	unsigned char raw[8];
	time_t now = time(NULL);
	struct tm tm;
	const char *at = strchr(from ? from : "", '@');

	if (has_crlf(from) || has_crlf(to) || has_crlf(subject) || !body)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(rnd, sizeof rnd, raw, sizeof raw);
	struct buf b = BUF_INIT;
	buf_printf(&b, "Date: %s\r\nMessage-ID: <email-%lld.%s@%s>\r\nFrom: %s\r\nTo: %s\r\nSubject: ",
		   date, email_id, rnd, at ? at + 1 : "localhost", from, to);
	if (is_ascii(subject))
		buf_puts(&b, subject);
	else
		put_encoded_header(&b, subject);
	buf_puts(&b, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (const char *p = body; *p; p++) {	/* every line end becomes CRLF */
		if (*p == '\r')
			continue;
		if (*p == '\n')
			buf_putc(&b, '\r');
		buf_putc(&b, *p);
	}
	if (b.len < 2 || b.data[b.len - 1] != '\n')
		buf_puts(&b, "\r\n");
	char *out = arena_strdup(c->a, b.data);
	buf_free(&b);
	return out;
}

/* ---- sending ---- */

/* Claims one due email (leased for 10 minutes); NULL result on a DB error. */
static PGresult *claim_one(struct ctx *c)
{
	return db_query0(c,
		"UPDATE emails SET send_after = now() + interval '10 minutes' WHERE id = "
		"(SELECT id FROM emails WHERE state = 'queued' AND send_after <= now() "
		"ORDER BY send_after, id FOR UPDATE SKIP LOCKED LIMIT 1) "
		"RETURNING id, to_address, subject, body, attempts");
}

static int record_failure(struct ctx *c, const char *id, const char *err)
{
	return db_query(c,
		"UPDATE emails SET attempts = attempts + 1, last_error = $2, "
		"state = CASE WHEN attempts + 1 >= " STR(MAIL_MAX_ATTEMPTS) " THEN 'dead' ELSE 'queued' END, "
		"send_after = now() + make_interval(mins => least(60, power(2, attempts + 1)::int)) "
		"WHERE id = $1", id, err) ? 0 : -1;
}

int mail_send_due(struct ctx *c, int max, int64_t deadline_ms, int *sent, int *failed)
{
	if (!cfg->smtp_url || !*cfg->smtp_url)
		return 0;
	for (int i = 0; i < max && mono_ms() < deadline_ms; i++) {
		PGresult *res = claim_one(c);
		if (!res)
			return -1;
		if (PQntuples(res) == 0)
			break;
		const char *id = db_val(res, 0, "id");
		char *msg = mail_message(c, atoll(id), cfg->mail_from, db_val(res, 0, "to_address"),
					 db_val(res, 0, "subject"), db_val(res, 0, "body"));
		if (!msg) {
			(*failed)++;
			if (!db_query(c, "UPDATE emails SET state = 'dead', last_error = 'CR or LF in a header value' "
					 "WHERE id = $1", id))
				return -1;
			continue;
		}
		char err[256] = "";
		enum httpc_result hr = httpc_smtp_send(cfg->smtp_url, cfg->mail_from, db_val(res, 0, "to_address"),
						       msg, err, sizeof err);
		if (hr == HTTPC_OK) {
			(*sent)++;
			if (!db_query(c, "UPDATE emails SET state = 'sent', sent_at = now(), last_error = NULL "
					 "WHERE id = $1", id))
				return -1;
			continue;
		}
		(*failed)++;
		log_warn("email %s not sent: %s", id, err);
		if (record_failure(c, id, err[0] ? err : "smtp failure") != 0)
			return -1;
		if (hr == HTTPC_UNREACHABLE)	/* the server is down: the rest can wait */
			break;
	}
	return 0;
}
