/* account_data.c: what the shop holds about a customer: the export of all of it,
 * and the erasure of the personal part when the customer deletes the account. */
#include <stdio.h>
#include <string.h>

#include "account_data.h"
#include "accounts.h"
#include "arena.h"
#include "db.h"
#include "json.h"
#include "order_view.h"
#include "orders.h"

/* An account has no more orders than this to export (a cake a day for 27 years). */
#define EXPORT_MAX_ORDERS 10000

/* ---- export ---- */

/* Everything but the orders, as one JSON text built by PostgreSQL. */
/* clang-format off */
#define EXPORT_SQL \
	"SELECT json_build_object(" \
	" 'exportedAt', " SQL_TIME("now()") "," \
	" 'account', json_build_object('id', u.id, 'email', u.email, 'name', u.name, 'phone', u.phone, 'role', u.role, " \
	"   'createdAt', " SQL_TIME("u.created_at") ", 'updatedAt', " SQL_TIME("u.updated_at") ")," \
	" 'addresses', COALESCE((SELECT json_agg(json_build_object('id', a.id, 'label', a.label, 'street', a.street, " \
	"   'city', a.city, 'pincode', a.pincode, 'latitude', a.latitude, 'longitude', a.longitude, " \
	"   'createdAt', " SQL_TIME("a.created_at") ") ORDER BY a.created_at, a.id) FROM addresses a WHERE a.user_id = u.id), '[]')," \
	" 'cart', COALESCE((SELECT json_agg(json_build_object('product', p.name, 'variant', v.label, 'quantity', i.quantity, " \
	"   'addedAt', " SQL_TIME("i.created_at") ") ORDER BY i.created_at, i.id) FROM carts k JOIN cart_items i ON i.cart_id = k.id " \
	"   JOIN variants v ON v.id = i.variant_id JOIN products p ON p.id = v.product_id WHERE k.user_id = u.id), '[]')," \
	" 'refunds', COALESCE((SELECT json_agg(json_build_object('orderId', f.order_id, 'amount', f.amount::text, " \
	"   'status', f.status, 'createdAt', " SQL_TIME("f.created_at") ") ORDER BY f.created_at, f.id) " \
	"   FROM refunds f JOIN orders o ON o.id = f.order_id WHERE o.user_id = u.id), '[]')," \
	" 'emails', COALESCE((SELECT json_agg(json_build_object('kind', e.kind, 'orderId', e.order_id, 'to', e.to_address, " \
	"   'subject', e.subject, 'body', e.body, 'state', e.state, 'createdAt', " SQL_TIME("e.created_at") ", " \
	"   'sentAt', " SQL_TIME("e.sent_at") ") ORDER BY e.id) FROM emails e " \
	"   WHERE e.user_id = u.id OR e.order_id IN (SELECT id FROM orders WHERE user_id = u.id)), '[]')," \
	" 'passwordResets', COALESCE((SELECT json_agg(json_build_object('requestedAt', " SQL_TIME("r.created_at") ", " \
	"   'expiresAt', " SQL_TIME("r.expires_at") ", 'usedAt', " SQL_TIME("r.used_at") ", " \
	"   'voidedAt', " SQL_TIME("r.voided_at") ") ORDER BY r.created_at, r.id) FROM password_resets r WHERE r.user_id = u.id), '[]')," \
	" 'invoices', COALESCE((SELECT json_agg(json_build_object('kind', i.kind, 'number', i.number, 'orderId', i.order_id, " \
	"   'issuedAt', " SQL_TIME("i.issued_at") ", 'buyerName', i.buyer_name, 'buyerAddress', i.buyer_address, " \
	"   'total', i.total::text) ORDER BY i.issued_at, i.number) " \
	"   FROM invoices i JOIN orders o ON o.id = i.order_id WHERE o.user_id = u.id), '[]')," \
	" 'signIns', COALESCE((SELECT json_agg(json_build_object('client', l.client, 'failures', l.failures, " \
	"   'lockedUntil', " SQL_TIME("l.locked_until") ", 'lastSuccessAt', " SQL_TIME("l.last_success_at") ") " \
	"   ORDER BY l.client) FROM login_clients l WHERE l.email = u.email), '[]')" \
	")::text AS doc FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL"
/* clang-format on */

enum outcome account_export(struct ctx *c, struct json_object **doc)
{
	struct json_object *orders;
	int64_t total;

	*doc = NULL;
	PGresult *res = db_query(c, EXPORT_SQL, c->who.user_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ACCOUNT_GONE;
	struct json_object *d = json_own(c->a, json_tokener_parse(db_val(res, 0, "doc")));
	if (!d)
		return E_INTERNAL;
	/* the orders as the API shows them to their owner, with their history */
	enum outcome o = order_view_of_customer(c, c->who.user_id, EXPORT_MAX_ORDERS, 0,
						OV_CUSTOMER | OV_HISTORY | OV_OWNER, &orders, &total);
	if (o != OK)
		return o;
	json_object_object_add(d, "orders", orders);
	*doc = d;
	return OK;
}

/* ---- erasure ---- */

struct erasure {
	const char **pending; /* unpaid orders cancelled with the erasure (arena) */
	struct cancellation *x;
	int npending;
};

/* The account's open orders, locked (a payment confirming one waits for the
 * erasure's commit, then finds it cancelled): E_ORDERS_IN_PROGRESS when one is
 * paid and not yet delivered or cancelled, else OK with the unpaid ones. */
static enum outcome open_orders(struct ctx *c, struct erasure *e)
{
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT o.id, (o.status <> 'PENDING' OR p.status IN ('AUTHORIZED', 'CAPTURED')) AS paid "
		"FROM orders o LEFT JOIN payments p ON p.order_id = o.id "
		"WHERE o.user_id = $1 AND o.status NOT IN ('DELIVERED', 'CANCELLED') "
		"ORDER BY o.created_at FOR UPDATE OF o", c->who.user_id);
	/* clang-format on */
	if (!res)
		return E_DB;
	int n = PQntuples(res);
	e->pending = arena_alloc(c->a, (size_t)(n + 1) * sizeof *e->pending);
	e->x = arena_alloc(c->a, (size_t)(n + 1) * sizeof *e->x);
	for (int i = 0; i < n; i++) {
		if (db_bool(res, i, "paid"))
			return E_ORDERS_IN_PROGRESS;
		e->pending[e->npending++] = arena_strdup(c->a, db_val(res, i, "id"));
	}
	return OK;
}

/* The statements of the erasure, each over the account's id or, for the rows
 * keyed by the email, over the address it had. */
static const struct {
	int by_email;
	const char *sql;
} erase_steps[] = {
	{ 0, "DELETE FROM addresses WHERE user_id = $1" },
	{ 0, "DELETE FROM carts WHERE user_id = $1" },
	/* the orders stay for the shop's accounts; what they said of the customer goes,
	 * and their tracking links stop working (a token no URL can carry) */
	{ 0, "UPDATE orders SET address = '{\"erased\": true}', custom_message = NULL, gift_message = NULL, "
	     "tracking_token = 'erased:' || id::text, attention_reason = CASE WHEN attention_reason IS NOT NULL "
	     "THEN 'The reason was erased with the customer''s account' END, updated_at = now() WHERE user_id = $1" },
	/* Borzo's tracking page shows the drop address; its errors may quote the contact */
	{ 0, "UPDATE deliveries d SET tracking_url = NULL, last_error = NULL FROM orders o "
	     "WHERE o.id = d.order_id AND o.user_id = $1" },
	/* jobs' errors may quote the address (SMTP) or the contact (Borzo) */
	{ 0, "UPDATE jobs SET last_error = NULL WHERE last_error IS NOT NULL AND (order_id IN "
	     "(SELECT id FROM orders WHERE user_id = $1) OR (kind = 'send_email' AND payload->>'email_id' IN "
	     "(SELECT id::text FROM emails WHERE user_id = $1)))" },
	/* the outbox keeps what was sent when, not to whom or what it said; nothing more goes */
	{ 0, "UPDATE emails SET to_address = (SELECT email FROM users WHERE id = $1), body = '', last_error = NULL, "
	     "state = CASE WHEN state = 'sent' THEN 'sent' ELSE 'void' END "
	     "WHERE user_id = $1 OR order_id IN (SELECT id FROM orders WHERE user_id = $1)" },
	{ 0, "DELETE FROM password_resets WHERE user_id = $1" },
	{ 1, "DELETE FROM login_clients WHERE email = $1" },
	{ 1, "DELETE FROM login_windows WHERE email = $1" },
	{ 1, "DELETE FROM password_reset_windows WHERE email = $1" },
};

static enum outcome erase_tx(struct ctx *c, void *arg)
{
	struct erasure *e = arg;
	const char *id = c->who.user_id;

	e->npending = 0;
	PGresult *res = db_query(c, "SELECT email FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ACCOUNT_GONE;
	const char *email = arena_strdup(c->a, db_val(res, 0, "email"));
	enum outcome o = open_orders(c, e);
	if (o != OK)
		return o;
	/* first the account itself, so nothing later in this transaction writes to it
	 * (mail_queue skips a deleted account); the email is free to register again,
	 * every token is revoked, and the workers' copies are told by the trigger */
	if (!db_query(c,
		      "UPDATE users SET email = 'deleted-' || id::text || '@deleted.invalid', name = 'deleted customer', "
		      "phone = NULL, password_hash = NULL, deleted_at = now(), tokens_valid_after = now(), updated_at = now() "
		      "WHERE id = $1",
		      id))
		return E_DB;
	struct cancel_request rq = { .by = CANCELLER_CUSTOMER, .note = "the customer deleted their account" };
	for (int i = 0; i < e->npending; i++)
		if ((o = order_cancel_in_tx(c, e->pending[i], &rq, &e->x[i])) != OK)
			return o;
	for (size_t i = 0; i < sizeof erase_steps / sizeof erase_steps[0]; i++)
		if (!db_query(c, erase_steps[i].sql, erase_steps[i].by_email ? email : id))
			return E_DB;
	return OK;
}

enum outcome account_erase(struct ctx *c, const char *password, const char *client_addr, int *locked_for)
{
	struct erasure e;

	enum outcome o = account_reauth(c, password, client_addr, locked_for);
	if (o != OK)
		return o;
	if ((o = db_tx(c, erase_tx, &e)) != OK)
		return o;
	for (int i = 0; i < e.npending; i++)
		order_cancel_finish(c, e.pending[i], &e.x[i]);
	return OK;
}
