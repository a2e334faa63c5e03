/* dispatch.c: the dispatch pass: one bounded run over a table of background duties. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "deliveries.h"
#include "early_events.h"
#include "estimate.h"
#include "dispatch.h"
#include "jobs.h"
#include "json.h"
#include "mail.h"
#include "order_fsm.h"
#include "orders.h"
#include "payments.h"
#include "util.h"

/* One pass: what its duties share. */
struct pass {
	struct json_object *summary;
	int64_t deadline_ms;
};

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- duty: expire unpaid orders ---- */

#define EXPIRY_BATCH 50

/* Claims and cancels one expired order: 1 done, 0 none left, -1 failure. */
static int expire_one(struct ctx *c, const char *minutes, const char *note)
{
	if (db_begin(c) != 0)
		return -1;
	PGresult *res = db_query(c,
				 "SELECT o.id FROM orders o WHERE o.status = 'PENDING' "
				 "AND o.created_at < now() - make_interval(mins => $1::int) "
				 "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id "
				 "  AND p.status IN ('AUTHORIZED', 'CAPTURED')) "
				 "ORDER BY o.created_at FOR UPDATE OF o SKIP LOCKED LIMIT 1",
				 minutes);
	if (!res || PQntuples(res) == 0) {
		db_rollback(c);
		return res ? 0 : -1;
	}
	const char *id = arena_strdup(c->a, db_val(res, 0, "id"));
	struct cancel_request rq = { .by = CANCELLER_SYSTEM, .actor = "system:expiry", .note = note };
	struct cancellation x;
	enum outcome fr = order_cancel_in_tx(c, id, &rq, &x);
	if (fr != OK || !x.moved || db_commit(c) != 0) {
		db_rollback(c);
		log_err("expiry of order %s failed (%d)", id, (int)fr);
		return -1;
	}
	order_cancel_finish(c, id, &x);
	log_info("order %s expired unpaid", id);
	return 1;
}

static int expire_unpaid(struct ctx *c)
{
	const char *minutes = arena_printf(c->a, "%d", cfg->unpaid_expiry_minutes);
	const char *note = arena_printf(c->a, "unpaid after %d minutes", cfg->unpaid_expiry_minutes);
	int n = 0;

	for (int i = 0; i < EXPIRY_BATCH; i++) {
		int rc = expire_one(c, minutes, note);
		if (rc < 0)
			return n ? n : -1;
		if (rc == 0)
			break;
		n++;
	}
	return n;
}

static int duty_expire_unpaid(struct ctx *c, struct pass *p)
{
	int n = expire_unpaid(c);
	summary_count(p->summary, "expired", n > 0 ? n : 0);
	return n < 0 ? -1 : 0;
}

static int duty_prune_quotes(struct ctx *c, struct pass *p)
{
	int n = delivery_quotes_prune(c);
	summary_count(p->summary, "quotesPruned", n > 0 ? n : 0);
	return n < 0 ? -1 : 0;
}

/* ---- duty: partner events kept before what they name was recorded ---- */

/* Razorpay's are applied after the commit that records their order or refund:
 * a worker that died in between left them, caught up here. Borzo's are applied
 * in the booking's own transaction, so none is ever left behind; events nobody
 * claims are deleted after EARLY_EVENTS_KEEP. */
static int duty_early_events(struct ctx *c, struct pass *p)
{
	int applied = 0, rc = payment_events_catch_up(c, DISPATCH_BATCH, &applied);
	int pruned = early_prune(c);

	summary_count(p->summary, "earlyEventsApplied", applied);
	summary_count(p->summary, "earlyEventsExpired", pruned > 0 ? pruned : 0);
	return rc < 0 || pruned < 0 ? -1 : 0;
}

/* ---- duty: book couriers for due paid orders ---- */

/* Paid orders whose slot starts within the lead window, with no delivery row
 * (or a presumed-lost IN_PROGRESS one), not flagged for staff. */
static PGresult *due_orders(struct ctx *c)
{
	char lead[16];

	snprintf(lead, sizeof lead, "%d", cfg->dispatch_lead_minutes);
	if (db_begin(c) != 0)
		return NULL;
	/* clang-format off */
	PGresult *res = db_query(c,
		"SELECT o.id FROM orders o LEFT JOIN deliveries d ON d.order_id = o.id "
		"WHERE o.status IN ('CONFIRMED', 'BAKING', 'READY') AND NOT o.needs_attention "
		"AND o.delivery_slot <= now() + make_interval(mins => $1::int) "
		"AND (d.id IS NULL OR (d.booking_state = 'IN_PROGRESS' AND d.attempt_started_at < now() - "
		"make_interval(mins => " STR(BOOKING_STALE_MINUTES) "))) "
		"ORDER BY o.delivery_slot FOR UPDATE OF o SKIP LOCKED LIMIT " STR(DISPATCH_BATCH), lead);
	/* clang-format on */
	/* the lock only keeps two selecting passes apart; the IN_PROGRESS row that
	 * delivery_book commits is what makes a booking exactly-once */
	if (!res || db_commit(c) != 0) {
		db_rollback(c);
		return NULL;
	}
	return res;
}

static int duty_book_couriers(struct ctx *c, struct pass *p)
{
	PGresult *res = due_orders(c);
	char msg[1200];

	summary_count(p->summary, "booked", 0);
	summary_count(p->summary, "bookingFailed", 0);
	summary_count(p->summary, "bookingSkipped", 0);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res) && mono_ms() < p->deadline_ms; i++) {
		switch (delivery_book(c, db_val(res, i, "id"), "system:dispatch", msg, sizeof msg)) {
		case BOOK_OK:
			summary_count(p->summary, "booked", 1);
			break;
		case BOOK_REJECTED:
		case BOOK_UNAVAILABLE:
			log_warn("dispatch: order %s: %s", db_val(res, i, "id"), msg);
			summary_count(p->summary, "bookingFailed", 1);
			break;
		case BOOK_DB_ERROR:
			return -1;
		default: /* taken by another pass, or no longer bookable */
			summary_count(p->summary, "bookingSkipped", 1);
		}
	}
	return 0;
}

/* ---- duty: catch up deliveries whose callbacks went missing ---- */

static int duty_refresh_deliveries(struct ctx *c, struct pass *p)
{
	int updated = 0;
	enum outcome o = deliveries_refresh(c, DISPATCH_BATCH, p->deadline_ms, &updated);
	summary_count(p->summary, "deliveriesRefreshed", updated);
	return o == OK ? 0 : -1;
}

/* ---- duty: run due jobs ---- */

/* The book_courier kind: the same exactly-once booking as the API's. */
static enum job_result job_book_courier(struct ctx *c, const struct job *j, char *err, size_t errlen)
{
	if (!j->order_id) {
		snprintf(err, errlen, "the job names no order");
		return JOB_GIVE_UP;
	}
	switch (delivery_book(c, j->order_id, "system:dispatch", err, errlen)) {
	case BOOK_UNAVAILABLE:
		return JOB_RETRY;
	case BOOK_DB_ERROR:
		return JOB_DB_ERROR;
	default: /* booked, or nothing a retry could change (a refusal waits for staff) */
		return JOB_DONE;
	}
}

/* A booking given up puts its order on the kitchen's attention list. */
static int job_book_courier_failed(struct ctx *c, const struct job *j, int dead, const char *err)
{
	if (!dead || !j->order_id)
		return 0;
	return order_flag_attention(c, j->order_id, arena_printf(c->a, "%s gave up after %d attempts: %s", j->kind, j->attempts, err));
}

/* Every kind of background work and the one function that does it. */
static const struct job_kind job_kinds[] = {
	{ .name = "book_courier", .run = job_book_courier, .failed = job_book_courier_failed },
	{ .name = "send_email", .run = mail_send_job, .failed = mail_send_failed, .ready = mail_ready, .done_key = "emailsSent", .failed_key = "emailsFailed" },
	{ .name = "refund", .run = refund_job, .failed = refund_job_failed, .done_key = "refundsRetried" },
};

static int duty_run_jobs(struct ctx *c, struct pass *p)
{
	int stale = jobs_requeue_stale(c);

	summary_count(p->summary, "jobsRequeued", stale > 0 ? stale : 0);
	if (stale < 0)
		return -1;
	if (!mail_ready())
		json_object_object_add(p->summary, "emailsHeld", json_object_new_string("SMTP_URL is unset"));
	return jobs_run_due(c, job_kinds, sizeof job_kinds / sizeof job_kinds[0], DISPATCH_BATCH * 2,
			    p->deadline_ms, p->summary);
}

/* ---- duty: reconcile payments with Razorpay ---- */

static int duty_reconcile_payments(struct ctx *c, struct pass *p)
{
	int confirmed = 0, refunded = 0;
	int rc = payments_reconcile(c, DISPATCH_BATCH, &confirmed, &refunded);

	summary_count(p->summary, "paymentsReconciled", confirmed);
	summary_count(p->summary, "lateRefunds", refunded);
	return rc;
}

/* ---- the pass ---- */

static const struct duty {
	const char *name;
	int (*run)(struct ctx *c, struct pass *p); /* 0, or -1 when it failed */
} duties[] = {
	/* reconcile before expiring: a payment that only Razorpay knows of confirms instead */
	{ "reconcile_payments", duty_reconcile_payments },
	{ "expire_unpaid", duty_expire_unpaid },
	{ "book_couriers", duty_book_couriers },
	{ "refresh_deliveries", duty_refresh_deliveries },
	{ "run_jobs", duty_run_jobs },
	{ "prune_quotes", duty_prune_quotes },
	{ "early_events", duty_early_events },
};

/* When the pass ran, and ran clean, for /metrics (ops.c). A failure to record
 * it is logged and changes nothing else. */
static void record_pass(struct ctx *c, int64_t elapsed_ms, int errors)
{
	const char *ms = arena_printf(c->a, "%lld", (long long)elapsed_ms);

	if (!db_query(c, "UPDATE dispatch_passes SET last_at = now(), last_ms = $1::int, last_errors = $2::int, "
			 "last_ok_at = CASE WHEN $2::int = 0 THEN now() ELSE last_ok_at END, "
			 "last_ok_ms = CASE WHEN $2::int = 0 THEN $1::int ELSE last_ok_ms END",
		      ms, arena_printf(c->a, "%d", errors)))
		log_warn("dispatch: could not record the pass");
}

enum outcome dispatch_pass(struct ctx *c, struct json_object **summary)
{
	int64_t start = mono_ms();
	struct pass p = { json_own(c->a, json_object_new_object()), start + DISPATCH_BUDGET_MS };
	struct json_object *errors = json_object_new_array(), *skipped = json_object_new_array();

	*summary = p.summary;
	json_object_object_add(p.summary, "errors", errors);
	json_object_object_add(p.summary, "skipped", skipped);
	for (size_t i = 0; i < sizeof duties / sizeof duties[0]; i++) {
		if (mono_ms() >= p.deadline_ms) {
			json_object_array_add(skipped, json_object_new_string(duties[i].name));
			continue;
		}
		if (duties[i].run(c, &p) != 0) {
			db_rollback(c);
			if (db_lost(c))
				return E_DB;
			log_err("dispatch: duty %s failed", duties[i].name);
			json_object_array_add(errors, json_object_new_string(duties[i].name));
		}
	}
	int64_t elapsed = mono_ms() - start;
	json_object_object_add(p.summary, "elapsedMs", json_object_new_int64(elapsed));
	record_pass(c, elapsed, (int)json_object_array_length(errors));
	return OK;
}
