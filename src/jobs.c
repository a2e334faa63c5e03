/* jobs.c: the one queue of background work: queue, claim (SKIP LOCKED), run by
 * kind, back off, requeue the stuck, bury the dead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "jobs.h"
#include "json.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int job_backoff_minutes(int n)
{
	if (n < 1)
		n = 1;
	if (n >= 6) /* 2^6 is past the cap: no shift can overflow */
		return JOB_BACKOFF_CAP_MINUTES;
	return (1 << n) < JOB_BACKOFF_CAP_MINUTES ? 1 << n : JOB_BACKOFF_CAP_MINUTES;
}

void summary_count(struct json_object *summary, const char *key, int n)
{
	struct json_object *v;

	if (!key)
		return;
	int64_t cur = json_object_object_get_ex(summary, key, &v) ? json_object_get_int64(v) : 0;
	json_object_object_add(summary, key, json_object_new_int64(cur + n));
}

int job_enqueue(struct ctx *c, const struct job_new *n)
{
	return db_query(c,
			"INSERT INTO jobs (kind, order_id, payload, prior_failures, max_attempts, run_at) "
			"VALUES ($1, $2, COALESCE($3::jsonb, '{}'), $4::int, $5::int, now() + make_interval(mins => $6::int)) "
			"ON CONFLICT (kind, order_id) WHERE state IN ('queued','running') AND kind <> 'send_email' "
			"DO NOTHING",
			n->kind, n->order_id, n->payload,
			arena_printf(c->a, "%d", n->prior_failures),
			arena_printf(c->a, "%d", n->max_attempts > 0 ? n->max_attempts : JOB_MAX_ATTEMPTS),
			arena_printf(c->a, "%d", n->delay_minutes))
		? 0
		: -1;
}

int job_settle(struct ctx *c, const char *kind, const char *key, const char *value, int dead, const char *err)
{
	return db_query(c,
			"UPDATE jobs SET state = $4, last_error = COALESCE($5, last_error), locked_at = NULL, updated_at = now() "
			"WHERE kind = $1 AND state IN ('queued', 'running') AND payload->>$2 = $3",
			kind, key, value, dead ? "dead" : "done", err)
		? 0
		: -1;
}

enum outcome job_retry(struct ctx *c, int64_t id)
{
	/* clang-format off */
	PGresult *res = db_query(c,
		"UPDATE jobs SET state = 'queued', run_at = now(), attempts = 0, locked_at = NULL, updated_at = now() "
		"WHERE id = $1::bigint AND " JOB_FAILING_SQL " RETURNING id", arena_printf(c->a, "%lld", (long long)id));
	/* clang-format on */
	if (!res) /* 23505: a second open job of the same kind for the order already exists */
		return strcmp(db_sqlstate(c), "23505") == 0 ? E_JOB_NOT_FOUND : E_DB;
	return PQntuples(res) ? OK : E_JOB_NOT_FOUND;
}

int jobs_requeue_stale(struct ctx *c)
{
	/* clang-format off */
	PGresult *res = db_query(c,
		"UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
		"locked_at = NULL, last_error = coalesce(last_error, 'worker vanished'), updated_at = now() "
		"WHERE id IN (SELECT id FROM jobs WHERE state = 'running' "
		"AND locked_at < now() - make_interval(mins => " STR(JOB_STALE_MINUTES) ") FOR UPDATE SKIP LOCKED)");
	/* clang-format on */
	return res ? atoi(PQcmdTuples(res)) : -1;
}

/* Claims the oldest due job of kinds (a text[] literal): state 'running',
 * attempts + 1. 1 claimed (*j filled), 0 none due, -1 DB error. */
static int claim_one(struct ctx *c, const char *kinds, struct job *j)
{
	PGresult *res = db_query(c,
				 "UPDATE jobs SET state = 'running', locked_at = now(), attempts = attempts + 1, updated_at = now() "
				 "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= now() "
				 "AND kind = ANY($1::text[]) ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1) "
				 "RETURNING id, kind, order_id, attempts, prior_failures, max_attempts, payload::text AS payload",
				 kinds);
	if (!res)
		return -1;
	if (PQntuples(res) == 0)
		return 0;
	char err[64];
	const char *p = db_val(res, 0, "payload");
	j->id = arena_strdup(c->a, db_val(res, 0, "id"));
	j->kind = arena_strdup(c->a, db_val(res, 0, "kind"));
	j->order_id = db_val(res, 0, "order_id") ? arena_strdup(c->a, db_val(res, 0, "order_id")) : NULL;
	j->attempts = atoi(db_val(res, 0, "attempts"));
	j->prior_failures = atoi(db_val(res, 0, "prior_failures"));
	j->max_attempts = atoi(db_val(res, 0, "max_attempts"));
	j->payload = json_own(c->a, json_parse_strict(p, strlen(p), err, sizeof err));
	if (!j->payload)
		j->payload = json_own(c->a, json_object_new_object());
	return 1;
}

struct failure {
	const struct job_kind *k;
	const struct job *j;
	enum job_result result;
	const char *err;
	int dead;
};

/* In one transaction: the job queued again with back-off (or dead), and the kind told. */
static enum outcome record_failure(struct ctx *c, void *arg)
{
	struct failure *f = arg;
	const char *give_up = f->result == JOB_GIVE_UP ? "true" : "false";
	PGresult *res = db_query(c,
				 "UPDATE jobs SET locked_at = NULL, last_error = $2, updated_at = now(), "
				 "state = CASE WHEN $3::boolean OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
				 "run_at = now() + make_interval(mins => $4::int) "
				 "WHERE id = $1 AND state = 'running' RETURNING state",
				 f->j->id, f->err, give_up, arena_printf(c->a, "%d", job_backoff_minutes(f->j->prior_failures + f->j->attempts)));
	if (!res)
		return E_DB;
	if (PQntuples(res) != 1)
		return OK; /* settled meanwhile (e.g. an admin's retry): nothing to record */
	f->dead = strcmp(db_val(res, 0, "state"), "dead") == 0;
	return f->k->failed && f->k->failed(c, f->j, f->dead, f->err) != 0 ? E_DB : OK;
}

static const struct job_kind *kind_of(const struct job_kind *kinds, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* Runs one claimed job and records how it ended. Returns its result, or JOB_DB_ERROR. */
static enum job_result run_one(struct ctx *c, const struct job_kind *k, const struct job *j, struct json_object *summary)
{
	char err[1200] = "";
	enum job_result rc = k->run(c, j, err, sizeof err);

	summary_count(summary, "jobsRun", 1);
	if (rc == JOB_DB_ERROR)
		return rc; /* left running: requeued when stale */
	if (rc == JOB_DONE) {
		summary_count(summary, k->done_key, 1);
		return db_query(c, "UPDATE jobs SET state = 'done', locked_at = NULL, last_error = NULL, updated_at = now() "
				   "WHERE id = $1 AND state = 'running'",
				j->id)
			? rc
			: JOB_DB_ERROR;
	}
	summary_count(summary, "jobsFailed", 1);
	summary_count(summary, k->failed_key, 1);
	struct failure f = { k, j, rc, err[0] ? err : "failed", 0 };
	if (db_tx(c, record_failure, &f) != OK)
		return JOB_DB_ERROR;
	summary_count(summary, "jobsDead", f.dead);
	return rc;
}

int jobs_run_due(struct ctx *c, const struct job_kind *kinds, size_t nkinds, int max, int64_t deadline_ms,
		 struct json_object *summary)
{
	int held[16] = { 0 };

	summary_count(summary, "jobsRun", 0);
	summary_count(summary, "jobsFailed", 0);
	summary_count(summary, "jobsDead", 0);
	for (size_t i = 0; i < nkinds && i < 16; i++) {
		summary_count(summary, kinds[i].done_key, 0);
		summary_count(summary, kinds[i].failed_key, 0);
		held[i] = kinds[i].ready && !kinds[i].ready();
	}
	for (int n = 0; n < max && mono_ms() < deadline_ms; n++) {
		/* the kinds still open this pass, as a text[] literal of plain identifiers */
		const char *list = "{";
		for (size_t i = 0; i < nkinds && i < 16; i++)
			if (!held[i])
				list = arena_printf(c->a, "%s%s%s", list, list[1] ? "," : "", kinds[i].name);
		if (!list[1])
			break;
		struct job j;
		int got = claim_one(c, arena_printf(c->a, "%s}", list), &j);
		if (got <= 0)
			return got;
		const struct job_kind *k = kind_of(kinds, nkinds, j.kind);
		enum job_result rc = run_one(c, k, &j, summary);
		if (rc == JOB_DB_ERROR)
			return -1;
		if (rc == JOB_STOP)
			held[k - kinds] = 1;
	}
	return 0;
}
