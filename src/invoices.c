/* invoices.c: GST tax invoices and credit notes: issued with their number, lines and tax, and read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "gst.h"
#include "invoices.h"
#include "json.h"
#include "timefmt.h"
#include "util.h"

/* A line being issued: what it shows, and its amounts. */
struct doc_line {
	int position;
	const char *kind, *description, *hsn;
	int64_t quantity, unit_price; /* 0 and -1: not shown (a part of a line credited) */
	struct gst_line g;
};

/* Everything a document holds besides its lines and its number. */
struct doc_head {
	const char *kind, *series, *order_id, *invoice_id, *refund_id;
	const char *seller_gstin, *seller_legal_name, *seller_trade_name, *seller_address, *seller_state;
	const char *buyer_name, *buyer_address, *place_of_supply;
	int inter_state;
	int fy; /* the financial year's first year, of the transaction's time in Asia/Kolkata */
};

/* The transaction's time as a financial year, in the columns year and month. */
#define SQL_KOLKATA_YEAR_MONTH                                                \
	"extract(year FROM now() AT TIME ZONE 'Asia/Kolkata')::int AS year, " \
	"extract(month FROM now() AT TIME ZONE 'Asia/Kolkata')::int AS month "

static int64_t paise_of(const char *numeric)
{
	int64_t p = -1;
	return numeric && money_parse(numeric, &p) == 0 ? p : -1;
}

static const char *money_text(struct ctx *c, int64_t paise)
{
	char s[32];
	money_format(paise, s);
	return arena_strdup(c->a, s);
}

/* A rate in hundredths of a percent as NUMERIC(5,2) text: 500 -> "5.00". */
static const char *rate_numeric(struct ctx *c, int rate)
{
	return arena_printf(c->a, "%d.%02d", rate / 100, rate % 100);
}

static int fy_of(PGresult *res)
{
	return gst_fy_start(atoi(db_val(res, 0, "year")), atoi(db_val(res, 0, "month")));
}

/* ---- writing a document ---- */

/* The next number of the series in the financial year, in the caller's
 * transaction: the counter row stays locked until it ends. 0, or -1 (E_DB) or
 * -2 (the number does not fit its 16 characters: logged). */
static int next_number(struct ctx *c, const char *series, int fy, char label[8], int64_t *seq,
		       char number[GST_NUMBER_MAX + 1])
{
	gst_fy_label(fy, label);
	PGresult *res = db_query(c, "INSERT INTO document_counters (series, financial_year, last_number) VALUES ($1, $2, 1) "
				    "ON CONFLICT (series, financial_year) DO UPDATE SET last_number = document_counters.last_number + 1 "
				    "RETURNING last_number",
				 series, label);
	if (!res || PQntuples(res) != 1)
		return -1;
	*seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (gst_doc_number(series, fy, *seq, number) != 0) {
		log_err("document number %s %s %lld does not fit %d characters", series, label, (long long)*seq, GST_NUMBER_MAX);
		return -2;
	}
	return 0;
}

/* The lines as the JSON array jsonb_to_recordset reads (money as text). */
static const char *lines_json(struct ctx *c, const struct doc_line *l, size_t n)
{
	struct json_object *a = json_own(c->a, json_object_new_array());
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "position", jint(l[i].position));
		json_object_object_add(o, "kind", jstr(l[i].kind));
		json_object_object_add(o, "description", jstr(l[i].description));
		json_object_object_add(o, "hsn", jstr(l[i].hsn));
		json_object_object_add(o, "quantity", l[i].quantity > 0 ? jint(l[i].quantity) : NULL);
		json_object_object_add(o, "unit_price", l[i].unit_price >= 0 ? jmoney(l[i].unit_price) : NULL);
		json_object_object_add(o, "rate", jstr(rate_numeric(c, l[i].g.rate)));
		json_object_object_add(o, "taxable", jmoney(l[i].g.taxable));
		json_object_object_add(o, "cgst", jmoney(l[i].g.cgst));
		json_object_object_add(o, "sgst", jmoney(l[i].g.sgst));
		json_object_object_add(o, "igst", jmoney(l[i].g.igst));
		json_object_object_add(o, "total", jmoney(l[i].g.total));
		json_object_array_add(a, o);
	}
	return json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
}

/* Splits the lines' tax, takes the next number and writes the document, in
 * the caller's transaction. OK, E_DB or E_INTERNAL (logged). */
static enum outcome write_doc(struct ctx *c, const struct doc_head *h, struct doc_line *l, size_t n)
{
	struct gst_line g[GST_MAX_LINES];
	int64_t sum[5] = { 0 };
	char fy[8], number[GST_NUMBER_MAX + 1];
	int64_t seq;

	for (size_t i = 0; i < n; i++)
		g[i] = l[i].g;
	if (n > GST_MAX_LINES || gst_split(g, n, h->inter_state) != 0) {
		log_err("%s of order %s: %zu lines that cannot be taxed", h->kind, h->order_id, n);
		return E_INTERNAL;
	}
	for (size_t i = 0; i < n; i++) {
		l[i].g = g[i];
		sum[0] += g[i].taxable, sum[1] += g[i].cgst, sum[2] += g[i].sgst, sum[3] += g[i].igst, sum[4] += g[i].total;
	}
	int got = next_number(c, h->series, h->fy, fy, &seq, number);
	if (got != 0)
		return got == -1 ? E_DB : E_INTERNAL;
	PGresult *res = db_query(c, "INSERT INTO invoices (kind, number, series, financial_year, seq, order_id, invoice_id, refund_id, "
				    "seller_gstin, seller_legal_name, seller_trade_name, seller_address, seller_state, buyer_name, "
				    "buyer_address, place_of_supply, inter_state, taxable, cgst, sgst, igst, total) "
				    "VALUES ($1, $2, $3, $4, $5::int, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::boolean, "
				    "$18::numeric, $19::numeric, $20::numeric, $21::numeric, $22::numeric) RETURNING id",
				 h->kind, number, h->series, fy, arena_printf(c->a, "%lld", (long long)seq), h->order_id,
				 h->invoice_id, h->refund_id, h->seller_gstin, h->seller_legal_name, h->seller_trade_name,
				 h->seller_address, h->seller_state, h->buyer_name, h->buyer_address, h->place_of_supply,
				 h->inter_state ? "true" : "false", money_text(c, sum[0]), money_text(c, sum[1]),
				 money_text(c, sum[2]), money_text(c, sum[3]), money_text(c, sum[4]));
	if (!res || PQntuples(res) != 1)
		return E_DB;
	const char *id = arena_strdup(c->a, db_val(res, 0, "id"));
	if (!db_query(c, "INSERT INTO invoice_lines (invoice_id, position, kind, description, hsn, quantity, unit_price, rate, "
			 "taxable, cgst, sgst, igst, total) "
			 "SELECT $1, position, kind, description, hsn, quantity, unit_price, rate, taxable, cgst, sgst, igst, total "
			 "FROM jsonb_to_recordset($2::jsonb) AS l(position int, kind text, description text, hsn text, quantity int, "
			 "unit_price numeric, rate numeric, taxable numeric, cgst numeric, sgst numeric, igst numeric, total numeric)",
		      id, lines_json(c, l, n)))
		return E_DB;
	log_info("%s %s issued for order %s (%s paise)", h->kind, number, h->order_id, money_text(c, sum[4]));
	return OK;
}

/* ---- the invoice ---- */

/* The place of supply: the state of the delivery address when the order's
 * address names one (stateCode), else the shop's own (README "Tax invoices"). */
static const char *place_of_supply(const char *state_code)
{
	return state_code && gst_state_name(state_code) ? state_code : cfg->store_state_code;
}

/* The cakes' lines: one per order item, or one for the whole subtotal when the
 * items do not add up to it (an order written by hand). Returns the count, or
 * -1 on a DB error. */
static int goods_lines(struct ctx *c, const char *order_id, int64_t subtotal, struct doc_line *l)
{
	PGresult *res = db_query(c, "SELECT product_name, variant_label, unit_price::text AS unit_price, quantity, "
				    "line_total::text AS line_total FROM order_items WHERE order_id = $1 "
				    "ORDER BY product_name, variant_label, id",
				 order_id);
	if (!res)
		return -1;
	int n = PQntuples(res);
	int64_t sum = 0;
	for (int i = 0; i < n && n < GST_MAX_LINES; i++) {
		l[i] = (struct doc_line){
			.position = i + 1,
			.kind = "GOODS",
			.description = arena_printf(c->a, "%s (%s)", db_val(res, i, "product_name"), db_val(res, i, "variant_label")),
			.hsn = cfg->gst_hsn,
			.quantity = atoi(db_val(res, i, "quantity")),
			.unit_price = paise_of(db_val(res, i, "unit_price")),
			.g = { .total = paise_of(db_val(res, i, "line_total")), .rate = cfg->gst_rate },
		};
		sum += l[i].g.total;
	}
	if (n > 0 && n < GST_MAX_LINES && sum == subtotal)
		return n;
	if (subtotal <= 0)
		return 0;
	log_warn("order %s: its %d items do not make its subtotal: one line for the subtotal", order_id, n);
	l[0] = (struct doc_line){ .position = 1, .kind = "GOODS", .description = "Cakes", .hsn = cfg->gst_hsn, .unit_price = -1, .g = { .total = subtotal, .rate = cfg->gst_rate } };
	return 1;
}

enum outcome invoice_issue(struct ctx *c, const char *order_id)
{
	struct doc_line l[GST_MAX_LINES];

	if (!cfg->store_gstin)
		return OK; /* not registered for GST: no tax invoice */
	if (!db_in_tx(c)) {
		log_err("invoice_issue called outside a transaction");
		return E_INTERNAL;
	}
	PGresult *res = db_query(c,
				 "SELECT o.subtotal::text AS subtotal, o.delivery_fee::text AS delivery_fee, "
				 "coalesce(nullif(btrim(o.address->>'contactName'), ''), u.name) AS buyer_name, "
				 "concat_ws(', ', nullif(btrim(o.address->>'street'), ''), "
				 "nullif(btrim(concat_ws(' ', o.address->>'city', o.address->>'pincode')), '')) AS buyer_address, "
				 "o.address->>'stateCode' AS state_code, " SQL_KOLKATA_YEAR_MONTH ", "
				 "EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.kind = 'INVOICE') AS issued "
				 "FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1",
				 order_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1 || db_bool(res, 0, "issued"))
		return PQntuples(res) == 1 ? OK : E_INTERNAL;
	int64_t subtotal = paise_of(db_val(res, 0, "subtotal")), fee = paise_of(db_val(res, 0, "delivery_fee"));
	struct doc_head h = {
		.kind = "INVOICE",
		.series = INVOICE_SERIES,
		.order_id = order_id,
		.seller_gstin = cfg->store_gstin,
		.seller_legal_name = cfg->store_legal_name,
		.seller_trade_name = cfg->store_name,
		.seller_address = cfg->store_address,
		.seller_state = cfg->store_state_code,
		.buyer_name = arena_strdup(c->a, db_val(res, 0, "buyer_name")),
		.buyer_address = arena_strdup(c->a, db_val(res, 0, "buyer_address")),
		.place_of_supply = place_of_supply(db_val(res, 0, "state_code")),
		.fy = fy_of(res),
	};
	h.place_of_supply = arena_strdup(c->a, h.place_of_supply);
	h.inter_state = strcmp(h.place_of_supply, h.seller_state) != 0;
	int n = goods_lines(c, order_id, subtotal, l);
	if (n < 0)
		return E_DB;
	if (fee > 0) {
		l[n] = (struct doc_line){ .position = n + 1, .kind = "DELIVERY", .description = "Delivery", .hsn = cfg->delivery_sac, .quantity = 1, .unit_price = fee, .g = { .total = fee, .rate = cfg->delivery_gst_rate } };
		n++;
	}
	if (n == 0) {
		log_warn("order %s: nothing to invoice (a total of 0)", order_id);
		return OK;
	}
	return write_doc(c, &h, l, (size_t)n);
}

/* ---- the credit note ---- */

/* The invoice's lines with what earlier credit notes left on each: the
 * credit's lines where it falls, in *l. The count, or -1 on a DB error. */
static int credit_lines(struct ctx *c, const char *invoice_id, int64_t *amount, struct doc_line *l)
{
	int64_t room[GST_MAX_LINES], credit[GST_MAX_LINES], left = 0;
	int first[GST_MAX_LINES];
	PGresult *res = db_query(c, "SELECT l.position, l.kind, l.description, l.hsn, l.quantity, l.unit_price::text AS unit_price, "
				    "(l.rate * 100)::int AS rate, l.total::text AS total, "
				    "(SELECT coalesce(sum(k.total), 0) FROM invoice_lines k JOIN invoices n ON n.id = k.invoice_id "
				    "WHERE n.invoice_id = l.invoice_id AND k.position = l.position)::text AS credited "
				    "FROM invoice_lines l WHERE l.invoice_id = $1 ORDER BY l.position",
				 invoice_id);
	if (!res)
		return -1;
	int n = PQntuples(res) < GST_MAX_LINES ? PQntuples(res) : GST_MAX_LINES;
	for (int i = 0; i < n; i++) {
		room[i] = paise_of(db_val(res, i, "total")) - paise_of(db_val(res, i, "credited"));
		room[i] = room[i] > 0 ? room[i] : 0;
		first[i] = strcmp(db_val(res, i, "kind"), "DELIVERY") == 0;
		left += room[i];
	}
	if (*amount > left) {
		log_warn("credit against invoice %s: %lld paise asked, %lld left to credit", invoice_id, (long long)*amount,
			 (long long)left);
		*amount = left;
	}
	if (gst_spread(*amount, room, first, (size_t)n, credit) != 0)
		return -1;
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (credit[i] == 0)
			continue;
		int whole = credit[i] == paise_of(db_val(res, i, "total")); /* the line given back entirely */
		l[k++] = (struct doc_line){
			.position = atoi(db_val(res, i, "position")),
			.kind = arena_strdup(c->a, db_val(res, i, "kind")),
			.description = arena_strdup(c->a, db_val(res, i, "description")),
			.hsn = arena_strdup(c->a, db_val(res, i, "hsn")),
			.quantity = whole && db_val(res, i, "quantity") ? atoi(db_val(res, i, "quantity")) : 0,
			.unit_price = whole ? paise_of(db_val(res, i, "unit_price")) : -1,
			.g = { .total = credit[i], .rate = atoi(db_val(res, i, "rate")) },
		};
	}
	return k;
}

enum outcome credit_note_issue(struct ctx *c, const char *refund_id)
{
	struct doc_line l[GST_MAX_LINES];

	if (!db_in_tx(c)) {
		log_err("credit_note_issue called outside a transaction");
		return E_INTERNAL;
	}
	/* the invoice row locked: two credit notes of one invoice are written one after the other */
	PGresult *res = db_query(c, "SELECT f.amount::text AS amount, i.id, i.order_id, i.seller_gstin, i.seller_legal_name, "
				    "i.seller_trade_name, i.seller_address, i.seller_state, i.buyer_name, i.buyer_address, "
				    "i.place_of_supply, i.inter_state, " SQL_KOLKATA_YEAR_MONTH ", "
				    "EXISTS (SELECT 1 FROM invoices n WHERE n.refund_id = f.id) AS issued "
				    "FROM refunds f JOIN invoices i ON i.order_id = f.order_id AND i.kind = 'INVOICE' "
				    "WHERE f.id = $1 FOR NO KEY UPDATE OF i",
				 refund_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1 || db_bool(res, 0, "issued"))
		return OK; /* no invoice to credit, or credited already */
	struct doc_head h = { .kind = "CREDIT_NOTE", .series = CREDIT_NOTE_SERIES, .refund_id = refund_id, .fy = fy_of(res) };
	const char **text[] = { &h.invoice_id, &h.order_id, &h.seller_gstin, &h.seller_legal_name, &h.seller_trade_name,
				&h.seller_address, &h.seller_state, &h.buyer_name, &h.buyer_address, &h.place_of_supply };
	const char *cols[] = { "id", "order_id", "seller_gstin", "seller_legal_name", "seller_trade_name",
			       "seller_address", "seller_state", "buyer_name", "buyer_address", "place_of_supply" };
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		*text[i] = arena_strdup(c->a, db_val(res, 0, cols[i]));
	h.inter_state = db_bool(res, 0, "inter_state");
	int64_t amount = paise_of(db_val(res, 0, "amount"));
	int n = credit_lines(c, h.invoice_id, &amount, l);
	if (n < 0)
		return E_DB;
	if (n == 0) {
		log_warn("refund %s: invoice %s is credited in full already; no credit note", refund_id, h.invoice_id);
		return OK;
	}
	return write_doc(c, &h, l, (size_t)n);
}

/* ---- reading a document ---- */

static struct json_object *jmoney_text(const char *numeric)
{
	int64_t p = paise_of(numeric);
	return p >= 0 ? jmoney(p) : NULL;
}

static struct json_object *jrate(int thousandths)
{
	char s[16];
	gst_rate_text(thousandths, s);
	return jstr(s);
}

static struct json_object *state_json(const char *code)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "code", jstr(code));
	json_object_object_add(o, "name", jstr(gst_state_name(code)));
	return o;
}

/* The document's head (row 0 of res) as data. */
/* An IST calendar day ("2026-12-03") as the document prints it: "3 Dec 2026". */
static struct json_object *day_json(const char *ymd)
{
	char out[TIMEFMT_MAX];
	return jstr(timefmt_date(ymd, TIMEFMT_DATE_LONG, 0, out) == 0 ? out : ymd);
}

static struct json_object *head_json(PGresult *res)
{
	int cn = strcmp(db_val(res, 0, "kind"), "CREDIT_NOTE") == 0;
	struct json_object *o = json_object_new_object(), *seller = json_object_new_object();
	struct json_object *buyer = json_object_new_object(), *totals = json_object_new_object();

	json_object_object_add(o, "kind", jstr(db_val(res, 0, "kind")));
	json_object_object_add(o, "title", jstr(cn ? "Credit note" : "Tax invoice"));
	json_object_object_add(o, "creditNote", jbool(cn));
	json_object_object_add(o, "number", jstr(db_val(res, 0, "number")));
	json_object_object_add(o, "issuedAt", jstr(db_val(res, 0, "issued_at")));
	json_object_object_add(o, "issuedOn", day_json(db_val(res, 0, "issued_on")));
	json_object_object_add(o, "orderNumber", jint(strtoll(db_val(res, 0, "order_number"), NULL, 10)));
	json_object_object_add(seller, "legalName", jstr(db_val(res, 0, "seller_legal_name")));
	json_object_object_add(seller, "tradeName", jstr(db_val(res, 0, "seller_trade_name")));
	json_object_object_add(seller, "gstin", jstr(db_val(res, 0, "seller_gstin")));
	json_object_object_add(seller, "address", jstr(db_val(res, 0, "seller_address")));
	json_object_object_add(seller, "stateCode", jstr(db_val(res, 0, "seller_state")));
	json_object_object_add(seller, "stateName", jstr(gst_state_name(db_val(res, 0, "seller_state"))));
	json_object_object_add(o, "seller", seller);
	json_object_object_add(buyer, "name", jstr(db_val(res, 0, "buyer_name")));
	json_object_object_add(buyer, "address", jstr(db_val(res, 0, "buyer_address")));
	json_object_object_add(o, "buyer", buyer);
	json_object_object_add(o, "placeOfSupply", state_json(db_val(res, 0, "place_of_supply")));
	json_object_object_add(o, "interState", jbool(db_bool(res, 0, "inter_state")));
	json_object_object_add(o, "reverseCharge", jbool(0));
	if (cn) {
		struct json_object *inv = json_object_new_object();
		json_object_object_add(inv, "number", jstr(db_val(res, 0, "invoice_number")));
		json_object_object_add(inv, "issuedOn", day_json(db_val(res, 0, "invoice_issued_on")));
		json_object_object_add(o, "invoice", inv);
	}
	static const char *const sums[] = { "taxable", "cgst", "sgst", "igst", "total" };
	for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
		json_object_object_add(totals, sums[i], jmoney_text(db_val(res, 0, sums[i])));
	json_object_object_add(o, "totals", totals);
	return o;
}

static struct json_object *line_json(PGresult *res, int i, int inter_state)
{
	static const char *const amounts[] = { "taxable", "cgst", "sgst", "igst", "total" };
	struct json_object *o = json_object_new_object();
	int rate = atoi(db_val(res, i, "rate"));
	const char *qty = db_val(res, i, "quantity");

	json_object_object_add(o, "position", jint(atoi(db_val(res, i, "position"))));
	json_object_object_add(o, "kind", jstr(db_val(res, i, "kind")));
	json_object_object_add(o, "description", jstr(db_val(res, i, "description")));
	json_object_object_add(o, "hsn", jstr(db_val(res, i, "hsn")));
	json_object_object_add(o, "quantity", qty ? jint(atoi(qty)) : NULL);
	json_object_object_add(o, "unitPrice", jmoney_text(db_val(res, i, "unit_price")));
	json_object_object_add(o, "rate", jrate(rate * 10));
	json_object_object_add(o, "cgstRate", inter_state ? NULL : jrate(rate * 5));
	json_object_object_add(o, "sgstRate", inter_state ? NULL : jrate(rate * 5));
	json_object_object_add(o, "igstRate", inter_state ? jrate(rate * 10) : NULL);
	for (size_t k = 0; k < sizeof amounts / sizeof amounts[0]; k++)
		json_object_object_add(o, amounts[k], jmoney_text(db_val(res, i, amounts[k])));
	return o;
}

/* An order and its n-th document of a kind ($1, skipping $2), or NULLs when it
 * has none; the WHERE clause picking the order follows. */
/* clang-format off */
#define DOC_SELECT \
	"SELECT o.order_number, d.* FROM orders o LEFT JOIN LATERAL (" \
	"SELECT d.id, d.kind, d.number, " SQL_TIME("d.issued_at") " AS issued_at, " \
	"(d.issued_at AT TIME ZONE 'Asia/Kolkata')::date::text AS issued_on, " \
	"d.seller_gstin, d.seller_legal_name, d.seller_trade_name, d.seller_address, d.seller_state, " \
	"d.buyer_name, d.buyer_address, d.place_of_supply, d.inter_state, d.taxable::text AS taxable, " \
	"d.cgst::text AS cgst, d.sgst::text AS sgst, d.igst::text AS igst, d.total::text AS total, " \
	"i.number AS invoice_number, (i.issued_at AT TIME ZONE 'Asia/Kolkata')::date::text AS invoice_issued_on " \
	"FROM invoices d LEFT JOIN invoices i ON i.id = d.invoice_id WHERE d.order_id = o.id AND d.kind = $1 " \
	"ORDER BY d.issued_at, d.financial_year, d.seq OFFSET $2::bigint LIMIT 1) d ON true WHERE "
/* clang-format on */

enum outcome invoice_get(struct ctx *c, const struct doc_query *q, struct json_object **out)
{
	const char *kind = q->credit_note ? "CREDIT_NOTE" : "INVOICE";
	const char *skip = arena_printf(c->a, "%lld", (long long)(q->credit_note ? q->n - 1 : 0));

	*out = NULL;
	if (q->credit_note && q->n < 1)
		return E_CREDIT_NOTE_NOT_FOUND;
	/* the order this reader may see (by token, or by id and owner), and its document if any */
	PGresult *res = q->token ? db_query(c, DOC_SELECT "o.tracking_token = $3", kind, skip, q->token)
				 : db_query(c, DOC_SELECT "o.id = $3 AND ($4::uuid IS NULL OR o.user_id = $4::uuid)", kind,
					    skip, q->order_id, q->owner_id);
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return E_ORDER_NOT_FOUND;
	if (!db_val(res, 0, "id"))
		return q->credit_note ? E_CREDIT_NOTE_NOT_FOUND : E_INVOICE_NOT_FOUND;
	PGresult *lines = db_query(c, "SELECT position, kind, description, hsn, quantity, unit_price::text AS unit_price, "
				      "(rate * 100)::int AS rate, taxable::text AS taxable, cgst::text AS cgst, "
				      "sgst::text AS sgst, igst::text AS igst, total::text AS total "
				      "FROM invoice_lines WHERE invoice_id = $1 ORDER BY position",
				   db_val(res, 0, "id"));
	if (!lines)
		return E_DB;
	struct json_object *o = head_json(res), *arr = json_object_new_array();
	for (int i = 0; i < PQntuples(lines); i++)
		json_object_array_add(arr, line_json(lines, i, db_bool(res, 0, "inter_state")));
	json_object_object_add(o, "lines", arr);
	*out = o;
	return OK;
}
