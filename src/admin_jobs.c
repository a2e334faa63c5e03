/* admin_jobs.c: the background-work page: dead or failing jobs (with retry), stuck emails, orders needing attention. */
#include <string.h>

#include "admin.h"
#include "db.h"
#include "handlers.h"
#include "jsonutil.h"
#include "util.h"

#define LIST_LIMIT "200"

/* Runs a query that returns one JSON array as text in column j; NULL on a DB error. */
static struct json_object *json_rows(struct req *r, const char *sql)
{
	PGresult *res = db_query(&r->ctx, sql, LIST_LIMIT);
	if (!res)
		return NULL;
	struct json_object *a = admin_json_text(db_val(res, 0, "j"));
	return a ? a : json_object_new_array();
}

static const char jobs_sql[] =
	"SELECT COALESCE(json_agg(x ORDER BY x.updated DESC), '[]')::text AS j FROM ("
	" SELECT id, kind, state, attempts, max_attempts AS \"maxAttempts\", last_error AS \"lastError\", "
	"  order_id AS \"orderId\", " SQL_TIME("run_at") " AS \"runAt\", updated_at AS updated, "
	"  state = 'dead' AS dead "
	" FROM jobs WHERE state = 'dead' OR (state = 'queued' AND attempts > 0) "
	" ORDER BY updated_at DESC LIMIT $1::int) x";

static const char emails_sql[] =
	"SELECT COALESCE(json_agg(x ORDER BY x.id DESC), '[]')::text AS j FROM ("
	" SELECT id, kind, to_address AS \"to\", subject, state, attempts, last_error AS \"lastError\", "
	"  order_id AS \"orderId\", " SQL_TIME("send_after") " AS \"sendAfter\" "
	" FROM emails WHERE state IN ('queued', 'dead') ORDER BY id DESC LIMIT $1::int) x";

static const char attention_sql[] =
	"SELECT COALESCE(json_agg(x ORDER BY x.slot), '[]')::text AS j FROM ("
	" SELECT id, order_number AS \"orderNumber\", status, attention_reason AS reason, delivery_slot AS slot, "
	"  " SQL_TIME("delivery_slot") " AS \"deliverySlot\" "
	" FROM orders WHERE needs_attention ORDER BY delivery_slot LIMIT $1::int) x";

int admin_jobs_page(struct req *r)
{
	struct json_object *jobs = json_rows(r, jobs_sql);
	struct json_object *emails = jobs ? json_rows(r, emails_sql) : NULL;
	struct json_object *orders = emails ? json_rows(r, attention_sql) : NULL;

	if (!orders) {
		json_object_put(jobs);
		json_object_put(emails);
		return reply_db_error(r);
	}
	struct json_object *ctx = admin_page_ctx(r, "jobs", "Jobs");
	json_object_object_add(ctx, "jobs", jobs);
	json_object_object_add(ctx, "emails", emails);
	json_object_object_add(ctx, "attention", orders);
	return reply_html(r, 200, "admin/jobs", ctx);
}

int admin_job_retry_post(struct req *r)
{
	PGresult *res = db_query(&r->ctx,
		"UPDATE jobs SET state = 'queued', run_at = now(), attempts = 0, locked_at = NULL, updated_at = now() "
		"WHERE id = $1::bigint AND (state = 'dead' OR (state = 'queued' AND attempts > 0)) RETURNING id",
		r->param[0]);
	if (!res) {
		/* a second open job of the same kind for the order already exists */
		if (strcmp(db_sqlstate(&r->ctx), "23505") == 0)
			return reply_redirect(r, "/admin/jobs?m=job_missing");
		return reply_db_error(r);
	}
	return reply_redirect(r, PQntuples(res) ? "/admin/jobs?m=job_retried" : "/admin/jobs?m=job_missing");
}
