/* refunds.c: the refund policy (pure), and recording, executing and reading refunds. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "early_events.h"
#include "invoices.h"
#include "json.h"
#include "jobs.h"
#include "order_fsm.h"
#include "order_view.h"
#include "payments.h"
#include "razorpay.h"
#include "util.h"

enum refund_result refund_decide(enum canceller by, int64_t captured, int64_t refunded, int64_t subtotal,
				 int64_t delivery_fee, int64_t minutes_to_slot, int64_t *paise)
{
	int64_t want = captured;

	*paise = 0;
	if (captured <= 0)
		return REFUND_NOT_PAID;
	if (by == CANCELLER_CUSTOMER && minutes_to_slot < REFUND_CUTOFF_HOURS * 60)
		return REFUND_TOO_LATE;
	if (by == CANCELLER_CUSTOMER && minutes_to_slot < REFUND_FULL_HOURS * 60)
		want = (subtotal + 1) / 2 + delivery_fee;
	if (want > captured - refunded)
		want = captured - refunded;
	if (want <= 0)
		return REFUND_NOT_PAID;
	*paise = want;
	return REFUND_DONE;
}

/* The policy applied to the order's row: what a cancellation by `by` refunds now. */
static enum refund_result refund_quote(struct ctx *c, const char *order_id, enum canceller by, int64_t *paise)
{
	*paise = 0;
	PGresult *res = db_query(c,
				 "SELECT p.status, p.amount, o.subtotal, o.delivery_fee, "
				 "floor(extract(epoch FROM o.delivery_slot - now()) / 60)::bigint AS minutes_left, "
				 "(SELECT coalesce(sum(amount), 0) FROM refunds f WHERE f.payment_id = p.id AND f.status <> 'FAILED') AS refunded "
				 "FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1",
				 order_id);
	if (!res)
		return REFUND_DB_ERROR;
	if (PQntuples(res) != 1)
		return REFUND_NOT_PAID;
	const char *st = db_val(res, 0, "status");
	int held = strcmp(st, "CAPTURED") == 0 || strcmp(st, "PARTIALLY_REFUNDED") == 0;
	long long minutes = 0;
	sscanf(db_val(res, 0, "minutes_left"), "%lld", &minutes);
	return refund_decide(by, held ? payment_paise(db_val(res, 0, "amount")) : 0,
			     payment_paise(db_val(res, 0, "refunded")), payment_paise(db_val(res, 0, "subtotal")),
			     payment_paise(db_val(res, 0, "delivery_fee")), minutes, paise);
}

enum refund_result payment_refund_prepare(struct ctx *c, const char *order_id, enum canceller by, const char *actor,
					  const char **refund_id)
{
	int64_t paise;
	char amount[32];

	*refund_id = NULL;
	if (!db_in_tx(c)) {
		log_err("payment_refund_prepare called outside a transaction");
		return REFUND_DB_ERROR;
	}
	if (!db_query(c, "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", order_id) ||
	    !db_query(c, "SELECT 1 FROM payments WHERE order_id = $1 FOR UPDATE", order_id))
		return REFUND_DB_ERROR;
	PGresult *res = db_query(c, "SELECT id FROM refunds WHERE order_id = $1 AND status = 'PENDING' "
				    "ORDER BY created_at LIMIT 1",
				 order_id);
	if (!res)
		return REFUND_DB_ERROR;
	if (PQntuples(res) == 1) {
		*refund_id = arena_strdup(c->a, db_val(res, 0, "id"));
	} else {
		enum refund_result q = refund_quote(c, order_id, by, &paise);
		if (q != REFUND_DONE)
			return q;
		money_format(paise, amount);
		res = db_query(c, "INSERT INTO refunds (payment_id, order_id, amount, idempotency_key, reason) "
				  "SELECT id, order_id, $2, 'rf-' || replace(gen_random_uuid()::text, '-', ''), $3 "
				  "FROM payments WHERE order_id = $1 RETURNING id",
			       order_id, amount, arena_printf(c->a, "cancelled by %s", actor));
		if (!res || PQntuples(res) != 1)
			return REFUND_DB_ERROR;
		*refund_id = arena_strdup(c->a, db_val(res, 0, "id"));
	}
	/* the retry is queued before the call: a crash between call and bookkeeping is retried */
	struct job_new retry = { .kind = "refund", .order_id = order_id, .delay_minutes = 1, .payload = arena_printf(c->a, "{\"refund_id\": \"%s\"}", *refund_id) };
	if (job_enqueue(c, &retry) != 0) {
		*refund_id = NULL;
		return REFUND_DB_ERROR;
	}
	return REFUND_DONE;
}

/* Stores Razorpay's answer to the refund call, closing or rescheduling its job. */
static enum refund_result refund_store(struct ctx *c, const char *refund_id, enum rzp_result rr, struct rzp_answer *a)
{
	const char *rid = rr == RZP_OK ? view_text(a->json, "id") : NULL;
	const char *st = rr == RZP_OK ? view_text(a->json, "status") : NULL;
	const char *err = arena_printf(c->a, "%s: %s", razorpay_result_name(rr), a->description);
	enum refund_result out = REFUND_DB_ERROR;

	if (rr == RZP_OK && !razorpay_id_valid(rid, "rfnd_"))
		rr = RZP_UNAVAILABLE; /* a 2xx that is not a refund: ask again with the same key */
	if (db_begin(c) != 0)
		return REFUND_DB_ERROR;
	if (rr == RZP_OK) {
		const char *ours = st && strcmp(st, "failed") == 0 ? "FAILED" : st && strcmp(st, "processed") == 0 ? "PROCESSED"
														   : "PENDING";
		/* early_lock: a webhook about rid that came first was kept, a later one waits for this commit */
		if (early_lock(c, "razorpay", rid) != 0 ||
		    !db_query(c, "UPDATE refunds SET razorpay_refund_id = $2, status = $3, last_error = NULL, updated_at = now() WHERE id = $1",
			      refund_id, rid, ours) ||
		    !db_query(c, "UPDATE payments p SET status = CASE WHEN (SELECT sum(amount) FROM refunds f WHERE f.payment_id = p.id "
				 "AND f.status <> 'FAILED') >= p.amount THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END, updated_at = now() "
				 "FROM refunds f WHERE f.id = $1 AND p.id = f.payment_id",
			      refund_id) ||
		    job_settle(c, "refund", "refund_id", refund_id, 0, NULL) != 0)
			goto db_error;
		/* Razorpay took it: the credit note, in the transaction that records it */
		if (strcmp(ours, "FAILED") != 0 && credit_note_issue(c, refund_id) != OK)
			goto db_error;
		out = REFUND_DONE;
	} else if (rr == RZP_PARTNER_ERROR) {
		PGresult *res = db_query(c, "UPDATE refunds SET status = 'FAILED', last_error = $2, updated_at = now() WHERE id = $1 RETURNING order_id",
					 refund_id, err);
		if (!res || job_settle(c, "refund", "refund_id", refund_id, 1, err) != 0)
			goto db_error;
		if (PQntuples(res) && order_flag_attention(c, db_val(res, 0, "order_id"), "Razorpay refused the refund") != 0)
			goto db_error;
		out = REFUND_REFUSED;
	} else {
		if (!db_query(c, "UPDATE refunds SET last_error = $2, updated_at = now() WHERE id = $1", refund_id, err))
			goto db_error;
		out = REFUND_QUEUED; /* the queued job retries with the same idempotency key */
	}
	if (db_commit(c) != 0)
		goto db_error;
	if (out == REFUND_DONE)
		payment_events_apply_kept(c, rid);
	return out;
db_error:
	db_rollback(c);
	return REFUND_DB_ERROR;
}

enum refund_result payment_refund_execute(struct ctx *c, const char *refund_id)
{
	struct rzp_answer a;
	PGresult *res = db_query(c, "SELECT f.amount, f.idempotency_key, f.status, p.razorpay_payment_id FROM refunds f "
				    "JOIN payments p ON p.id = f.payment_id WHERE f.id = $1",
				 refund_id);
	if (!res)
		return REFUND_DB_ERROR;
	if (PQntuples(res) != 1 || strcmp(db_val(res, 0, "status"), "PENDING") != 0)
		return REFUND_DONE; /* settled meanwhile */
	enum rzp_result rr = razorpay_refund(db_val(res, 0, "razorpay_payment_id"), payment_paise(db_val(res, 0, "amount")),
					     db_val(res, 0, "idempotency_key"), &a);
	enum refund_result out = refund_store(c, refund_id, rr, &a);
	rzp_answer_free(&a);
	return out;
}

enum refund_result payment_refund_order(struct ctx *c, const char *order_id, enum canceller by, const char *actor,
					const char **refund_id)
{
	const char *id = NULL;

	if (db_begin(c) != 0)
		return REFUND_DB_ERROR;
	enum refund_result rr = payment_refund_prepare(c, order_id, by, actor, &id);
	if (rr != REFUND_DONE || db_commit(c) != 0) {
		db_rollback(c);
		return rr == REFUND_DONE ? REFUND_DB_ERROR : rr;
	}
	if (refund_id)
		*refund_id = id;
	return payment_refund_execute(c, id);
}

enum outcome payment_refund_json(struct ctx *c, const char *refund_id, struct json_object **out)
{
	*out = NULL;
	PGresult *res = db_query(c, "SELECT id, amount, status, razorpay_refund_id, last_error FROM refunds WHERE id = $1",
				 refund_id);
	if (!res || PQntuples(res) != 1)
		return E_DB;
	struct json_object *f = json_object_new_object();
	json_object_object_add(f, "id", jstr(db_val(res, 0, "id")));
	json_object_object_add(f, "amount", jmoney(payment_paise(db_val(res, 0, "amount"))));
	json_object_object_add(f, "status", jstr(db_val(res, 0, "status")));
	json_object_object_add(f, "razorpayRefundId", jstr(db_val(res, 0, "razorpay_refund_id")));
	json_object_object_add(f, "lastError", jstr(db_val(res, 0, "last_error")));
	*out = f;
	return OK;
}

/* ---- the refund job kind ---- */

enum job_result refund_job(struct ctx *c, const struct job *j, char *err, size_t errlen)
{
	struct json_object *v;
	const char *id = json_object_object_get_ex(j->payload, "refund_id", &v) ? json_object_get_string(v) : NULL;

	if (!id || !is_uuid(id)) {
		snprintf(err, errlen, "the job names no refund");
		return JOB_GIVE_UP;
	}
	switch (payment_refund_execute(c, id)) {
	case REFUND_DONE:
	case REFUND_NOT_PAID:
		return JOB_DONE;
	case REFUND_REFUSED: /* recorded FAILED and flagged by refund_store */
		snprintf(err, errlen, "Razorpay refused the refund");
		return JOB_GIVE_UP;
	case REFUND_DB_ERROR:
		return JOB_DB_ERROR;
	default:
		snprintf(err, errlen, "Razorpay did not take the refund yet");
		return JOB_RETRY;
	}
}

int refund_job_failed(struct ctx *c, const struct job *j, int dead, const char *err)
{
	if (!dead || !j->order_id)
		return 0;
	return order_flag_attention(c, j->order_id, arena_printf(c->a, "%s gave up after %d attempts: %s", j->kind, j->attempts, err));
}
